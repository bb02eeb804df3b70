#include "common/net/packet.h"

#include <array>
#include <cstring>

#include "common/net/checksum.h"
#include "common/net/wire_bytes.h"

namespace tandem::net {
namespace {

// Larger than any Ethernet frame that can carry one IPv4 datagram; keeps every
// offset comfortably inside 32 bits.
constexpr std::size_t kMaxBuffer = std::size_t{1} << 20;

Mac load_mac(const std::uint8_t* p) {
  Mac m;
  std::memcpy(m.bytes.data(), p, m.bytes.size());
  return m;
}

DropReason parse_arp(std::span<const std::uint8_t> b, std::uint32_t off, ParsedFrame& out) {
  if (b.size() - off < kArpPayloadLen) return DropReason::kBadArp;
  const std::uint8_t* p = b.data() + off;
  const bool ethernet_ipv4 =
      load_be16(p) == 1 && load_be16(p + 2) == kEtherTypeIpv4 && p[4] == 6 && p[5] == 4;
  const std::uint16_t op = load_be16(p + 6);
  if (!ethernet_ipv4 || (op != kArpOpRequest && op != kArpOpReply)) return DropReason::kBadArp;
  out.l3 = L3Kind::kArp;
  out.arp.op = op;
  out.arp.sender_mac = load_mac(p + 8);
  out.arp.sender_ip = Ipv4{load_be32(p + 14)};
  out.arp.target_mac = load_mac(p + 18);
  out.arp.target_ip = Ipv4{load_be32(p + 24)};
  return DropReason::kNone;
}

// Every frame's IPv4 header is verified, so this runs once per packet: a
// header is whole 32-bit words, which lets it sum four bytes at a time
// instead of the byte pairs the general ChecksumAccumulator walks.
bool ip_header_checksum_ok(const std::uint8_t* p, std::size_t header_len) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < header_len; i += 4) sum += load_be32(p + i);
  sum = (sum & 0xffffffffU) + (sum >> 32);
  sum = (sum & 0xffffU) + (sum >> 16);
  sum = (sum & 0xffffU) + (sum >> 16);
  sum = (sum & 0xffffU) + (sum >> 16);
  return sum == 0xffff;
}

bool l4_checksum_ok(const std::uint8_t* l4, std::uint16_t len, const Ipv4Info& ip,
                    bool pseudo_header) {
  ChecksumAccumulator acc;
  if (pseudo_header) add_ipv4_pseudo_header(acc, ip.src.value, ip.dst.value, ip.protocol, len);
  acc.add({l4, len});
  return acc.finish() == 0;
}

DropReason parse_icmp_quote(const std::uint8_t* base, std::uint32_t l4_offset, std::uint16_t l4_len,
                            IcmpQuote& q) {
  const std::uint32_t start = l4_offset + kIcmpHeaderLen;
  const std::uint16_t avail = static_cast<std::uint16_t>(l4_len - kIcmpHeaderLen);
  if (avail < kIpv4MinHeaderLen) return DropReason::kBadIcmpQuote;
  const std::uint8_t* p = base + start;
  const std::uint8_t ihl = static_cast<std::uint8_t>((p[0] & 0x0f) * 4);
  // The quote must hold the whole original header and 8 bytes past it
  // (RFC 792): that is where the ports that name the connection live.
  if ((p[0] >> 4) != 4 || ihl < kIpv4MinHeaderLen || ihl + 8U > avail) {
    return DropReason::kBadIcmpQuote;
  }
  q.present = true;
  q.ip_offset = start;
  q.ip_header_len = ihl;
  q.protocol = p[9];
  q.src = Ipv4{load_be32(p + 12)};
  q.dst = Ipv4{load_be32(p + 16)};
  q.first_fragment = (load_be16(p + 6) & 0x1fff) == 0;
  q.has_ports = q.first_fragment && (q.protocol == kProtoTcp || q.protocol == kProtoUdp);
  if (q.has_ports) {
    q.sport = load_be16(p + ihl);
    q.dport = load_be16(p + ihl + 2);
  }
  q.quoted_len = avail;
  return DropReason::kNone;
}

DropReason parse_transport(const std::uint8_t* base, const ParseOptions& options,
                           ParsedFrame& out) {
  const Ipv4Info& ip = out.ip;
  TransportInfo& l4 = out.l4;
  const std::uint8_t* p = base + l4.offset;
  // A first fragment holds only part of the datagram, so neither a length
  // field nor a checksum can be checked against what we have.
  const bool whole = !ip.more_fragments;
  switch (ip.protocol) {
    case kProtoTcp: {
      if (l4.len < kTcpMinHeaderLen) return DropReason::kBadTcpHeader;
      const std::uint8_t hlen = static_cast<std::uint8_t>((p[12] >> 4) * 4);
      if (hlen < kTcpMinHeaderLen || hlen > l4.len) return DropReason::kBadTcpHeader;
      l4.sport = load_be16(p);
      l4.dport = load_be16(p + 2);
      l4.tcp_header_len = hlen;
      l4.tcp_flags = p[13];
      if (options.verify_l4_checksum && whole) {
        if (!l4_checksum_ok(p, l4.len, ip, true)) return DropReason::kBadL4Checksum;
        l4.checksum_verified = true;
      }
      return DropReason::kNone;
    }
    case kProtoUdp: {
      if (l4.len < kUdpHeaderLen) return DropReason::kBadUdpLength;
      const std::uint16_t ulen = load_be16(p + 4);
      // Like Linux, accept a UDP length shorter than the IP payload (the
      // rest is ignored) but never one that points past it.
      if (ulen < kUdpHeaderLen || (whole && ulen > l4.len)) return DropReason::kBadUdpLength;
      l4.sport = load_be16(p);
      l4.dport = load_be16(p + 2);
      l4.udp_len = ulen;
      if (options.verify_l4_checksum && whole && load_be16(p + 6) != 0) {
        if (!l4_checksum_ok(p, ulen, ip, true)) return DropReason::kBadL4Checksum;
        l4.checksum_verified = true;
      }
      return DropReason::kNone;
    }
    case kProtoIcmp: {
      if (l4.len < kIcmpHeaderLen) return DropReason::kBadIcmpLength;
      l4.icmp_type = p[0];
      l4.icmp_code = p[1];
      if (options.verify_l4_checksum && whole) {
        if (!l4_checksum_ok(p, l4.len, ip, false)) return DropReason::kBadL4Checksum;
        l4.checksum_verified = true;
      }
      if (is_icmp_error(l4.icmp_type)) return parse_icmp_quote(base, l4.offset, l4.len, out.quote);
      return DropReason::kNone;
    }
    default:
      return DropReason::kUnsupportedProtocol;
  }
}

DropReason parse_ipv4_at(std::span<const std::uint8_t> buffer, std::uint32_t offset,
                         const ParseOptions& options, ParsedFrame& out) {
  if (offset > buffer.size() || buffer.size() - offset < kIpv4MinHeaderLen) {
    return DropReason::kTruncatedIp;
  }
  const std::uint8_t* p = buffer.data() + offset;
  if ((p[0] >> 4) != 4) return DropReason::kBadIpVersion;
  const std::uint8_t ihl = static_cast<std::uint8_t>((p[0] & 0x0f) * 4);
  const std::uint16_t total = load_be16(p + 2);
  if (ihl < kIpv4MinHeaderLen || ihl > total) return DropReason::kBadIhl;
  if (total > buffer.size() - offset) return DropReason::kTotalLengthMismatch;
  if (options.verify_ip_checksum && !ip_header_checksum_ok(p, ihl)) {
    return DropReason::kBadIpChecksum;
  }
  const std::uint16_t frag = load_be16(p + 6);
  if ((frag & 0x1fff) != 0) return DropReason::kNonFirstFragment;

  Ipv4Info& ip = out.ip;
  out.l3 = L3Kind::kIpv4;
  ip.offset = offset;
  ip.header_len = ihl;
  ip.tos = p[1];
  ip.total_len = total;
  ip.id = load_be16(p + 4);
  ip.dont_fragment = (frag & 0x4000) != 0;
  ip.more_fragments = (frag & 0x2000) != 0;
  ip.ttl = p[8];
  ip.protocol = p[9];
  ip.src = Ipv4{load_be32(p + 12)};
  ip.dst = Ipv4{load_be32(p + 16)};
  out.l4.offset = offset + ihl;
  out.l4.len = static_cast<std::uint16_t>(total - ihl);
  return parse_transport(buffer.data(), options, out);
}

}  // namespace

std::string_view drop_reason_name(DropReason reason) noexcept {
  static constexpr std::array<std::string_view, static_cast<std::size_t>(DropReason::kCount)>
      kNames = {"none",
                "truncated_ethernet",
                "unsupported_ethertype",
                "bad_arp",
                "truncated_ip",
                "bad_ip_version",
                "bad_ihl",
                "total_length_mismatch",
                "bad_ip_checksum",
                "non_first_fragment",
                "unsupported_protocol",
                "bad_tcp_header",
                "bad_udp_length",
                "bad_icmp_length",
                "bad_icmp_quote",
                "bad_l4_checksum"};
  const auto i = static_cast<std::size_t>(reason);
  return i < kNames.size() ? kNames[i] : std::string_view{"unknown"};
}

DropReason parse_ipv4(std::span<const std::uint8_t> buffer, std::uint32_t offset,
                      const ParseOptions& options, ParsedFrame& out) noexcept {
  out = ParsedFrame{};
  if (buffer.size() > kMaxBuffer) return DropReason::kTotalLengthMismatch;
  out.buffer_len = static_cast<std::uint32_t>(buffer.size());
  return parse_ipv4_at(buffer, offset, options, out);
}

DropReason parse_frame(std::span<const std::uint8_t> frame, const ParseOptions& options,
                       ParsedFrame& out) noexcept {
  out = ParsedFrame{};
  if (frame.size() > kMaxBuffer) return DropReason::kTotalLengthMismatch;
  out.buffer_len = static_cast<std::uint32_t>(frame.size());
  if (frame.size() < kEthernetHeaderLen) return DropReason::kTruncatedEthernet;
  const std::uint8_t* p = frame.data();
  EthernetInfo& eth = out.eth;
  eth.dst = load_mac(p);
  eth.src = load_mac(p + 6);
  std::uint16_t type = load_be16(p + 12);
  std::uint32_t l3 = kEthernetHeaderLen;
  if (type == kEtherTypeVlan) {
    if (frame.size() < kEthernetHeaderLen + kVlanTagLen) return DropReason::kTruncatedEthernet;
    eth.has_vlan = true;
    eth.vlan_tci = load_be16(p + 14);
    type = load_be16(p + 16);
    l3 += kVlanTagLen;
  }
  eth.ethertype = type;
  eth.header_len = static_cast<std::uint8_t>(l3);
  if (type == kEtherTypeIpv4) return parse_ipv4_at(frame, l3, options, out);
  if (type == kEtherTypeArp) return parse_arp(frame, l3, out);
  return DropReason::kUnsupportedEtherType;
}

}  // namespace tandem::net
