#include "director/packet/icmp_error.h"

#include <algorithm>
#include <cstring>

#include "common/net/checksum.h"
#include "common/net/wire_bytes.h"

namespace tandem::director {
namespace {

constexpr std::size_t kHeaders = net::kIpv4MinHeaderLen + net::kIcmpHeaderLen;
// Type of service for ICMP errors: precedence "internetwork control", as Linux uses.
constexpr std::uint8_t kTosInternetControl = 0xc0;
constexpr std::uint8_t kErrorTtl = 64;

bool names_one_host(net::Ipv4 a) {
  const std::uint32_t top = a.value >> 24;
  // 0/8 "this network", 127/8 loopback, 224/4 multicast, 240/4 reserved
  // and the limited broadcast.
  return top != 0 && top != 127 && top < 224;
}

bool may_answer(std::span<const std::uint8_t> original, const net::ParsedFrame& v) {
  if (v.l3 != net::L3Kind::kIpv4 || v.eth.header_len == 0 || original.size() != v.buffer_len) {
    return false;
  }
  if (v.ip.protocol == net::kProtoIcmp && net::is_icmp_error(v.l4.icmp_type)) return false;
  if ((v.eth.dst.bytes[0] & 0x01) != 0) return false;  // link broadcast or multicast
  const std::uint32_t dst_top = v.ip.dst.value >> 24;
  if (dst_top >= 224) return false;  // multicast, reserved, limited broadcast
  return names_one_host(v.ip.src);
}

std::size_t build(std::span<std::uint8_t> out, std::span<const std::uint8_t> original,
                  const net::ParsedFrame& v, std::uint8_t type, std::uint8_t code,
                  std::uint16_t mtu_field, const IcmpErrorParams& params) {
  if (!may_answer(original, v)) return 0;
  const std::size_t l2 = v.eth.header_len;
  const std::size_t quote = std::min<std::size_t>(v.ip.total_len, kIcmpErrorMaxDatagram - kHeaders);
  const std::size_t total = kHeaders + quote;
  if (out.size() < l2 + total) return 0;

  std::uint8_t* p = out.data();
  std::memcpy(p, v.eth.src.bytes.data(), 6);
  std::memcpy(p + 6, params.src_mac.bytes.data(), 6);
  std::memcpy(p + 12, original.data() + 12, l2 - 12);  // VLAN tag (if any) and EtherType

  std::uint8_t* ip = p + l2;
  ip[0] = 0x45;
  ip[1] = kTosInternetControl;
  net::store_be16(ip + 2, static_cast<std::uint16_t>(total));
  net::store_be16(ip + 4, params.ip_id);
  net::store_be16(ip + 6, 0);
  ip[8] = kErrorTtl;
  ip[9] = net::kProtoIcmp;
  net::store_be16(ip + 10, 0);
  net::store_be32(ip + 12, params.source.value);
  net::store_be32(ip + 16, v.ip.src.value);
  net::store_be16(ip + 10, net::internet_checksum({ip, net::kIpv4MinHeaderLen}));

  std::uint8_t* icmp = ip + net::kIpv4MinHeaderLen;
  icmp[0] = type;
  icmp[1] = code;
  net::store_be16(icmp + 2, 0);
  net::store_be16(icmp + 4, 0);
  net::store_be16(icmp + 6, mtu_field);
  std::memcpy(icmp + net::kIcmpHeaderLen, original.data() + v.ip.offset, quote);
  net::store_be16(icmp + 2, net::internet_checksum({icmp, net::kIcmpHeaderLen + quote}));
  return l2 + total;
}

}  // namespace

std::size_t build_time_exceeded(std::span<std::uint8_t> out, std::span<const std::uint8_t> original,
                                const net::ParsedFrame& v, const IcmpErrorParams& params) noexcept {
  return build(out, original, v, net::kIcmpTimeExceeded, 0, 0, params);
}

std::size_t build_frag_needed(std::span<std::uint8_t> out, std::span<const std::uint8_t> original,
                              const net::ParsedFrame& v, std::uint16_t next_hop_mtu,
                              const IcmpErrorParams& params) noexcept {
  return build(out, original, v, net::kIcmpDestUnreachable, net::kIcmpCodeFragNeeded, next_hop_mtu,
               params);
}

}  // namespace tandem::director
