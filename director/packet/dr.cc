#include "director/packet/dr.h"

#include "director/packet/field_ops.h"

namespace tandem::director {

Rewrite dr_forward(std::span<std::uint8_t> frame, const net::ParsedFrame& v,
                   const Egress& egress) noexcept {
  if (v.l3 != net::L3Kind::kIpv4 || v.eth.header_len == 0 || frame.size() != v.buffer_len) {
    return Rewrite{};
  }
  Rewrite r = detail::gate(v, egress.mtu, 0);
  if (r.verdict != RewriteVerdict::kForward) return r;
  std::uint8_t* base = frame.data();
  detail::set_macs(base, egress);
  std::uint8_t* ip = base + v.ip.offset;
  detail::Delta ip_delta;
  detail::decrement_ttl(ip, ip_delta);
  ip_delta.apply(ip + 10);
  r.offset = 0;
  r.length = v.frame_len();
  return r;
}

}  // namespace tandem::director
