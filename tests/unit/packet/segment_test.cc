// TCP super-frame segmentation: a 3000-byte IPv4 datagram cut for a 1500
// MTU, every field of every segment checked against values worked out by
// hand, and both checksums against the independent reference in frames.h.
#include "director/packet/segment.h"

#include <gtest/gtest.h>

#include "common/net/packet.h"
#include "frames.h"

namespace tandem::director {
namespace {

using packet_test::be16;
using packet_test::be32;
using packet_test::Bytes;
using packet_test::put16;

constexpr std::size_t kIp = 14;
constexpr std::size_t kTcp = kIp + 20;
constexpr std::size_t kTcpHdr = 32;  // 20 + NOP NOP timestamp
constexpr std::size_t kData = kTcp + kTcpHdr;
constexpr std::uint32_t kSeq = 0xfffff800;  // wraps inside the third segment

// Client 198.18.0.10:50000 -> 198.18.0.100:80, `payload` bytes of
// (i * 7) & 0xff, flags as given, TCP checksum left as a partial sum would
// be (garbage for our purpose: segments must not inherit it).
Bytes super_frame(std::size_t payload, std::uint8_t flags, std::uint8_t proto = 6) {
  Bytes b(kData + payload, 0);
  const std::uint8_t eth[14] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00};
  std::copy(std::begin(eth), std::end(eth), b.begin());
  b[kIp] = 0x45;
  put16(b, kIp + 2, static_cast<std::uint16_t>(20 + kTcpHdr + payload));
  put16(b, kIp + 4, 0x1234);
  put16(b, kIp + 6, 0x4000);  // DF
  b[kIp + 8] = 64;
  b[kIp + 9] = proto;
  const std::uint8_t addrs[8] = {198, 18, 0, 10, 198, 18, 0, 100};
  std::copy(std::begin(addrs), std::end(addrs), b.begin() + kIp + 12);
  put16(b, kIp + 10, packet_test::ref_ip_checksum(b, kIp));
  put16(b, kTcp, 50000);
  put16(b, kTcp + 2, 80);
  put16(b, kTcp + 4, static_cast<std::uint16_t>(kSeq >> 16));
  put16(b, kTcp + 6, static_cast<std::uint16_t>(kSeq));
  put16(b, kTcp + 8, 0x0000);
  put16(b, kTcp + 10, 0x0777);  // ack
  b[kTcp + 12] = static_cast<std::uint8_t>(kTcpHdr / 4 << 4);
  b[kTcp + 13] = flags;
  put16(b, kTcp + 14, 0xfaf0);  // window
  put16(b, kTcp + 16, 0xdead);
  const std::uint8_t opts[12] = {1, 1, 8, 10, 0, 0, 0, 42, 0, 0, 0, 7};
  std::copy(std::begin(opts), std::end(opts), b.begin() + kTcp + 20);
  for (std::size_t i = 0; i < payload; ++i) b[kData + i] = static_cast<std::uint8_t>(i * 7);
  return b;
}

net::ParsedFrame parse(const Bytes& b) {
  net::ParsedFrame v;
  EXPECT_EQ(net::parse_frame(b, net::ParseOptions{}, v), net::DropReason::kNone);
  return v;
}

TEST(Segment, ThreeThousandBytesIntoAFifteenHundredMtu) {
  // 3000 bytes of IPv4: 20 + 32 + 2948 payload. MSS = 1500 - 20 - 32 = 1448,
  // so 1448 + 1448 + 52.
  const Bytes in = super_frame(2948, 0x99);  // CWR ACK PSH FIN
  ASSERT_EQ(be16(in, kIp + 2), 3000);
  const net::ParsedFrame v = parse(in);
  const std::size_t mss = segment_mss(v, 1500, 0);
  ASSERT_EQ(mss, 1448u);
  ASSERT_EQ(check_segmentable(v, mss), SegmentRefusal::kAccepted);
  ASSERT_EQ(segment_count(v, mss), 3u);

  const std::size_t lens[3] = {1448, 1448, 52};
  const std::uint32_t seqs[3] = {0xfffff800, 0xfffffda8, 0x00000350};  // + 1448, + 2896 mod 2^32
  const std::uint8_t flags[3] = {0x90, 0x10, 0x19};  // CWR first only; PSH FIN last only
  std::size_t offset = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    Bytes out(1600, 0xee);
    const std::size_t n = build_segment(out, in, v, mss, i);
    ASSERT_EQ(n, kData + lens[i]);
    out.resize(n);
    EXPECT_TRUE(std::equal(out.begin(), out.begin() + 14, in.begin()));  // Ethernet as is
    EXPECT_EQ(be16(out, kIp + 2), 20 + kTcpHdr + lens[i]);
    EXPECT_EQ(be16(out, kIp + 4), 0x1234 + i);
    EXPECT_EQ(be16(out, kIp + 6), 0x4000);
    EXPECT_EQ(out[kIp + 8], 64);
    EXPECT_EQ(be16(out, kIp + 10), packet_test::ref_ip_checksum(out, kIp));
    EXPECT_EQ(be32(out, kTcp + 4), seqs[i]);
    EXPECT_EQ(be32(out, kTcp + 8), 0x0777u);
    EXPECT_EQ(out[kTcp + 12], 0x80);
    EXPECT_EQ(out[kTcp + 13], flags[i]);
    EXPECT_EQ(be16(out, kTcp + 14), 0xfaf0);
    EXPECT_TRUE(std::equal(out.begin() + kTcp + 20, out.begin() + kData,
                           in.begin() + kTcp + 20));  // options kept
    EXPECT_TRUE(std::equal(out.begin() + kData, out.end(),
                           in.begin() + static_cast<std::ptrdiff_t>(kData + offset)));
    EXPECT_EQ(be16(out, kTcp + 16), packet_test::ref_l4_checksum(out, kIp, kTcpHdr + lens[i]));
    // And the segment parses as an ordinary packet that fits the MTU.
    net::ParsedFrame sv;
    ASSERT_EQ(net::parse_frame(out, net::ParseOptions{true, true}, sv), net::DropReason::kNone);
    EXPECT_TRUE(sv.l4.checksum_verified);
    EXPECT_LE(sv.ip.total_len, 1500);
    offset += lens[i];
  }
  EXPECT_EQ(offset, 2948u);
  Bytes out(1600);
  EXPECT_EQ(build_segment(out, in, v, mss, 3), 0u);  // past the last
}

TEST(Segment, AHandCheckedSmallSegment) {
  // 6 bytes "ABCDEF" cut with MSS 4: the second segment carries "EF".
  Bytes in = super_frame(6, 0x18);  // ACK PSH
  for (std::size_t i = 0; i < 6; ++i) in[kData + i] = static_cast<std::uint8_t>('A' + i);
  const net::ParsedFrame v = parse(in);
  Bytes out(200);
  const std::size_t n = build_segment(out, in, v, 4, 1);
  ASSERT_EQ(n, kData + 2);
  out.resize(n);
  // IPv4 (total 20 + 32 + 2 = 0x36, id + 1):
  //   4500+0036+1235+4000+4006+0000+c612+000a+c612+0064 = 0x26403
  //   -> 0x6403 + 2 = 0x6405 -> ~ = 0x9bfa.
  EXPECT_EQ(be16(out, kIp + 2), 0x36);
  EXPECT_EQ(be16(out, kIp + 10), 0x9bfa);
  // TCP (34 = 0x22 bytes, seq + 4): pseudo c612+000a+c612+0064+0006+0022 = 0x18cba;
  //   header c350+0050+ffff+f804+0000+0777+8018+faf0+0000+0000
  //   + options 0101+080a+0000+002a+0000+0007 + data 4546 = 0x48ca4;
  //   0x18cba + 0x48ca4 = 0x6195e -> 0x195e + 6 = 0x1964 -> ~ = 0xe69b.
  EXPECT_EQ(be32(out, kTcp + 4), 0xfffff804u);
  EXPECT_EQ(out[kTcp + 13], 0x18);
  EXPECT_EQ(be16(out, kTcp + 16), 0xe69b);
  // The first segment loses PSH.
  Bytes first(200);
  ASSERT_EQ(build_segment(first, in, v, 4, 0), kData + 4);
  EXPECT_EQ(first[kTcp + 13], 0x10);
}

TEST(Segment, RefusesWhatCannotBeCut) {
  {
    const Bytes udp = [] {
      Bytes b = super_frame(2000, 0x10, 17);
      put16(b, kTcp + 4, static_cast<std::uint16_t>(kTcpHdr + 2000));  // UDP length
      return b;
    }();
    const net::ParsedFrame v = parse(udp);
    EXPECT_EQ(check_segmentable(v, 1448), SegmentRefusal::kNotTcp);
    Bytes out(2000);
    EXPECT_EQ(build_segment(out, udp, v, 1448, 0), 0u);
  }
  {
    const Bytes empty = super_frame(0, 0x10);
    EXPECT_EQ(check_segmentable(parse(empty), 1448), SegmentRefusal::kNoPayload);
  }
  {
    Bytes frag = super_frame(2000, 0x10);
    put16(frag, kIp + 6, 0x2000);  // more fragments
    put16(frag, kIp + 10, 0);
    put16(frag, kIp + 10, packet_test::ref_ip_checksum(frag, kIp));
    EXPECT_EQ(check_segmentable(parse(frag), 1448), SegmentRefusal::kFragment);
  }
  const Bytes in = super_frame(2000, 0x10);
  const net::ParsedFrame v = parse(in);
  // Headers alone (20 + 32) fill a 52-byte MTU; an IPIP overhead takes more.
  EXPECT_EQ(segment_mss(v, 52, 0), 0u);
  EXPECT_EQ(segment_mss(v, 1500, 20), 1428u);
  EXPECT_EQ(check_segmentable(v, 0), SegmentRefusal::kMssTooSmall);
  EXPECT_EQ(segment_count(v, 0), 0u);
  Bytes out(1600);
  EXPECT_EQ(build_segment(out, in, v, 0, 0), 0u);
  // Too small an output, or a frame that is not the one parsed.
  Bytes small(kData + 1447);
  EXPECT_EQ(build_segment(small, in, v, 1448, 0), 0u);
  const Bytes shorter(in.begin(), in.end() - 1);
  EXPECT_EQ(build_segment(out, shorter, v, 1448, 0), 0u);
  // A view whose lengths lie about the buffer is refused, not trusted.
  net::ParsedFrame lying = v;
  lying.ip.total_len = 65535;
  EXPECT_EQ(check_segmentable(lying, 1448), SegmentRefusal::kNotTcp);
  EXPECT_EQ(build_segment(out, in, lying, 1448, 0), 0u);
  lying = v;
  lying.l4.tcp_header_len = 60;
  lying.l4.offset = static_cast<std::uint32_t>(in.size());
  EXPECT_EQ(build_segment(out, in, lying, 1448, 0), 0u);
}

}  // namespace
}  // namespace tandem::director
