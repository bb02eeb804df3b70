#pragma once
// ICMP the director answers for a VIP itself, and the checks it makes on
// ICMP before relaying or answering it. The kernel never sees VIP traffic
// (the nftables guard drops its copy), so an echo request to a VIP is ours
// to answer, and only while we are the active director for it.

#include <cstdint>
#include <span>

#include "common/net/address.h"
#include "common/net/packet.h"
#include "director/packet/rewrite.h"

namespace tandem::director {

// The whole ICMP message of an unfragmented datagram verifies (RFC 792:
// the one's complement sum over header and data). False for fragments and
// for views of another buffer: neither can be checked, so neither may be
// relayed or answered.
bool icmp_checksum_ok(std::span<const std::uint8_t> frame, const net::ParsedFrame& v) noexcept;

// Turns an echo request into its echo reply in place, as the host it was
// addressed to would answer (RFC 792, RFC 1122 3.2.2.6): addresses and MACs
// swapped, `src_mac` as the new Ethernet source (the MAC the request was
// sent to, which may be vrrpd's virtual MAC), IP options dropped (the ICMP
// message moves down), a fresh header with TTL 64 and `ip_id`, type 0, the
// ICMP checksum updated incrementally (a corrupt one stays corrupt).
// kForward with the frame to send back on the receiving link; kNotApplicable
// (nothing changed) for anything but an unfragmented echo request from a
// unicast link address and an address that names a single host.
Rewrite echo_reply(std::span<std::uint8_t> frame, const net::ParsedFrame& v,
                   const net::Mac& src_mac, std::uint16_t ip_id) noexcept;

}  // namespace tandem::director
