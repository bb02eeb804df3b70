#pragma once
// Internal helpers shared by the rewrites: incremental checksum updates
// (RFC 1624) and the TTL/MTU gate every forwarding method applies before
// touching a byte.

#include <cstdint>
#include <cstring>

#include "common/net/packet.h"
#include "common/net/wire_bytes.h"
#include "director/packet/rewrite.h"

namespace tandem::director::detail {

// Several field changes folded into one checksum at once: RFC 1624 eqn. 3
// summed over the fields, HC' = ~(~HC + sum(~m + m')), with a single fold at
// the end. The per-field net::checksum_update16 would fold (and be called
// out of line) once per word; NAT changes up to six words per checksum.
class Delta {
 public:
  void change16(std::uint16_t old_value, std::uint16_t new_value) {
    sum_ += static_cast<std::uint16_t>(~old_value);
    sum_ += new_value;
  }
  void change32(std::uint32_t old_value, std::uint32_t new_value) {
    change16(static_cast<std::uint16_t>(old_value >> 16),
             static_cast<std::uint16_t>(new_value >> 16));
    change16(static_cast<std::uint16_t>(old_value), static_cast<std::uint16_t>(new_value));
  }
  std::uint16_t applied_to(std::uint16_t checksum) const {
    std::uint32_t s = sum_ + static_cast<std::uint16_t>(~checksum);
    s = (s & 0xffffU) + (s >> 16);
    s = (s & 0xffffU) + (s >> 16);
    return static_cast<std::uint16_t>(~s);
  }
  void apply(std::uint8_t* checksum_field) const {
    net::store_be16(checksum_field, applied_to(net::load_be16(checksum_field)));
  }

 private:
  std::uint32_t sum_ = 0;  // at most a dozen 16-bit terms: no overflow
};

// UDP sends a computed 0 as 0xffff, because 0 on the wire means "none".
inline std::uint16_t udp_nonzero(std::uint16_t csum) {
  return csum == 0 ? 0xffff : csum;
}

// TTL shares a 16-bit word with the protocol byte. The caller owns the
// header checksum update, so it can fold other changes in with it.
inline void decrement_ttl(std::uint8_t* ip, Delta& ip_delta) {
  const std::uint16_t old_word = net::load_be16(ip + 8);
  const auto new_word = static_cast<std::uint16_t>(old_word - 0x0100);
  net::store_be16(ip + 8, new_word);
  ip_delta.change16(old_word, new_word);
}

// Decides whether a datagram of the parsed size plus `overhead` bytes of
// encapsulation may leave on a link of `mtu`, in the order the kernel
// applies: TTL first, then size.
inline Rewrite gate(const net::ParsedFrame& v, std::uint16_t mtu, std::uint16_t overhead) {
  Rewrite r;
  if (v.ip.ttl <= 1) {
    r.verdict = RewriteVerdict::kTtlExceeded;
    return r;
  }
  if (std::uint32_t{v.ip.total_len} + overhead > mtu) {
    r.verdict = v.ip.dont_fragment ? RewriteVerdict::kFragmentationNeeded : RewriteVerdict::kTooBig;
    r.next_hop_mtu = static_cast<std::uint16_t>(mtu > overhead ? mtu - overhead : 0);
    return r;
  }
  r.verdict = RewriteVerdict::kForward;
  return r;
}

inline void set_macs(std::uint8_t* frame, const Egress& egress) {
  std::memcpy(frame, egress.dst_mac.bytes.data(), 6);
  std::memcpy(frame + 6, egress.src_mac.bytes.data(), 6);
}

}  // namespace tandem::director::detail
