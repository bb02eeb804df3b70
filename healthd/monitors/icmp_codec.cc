#include "healthd/monitors/icmp_codec.h"

#include <algorithm>

#include "common/net/checksum.h"

namespace tandem::health {

std::vector<std::uint8_t> icmp_echo_request(std::uint16_t id, std::uint16_t seq,
                                            std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> p(8 + payload.size());
  p[0] = 8;  // echo request, code 0
  p[4] = static_cast<std::uint8_t>(id >> 8);
  p[5] = static_cast<std::uint8_t>(id & 0xFF);
  p[6] = static_cast<std::uint8_t>(seq >> 8);
  p[7] = static_cast<std::uint8_t>(seq & 0xFF);
  std::copy(payload.begin(), payload.end(), p.begin() + 8);
  const std::uint16_t sum = net::internet_checksum(p);
  p[2] = static_cast<std::uint8_t>(sum >> 8);
  p[3] = static_cast<std::uint8_t>(sum & 0xFF);
  return p;
}

std::optional<IcmpEcho> icmp_parse_echo_reply(std::span<const std::uint8_t> packet,
                                              bool with_ip_header) {
  IcmpEcho e;
  if (with_ip_header) {
    if (packet.size() < 20 || (packet[0] >> 4) != 4) return std::nullopt;
    const std::size_t ihl = std::size_t{packet[0] & 0x0Fu} * 4;
    if (ihl < 20 || packet.size() < ihl || packet[9] != 1) return std::nullopt;
    e.source = std::uint32_t{packet[12]} << 24 | std::uint32_t{packet[13]} << 16 |
               std::uint32_t{packet[14]} << 8 | packet[15];
    packet = packet.subspan(ihl);
  }
  if (packet.size() < 8 || packet[0] != 0 || packet[1] != 0) return std::nullopt;
  if (net::internet_checksum(packet) != 0) return std::nullopt;
  e.id = static_cast<std::uint16_t>(packet[4] << 8 | packet[5]);
  e.seq = static_cast<std::uint16_t>(packet[6] << 8 | packet[7]);
  return e;
}

}  // namespace tandem::health
