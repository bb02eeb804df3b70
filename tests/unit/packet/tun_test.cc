#include "director/packet/tun.h"

#include <gtest/gtest.h>

#include "tests/unit/packet/frames.h"

namespace tandem::director {
namespace {

using packet_test::be16;
using packet_test::Bytes;

const Egress kToReal{net::Mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}},
                     net::Mac{{0x02, 0x00, 0x00, 0x00, 0x01, 0x0b}}, 1500};
const TunParams kParams{net::Ipv4{0xc6120001}, net::Ipv4{0xc612010b}, 64, 0x4242};

// `headroom` filler bytes, then the frame; parsed over the frame part.
struct Buffered {
  Bytes buf;
  net::ParsedFrame v;
};

Buffered with_headroom(const Bytes& frame, std::size_t headroom) {
  Buffered b;
  b.buf.assign(headroom, 0xaa);
  b.buf.insert(b.buf.end(), frame.begin(), frame.end());
  EXPECT_EQ(net::parse_frame(std::span<const std::uint8_t>(b.buf).subspan(headroom), {}, b.v),
            net::DropReason::kNone);
  return b;
}

TEST(Tun, ByteLayout) {
  auto b = with_headroom(packet_test::tcp_syn_frame(), 20);
  const Rewrite r = tun_encapsulate(b.buf, 20, b.v, kParams, kToReal);
  ASSERT_EQ(r.verdict, RewriteVerdict::kForward);
  EXPECT_EQ(r.offset, 0U);
  EXPECT_EQ(r.length, 74U);
  // Outer checksum: 4500+003c+0000+4000+4004+c612+0001+c612+010b = 0x25270
  //   -> 0x5272 -> ~ = 0xad8d. Inner TTL 64 -> 63, checksum 0x9c09 -> 0x9d09.
  const Bytes expected = {
      0x02, 0x00, 0x00, 0x00, 0x01, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
      0x08, 0x00, 0x45, 0x00, 0x00, 0x3c,  // outer: total 60
      0x00, 0x00, 0x40, 0x00,              // ID 0, DF copied from the inner header
      0x40, 0x04, 0xad, 0x8d,              // TTL 64, IPIP, checksum
      0xc6, 0x12, 0x00, 0x01,              // director
      0xc6, 0x12, 0x01, 0x0b,              // real server
      0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x40, 0x00, 0x3f, 0x06, 0x9d, 0x09,  // inner
      0xc6, 0x12, 0x00, 0x0a, 0xc6, 0x12, 0x00, 0x64,                          //
      0xc3, 0x50, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,  //
      0x50, 0x02, 0x72, 0x10, 0xed, 0x9d, 0x00, 0x00,
  };
  EXPECT_EQ(b.buf, expected);
  EXPECT_EQ(packet_test::ref_ip_checksum(b.buf, 14), 0xad8d);
}

TEST(Tun, NoDfUsesIdAndInheritedTtl) {
  auto b = with_headroom(packet_test::udp_frame(), 32);
  TunParams p = kParams;
  p.ttl = 0;
  const Rewrite r = tun_encapsulate(b.buf, 32, b.v, p, kToReal);
  ASSERT_EQ(r.verdict, RewriteVerdict::kForward);
  EXPECT_EQ(r.offset, 12U);
  EXPECT_EQ(r.length, 14U + 20U + 32U);
  const Bytes out(b.buf.begin() + r.offset, b.buf.begin() + r.offset + r.length);
  EXPECT_EQ(be16(out, 18), 0x4242);  // ID
  EXPECT_EQ(be16(out, 20), 0x0000);  // no DF
  EXPECT_EQ(out[22], 63);            // inherited, after the decrement
  EXPECT_EQ(out[34 + 8], 63);
  EXPECT_EQ(be16(out, 24), packet_test::ref_ip_checksum(out, 14));
  EXPECT_EQ(be16(out, 34 + 10), packet_test::ref_ip_checksum(out, 34));
  // The whole result parses, and the inner datagram parses as well.
  net::ParsedFrame outer;
  ASSERT_EQ(net::parse_frame(out, {}, outer), net::DropReason::kUnsupportedProtocol);
  net::ParsedFrame inner;
  ASSERT_EQ(net::parse_ipv4(out, 34, {.verify_l4_checksum = true}, inner), net::DropReason::kNone);
  EXPECT_EQ(inner.l4.dport, 53);
}

TEST(Tun, CopiesTosAndVlanTag) {
  Bytes f = packet_test::tcp_syn_frame();
  f[15] = 0xb8;  // EF
  packet_test::refresh_checksums(f);
  f.insert(f.begin() + 12, {0x81, 0x00, 0x00, 0x05});
  auto b = with_headroom(f, 20);
  const Rewrite r = tun_encapsulate(b.buf, 20, b.v, kParams, kToReal);
  ASSERT_EQ(r.verdict, RewriteVerdict::kForward);
  EXPECT_EQ(r.length, 78U);
  const Bytes out(b.buf.begin() + r.offset, b.buf.begin() + r.offset + r.length);
  EXPECT_EQ(Bytes(out.begin() + 12, out.begin() + 18), (Bytes{0x81, 0x00, 0x00, 0x05, 0x08, 0x00}));
  EXPECT_EQ(out[19], 0xb8);
  EXPECT_EQ(out[38 + 1], 0xb8);
}

TEST(Tun, NeedsHeadroom) {
  auto b = with_headroom(packet_test::tcp_syn_frame(), 19);
  const Bytes before = b.buf;
  EXPECT_EQ(tun_encapsulate(b.buf, 19, b.v, kParams, kToReal).verdict, RewriteVerdict::kNoRoom);
  EXPECT_EQ(b.buf, before);
  // An offset that does not match the parsed frame is refused outright.
  EXPECT_EQ(tun_encapsulate(b.buf, 20, b.v, kParams, kToReal).verdict, RewriteVerdict::kNotApplicable);
  EXPECT_EQ(tun_encapsulate(b.buf, 1000, b.v, kParams, kToReal).verdict, RewriteVerdict::kNotApplicable);
}

TEST(Tun, MtuCountsTheOuterHeader) {
  auto b = with_headroom(packet_test::tcp_syn_frame(), 20);  // 40 + 20 with DF
  const Bytes before = b.buf;
  Egress e = kToReal;
  e.mtu = 59;
  const Rewrite r = tun_encapsulate(b.buf, 20, b.v, kParams, e);
  EXPECT_EQ(r.verdict, RewriteVerdict::kFragmentationNeeded);
  EXPECT_EQ(r.next_hop_mtu, 39);  // what the sender must fit in
  EXPECT_EQ(b.buf, before);
  e.mtu = 60;
  EXPECT_EQ(tun_encapsulate(b.buf, 20, b.v, kParams, e).verdict, RewriteVerdict::kForward);

  auto u = with_headroom(packet_test::udp_frame(), 20);  // no DF
  e.mtu = 51;
  EXPECT_EQ(tun_encapsulate(u.buf, 20, u.v, kParams, e).verdict, RewriteVerdict::kTooBig);
}

TEST(Tun, TtlExpired) {
  Bytes f = packet_test::tcp_syn_frame();
  f[22] = 1;
  packet_test::refresh_checksums(f);
  auto b = with_headroom(f, 20);
  EXPECT_EQ(tun_encapsulate(b.buf, 20, b.v, kParams, kToReal).verdict, RewriteVerdict::kTtlExceeded);
}

}  // namespace
}  // namespace tandem::director
