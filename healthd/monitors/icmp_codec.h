#pragma once
// ICMP echo request/reply for the ping monitor. A raw socket hands us the IP
// header too and sees every ICMP packet for the host (including our own
// requests on loopback); a ping datagram socket hands us just the ICMP
// message. Parsing checks lengths, type, code and checksum and never throws.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tandem::health {

std::vector<std::uint8_t> icmp_echo_request(std::uint16_t id, std::uint16_t seq,
                                            std::span<const std::uint8_t> payload);

struct IcmpEcho {
  std::uint16_t id = 0;
  std::uint16_t seq = 0;
  std::uint32_t source = 0;  // host order; only known with an IP header
};

// Nullopt for anything but a well-formed echo reply.
std::optional<IcmpEcho> icmp_parse_echo_reply(std::span<const std::uint8_t> packet,
                                              bool with_ip_header);

}  // namespace tandem::health
