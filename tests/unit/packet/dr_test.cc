#include "director/packet/dr.h"

#include <gtest/gtest.h>

#include "tests/unit/packet/frames.h"

namespace tandem::director {
namespace {

using packet_test::Bytes;

const Egress kToReal{net::Mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}},
                     net::Mac{{0x02, 0x00, 0x00, 0x00, 0x01, 0x0b}}, 1500};

net::ParsedFrame parsed(const Bytes& f) {
  net::ParsedFrame v;
  EXPECT_EQ(net::parse_frame(f, {}, v), net::DropReason::kNone);
  return v;
}

TEST(Dr, ByteLayout) {
  Bytes f = packet_test::tcp_syn_frame();
  const auto v = parsed(f);
  const Rewrite r = dr_forward(f, v, kToReal);
  ASSERT_EQ(r.verdict, RewriteVerdict::kForward);
  EXPECT_EQ(r.offset, 0U);
  EXPECT_EQ(r.length, 54U);
  // TTL 64 -> 63 takes 0x0100 off the header sum, so the checksum grows by
  // 0x0100: 0x9c09 -> 0x9d09. Nothing else in the datagram moves.
  const Bytes expected = {
      0x02, 0x00, 0x00, 0x00, 0x01, 0x0b,              // real server
      0x02, 0x00, 0x00, 0x00, 0x00, 0x01,              // director
      0x08, 0x00,                                      //
      0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x40, 0x00,  //
      0x3f, 0x06, 0x9d, 0x09,                          // TTL 63, checksum
      0xc6, 0x12, 0x00, 0x0a, 0xc6, 0x12, 0x00, 0x64,  //
      0xc3, 0x50, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
      0x00, 0x00, 0x50, 0x02, 0x72, 0x10, 0xed, 0x9d, 0x00, 0x00,
  };
  EXPECT_EQ(f, expected);
  EXPECT_EQ(packet_test::ref_ip_checksum(f, 14), 0x9d09);
}

TEST(Dr, KeepsVlanTagAndDropsPadding) {
  Bytes f = packet_test::tcp_syn_frame();
  const Bytes tag = {0x81, 0x00, 0x00, 0x07};
  f.insert(f.begin() + 12, tag.begin(), tag.end());
  f.resize(64, 0);
  const auto v = parsed(f);
  ASSERT_EQ(dr_forward(f, v, kToReal).verdict, RewriteVerdict::kForward);
  EXPECT_EQ(Bytes(f.begin() + 12, f.begin() + 18), (Bytes{0x81, 0x00, 0x00, 0x07, 0x08, 0x00}));
  EXPECT_EQ(f[18 + 8], 0x3f);
  EXPECT_EQ(dr_forward(f, parsed(f), kToReal).length, 58U);
}

TEST(Dr, TtlOneAndZeroAreNotForwarded) {
  for (std::uint8_t ttl : {std::uint8_t{1}, std::uint8_t{0}}) {
    Bytes f = packet_test::tcp_syn_frame();
    f[22] = ttl;
    packet_test::refresh_checksums(f);
    const Bytes before = f;
    const Rewrite r = dr_forward(f, parsed(f), kToReal);
    EXPECT_EQ(r.verdict, RewriteVerdict::kTtlExceeded);
    EXPECT_EQ(f, before);  // left intact for the ICMP quote
  }
  Bytes f = packet_test::tcp_syn_frame();
  f[22] = 2;
  packet_test::refresh_checksums(f);
  EXPECT_EQ(dr_forward(f, parsed(f), kToReal).verdict, RewriteVerdict::kForward);
  EXPECT_EQ(f[22], 1);
}

TEST(Dr, TooBigForEgress) {
  Bytes f = packet_test::tcp_syn_frame();  // 40-byte datagram, DF
  const Bytes before = f;
  Egress small = kToReal;
  small.mtu = 40;
  EXPECT_EQ(dr_forward(f, parsed(f), small).verdict, RewriteVerdict::kForward);
  f = before;
  small.mtu = 39;
  const Rewrite r = dr_forward(f, parsed(f), small);
  EXPECT_EQ(r.verdict, RewriteVerdict::kFragmentationNeeded);
  EXPECT_EQ(r.next_hop_mtu, 39);
  EXPECT_EQ(f, before);

  Bytes u = packet_test::udp_frame();  // 32 bytes, no DF
  small.mtu = 31;
  EXPECT_EQ(dr_forward(u, parsed(u), small).verdict, RewriteVerdict::kTooBig);
}

TEST(Dr, RefusesForeignBuffersAndArp) {
  Bytes f = packet_test::tcp_syn_frame();
  const auto v = parsed(f);
  Bytes shorter(f.begin(), f.end() - 1);
  EXPECT_EQ(dr_forward(shorter, v, kToReal).verdict, RewriteVerdict::kNotApplicable);

  Bytes arp = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0,   2,  0x08, 0x06,
               0,    1,    8,    0,    6,    4,    0,    1, 2, 0, 0,   0,  0,    2,
               198,  18,   0,    10,   0,    0,    0,    0, 0, 0, 198, 18, 0,    100};
  EXPECT_EQ(dr_forward(arp, parsed(arp), kToReal).verdict, RewriteVerdict::kNotApplicable);
}

TEST(Dr, VerdictNames) {
  EXPECT_EQ(verdict_name(RewriteVerdict::kForward), "forward");
  EXPECT_EQ(verdict_name(RewriteVerdict::kFragmentationNeeded), "fragmentation_needed");
  EXPECT_EQ(verdict_name(RewriteVerdict::kNoRoom), "no_room");
}

}  // namespace
}  // namespace tandem::director
