#pragma once
// Internal helpers shared by the rewrites: word-sized field stores that
// fold the change into a checksum (RFC 1624), and the TTL/MTU gate every
// forwarding method applies before touching a byte.

#include <cstdint>
#include <cstring>

#include "common/net/checksum.h"
#include "common/net/packet.h"
#include "common/net/wire_bytes.h"
#include "director/packet/rewrite.h"

namespace tandem::director::detail {

inline void fold16(std::uint8_t* csum, std::uint16_t old_value, std::uint16_t new_value) {
  net::store_be16(csum, net::checksum_update16(net::load_be16(csum), old_value, new_value));
}

inline void fold32(std::uint8_t* csum, std::uint32_t old_value, std::uint32_t new_value) {
  net::store_be16(csum, net::checksum_update32(net::load_be16(csum), old_value, new_value));
}

// UDP sends a computed 0 as 0xffff, because 0 on the wire means "none".
inline std::uint16_t udp_nonzero(std::uint16_t csum) {
  return csum == 0 ? 0xffff : csum;
}

// TTL shares a 16-bit word with the protocol byte; the IPv4 checksum is at +10.
inline void decrement_ttl(std::uint8_t* ip) {
  const std::uint16_t old_word = net::load_be16(ip + 8);
  const auto new_word = static_cast<std::uint16_t>(old_word - 0x0100);
  net::store_be16(ip + 8, new_word);
  fold16(ip + 10, old_word, new_word);
}

// Decides whether a datagram of the parsed size plus `overhead` bytes of
// encapsulation may leave on a link of `mtu`, in the order the kernel
// applies: TTL first, then size.
inline Rewrite gate(const net::ParsedFrame& v, std::uint16_t mtu, std::uint16_t overhead) {
  Rewrite r;
  if (v.ip.ttl <= 1) {
    r.verdict = Verdict::kTtlExceeded;
    return r;
  }
  if (std::uint32_t{v.ip.total_len} + overhead > mtu) {
    r.verdict = v.ip.dont_fragment ? Verdict::kFragmentationNeeded : Verdict::kTooBig;
    r.next_hop_mtu = static_cast<std::uint16_t>(mtu > overhead ? mtu - overhead : 0);
    return r;
  }
  r.verdict = Verdict::kForward;
  return r;
}

inline void set_macs(std::uint8_t* frame, const Egress& egress) {
  std::memcpy(frame, egress.dst_mac.bytes.data(), 6);
  std::memcpy(frame + 6, egress.src_mac.bytes.data(), 6);
}

}  // namespace tandem::director::detail
