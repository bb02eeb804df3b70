#include "director/packet/icmp_echo.h"

#include <cstring>

#include "common/net/checksum.h"
#include "director/packet/field_ops.h"

namespace tandem::director {
namespace {

constexpr std::uint8_t kReplyTtl = 64;

bool whole_icmp(std::span<const std::uint8_t> frame, const net::ParsedFrame& v) {
  return v.l3 == net::L3Kind::kIpv4 && frame.size() == v.buffer_len &&
         v.ip.protocol == net::kProtoIcmp && !v.ip.more_fragments &&
         v.l4.len >= net::kIcmpHeaderLen && std::size_t{v.l4.offset} + v.l4.len <= frame.size();
}

// 0/8, 127/8, multicast, reserved and broadcast do not name one host
// (RFC 1122 3.2.2.6: no reply to those sources).
bool names_one_host(net::Ipv4 a) {
  const std::uint32_t top = a.value >> 24;
  return top != 0 && top != 127 && top < 224;
}

}  // namespace

bool icmp_checksum_ok(std::span<const std::uint8_t> frame, const net::ParsedFrame& v) noexcept {
  if (!whole_icmp(frame, v)) return false;
  return net::internet_checksum(frame.subspan(v.l4.offset, v.l4.len)) == 0;
}

Rewrite echo_reply(std::span<std::uint8_t> frame, const net::ParsedFrame& v,
                   const net::Mac& src_mac, std::uint16_t ip_id) noexcept {
  if (!whole_icmp(frame, v) || v.eth.header_len == 0 || v.l4.icmp_type != net::kIcmpEchoRequest ||
      (v.eth.src.bytes[0] & 0x01) != 0 || (src_mac.bytes[0] & 0x01) != 0 ||
      !names_one_host(v.ip.src)) {
    return Rewrite{};
  }
  std::uint8_t* base = frame.data();
  std::uint8_t* ip = base + v.ip.offset;
  std::uint8_t* icmp = ip + net::kIpv4MinHeaderLen;
  // Options (record route, timestamps) are not echoed: the message moves
  // down over them and the reply gets a plain 20-byte header.
  if (v.ip.header_len != net::kIpv4MinHeaderLen) std::memmove(icmp, base + v.l4.offset, v.l4.len);

  std::memcpy(base, v.eth.src.bytes.data(), 6);
  std::memcpy(base + 6, src_mac.bytes.data(), 6);

  const auto total = static_cast<std::uint16_t>(net::kIpv4MinHeaderLen + v.l4.len);
  ip[0] = 0x45;
  ip[1] = v.ip.tos;
  net::store_be16(ip + 2, total);
  net::store_be16(ip + 4, ip_id);
  net::store_be16(ip + 6, 0);
  ip[8] = kReplyTtl;
  ip[9] = net::kProtoIcmp;
  net::store_be16(ip + 10, 0);
  net::store_be32(ip + 12, v.ip.dst.value);
  net::store_be32(ip + 16, v.ip.src.value);
  net::store_be16(ip + 10, net::internet_checksum({ip, net::kIpv4MinHeaderLen}));

  // Type and code share the first word; the rest of the message is echoed as is.
  detail::Delta d;
  const std::uint16_t old_word = net::load_be16(icmp);
  const auto new_word = static_cast<std::uint16_t>((net::kIcmpEchoReply << 8) | (old_word & 0xff));
  d.change16(old_word, new_word);
  net::store_be16(icmp, new_word);
  d.apply(icmp + 2);

  Rewrite r;
  r.verdict = RewriteVerdict::kForward;
  r.offset = 0;
  r.length = v.eth.header_len + total;
  return r;
}

}  // namespace tandem::director
