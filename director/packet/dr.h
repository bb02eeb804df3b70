#pragma once
// Direct routing: the datagram is untouched except for the TTL; only the
// Ethernet addresses change, to hand it to a real server that holds the VIP
// on a non-ARPing interface.

#include <cstdint>
#include <span>

#include "common/net/packet.h"
#include "director/packet/rewrite.h"

namespace tandem::director {

// `frame` must be the buffer `v` was parsed from. Any VLAN tag is kept.
Rewrite dr_forward(std::span<std::uint8_t> frame, const net::ParsedFrame& v,
                   const Egress& egress) noexcept;

}  // namespace tandem::director
