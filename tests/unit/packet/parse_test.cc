#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/net/packet.h"
#include "tests/unit/packet/frames.h"

namespace tandem::net {
namespace {

using packet_test::Bytes;
using packet_test::put16;
using packet_test::refresh_checksums;

DropReason parse(const Bytes& f, ParsedFrame& out, ParseOptions o = {}) {
  return parse_frame(f, o, out);
}

TEST(Parse, TcpSynFieldByField) {
  const Bytes f = packet_test::tcp_syn_frame();
  ParsedFrame v;
  ASSERT_EQ(parse(f, v, {.verify_ip_checksum = true, .verify_l4_checksum = true}),
            DropReason::kNone);
  EXPECT_EQ(v.eth.dst.to_string(), "02:00:00:00:00:01");
  EXPECT_EQ(v.eth.src.to_string(), "02:00:00:00:00:02");
  EXPECT_EQ(v.eth.ethertype, kEtherTypeIpv4);
  EXPECT_FALSE(v.eth.has_vlan);
  EXPECT_EQ(v.eth.header_len, 14);
  ASSERT_EQ(v.l3, L3Kind::kIpv4);
  EXPECT_EQ(v.ip.offset, 14U);
  EXPECT_EQ(v.ip.header_len, 20);
  EXPECT_EQ(v.ip.total_len, 40);
  EXPECT_EQ(v.ip.id, 0x1234);
  EXPECT_TRUE(v.ip.dont_fragment);
  EXPECT_FALSE(v.ip.more_fragments);
  EXPECT_EQ(v.ip.ttl, 64);
  EXPECT_EQ(v.ip.protocol, kProtoTcp);
  EXPECT_EQ(v.ip.src.to_string(), "198.18.0.10");
  EXPECT_EQ(v.ip.dst.to_string(), "198.18.0.100");
  EXPECT_EQ(v.l4.offset, 34U);
  EXPECT_EQ(v.l4.len, 20);
  EXPECT_EQ(v.l4.sport, 50000);
  EXPECT_EQ(v.l4.dport, 80);
  EXPECT_EQ(v.l4.tcp_flags, kTcpSyn);
  EXPECT_EQ(v.l4.tcp_header_len, 20);
  EXPECT_TRUE(v.l4.checksum_verified);
  EXPECT_FALSE(v.quote.present);
  EXPECT_EQ(v.frame_len(), 54U);
}

TEST(Parse, UdpFieldByField) {
  const Bytes f = packet_test::udp_frame();
  ParsedFrame v;
  ASSERT_EQ(parse(f, v, {.verify_ip_checksum = true, .verify_l4_checksum = true}),
            DropReason::kNone);
  EXPECT_EQ(v.ip.protocol, kProtoUdp);
  EXPECT_FALSE(v.ip.dont_fragment);
  EXPECT_EQ(v.l4.sport, 5353);
  EXPECT_EQ(v.l4.dport, 53);
  EXPECT_EQ(v.l4.udp_len, 12);
  EXPECT_EQ(v.l4.len, 12);
  EXPECT_TRUE(v.l4.checksum_verified);
}

TEST(Parse, EthernetPaddingIsNotPartOfTheDatagram) {
  Bytes f = packet_test::udp_frame();  // 46 bytes; the wire minimum is 60
  f.resize(60, 0xee);
  ParsedFrame v;
  ASSERT_EQ(parse(f, v, {.verify_l4_checksum = true}), DropReason::kNone);
  EXPECT_EQ(v.buffer_len, 60U);
  EXPECT_EQ(v.frame_len(), 46U);
}

TEST(Parse, VlanTag) {
  Bytes f = packet_test::tcp_syn_frame();
  // 81 00 | PCP 3, VID 0x123 -> TCI 0x6123 | then the original EtherType.
  const Bytes tag = {0x81, 0x00, 0x61, 0x23};
  f.insert(f.begin() + 12, tag.begin(), tag.end());
  ParsedFrame v;
  ASSERT_EQ(parse(f, v), DropReason::kNone);
  EXPECT_TRUE(v.eth.has_vlan);
  EXPECT_EQ(v.eth.vlan_tci, 0x6123);
  EXPECT_EQ(v.eth.ethertype, kEtherTypeIpv4);
  EXPECT_EQ(v.eth.header_len, 18);
  EXPECT_EQ(v.ip.offset, 18U);
  EXPECT_EQ(v.l4.offset, 38U);
  EXPECT_EQ(v.l4.dport, 80);
}

TEST(Parse, StackedVlanIsUnsupported) {
  Bytes f = packet_test::tcp_syn_frame();
  const Bytes tags = {0x81, 0x00, 0x00, 0x01, 0x81, 0x00, 0x00, 0x02};
  f.insert(f.begin() + 12, tags.begin(), tags.end());
  ParsedFrame v;
  EXPECT_EQ(parse(f, v), DropReason::kUnsupportedEtherType);
}

TEST(Parse, Ipv6IsUnsupported) {
  Bytes f = packet_test::tcp_syn_frame();
  f[12] = 0x86;
  f[13] = 0xdd;
  ParsedFrame v;
  EXPECT_EQ(parse(f, v), DropReason::kUnsupportedEtherType);
}

// Every proper prefix of a valid frame is refused, with the reason that
// names the layer where the bytes ran out.
TEST(Parse, TruncatedAtEveryLength) {
  const Bytes full = packet_test::tcp_syn_frame();
  for (std::size_t n = 0; n < full.size(); ++n) {
    const Bytes f(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    ParsedFrame v;
    const DropReason r = parse(f, v);
    if (n < 14) {
      EXPECT_EQ(r, DropReason::kTruncatedEthernet) << n;
    } else if (n < 34) {
      EXPECT_EQ(r, DropReason::kTruncatedIp) << n;
    } else {
      EXPECT_EQ(r, DropReason::kTotalLengthMismatch) << n;
    }
  }
}

TEST(Parse, TruncatedVlanTag) {
  const Bytes f = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x81, 0x00, 0x00, 0x01, 0x08};
  ParsedFrame v;
  EXPECT_EQ(parse(f, v), DropReason::kTruncatedEthernet);
}

TEST(Parse, BadVersion) {
  Bytes f = packet_test::tcp_syn_frame();
  f[14] = 0x65;
  refresh_checksums(f);
  ParsedFrame v;
  EXPECT_EQ(parse(f, v), DropReason::kBadIpVersion);
}

TEST(Parse, IhlBelowFive) {
  Bytes f = packet_test::tcp_syn_frame();
  f[14] = 0x44;
  ParsedFrame v;
  EXPECT_EQ(parse(f, v), DropReason::kBadIhl);
}

TEST(Parse, IhlBeyondTotalLength) {
  Bytes f = packet_test::tcp_syn_frame();
  f[14] = 0x4f;  // 60-byte header in a 40-byte datagram
  ParsedFrame v;
  EXPECT_EQ(parse(f, v), DropReason::kBadIhl);
}

TEST(Parse, TotalLengthBelowHeader) {
  Bytes f = packet_test::tcp_syn_frame();
  put16(f, 16, 19);
  ParsedFrame v;
  EXPECT_EQ(parse(f, v), DropReason::kBadIhl);
}

TEST(Parse, TotalLengthBeyondFrame) {
  Bytes f = packet_test::tcp_syn_frame();
  put16(f, 16, 41);
  refresh_checksums(f);
  ParsedFrame v;
  EXPECT_EQ(parse(f, v), DropReason::kTotalLengthMismatch);
}

TEST(Parse, BadIpChecksumAndOptOut) {
  Bytes f = packet_test::tcp_syn_frame();
  f[25] ^= 0x01;
  ParsedFrame v;
  EXPECT_EQ(parse(f, v), DropReason::kBadIpChecksum);
  EXPECT_EQ(parse(f, v, {.verify_ip_checksum = false}), DropReason::kNone);
}

TEST(Parse, OptionsAreSkipped) {
  Bytes f = packet_test::tcp_syn_frame();
  // IHL 6: one word of options (four NOPs) before the TCP header.
  const Bytes nops = {0x01, 0x01, 0x01, 0x01};
  f.insert(f.begin() + 34, nops.begin(), nops.end());
  f[14] = 0x46;
  put16(f, 16, 44);
  refresh_checksums(f);
  ParsedFrame v;
  ASSERT_EQ(parse(f, v, {.verify_l4_checksum = true}), DropReason::kNone);
  EXPECT_EQ(v.ip.header_len, 24);
  EXPECT_EQ(v.l4.offset, 38U);
  EXPECT_EQ(v.l4.len, 20);
  EXPECT_EQ(v.l4.sport, 50000);
  EXPECT_TRUE(v.l4.checksum_verified);
}

TEST(Parse, NonFirstFragment) {
  Bytes f = packet_test::tcp_syn_frame();
  put16(f, 20, 0x0001);  // offset 8 bytes
  refresh_checksums(f);
  ParsedFrame v;
  EXPECT_EQ(parse(f, v), DropReason::kNonFirstFragment);
  put16(f, 20, 0x2010);  // MF and an offset
  refresh_checksums(f);
  EXPECT_EQ(parse(f, v), DropReason::kNonFirstFragment);
}

TEST(Parse, FirstFragmentIsClassifiedButNotChecksummed) {
  Bytes f = packet_test::udp_frame();
  put16(f, 20, 0x2000);  // MF, offset 0
  put16(f, 38, 1000);    // UDP length of the whole datagram, past this fragment
  refresh_checksums(f);
  ParsedFrame v;
  ASSERT_EQ(parse(f, v, {.verify_l4_checksum = true}), DropReason::kNone);
  EXPECT_TRUE(v.ip.more_fragments);
  EXPECT_EQ(v.l4.dport, 53);
  EXPECT_FALSE(v.l4.checksum_verified);
}

TEST(Parse, UnsupportedProtocol) {
  Bytes f = packet_test::tcp_syn_frame();
  f[23] = 47;  // GRE
  refresh_checksums(f);
  ParsedFrame v;
  EXPECT_EQ(parse(f, v), DropReason::kUnsupportedProtocol);
}

TEST(Parse, TcpDataOffsetBounds) {
  Bytes f = packet_test::tcp_syn_frame();
  ParsedFrame v;
  f[46] = 0x40;  // 16-byte header
  EXPECT_EQ(parse(f, v), DropReason::kBadTcpHeader);
  f[46] = 0x60;  // 24 bytes claimed, 20 present
  EXPECT_EQ(parse(f, v), DropReason::kBadTcpHeader);
  f[46] = 0x50;
  EXPECT_EQ(parse(f, v), DropReason::kNone);
}

TEST(Parse, TcpShorterThanMinimumHeader) {
  Bytes f = packet_test::tcp_syn_frame();
  f.resize(f.size() - 1);
  put16(f, 16, 39);
  refresh_checksums(f);
  ParsedFrame v;
  EXPECT_EQ(parse(f, v), DropReason::kBadTcpHeader);
}

TEST(Parse, UdpLengthBounds) {
  Bytes f = packet_test::udp_frame();
  ParsedFrame v;
  put16(f, 38, 7);
  EXPECT_EQ(parse(f, v), DropReason::kBadUdpLength);
  put16(f, 38, 13);
  EXPECT_EQ(parse(f, v), DropReason::kBadUdpLength);
  // Shorter than the payload is accepted, as Linux does; the checksum then
  // covers only the UDP length.
  put16(f, 38, 10);
  refresh_checksums(f);
  ASSERT_EQ(parse(f, v, {.verify_l4_checksum = true}), DropReason::kNone);
  EXPECT_EQ(v.l4.udp_len, 10);
  EXPECT_TRUE(v.l4.checksum_verified);
}

TEST(Parse, UdpShorterThanHeader) {
  Bytes f = packet_test::udp_frame();
  f.resize(14 + 20 + 7);
  put16(f, 16, 27);
  refresh_checksums(f);
  ParsedFrame v;
  EXPECT_EQ(parse(f, v), DropReason::kBadUdpLength);
}

TEST(Parse, L4ChecksumOnlyWhenAsked) {
  Bytes f = packet_test::tcp_syn_frame();
  f[42] ^= 0x80;  // a byte of the sequence number
  ParsedFrame v;
  EXPECT_EQ(parse(f, v), DropReason::kNone);
  EXPECT_FALSE(v.l4.checksum_verified);
  EXPECT_EQ(parse(f, v, {.verify_l4_checksum = true}), DropReason::kBadL4Checksum);

  Bytes u = packet_test::udp_frame();
  u[45] ^= 0x01;
  EXPECT_EQ(parse(u, v, {.verify_l4_checksum = true}), DropReason::kBadL4Checksum);
}

TEST(Parse, UdpWithoutChecksumIsNotVerified) {
  Bytes f = packet_test::udp_frame();
  put16(f, 40, 0);
  ParsedFrame v;
  ASSERT_EQ(parse(f, v, {.verify_l4_checksum = true}), DropReason::kNone);
  EXPECT_FALSE(v.l4.checksum_verified);
}

// Router 198.18.0.1 tells the VIP that the client's port is unreachable,
// quoting our UDP reply 198.18.0.100:53 -> 198.18.0.10:5353.
Bytes icmp_port_unreachable() {
  Bytes f = {
      0x02,
      0x00,
      0x00,
      0x00,
      0x00,
      0x01,
      0x02,
      0x00,
      0x00,
      0x00,
      0x00,
      0x02,
      0x08,
      0x00,
      // outer IPv4: total 20 + 8 + 28 = 56
      0x45,
      0x00,
      0x00,
      0x38,
      0x00,
      0x00,
      0x00,
      0x00,
      0x40,
      0x01,
      0x00,
      0x00,  //
      0xc6,
      0x12,
      0x00,
      0x01,
      0xc6,
      0x12,
      0x00,
      0x64,  //
      // ICMP 3/3, checksum, unused
      0x03,
      0x03,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
      0x00,
      // quoted IPv4 header of the reply
      0x45,
      0x00,
      0x00,
      0x20,
      0x00,
      0x07,
      0x00,
      0x00,
      0x3f,
      0x11,
      0x00,
      0x00,  //
      0xc6,
      0x12,
      0x00,
      0x64,
      0xc6,
      0x12,
      0x00,
      0x0a,  //
      // quoted UDP header: 53 -> 5353, length 12, checksum
      0x00,
      0x35,
      0x14,
      0xe9,
      0x00,
      0x0c,
      0x12,
      0x34,
  };
  put16(f, 34 + 8 + 10, packet_test::ref_ip_checksum(f, 34 + 8));
  refresh_checksums(f);
  return f;
}

TEST(Parse, IcmpErrorQuote) {
  const Bytes f = icmp_port_unreachable();
  ParsedFrame v;
  ASSERT_EQ(parse(f, v, {.verify_l4_checksum = true}), DropReason::kNone);
  EXPECT_EQ(v.l4.icmp_type, kIcmpDestUnreachable);
  EXPECT_EQ(v.l4.icmp_code, 3);
  EXPECT_TRUE(v.l4.checksum_verified);
  ASSERT_TRUE(v.quote.present);
  EXPECT_EQ(v.quote.ip_offset, 42U);
  EXPECT_EQ(v.quote.ip_header_len, 20);
  EXPECT_EQ(v.quote.protocol, kProtoUdp);
  EXPECT_EQ(v.quote.src.to_string(), "198.18.0.100");
  EXPECT_EQ(v.quote.dst.to_string(), "198.18.0.10");
  EXPECT_TRUE(v.quote.has_ports);
  EXPECT_EQ(v.quote.sport, 53);
  EXPECT_EQ(v.quote.dport, 5353);
  EXPECT_EQ(v.quote.quoted_len, 28);
}

TEST(Parse, IcmpErrorQuoteOfLaterFragmentHasNoPorts) {
  Bytes f = icmp_port_unreachable();
  put16(f, 42 + 6, 0x0003);
  put16(f, 42 + 10, 0);
  put16(f, 42 + 10, packet_test::ref_ip_checksum(f, 42));
  refresh_checksums(f);
  ParsedFrame v;
  ASSERT_EQ(parse(f, v), DropReason::kNone);
  EXPECT_TRUE(v.quote.present);
  EXPECT_FALSE(v.quote.first_fragment);
  EXPECT_FALSE(v.quote.has_ports);
}

TEST(Parse, IcmpErrorWithShortQuote) {
  const Bytes good = icmp_port_unreachable();
  // Drop the quote's bytes one at a time: anything short of header + 8 fails.
  for (std::size_t cut = 1; cut <= 28; ++cut) {
    Bytes f(good.begin(), good.end() - static_cast<std::ptrdiff_t>(cut));
    put16(f, 16, static_cast<std::uint16_t>(56 - cut));
    refresh_checksums(f);
    ParsedFrame v;
    EXPECT_EQ(parse(f, v), DropReason::kBadIcmpQuote) << cut;
  }
}

TEST(Parse, IcmpErrorWithBadQuotedHeader) {
  Bytes f = icmp_port_unreachable();
  ParsedFrame v;
  f[42] = 0x65;  // version 6
  refresh_checksums(f);
  EXPECT_EQ(parse(f, v), DropReason::kBadIcmpQuote);
  f[42] = 0x44;  // IHL 4
  refresh_checksums(f);
  EXPECT_EQ(parse(f, v), DropReason::kBadIcmpQuote);
  f[42] = 0x46;  // IHL 6: 24 + 8 > 28 quoted
  refresh_checksums(f);
  EXPECT_EQ(parse(f, v), DropReason::kBadIcmpQuote);
}

TEST(Parse, IcmpShorterThanHeader) {
  Bytes f = icmp_port_unreachable();
  f.resize(14 + 20 + 7);
  put16(f, 16, 27);
  refresh_checksums(f);
  ParsedFrame v;
  EXPECT_EQ(parse(f, v), DropReason::kBadIcmpLength);
}

TEST(Parse, IcmpEchoHasNoQuote) {
  Bytes f = icmp_port_unreachable();
  f[34] = kIcmpEchoRequest;
  f[35] = 0;
  refresh_checksums(f);
  ParsedFrame v;
  ASSERT_EQ(parse(f, v, {.verify_l4_checksum = true}), DropReason::kNone);
  EXPECT_EQ(v.l4.icmp_type, kIcmpEchoRequest);
  EXPECT_FALSE(v.quote.present);
}

// who-has 198.18.0.100 tell 198.18.0.10, from 02:00:00:00:00:02.
Bytes arp_request() {
  return {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00,
      0x02, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,  // Ethernet/IPv4, request
      0x02, 0x00, 0x00, 0x00, 0x00, 0x02,                                // sender MAC
      0xc6, 0x12, 0x00, 0x0a,                                            // sender IP
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00,                                // target MAC (unknown)
      0xc6, 0x12, 0x00, 0x64,                                            // target IP
  };
}

TEST(Parse, ArpRequest) {
  const Bytes f = arp_request();
  ParsedFrame v;
  ASSERT_EQ(parse(f, v), DropReason::kNone);
  ASSERT_EQ(v.l3, L3Kind::kArp);
  EXPECT_EQ(v.arp.op, kArpOpRequest);
  EXPECT_EQ(v.arp.sender_mac.to_string(), "02:00:00:00:00:02");
  EXPECT_EQ(v.arp.sender_ip.to_string(), "198.18.0.10");
  EXPECT_EQ(v.arp.target_mac.to_string(), "00:00:00:00:00:00");
  EXPECT_EQ(v.arp.target_ip.to_string(), "198.18.0.100");
}

TEST(Parse, BadArp) {
  ParsedFrame v;
  for (std::size_t n = 14; n < 42; ++n) {
    const Bytes full = arp_request();
    const Bytes f(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(parse(f, v), DropReason::kBadArp) << n;
  }
  Bytes f = arp_request();
  f[15] = 6;  // IEEE 802 hardware type
  EXPECT_EQ(parse(f, v), DropReason::kBadArp);
  f = arp_request();
  f[18] = 8;  // hardware address length
  EXPECT_EQ(parse(f, v), DropReason::kBadArp);
  f = arp_request();
  f[21] = 3;  // RARP opcode
  EXPECT_EQ(parse(f, v), DropReason::kBadArp);
}

TEST(Parse, BareIpv4) {
  const Bytes frame = packet_test::tcp_syn_frame();
  const Bytes ip(frame.begin() + 14, frame.end());
  ParsedFrame v;
  ASSERT_EQ(parse_ipv4(ip, 0, {}, v), DropReason::kNone);
  EXPECT_EQ(v.eth.header_len, 0);
  EXPECT_EQ(v.ip.offset, 0U);
  EXPECT_EQ(v.l4.dport, 80);
  EXPECT_EQ(parse_ipv4(ip, 30, {}, v), DropReason::kTruncatedIp);
  EXPECT_EQ(parse_ipv4(ip, 1000, {}, v), DropReason::kTruncatedIp);
}

TEST(Parse, ReusedViewCarriesNothingOver) {
  ParsedFrame v;
  ASSERT_EQ(parse(icmp_port_unreachable(), v), DropReason::kNone);
  ASSERT_TRUE(v.quote.present);
  ASSERT_EQ(parse(packet_test::tcp_syn_frame(), v), DropReason::kNone);
  EXPECT_FALSE(v.quote.present);
  EXPECT_EQ(v.l4.icmp_type, 0);
}

TEST(Parse, DropReasonNamesAreDistinct) {
  std::set<std::string> names;
  for (int i = 0; i < static_cast<int>(DropReason::kCount); ++i) {
    names.insert(std::string(drop_reason_name(static_cast<DropReason>(i))));
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(DropReason::kCount));
  EXPECT_EQ(names.count("unknown"), 0U);
}

}  // namespace
}  // namespace tandem::net
