#pragma once
// Internet checksum (RFC 1071) and incremental update (RFC 1624). Shared by
// every wire format that carries one: IPv4, TCP, UDP, ICMP, VRRP.

#include <cstddef>
#include <cstdint>
#include <span>

namespace tandem::net {

// Running one's-complement sum, not yet folded. Feed spans in wire order; an
// odd-length span is only allowed as the last one.
class ChecksumAccumulator {
 public:
  void add(std::span<const std::uint8_t> bytes);
  void add_u16(std::uint16_t host_order_value);
  void add_u32(std::uint32_t host_order_value);
  // The value to store in the checksum field (host order).
  std::uint16_t finish() const;

 private:
  std::uint64_t sum_ = 0;
};

// Checksum of a buffer whose checksum field is zero (or, when verifying, of a
// buffer with its checksum in place: a valid one yields 0).
std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes);

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 16-bit field changing from
// old_value to new_value. All values in host order.
std::uint16_t checksum_update16(std::uint16_t checksum, std::uint16_t old_value,
                                std::uint16_t new_value);
std::uint16_t checksum_update32(std::uint16_t checksum, std::uint32_t old_value,
                                std::uint32_t new_value);

// Pseudo-header sum for TCP/UDP/VRRPv3 over IPv4 (addresses in host order).
void add_ipv4_pseudo_header(ChecksumAccumulator& acc, std::uint32_t src, std::uint32_t dst,
                            std::uint8_t protocol, std::uint16_t length);

}  // namespace tandem::net
