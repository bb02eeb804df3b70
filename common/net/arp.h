#pragma once
// ARP frames the director (answering for its VIPs while active) and vrrpd
// (announcing a takeover) send. Builders write into a caller-supplied buffer
// and return the frame length, or 0 when they decline; they never allocate.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "common/net/address.h"
#include "common/net/packet.h"

namespace tandem::net {

// Frames are padded with zeros to the 60-byte Ethernet minimum (FCS excluded),
// so a buffer of this size always suffices.
inline constexpr std::size_t kArpFrameLen = 60;

// A reply to `request` if it is an ARP request for `vip`; otherwise 0. The
// reply keeps the request's VLAN tag.
std::size_t build_arp_reply(std::span<std::uint8_t> out, const ParsedFrame& request, Ipv4 vip,
                            const Mac& mac) noexcept;

// A gratuitous ARP announcement (RFC 5227 form: a broadcast request with
// sender and target IP both `vip`, target MAC zero).
std::size_t build_gratuitous_arp(std::span<std::uint8_t> out, Ipv4 vip, const Mac& mac,
                                 std::optional<std::uint16_t> vlan_tci = std::nullopt) noexcept;

}  // namespace tandem::net
