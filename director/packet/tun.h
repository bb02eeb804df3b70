#pragma once
// IPIP tunnelling (RFC 2003): the received datagram, TTL decremented, is
// wrapped in an outer IPv4 header addressed to the real server, which
// decapsulates it and answers the client directly.

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/net/address.h"
#include "common/net/packet.h"
#include "director/packet/rewrite.h"

namespace tandem::director {

// Bytes the caller must leave free in front of the received frame.
inline constexpr std::size_t kTunHeadroom = 20;

struct TunParams {
  net::Ipv4 local;          // outer source: the director
  net::Ipv4 remote;         // outer destination: the real server
  std::uint8_t ttl = 64;    // outer TTL; 0 inherits the inner TTL (after decrement)
  std::uint16_t ip_id = 0;  // outer identification, used only when DF is clear
};

// buffer[frame_offset, frame_offset + v.buffer_len) holds the frame `v` was
// parsed from, with at least kTunHeadroom bytes before it. The Ethernet
// header (and VLAN tag) moves forward into the headroom and the outer IPv4
// header is written between it and the untouched inner datagram; DF and TOS
// are copied from the inner header. A datagram that would exceed the egress
// MTU once wrapped gets kFragmentationNeeded with next_hop_mtu = mtu - 20.
Rewrite tun_encapsulate(std::span<std::uint8_t> buffer, std::uint32_t frame_offset,
                        const net::ParsedFrame& v, const TunParams& params,
                        const Egress& egress) noexcept;

}  // namespace tandem::director
