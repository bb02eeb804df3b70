#pragma once
// NAT (masquerading). Inbound, client -> VIP:vport becomes client ->
// RIP:rport; outbound, the real server's reply RIP:rport -> client leaves as
// VIP:vport -> client. ICMP errors that quote a NAT'ed datagram are
// translated too, quote included, so each end sees addresses it knows.
// IP, TCP/UDP and ICMP checksums are all updated incrementally.

#include <cstdint>
#include <span>

#include "common/net/address.h"
#include "common/net/packet.h"
#include "director/packet/rewrite.h"

namespace tandem::director {

// TCP or UDP from a client: daddr := real.address, dport := real.port.
Rewrite nat_inbound(std::span<std::uint8_t> frame, const net::ParsedFrame& v,
                    const net::Endpoint& real, const Egress& egress) noexcept;

// TCP or UDP reply from a real server: saddr := virt.address, sport := virt.port.
Rewrite nat_outbound(std::span<std::uint8_t> frame, const net::ParsedFrame& v,
                     const net::Endpoint& virt, const Egress& egress) noexcept;

// An ICMP error from the client side about a reply we sent (quote: VIP:vport
// -> client): outer daddr and the quote's source become real.
Rewrite nat_icmp_inbound(std::span<std::uint8_t> frame, const net::ParsedFrame& v,
                         const net::Endpoint& real, const Egress& egress) noexcept;

// An ICMP error from the real-server side about a request it received
// (quote: client -> RIP:rport): outer saddr and the quote's destination
// become virt.
Rewrite nat_icmp_outbound(std::span<std::uint8_t> frame, const net::ParsedFrame& v,
                          const net::Endpoint& virt, const Egress& egress) noexcept;

}  // namespace tandem::director
