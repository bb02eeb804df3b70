#include "director/packet/nat.h"

#include "director/packet/field_ops.h"

namespace tandem::director {
namespace {

using net::load_be16;
using net::load_be32;
using net::store_be16;
using net::store_be32;

// Byte offsets within the IPv4 and TCP/UDP headers.
constexpr std::size_t kIpSrc = 12;
constexpr std::size_t kIpDst = 16;
constexpr std::size_t kIpCsum = 10;
constexpr std::size_t kTcpCsum = 16;
constexpr std::size_t kUdpCsum = 6;

enum class Side { kSource, kDestination };

bool usable(std::span<std::uint8_t> frame, const net::ParsedFrame& v) {
  return v.l3 == net::L3Kind::kIpv4 && v.eth.header_len != 0 && frame.size() == v.buffer_len;
}

Rewrite nat_transport(std::span<std::uint8_t> frame, const net::ParsedFrame& v,
                      const net::Endpoint& to, const Egress& egress, Side side) {
  if (!usable(frame, v) || (v.ip.protocol != net::kProtoTcp && v.ip.protocol != net::kProtoUdp)) {
    return Rewrite{};
  }
  Rewrite r = detail::gate(v, egress.mtu, 0);
  if (r.verdict != RewriteVerdict::kForward) return r;

  std::uint8_t* base = frame.data();
  std::uint8_t* ip = base + v.ip.offset;
  std::uint8_t* l4 = base + v.l4.offset;
  std::uint8_t* addr = ip + (side == Side::kSource ? kIpSrc : kIpDst);
  std::uint8_t* port = l4 + (side == Side::kSource ? 0 : 2);
  const std::uint32_t old_addr = load_be32(addr);
  const std::uint16_t old_port = load_be16(port);

  detail::set_macs(base, egress);
  detail::Delta ip_delta;
  detail::decrement_ttl(ip, ip_delta);
  ip_delta.change32(old_addr, to.address.value);
  ip_delta.apply(ip + kIpCsum);
  store_be32(addr, to.address.value);
  store_be16(port, to.port);

  // The address is in the pseudo-header, so it moves the L4 checksum too.
  detail::Delta l4_delta;
  l4_delta.change32(old_addr, to.address.value);
  l4_delta.change16(old_port, to.port);
  if (v.ip.protocol == net::kProtoTcp) {
    l4_delta.apply(l4 + kTcpCsum);
  } else if (const std::uint16_t c = load_be16(l4 + kUdpCsum); c != 0) {
    store_be16(l4 + kUdpCsum, detail::udp_nonzero(l4_delta.applied_to(c)));
  }
  r.offset = 0;
  r.length = v.frame_len();
  return r;
}

// The outer header, the quoted header, the quoted ports and up to three
// checksums (outer IP, quoted IP, quoted TCP/UDP) change; every one of them
// except the outer IP header lies inside the ICMP message, so each change is
// folded into the ICMP checksum as well. All quoted fields sit at even
// offsets from the ICMP header (8 + even IHL), which word-wise folding needs.
Rewrite nat_icmp(std::span<std::uint8_t> frame, const net::ParsedFrame& v, const net::Endpoint& to,
                 const Egress& egress, Side outer_side) {
  if (!usable(frame, v) || v.ip.protocol != net::kProtoIcmp || !v.quote.present ||
      !v.quote.has_ports) {
    return Rewrite{};
  }
  Rewrite r = detail::gate(v, egress.mtu, 0);
  if (r.verdict != RewriteVerdict::kForward) return r;

  std::uint8_t* base = frame.data();
  std::uint8_t* ip = base + v.ip.offset;
  std::uint8_t* icmp_csum = base + v.l4.offset + 2;
  std::uint8_t* q = base + v.quote.ip_offset;
  std::uint8_t* ql4 = q + v.quote.ip_header_len;

  // An error travelling toward the real server quotes our reply, whose
  // source it must now name; one travelling toward the client quotes the
  // request, whose destination it must name.
  const bool inbound = outer_side == Side::kDestination;
  std::uint8_t* outer_addr = ip + (inbound ? kIpDst : kIpSrc);
  std::uint8_t* q_addr = q + (inbound ? kIpSrc : kIpDst);
  std::uint8_t* q_port = ql4 + (inbound ? 0 : 2);

  std::uint8_t* q_l4_csum = nullptr;
  bool udp = false;
  if (v.quote.protocol == net::kProtoUdp) {
    if (load_be16(ql4 + kUdpCsum) != 0) q_l4_csum = ql4 + kUdpCsum;
    udp = true;
  } else if (v.quote.quoted_len >= v.quote.ip_header_len + kTcpCsum + 2U) {
    q_l4_csum = ql4 + kTcpCsum;  // only when the quote reaches that far
  }

  const std::uint32_t old_outer = load_be32(outer_addr);
  const std::uint32_t old_q_addr = load_be32(q_addr);
  const std::uint16_t old_q_port = load_be16(q_port);
  detail::set_macs(base, egress);
  detail::Delta ip_delta;
  detail::decrement_ttl(ip, ip_delta);
  ip_delta.change32(old_outer, to.address.value);
  ip_delta.apply(ip + kIpCsum);
  store_be32(outer_addr, to.address.value);

  // Quoted header and ports, each with its own checksum.
  detail::Delta q_ip_delta;
  q_ip_delta.change32(old_q_addr, to.address.value);
  const std::uint16_t old_q_ip_csum = load_be16(q + kIpCsum);
  const std::uint16_t new_q_ip_csum = q_ip_delta.applied_to(old_q_ip_csum);
  store_be32(q_addr, to.address.value);
  store_be16(q + kIpCsum, new_q_ip_csum);
  store_be16(q_port, to.port);

  // Every changed word so far (except the outer header) is ICMP payload.
  detail::Delta icmp_delta;
  icmp_delta.change32(old_q_addr, to.address.value);
  icmp_delta.change16(old_q_ip_csum, new_q_ip_csum);
  icmp_delta.change16(old_q_port, to.port);
  if (q_l4_csum != nullptr) {
    detail::Delta q_l4_delta;
    q_l4_delta.change32(old_q_addr, to.address.value);
    q_l4_delta.change16(old_q_port, to.port);
    const std::uint16_t old_c = load_be16(q_l4_csum);
    std::uint16_t c = q_l4_delta.applied_to(old_c);
    if (udp) c = detail::udp_nonzero(c);
    store_be16(q_l4_csum, c);
    icmp_delta.change16(old_c, c);
  }
  icmp_delta.apply(icmp_csum);
  r.offset = 0;
  r.length = v.frame_len();
  return r;
}

}  // namespace

Rewrite nat_inbound(std::span<std::uint8_t> frame, const net::ParsedFrame& v,
                    const net::Endpoint& real, const Egress& egress) noexcept {
  return nat_transport(frame, v, real, egress, Side::kDestination);
}

Rewrite nat_outbound(std::span<std::uint8_t> frame, const net::ParsedFrame& v,
                     const net::Endpoint& virt, const Egress& egress) noexcept {
  return nat_transport(frame, v, virt, egress, Side::kSource);
}

Rewrite nat_icmp_inbound(std::span<std::uint8_t> frame, const net::ParsedFrame& v,
                         const net::Endpoint& real, const Egress& egress) noexcept {
  return nat_icmp(frame, v, real, egress, Side::kDestination);
}

Rewrite nat_icmp_outbound(std::span<std::uint8_t> frame, const net::ParsedFrame& v,
                          const net::Endpoint& virt, const Egress& egress) noexcept {
  return nat_icmp(frame, v, virt, egress, Side::kSource);
}

}  // namespace tandem::director
