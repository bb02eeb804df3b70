#pragma once
// Parsed views of Ethernet frames carrying ARP or IPv4 (TCP, UDP, ICMP).
// Every byte comes from the wire and may be hostile, so the parser never
// throws and never reads past the span: each way a frame can be malformed
// maps to its own DropReason, which the director counts. A view stores
// offsets and decoded header fields, not pointers, so it stays valid while a
// rewrite changes the bytes in place.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/net/address.h"

namespace tandem::net {

inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEtherTypeArp = 0x0806;
inline constexpr std::uint16_t kEtherTypeVlan = 0x8100;

inline constexpr std::uint8_t kProtoIcmp = 1;
inline constexpr std::uint8_t kProtoIpip = 4;
inline constexpr std::uint8_t kProtoTcp = 6;
inline constexpr std::uint8_t kProtoUdp = 17;

inline constexpr std::uint8_t kIcmpEchoReply = 0;
inline constexpr std::uint8_t kIcmpDestUnreachable = 3;
inline constexpr std::uint8_t kIcmpSourceQuench = 4;
inline constexpr std::uint8_t kIcmpRedirect = 5;
inline constexpr std::uint8_t kIcmpEchoRequest = 8;
inline constexpr std::uint8_t kIcmpTimeExceeded = 11;
inline constexpr std::uint8_t kIcmpParameterProblem = 12;
inline constexpr std::uint8_t kIcmpCodeFragNeeded = 4;  // with kIcmpDestUnreachable

inline constexpr std::uint16_t kArpOpRequest = 1;
inline constexpr std::uint16_t kArpOpReply = 2;

inline constexpr std::size_t kEthernetHeaderLen = 14;
inline constexpr std::size_t kVlanTagLen = 4;
inline constexpr std::size_t kArpPayloadLen = 28;
inline constexpr std::size_t kIpv4MinHeaderLen = 20;
inline constexpr std::size_t kTcpMinHeaderLen = 20;
inline constexpr std::size_t kUdpHeaderLen = 8;
inline constexpr std::size_t kIcmpHeaderLen = 8;

// TCP flag bits as they sit in byte 13 of the header.
inline constexpr std::uint8_t kTcpFin = 0x01;
inline constexpr std::uint8_t kTcpSyn = 0x02;
inline constexpr std::uint8_t kTcpRst = 0x04;
inline constexpr std::uint8_t kTcpPsh = 0x08;
inline constexpr std::uint8_t kTcpAck = 0x10;

enum class DropReason : std::uint8_t {
  kNone = 0,
  kTruncatedEthernet,     // shorter than the Ethernet header (or its VLAN tag)
  kUnsupportedEtherType,  // neither IPv4 nor ARP (stacked VLAN tags land here)
  kBadArp,                // short, or not Ethernet/IPv4 ARP, or unknown opcode
  kTruncatedIp,           // fewer than 20 bytes where the IPv4 header starts
  kBadIpVersion,          // version nibble is not 4
  kBadIhl,                // IHL < 5, or header longer than the total length
  kTotalLengthMismatch,   // total length claims more bytes than the frame holds
  kBadIpChecksum,         // header checksum does not verify
  kNonFirstFragment,      // no transport header to classify by
  kUnsupportedProtocol,   // not TCP, UDP or ICMP
  kBadTcpHeader,          // under 20 bytes, or data offset < 5 or past the payload
  kBadUdpLength,          // under 8 bytes, or length field < 8 or past the payload
  kBadIcmpLength,         // under 8 bytes
  kBadIcmpQuote,          // an ICMP error whose quoted IPv4 header + 8 bytes is malformed
  kBadL4Checksum,         // TCP/UDP/ICMP checksum does not verify (only when asked)
  kCount
};

std::string_view drop_reason_name(DropReason reason) noexcept;

struct ParseOptions {
  bool verify_ip_checksum = true;
  // Costs a pass over the payload. Only whole (unfragmented) datagrams can be
  // verified; a first fragment passes with l4.checksum_verified == false.
  bool verify_l4_checksum = false;
};

struct EthernetInfo {
  Mac dst;
  Mac src;
  std::uint16_t ethertype = 0;  // after the VLAN tag, if any
  bool has_vlan = false;
  std::uint16_t vlan_tci = 0;
  std::uint8_t header_len = 0;  // 14, or 18 with a tag; 0 for a bare IP packet
};

struct ArpInfo {
  std::uint16_t op = 0;
  Mac sender_mac;
  Ipv4 sender_ip;
  Mac target_mac;
  Ipv4 target_ip;
};

struct Ipv4Info {
  std::uint32_t offset = 0;  // of the IPv4 header within the buffer
  std::uint8_t header_len = 0;
  std::uint8_t tos = 0;
  std::uint16_t total_len = 0;  // bytes past it in the buffer are link padding
  std::uint16_t id = 0;
  bool dont_fragment = false;
  bool more_fragments = false;  // the fragment offset is always 0 in a parsed view
  std::uint8_t ttl = 0;
  std::uint8_t protocol = 0;
  Ipv4 src;
  Ipv4 dst;
};

struct TransportInfo {
  std::uint32_t offset = 0;  // of the TCP/UDP/ICMP header within the buffer
  std::uint16_t len = 0;     // IP payload bytes in this packet (this fragment)
  std::uint16_t sport = 0;   // TCP/UDP only
  std::uint16_t dport = 0;
  std::uint8_t tcp_flags = 0;
  std::uint8_t tcp_header_len = 0;
  std::uint16_t udp_len = 0;
  std::uint8_t icmp_type = 0;
  std::uint8_t icmp_code = 0;
  bool checksum_verified = false;
};

// The original datagram quoted by an ICMP error, as seen by its sender: for
// an error about a reply we sent, src is the VIP and dst the client.
struct IcmpQuote {
  bool present = false;
  std::uint32_t ip_offset = 0;  // of the quoted IPv4 header within the buffer
  std::uint8_t ip_header_len = 0;
  std::uint8_t protocol = 0;
  Ipv4 src;
  Ipv4 dst;
  bool first_fragment = true;  // false: the quote carries no ports
  bool has_ports = false;      // TCP or UDP, first fragment
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  std::uint16_t quoted_len = 0;  // bytes from ip_offset to the end of the outer datagram
};

enum class L3Kind : std::uint8_t { kNone, kArp, kIpv4 };

struct ParsedFrame {
  std::uint32_t buffer_len = 0;  // the span parsed; rewrites refuse a different one
  EthernetInfo eth;
  L3Kind l3 = L3Kind::kNone;
  ArpInfo arp;
  Ipv4Info ip;
  TransportInfo l4;
  IcmpQuote quote;

  // Bytes that make up the frame proper: headers and IP datagram, no padding.
  std::uint32_t frame_len() const {
    return l3 == L3Kind::kIpv4 ? ip.offset + ip.total_len : buffer_len;
  }
};

// An Ethernet frame (destination MAC first, no FCS).
[[nodiscard]] DropReason parse_frame(std::span<const std::uint8_t> frame,
                                     const ParseOptions& options, ParsedFrame& out) noexcept;

// A bare IPv4 datagram starting at `offset` (e.g. the inner packet of IPIP).
// out.eth is left empty.
[[nodiscard]] DropReason parse_ipv4(std::span<const std::uint8_t> buffer, std::uint32_t offset,
                                    const ParseOptions& options, ParsedFrame& out) noexcept;

// ICMP types that report an error about a quoted datagram (RFC 792/1812).
inline bool is_icmp_error(std::uint8_t type) {
  return type == kIcmpDestUnreachable || type == kIcmpSourceQuench || type == kIcmpRedirect ||
         type == kIcmpTimeExceeded || type == kIcmpParameterProblem;
}

}  // namespace tandem::net
