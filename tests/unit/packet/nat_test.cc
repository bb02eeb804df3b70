#include "director/packet/nat.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/packet/frames.h"

namespace tandem::director {
namespace {

using packet_test::be16;
using packet_test::be32;
using packet_test::Bytes;
using packet_test::put16;
using packet_test::ref_icmp_checksum;
using packet_test::ref_ip_checksum;
using packet_test::ref_l4_checksum;
using packet_test::refresh_checksums;

const net::Mac kDirectorMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
const net::Mac kRealMac{{0x02, 0x00, 0x00, 0x00, 0x01, 0x0b}};
const net::Mac kGatewayMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
const Egress kToReal{kDirectorMac, kRealMac, 1500};
const Egress kToClient{kDirectorMac, kGatewayMac, 1500};
const net::Ipv4 kVip{0xc6120064};     // 198.18.0.100
const net::Ipv4 kRip{0xc612010b};     // 198.18.1.11
const net::Ipv4 kClient{0xc612000a};  // 198.18.0.10

net::ParsedFrame parsed(const Bytes& f) {
  net::ParsedFrame v;
  EXPECT_EQ(net::parse_frame(f, {}, v), net::DropReason::kNone);
  return v;
}

// The stored checksums equal a from-scratch recomputation by the reference.
void expect_checksums_recomputed(const Bytes& f) {
  const std::size_t ip = 14;
  const std::size_t ihl = std::size_t{f[ip]} % 16 * 4;
  const std::size_t l4 = ip + ihl;
  EXPECT_EQ(be16(f, ip + 10), ref_ip_checksum(f, ip));
  if (f[ip + 9] == net::kProtoTcp) {
    EXPECT_EQ(be16(f, l4 + 16), ref_l4_checksum(f, ip, be16(f, ip + 2) - ihl));
  } else if (f[ip + 9] == net::kProtoUdp && be16(f, l4 + 6) != 0) {
    EXPECT_EQ(be16(f, l4 + 6), ref_l4_checksum(f, ip, be16(f, l4 + 4)));
  }
}

TEST(Nat, InboundTcpHandChecked) {
  Bytes f = packet_test::tcp_syn_frame();
  const Rewrite r = nat_inbound(f, parsed(f), {kRip, 8080}, kToReal);
  ASSERT_EQ(r.verdict, RewriteVerdict::kForward);
  EXPECT_EQ(r.length, 54U);
  // IP: unfolded sum 0x263f4 - 0x0100 (TTL) + (0x010b - 0x0064) = 0x2639b
  //   -> 0x639d -> ~ = 0x9c62.
  // TCP: 0x3125f + (0x010b - 0x0064) + (0x1f90 - 0x0050) = 0x33246
  //   -> 0x3249 -> ~ = 0xcdb6.
  const Bytes expected = {
      0x02, 0x00, 0x00, 0x00, 0x01, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08,
      0x00, 0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x40, 0x00, 0x3f, 0x06, 0x9c, 0x62,  //
      0xc6, 0x12, 0x00, 0x0a, 0xc6, 0x12, 0x01, 0x0b,                                //
      0xc3, 0x50, 0x1f, 0x90, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,        //
      0x50, 0x02, 0x72, 0x10, 0xcd, 0xb6, 0x00, 0x00,
  };
  EXPECT_EQ(f, expected);
  expect_checksums_recomputed(f);
}

TEST(Nat, InboundUdp) {
  Bytes f = packet_test::udp_frame();
  ASSERT_EQ(nat_inbound(f, parsed(f), {kRip, 5300}, kToReal).verdict, RewriteVerdict::kForward);
  EXPECT_EQ(be32(f, 30), kRip.value);
  EXPECT_EQ(be16(f, 36), 5300);
  EXPECT_EQ(be16(f, 34), 5353);
  EXPECT_EQ(f[22], 63);
  expect_checksums_recomputed(f);
  net::ParsedFrame v;
  EXPECT_EQ(net::parse_frame(f, {.verify_l4_checksum = true}, v), net::DropReason::kNone);
}

TEST(Nat, UdpWithoutChecksumStaysWithout) {
  Bytes f = packet_test::udp_frame();
  put16(f, 40, 0);
  ASSERT_EQ(nat_inbound(f, parsed(f), {kRip, 5300}, kToReal).verdict, RewriteVerdict::kForward);
  EXPECT_EQ(be16(f, 40), 0);
  expect_checksums_recomputed(f);
}

// A rewrite whose checksum comes out as 0 must send 0xffff: 0 means "none".
TEST(Nat, UdpComputedZeroIsSentAsAllOnes) {
  Bytes probe = packet_test::udp_frame();
  put16(probe, 30, static_cast<std::uint16_t>(kRip.value >> 16));
  put16(probe, 32, static_cast<std::uint16_t>(kRip.value));
  // Find, with the reference, a destination port that makes the sum all ones.
  std::uint32_t port = 0;
  for (; port <= 0xffff; ++port) {
    put16(probe, 36, static_cast<std::uint16_t>(port));
    Bytes z = probe;
    put16(z, 40, 0);
    if (packet_test::ref_checksum(
            z.data() + 34, 12,
            0xc612 + 0x000a + (kRip.value >> 16) + (kRip.value & 0xffff) + 17 + 12) == 0) {
      break;
    }
  }
  ASSERT_LE(port, 0xffffU);
  Bytes f = packet_test::udp_frame();
  ASSERT_EQ(nat_inbound(f, parsed(f), {kRip, static_cast<std::uint16_t>(port)}, kToReal).verdict,
            RewriteVerdict::kForward);
  EXPECT_EQ(be16(f, 40), 0xffff);
  net::ParsedFrame v;
  EXPECT_EQ(net::parse_frame(f, {.verify_l4_checksum = true}, v), net::DropReason::kNone);
  EXPECT_TRUE(v.l4.checksum_verified);
}

TEST(Nat, OutboundTcpReply) {
  // SYN-ACK from the real server 198.18.1.11:8080 to the client.
  Bytes f = packet_test::tcp_syn_frame();
  put16(f, 26, 0xc612);
  put16(f, 28, 0x010b);
  put16(f, 30, 0xc612);
  put16(f, 32, 0x000a);
  put16(f, 34, 8080);
  put16(f, 36, 50000);
  f[47] = net::kTcpSyn | net::kTcpAck;
  refresh_checksums(f);
  ASSERT_EQ(nat_outbound(f, parsed(f), {kVip, 80}, kToClient).verdict, RewriteVerdict::kForward);
  EXPECT_EQ(be32(f, 26), kVip.value);
  EXPECT_EQ(be32(f, 30), kClient.value);
  EXPECT_EQ(be16(f, 34), 80);
  EXPECT_EQ(be16(f, 36), 50000);
  EXPECT_EQ(Bytes(f.begin(), f.begin() + 6),
            Bytes(kGatewayMac.bytes.begin(), kGatewayMac.bytes.end()));
  expect_checksums_recomputed(f);
}

TEST(Nat, OutboundUdpOddPayload) {
  Bytes f = packet_test::udp_frame();
  f.pop_back();  // "abc": 11-byte UDP datagram, odd length
  put16(f, 16, 31);
  put16(f, 38, 11);
  put16(f, 26, 0xc612);
  put16(f, 28, 0x010b);
  refresh_checksums(f);
  ASSERT_EQ(nat_outbound(f, parsed(f), {kVip, 53}, kToClient).verdict, RewriteVerdict::kForward);
  expect_checksums_recomputed(f);
}

TEST(Nat, TcpWithOptionsAndPayload) {
  Bytes f = packet_test::tcp_syn_frame();
  // IP options (one word of NOPs), TCP MSS option, 3 bytes of payload.
  f.insert(f.begin() + 34, {0x01, 0x01, 0x01, 0x01});
  f[14] = 0x46;
  f[38 + 12] = 0x60;
  f.insert(f.begin() + 58, {0x02, 0x04, 0x05, 0xb4});
  f.insert(f.end(), {'x', 'y', 'z'});
  put16(f, 16, static_cast<std::uint16_t>(f.size() - 14));
  refresh_checksums(f);
  ASSERT_EQ(nat_inbound(f, parsed(f), {kRip, 8080}, kToReal).verdict, RewriteVerdict::kForward);
  EXPECT_EQ(be16(f, 40), 8080);
  expect_checksums_recomputed(f);
}

// Incremental updates carry an existing error along instead of replacing
// the checksum with a fresh, valid one.
TEST(Nat, CorruptChecksumStaysCorrupt) {
  Bytes f = packet_test::udp_frame();
  f[44] ^= 0x20;  // payload damaged in transit
  ASSERT_EQ(nat_inbound(f, parsed(f), {kRip, 5300}, kToReal).verdict, RewriteVerdict::kForward);
  EXPECT_NE(be16(f, 40), ref_l4_checksum(f, 14, 12));
  net::ParsedFrame v;
  EXPECT_EQ(net::parse_frame(f, {.verify_l4_checksum = true}, v), net::DropReason::kBadL4Checksum);

  Bytes t = packet_test::tcp_syn_frame();
  t[40] ^= 0x01;
  ASSERT_EQ(nat_inbound(t, parsed(t), {kRip, 8080}, kToReal).verdict, RewriteVerdict::kForward);
  EXPECT_EQ(net::parse_frame(t, {.verify_l4_checksum = true}, v), net::DropReason::kBadL4Checksum);
}

TEST(Nat, GateLeavesFrameUntouched) {
  Bytes f = packet_test::tcp_syn_frame();
  f[22] = 1;
  refresh_checksums(f);
  Bytes before = f;
  EXPECT_EQ(nat_inbound(f, parsed(f), {kRip, 8080}, kToReal).verdict, RewriteVerdict::kTtlExceeded);
  EXPECT_EQ(f, before);

  f = packet_test::tcp_syn_frame();
  before = f;
  Egress small = kToReal;
  small.mtu = 39;
  const Rewrite r = nat_inbound(f, parsed(f), {kRip, 8080}, small);
  EXPECT_EQ(r.verdict, RewriteVerdict::kFragmentationNeeded);
  EXPECT_EQ(r.next_hop_mtu, 39);
  EXPECT_EQ(f, before);
}

// --- ICMP errors -----------------------------------------------------------

// The reply the real server sent: 198.18.1.11:5300 -> client:5353, "abcd".
Bytes real_udp_reply() {
  Bytes f = packet_test::udp_frame();
  put16(f, 26, 0xc612);
  put16(f, 28, 0x010b);
  put16(f, 30, 0xc612);
  put16(f, 32, 0x000a);
  put16(f, 34, 5300);
  put16(f, 36, 5353);
  refresh_checksums(f);
  return f;
}

// Wraps `quote` (an IPv4 header and what follows) in an ICMP error frame
// from `from` to `to`, all checksums by the reference.
Bytes icmp_error(std::uint8_t type, std::uint8_t code, net::Ipv4 from, net::Ipv4 to,
                 const Bytes& quote) {
  Bytes f = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,
             0x45, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 0,    0,
             0,    0,    0,    0,    0,    0,    type, code, 0,    0,    0,    0,    0,    0};
  put16(f, 26, static_cast<std::uint16_t>(from.value >> 16));
  put16(f, 28, static_cast<std::uint16_t>(from.value));
  put16(f, 30, static_cast<std::uint16_t>(to.value >> 16));
  put16(f, 32, static_cast<std::uint16_t>(to.value));
  f.resize(42 + quote.size());
  std::copy(quote.begin(), quote.end(), f.begin() + 42);
  put16(f, 16, static_cast<std::uint16_t>(f.size() - 14));
  refresh_checksums(f);
  return f;
}

TEST(NatIcmp, InboundPortUnreachableAboutUdpReply) {
  // What the client saw: our reply after nat_outbound, VIP:53 -> client.
  // Quoted whole (header + 12 UDP bytes) with a correct UDP checksum.
  Bytes sent = packet_test::udp_frame();
  put16(sent, 26, 0xc612);
  put16(sent, 28, 0x0064);
  put16(sent, 30, 0xc612);
  put16(sent, 32, 0x000a);
  put16(sent, 34, 53);
  put16(sent, 36, 5353);
  refresh_checksums(sent);
  Bytes f = icmp_error(3, 3, kClient, kVip, Bytes(sent.begin() + 14, sent.end()));
  const auto v = parsed(f);
  ASSERT_TRUE(v.quote.has_ports);

  ASSERT_EQ(nat_icmp_inbound(f, v, {kRip, 5300}, kToReal).verdict, RewriteVerdict::kForward);
  EXPECT_EQ(be32(f, 30), kRip.value);  // outer destination
  EXPECT_EQ(f[22], 63);
  EXPECT_EQ(be16(f, 24), ref_ip_checksum(f, 14));
  EXPECT_EQ(be16(f, 36), ref_icmp_checksum(f, 34, f.size() - 34));
  // The quote now reads exactly as the real server's own reply did.
  const Bytes original = real_udp_reply();
  EXPECT_EQ(Bytes(f.begin() + 42, f.end()), Bytes(original.begin() + 14, original.end()));
}

TEST(NatIcmp, OutboundFragNeededAboutTcpRequest) {
  // What the real server received: the client's SYN after nat_inbound,
  // rebuilt with the reference checksums (TTL 63, to RIP:8080).
  Bytes received = packet_test::tcp_syn_frame();
  received[22] = 63;
  put16(received, 30, 0xc612);
  put16(received, 32, 0x010b);
  put16(received, 36, 8080);
  refresh_checksums(received);
  Bytes f = icmp_error(3, 4, kRip, kClient, Bytes(received.begin() + 14, received.end()));
  put16(f, 40, 1400);  // next-hop MTU
  refresh_checksums(f);
  const auto v = parsed(f);

  ASSERT_EQ(nat_icmp_outbound(f, v, {kVip, 80}, kToClient).verdict, RewriteVerdict::kForward);
  EXPECT_EQ(be32(f, 26), kVip.value);  // outer source
  EXPECT_EQ(be16(f, 24), ref_ip_checksum(f, 14));
  EXPECT_EQ(be16(f, 36), ref_icmp_checksum(f, 34, f.size() - 34));
  EXPECT_EQ(be16(f, 40), 1400);
  // The quote reads as the client's SYN as sent, except the TTL it arrived with.
  Bytes as_sent = packet_test::tcp_syn_frame();
  as_sent[22] = 63;
  refresh_checksums(as_sent);
  EXPECT_EQ(Bytes(f.begin() + 42, f.end()), Bytes(as_sent.begin() + 14, as_sent.end()));
}

// The case the director meets most: a router on the client's path cannot
// forward our (NAT'ed) reply VIP:80 -> client:50000 and reports frag needed
// to the VIP. The real server must receive it as if about its own segment.
TEST(NatIcmp, InboundFragNeededAboutTcpReply) {
  // What the real server sent: RIP:8080 -> client:50000, a whole segment.
  Bytes from_real = packet_test::tcp_syn_frame();
  put16(from_real, 26, 0xc612);
  put16(from_real, 28, 0x010b);
  put16(from_real, 30, 0xc612);
  put16(from_real, 32, 0x000a);
  put16(from_real, 34, 8080);
  put16(from_real, 36, 50000);
  from_real[47] = 0x12;  // SYN+ACK
  refresh_checksums(from_real);
  // What left the director after nat_outbound: VIP:80 -> client:50000.
  Bytes sent = from_real;
  put16(sent, 26, 0xc612);
  put16(sent, 28, 0x0064);
  put16(sent, 34, 80);
  refresh_checksums(sent);
  const net::Ipv4 router{0xc6120001};  // 198.18.0.1
  Bytes f = icmp_error(3, 4, router, kVip, Bytes(sent.begin() + 14, sent.end()));
  put16(f, 40, 1280);
  refresh_checksums(f);
  const auto v = parsed(f);
  ASSERT_TRUE(v.quote.has_ports);
  ASSERT_EQ(v.quote.sport, 80);

  ASSERT_EQ(nat_icmp_inbound(f, v, {kRip, 8080}, kToReal).verdict, RewriteVerdict::kForward);
  EXPECT_EQ(be32(f, 26), router.value);  // the reporter stays the source
  EXPECT_EQ(be32(f, 30), kRip.value);
  EXPECT_EQ(be16(f, 24), ref_ip_checksum(f, 14));
  EXPECT_EQ(be16(f, 36), ref_icmp_checksum(f, 34, f.size() - 34));
  EXPECT_EQ(be16(f, 40), 1280);
  EXPECT_EQ(Bytes(f.begin(), f.begin() + 6), Bytes(kRealMac.bytes.begin(), kRealMac.bytes.end()));
  // Quote byte for byte as the real server sent it, quoted IP and TCP
  // checksums included.
  EXPECT_EQ(Bytes(f.begin() + 42, f.end()), Bytes(from_real.begin() + 14, from_real.end()));
}

TEST(NatIcmp, ShortTcpQuoteLeavesQuotedChecksumAlone) {
  Bytes received = packet_test::tcp_syn_frame();
  put16(received, 30, 0xc612);
  put16(received, 32, 0x010b);
  put16(received, 36, 8080);
  refresh_checksums(received);
  // Header + the 8 bytes RFC 792 promises: no TCP checksum in the quote.
  Bytes f = icmp_error(11, 0, kRip, kClient, Bytes(received.begin() + 14, received.begin() + 42));
  ASSERT_EQ(nat_icmp_outbound(f, parsed(f), {kVip, 80}, kToClient).verdict, RewriteVerdict::kForward);
  EXPECT_EQ(be16(f, 36), ref_icmp_checksum(f, 34, f.size() - 34));
  EXPECT_EQ(be16(f, 42 + 10), ref_ip_checksum(f, 42));
  EXPECT_EQ(be32(f, 42 + 16), kVip.value);
  EXPECT_EQ(be16(f, 42 + 22), 80);
}

// A quoted header with options still leaves every quoted field at an even
// offset from the ICMP header, so word-wise folding stays exact.
TEST(NatIcmp, QuotedHeaderWithOptions) {
  Bytes sent = packet_test::udp_frame();
  sent.insert(sent.begin() + 34, {0x01, 0x01, 0x01, 0x00});  // NOP, NOP, NOP, EOL
  sent[14] = 0x46;
  put16(sent, 16, 36);
  refresh_checksums(sent);
  Bytes f = icmp_error(3, 3, kClient, kVip, Bytes(sent.begin() + 14, sent.end()));
  const auto v = parsed(f);
  ASSERT_EQ(v.quote.ip_header_len, 24);
  ASSERT_EQ(nat_icmp_inbound(f, v, {kRip, 5300}, kToReal).verdict, RewriteVerdict::kForward);
  EXPECT_EQ(be16(f, 36), ref_icmp_checksum(f, 34, f.size() - 34));
  EXPECT_EQ(be16(f, 42 + 10), ref_ip_checksum(f, 42));
  EXPECT_EQ(be16(f, 42 + 24), 5300);
  Bytes quoted(f.begin() + 42, f.end());
  quoted.insert(quoted.begin(), 14, 0);  // reference helpers index from an IP offset
  EXPECT_EQ(be16(quoted, 14 + 24 + 6), ref_l4_checksum(quoted, 14, 12));
}

// The quoted TCP checksum is updated only if the quote reaches its last byte.
TEST(NatIcmp, QuotedTcpChecksumBoundary) {
  Bytes received = packet_test::tcp_syn_frame();
  put16(received, 30, 0xc612);
  put16(received, 32, 0x010b);
  put16(received, 36, 8080);
  refresh_checksums(received);
  for (const std::size_t quoted : {std::size_t{37}, std::size_t{38}}) {
    Bytes f = icmp_error(
        11, 0, kRip, kClient,
        Bytes(received.begin() + 14, received.begin() + 14 + static_cast<std::ptrdiff_t>(quoted)));
    const std::uint8_t before = f[42 + 36];  // the only checksum byte when 37 are quoted
    ASSERT_EQ(nat_icmp_outbound(f, parsed(f), {kVip, 80}, kToClient).verdict, RewriteVerdict::kForward);
    EXPECT_EQ(be16(f, 36), ref_icmp_checksum(f, 34, f.size() - 34)) << quoted;
    if (quoted == 38) {
      EXPECT_EQ(be16(f, 42 + 36), 0xed9d);  // the client's own SYN checksum again
    } else {
      EXPECT_EQ(f[42 + 36], before);  // only half of it was quoted: left alone
    }
  }
}

TEST(NatIcmp, QuotedUdpWithoutChecksum) {
  Bytes sent = packet_test::udp_frame();
  put16(sent, 40, 0);
  Bytes f = icmp_error(3, 3, kClient, kVip, Bytes(sent.begin() + 14, sent.end()));
  ASSERT_EQ(nat_icmp_inbound(f, parsed(f), {kRip, 5300}, kToReal).verdict, RewriteVerdict::kForward);
  EXPECT_EQ(be16(f, 42 + 20 + 6), 0);
  EXPECT_EQ(be16(f, 36), ref_icmp_checksum(f, 34, f.size() - 34));
}

TEST(NatIcmp, CorruptIcmpChecksumStaysCorrupt) {
  Bytes sent = packet_test::udp_frame();
  Bytes f = icmp_error(3, 3, kClient, kVip, Bytes(sent.begin() + 14, sent.end()));
  f[34 + 4] ^= 0x01;  // the "unused" word, after the checksum was computed
  ASSERT_EQ(nat_icmp_inbound(f, parsed(f), {kRip, 5300}, kToReal).verdict, RewriteVerdict::kForward);
  EXPECT_NE(be16(f, 36), ref_icmp_checksum(f, 34, f.size() - 34));
}

TEST(NatIcmp, NotApplicable) {
  // An ICMP error about an ICMP echo names no ports.
  Bytes echo = packet_test::udp_frame();
  echo[23] = net::kProtoIcmp;
  echo[34] = net::kIcmpEchoRequest;
  refresh_checksums(echo);
  Bytes f = icmp_error(3, 1, kClient, kVip, Bytes(echo.begin() + 14, echo.begin() + 42));
  EXPECT_EQ(nat_icmp_inbound(f, parsed(f), {kRip, 5300}, kToReal).verdict, RewriteVerdict::kNotApplicable);
  // nat_inbound handles TCP/UDP only; nat_icmp_* ICMP errors only.
  EXPECT_EQ(nat_inbound(echo, parsed(echo), {kRip, 5300}, kToReal).verdict,
            RewriteVerdict::kNotApplicable);
  Bytes t = packet_test::tcp_syn_frame();
  EXPECT_EQ(nat_icmp_inbound(t, parsed(t), {kRip, 5300}, kToReal).verdict, RewriteVerdict::kNotApplicable);
  EXPECT_EQ(nat_icmp_outbound(echo, parsed(echo), {kRip, 5300}, kToReal).verdict,
            RewriteVerdict::kNotApplicable);
}

}  // namespace
}  // namespace tandem::director
