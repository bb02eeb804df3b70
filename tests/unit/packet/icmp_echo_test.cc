#include "director/packet/icmp_echo.h"

#include <gtest/gtest.h>

#include "tests/unit/packet/frames.h"

namespace tandem::director {
namespace {

using packet_test::be16;
using packet_test::be32;
using packet_test::Bytes;
using packet_test::put16;
using packet_test::ref_icmp_checksum;
using packet_test::ref_ip_checksum;
using packet_test::refresh_checksums;

const net::Mac kVipMac{{0x00, 0x00, 0x5e, 0x00, 0x01, 0x07}};  // e.g. vrrpd's virtual MAC

// Client 198.18.0.10 -> VIP 198.18.0.100, echo request id 1 seq 1, "abcd".
// ICMP checksum by hand: 0800+0000+0001+0001+6162+6364 = 0xccc8 -> ~ = 0x3337.
Bytes echo_request() {
  Bytes f = {0x00, 0x00, 0x5e, 0x00, 0x01, 0x07,  // to the VIP's MAC
             0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,  // from the client
             0x08, 0x00, 0x45, 0x00, 0x00, 0x20, 0x00, 0x42, 0x40, 0x00, 0x3f, 0x01, 0x00, 0x00,
             0xc6, 0x12, 0x00, 0x0a, 0xc6, 0x12, 0x00, 0x64,  // 198.18.0.10 -> .100
             0x08, 0x00, 0x33, 0x37, 0x00, 0x01, 0x00, 0x01, 0x61, 0x62, 0x63, 0x64};
  put16(f, 24, ref_ip_checksum(f, 14));
  return f;
}

net::ParsedFrame parsed(const Bytes& f) {
  net::ParsedFrame v;
  EXPECT_EQ(net::parse_frame(f, {}, v), net::DropReason::kNone);
  return v;
}

// The reply, by hand. IP: 4500+0020+0007+0000+4001+c612+0064+c612+000a =
// 0x211ba -> 0x11bc -> ~ = 0xee43. ICMP: type 0 takes 0x0800 out of the
// sum: 0xc4c8 -> ~ = 0x3b37.
const Bytes kReply = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x5e, 0x00, 0x01, 0x07,
                      0x08, 0x00, 0x45, 0x00, 0x00, 0x20, 0x00, 0x07, 0x00, 0x00, 0x40, 0x01,
                      0xee, 0x43, 0xc6, 0x12, 0x00, 0x64, 0xc6, 0x12, 0x00, 0x0a, 0x00, 0x00,
                      0x3b, 0x37, 0x00, 0x01, 0x00, 0x01, 0x61, 0x62, 0x63, 0x64};

TEST(IcmpEcho, ReplyHandChecked) {
  Bytes f = echo_request();
  const auto v = parsed(f);
  ASSERT_TRUE(icmp_checksum_ok(f, v));
  const Rewrite r = echo_reply(f, v, kVipMac, 7);
  ASSERT_EQ(r.verdict, RewriteVerdict::kForward);
  EXPECT_EQ(r.offset, 0u);
  ASSERT_EQ(r.length, kReply.size());
  EXPECT_EQ(f, kReply);
  // And by the independent reference.
  EXPECT_EQ(be16(f, 24), ref_ip_checksum(f, 14));
  EXPECT_EQ(be16(f, 36), ref_icmp_checksum(f, 34, 12));
}

TEST(IcmpEcho, IpOptionsAreDroppedAndTheMessageMovesDown) {
  Bytes f = echo_request();
  f.insert(f.begin() + 34, {0x01, 0x01, 0x01, 0x01});  // four NOP options, IHL 6
  f[14] = 0x46;
  put16(f, 16, 36);
  refresh_checksums(f);
  f.push_back(0);  // link padding past the datagram is not sent
  f.push_back(0);
  const auto v = parsed(f);
  ASSERT_EQ(v.ip.header_len, 24);
  const Rewrite r = echo_reply(f, v, kVipMac, 7);
  ASSERT_EQ(r.verdict, RewriteVerdict::kForward);
  ASSERT_EQ(r.length, kReply.size());
  EXPECT_EQ(Bytes(f.begin(), f.begin() + r.length), kReply);
}

TEST(IcmpEcho, CorruptChecksumIsDetectedAndStaysCorrupt) {
  Bytes f = echo_request();
  f[44] ^= 0x20;  // payload bit flip
  const auto v = parsed(f);
  EXPECT_FALSE(icmp_checksum_ok(f, v));
  ASSERT_EQ(echo_reply(f, v, kVipMac, 7).verdict, RewriteVerdict::kForward);
  EXPECT_NE(be16(f, 36), ref_icmp_checksum(f, 34, 12));
}

TEST(IcmpEcho, NotApplicableLeavesTheFrameAlone) {
  auto refused = [](Bytes f, const net::Mac& mac = kVipMac) {
    const Bytes before = f;
    net::ParsedFrame v;
    if (net::parse_frame(f, {}, v) != net::DropReason::kNone) return false;
    return echo_reply(f, v, mac, 7).verdict == RewriteVerdict::kNotApplicable && f == before;
  };
  Bytes reply = kReply;
  EXPECT_TRUE(refused(reply));  // an echo reply is not answered
  Bytes bcast = echo_request();
  bcast[6] = 0x03;  // group bit in the source MAC
  EXPECT_TRUE(refused(bcast));
  Bytes loop = echo_request();
  loop[26] = 127;  // from 127.x: no single host to answer
  put16(loop, 24, 0);
  put16(loop, 24, ref_ip_checksum(loop, 14));
  EXPECT_TRUE(refused(loop));
  Bytes frag = echo_request();
  frag[20] = 0x20;  // MF: the message is not whole
  put16(frag, 24, 0);
  put16(frag, 24, ref_ip_checksum(frag, 14));
  EXPECT_TRUE(refused(frag));
  EXPECT_TRUE(refused(echo_request(), net::Mac{{0x01, 0x00, 0x5e, 0, 0, 1}}));
  // Not ICMP at all.
  EXPECT_TRUE(refused(packet_test::tcp_syn_frame()));
}

TEST(IcmpEcho, ChecksumOfAFragmentOrShortViewIsNotTrusted) {
  Bytes f = echo_request();
  const auto v = parsed(f);
  Bytes longer = f;
  longer.push_back(0);
  EXPECT_FALSE(icmp_checksum_ok(longer, v));  // a view of another buffer
}

}  // namespace
}  // namespace tandem::director
