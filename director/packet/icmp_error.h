#pragma once
// ICMP errors the director originates when it cannot forward a datagram:
// time exceeded (TTL <= 1) and fragmentation needed (DF set, too big for the
// egress link, RFC 1191). Built into a caller-supplied buffer from the
// original frame, which the declining rewrite left untouched. Rate limiting
// is the caller's policy: it needs a clock.

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/net/address.h"
#include "common/net/packet.h"

namespace tandem::director {

// The error datagram is at most 576 bytes (RFC 1812 4.3.2.3), plus the
// Ethernet header and a VLAN tag.
inline constexpr std::size_t kIcmpErrorMaxDatagram = 576;
inline constexpr std::size_t kIcmpErrorMaxFrame =
    net::kEthernetHeaderLen + net::kVlanTagLen + kIcmpErrorMaxDatagram;

struct IcmpErrorParams {
  net::Ipv4 source;  // the director's address on the link the datagram came in on
  net::Mac src_mac;  // the director's MAC on that link
  std::uint16_t ip_id = 0;
};

// Each returns the length of the frame written to `out`, sent back to the
// Ethernet source (keeping any VLAN tag), or 0 when no error may be sent
// (RFC 1122 3.2.2, RFC 1812 4.3.2.7: the original is itself an ICMP error,
// or was link- or IP-broadcast/multicast, or its source does not name a
// single host) or `out` is shorter than the frame needs.
std::size_t build_time_exceeded(std::span<std::uint8_t> out, std::span<const std::uint8_t> original,
                                const net::ParsedFrame& v, const IcmpErrorParams& params) noexcept;

std::size_t build_frag_needed(std::span<std::uint8_t> out, std::span<const std::uint8_t> original,
                              const net::ParsedFrame& v, std::uint16_t next_hop_mtu,
                              const IcmpErrorParams& params) noexcept;

}  // namespace tandem::director
