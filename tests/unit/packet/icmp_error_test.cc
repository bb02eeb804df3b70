#include "director/packet/icmp_error.h"

#include <gtest/gtest.h>

#include <array>

#include "tests/unit/packet/frames.h"

namespace tandem::director {
namespace {

using packet_test::be16;
using packet_test::Bytes;
using packet_test::put16;
using packet_test::refresh_checksums;

const IcmpErrorParams kParams{net::Ipv4{0xc6120001}, net::Mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}},
                              0};

net::ParsedFrame parsed(const Bytes& f) {
  net::ParsedFrame v;
  EXPECT_EQ(net::parse_frame(f, {}, v), net::DropReason::kNone);
  return v;
}

TEST(IcmpError, TimeExceededBytes) {
  Bytes f = packet_test::tcp_syn_frame();
  f[22] = 1;
  refresh_checksums(f);
  std::array<std::uint8_t, kIcmpErrorMaxFrame> out{};
  const std::size_t n = build_time_exceeded(out, f, parsed(f), kParams);
  ASSERT_EQ(n, 14U + 20U + 8U + 40U);
  // Header checksum: 45c0+0044+0000+0000+4001+c612+0001+c612+000a = 0x21234
  //   -> 0x1236 -> ~ = 0xedc9.
  const Bytes head = {
      0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  // back to the sender's MAC
      0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // from the director
      0x08, 0x00,                          //
      0x45, 0xc0, 0x00, 0x44,              // TOS internetwork control, total 68
      0x00, 0x00, 0x00, 0x00,              //
      0x40, 0x01, 0xed, 0xc9,              // TTL 64, ICMP
      0xc6, 0x12, 0x00, 0x01,              // director
      0xc6, 0x12, 0x00, 0x0a,              // the original source
      0x0b, 0x00,                          // time exceeded in transit
  };
  const Bytes got(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
  EXPECT_EQ(Bytes(got.begin(), got.begin() + 36), head);
  EXPECT_EQ(be16(got, 36), packet_test::ref_icmp_checksum(got, 34, 48));
  EXPECT_EQ(Bytes(got.begin() + 38, got.begin() + 42), Bytes(4, 0));
  EXPECT_EQ(Bytes(got.begin() + 42, got.end()), Bytes(f.begin() + 14, f.end()));  // whole quote

  net::ParsedFrame back;
  ASSERT_EQ(net::parse_frame(got, {.verify_l4_checksum = true}, back), net::DropReason::kNone);
  EXPECT_TRUE(back.quote.has_ports);
  EXPECT_EQ(back.quote.dport, 80);
}

TEST(IcmpError, FragNeededCarriesMtu) {
  Bytes f = packet_test::tcp_syn_frame();
  std::array<std::uint8_t, kIcmpErrorMaxFrame> out{};
  const std::size_t n = build_frag_needed(out, f, parsed(f), 1480, kParams);
  ASSERT_EQ(n, 82U);
  EXPECT_EQ(out[34], 3);
  EXPECT_EQ(out[35], 4);
  EXPECT_EQ(out[38], 0);
  EXPECT_EQ(out[39], 0);
  EXPECT_EQ(out[40], 0x05);  // 1480 = 0x05c8
  EXPECT_EQ(out[41], 0xc8);
  const Bytes got(out.begin(), out.begin() + 82);
  EXPECT_EQ(be16(got, 36), packet_test::ref_icmp_checksum(got, 34, 48));
  EXPECT_EQ(be16(got, 24), packet_test::ref_ip_checksum(got, 14));
}

TEST(IcmpError, QuoteIsCappedAt576) {
  Bytes f = packet_test::udp_frame();
  f.resize(14 + 1400, 0x5a);
  put16(f, 16, 1400);
  put16(f, 38, 1380);
  refresh_checksums(f);
  std::array<std::uint8_t, kIcmpErrorMaxFrame> out{};
  const std::size_t n = build_frag_needed(out, f, parsed(f), 1280, kParams);
  ASSERT_EQ(n, 14U + 576U);
  const Bytes got(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
  EXPECT_EQ(be16(got, 16), 576);
  EXPECT_EQ(be16(got, 36), packet_test::ref_icmp_checksum(got, 34, 556));
  EXPECT_EQ(Bytes(got.begin() + 42, got.end()), Bytes(f.begin() + 14, f.begin() + 14 + 548));
  std::array<std::uint8_t, 14 + 575> small{};
  EXPECT_EQ(build_frag_needed(small, f, parsed(f), 1280, kParams), 0U);
}

TEST(IcmpError, KeepsVlanTag) {
  Bytes f = packet_test::tcp_syn_frame();
  f.insert(f.begin() + 12, {0x81, 0x00, 0x00, 0x09});
  std::array<std::uint8_t, kIcmpErrorMaxFrame> out{};
  ASSERT_EQ(build_time_exceeded(out, f, parsed(f), kParams), 18U + 68U);
  EXPECT_EQ(Bytes(out.begin() + 12, out.begin() + 18), (Bytes{0x81, 0x00, 0x00, 0x09, 0x08, 0x00}));
}

TEST(IcmpError, NeverAboutAnError) {
  // An ICMP time exceeded is itself an error: no error about it.
  Bytes inner = packet_test::tcp_syn_frame();
  Bytes f = packet_test::tcp_syn_frame();
  f.resize(34);
  f[23] = net::kProtoIcmp;
  f.insert(f.end(), {11, 0, 0, 0, 0, 0, 0, 0});
  f.insert(f.end(), inner.begin() + 14, inner.begin() + 42);
  put16(f, 16, static_cast<std::uint16_t>(f.size() - 14));
  refresh_checksums(f);
  std::array<std::uint8_t, kIcmpErrorMaxFrame> out{};
  EXPECT_EQ(build_time_exceeded(out, f, parsed(f), kParams), 0U);
  // An echo request is not an error, so it may be answered.
  f[34] = net::kIcmpEchoRequest;
  refresh_checksums(f);
  EXPECT_GT(build_time_exceeded(out, f, parsed(f), kParams), 0U);
}

TEST(IcmpError, NeverAboutBroadcastMulticastOrUnnamedSources) {
  std::array<std::uint8_t, kIcmpErrorMaxFrame> out{};
  Bytes f = packet_test::udp_frame();
  f[0] = 0x01;  // link multicast
  EXPECT_EQ(build_time_exceeded(out, f, parsed(f), kParams), 0U);
  f[0] = 0xff;
  EXPECT_EQ(build_time_exceeded(out, f, parsed(f), kParams), 0U);

  const std::array<std::array<std::uint8_t, 4>, 3> bad_dst = {
      {{224, 0, 0, 18}, {239, 1, 2, 3}, {255, 255, 255, 255}}};
  for (const auto& d : bad_dst) {
    f = packet_test::udp_frame();
    std::copy(d.begin(), d.end(), f.begin() + 30);
    refresh_checksums(f);
    EXPECT_EQ(build_time_exceeded(out, f, parsed(f), kParams), 0U) << int{d[0]};
  }
  const std::array<std::array<std::uint8_t, 4>, 5> bad_src = {
      {{0, 0, 0, 0}, {127, 0, 0, 1}, {224, 0, 0, 1}, {240, 0, 0, 1}, {255, 255, 255, 255}}};
  for (const auto& s : bad_src) {
    f = packet_test::udp_frame();
    std::copy(s.begin(), s.end(), f.begin() + 26);
    refresh_checksums(f);
    EXPECT_EQ(build_time_exceeded(out, f, parsed(f), kParams), 0U) << int{s[0]};
  }
}

TEST(IcmpError, RefusesMismatchedOriginal) {
  Bytes f = packet_test::tcp_syn_frame();
  const auto v = parsed(f);
  f.pop_back();
  std::array<std::uint8_t, kIcmpErrorMaxFrame> out{};
  EXPECT_EQ(build_time_exceeded(out, f, v, kParams), 0U);
}

}  // namespace
}  // namespace tandem::director
