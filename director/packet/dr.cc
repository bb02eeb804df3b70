#include "director/packet/dr.h"

#include "director/packet/field_ops.h"

namespace tandem::director {

Rewrite dr_forward(std::span<std::uint8_t> frame, const net::ParsedFrame& v, const Egress& egress) {
  if (v.l3 != net::L3Kind::kIpv4 || v.eth.header_len == 0 || frame.size() != v.buffer_len) {
    return Rewrite{};
  }
  Rewrite r = detail::gate(v, egress.mtu, 0);
  if (r.verdict != Verdict::kForward) return r;
  std::uint8_t* base = frame.data();
  detail::set_macs(base, egress);
  detail::decrement_ttl(base + v.ip.offset);
  r.offset = 0;
  r.length = v.frame_len();
  return r;
}

}  // namespace tandem::director
