#include <gtest/gtest.h>

#include <string>

#include "healthd/monitors/icmp_codec.h"
#include "healthd/monitors/telnet_filter.h"

namespace tandem::health {
namespace {

std::string s(std::initializer_list<int> xs) {
  std::string out;
  for (int x : xs) out.push_back(static_cast<char>(x));
  return out;
}

// IAC=255 DONT=254 DO=253 WONT=252 WILL=251 SB=250 SE=240.
TEST(TelnetFilter, RefusesDoAndWillStripsEverything) {
  TelnetFilter f;
  std::string data, reply;
  // DO TERMINAL-TYPE(24), WILL ECHO(1), DONT 5, WONT 3, then "login: ".
  f.feed(s({255, 253, 24, 255, 251, 1, 255, 254, 5, 255, 252, 3}) + "login: ", data, reply);
  EXPECT_EQ(data, "login: ");
  EXPECT_EQ(reply, s({255, 252, 24, 255, 254, 1}));  // WONT 24, DONT 1; nothing for DONT/WONT
}

TEST(TelnetFilter, SubnegotiationIsSkippedEvenWithIacIacInside) {
  TelnetFilter f;
  std::string data, reply;
  f.feed("a" + s({255, 250, 24, 1, 255, 255, 7, 255, 240}) + "b", data, reply);
  EXPECT_EQ(data, "ab");
  EXPECT_EQ(reply, "");
}

TEST(TelnetFilter, EscapedIacIsData) {
  TelnetFilter f;
  std::string data, reply;
  f.feed(s({'x', 255, 255, 'y'}), data, reply);
  EXPECT_EQ(data, s({'x', 255, 'y'}));
}

TEST(TelnetFilter, OtherCommandsAndNulAreDropped) {
  TelnetFilter f;
  std::string data, reply;
  f.feed(s({'a', 255, 241, 'b', '\r', 0, 'c', 255, 249}), data, reply);  // NOP, CR NUL, GA
  EXPECT_EQ(data, "ab\rc");
}

TEST(TelnetFilter, SequencesSplitAnywhere) {
  const std::string in = s({255, 253, 24, 'h', 255, 250, 1, 2, 255, 240, 'i', 255, 251, 3});
  for (std::size_t i = 0; i <= in.size(); ++i) {
    TelnetFilter f;
    std::string data, reply;
    f.feed(in.substr(0, i), data, reply);
    f.feed(in.substr(i), data, reply);
    EXPECT_EQ(data, "hi") << i;
    EXPECT_EQ(reply, s({255, 252, 24, 255, 254, 3})) << i;
  }
}

// Echo request id 0x1234 seq 1 with payload "ab":
// 08 00 [sum] 12 34 00 01 61 62. Sum of words: 0800 + 1234 + 0001 + 6162
// = 0x7B97; checksum = ~0x7B97 = 0x8468.
TEST(IcmpCodec, EchoRequestBytes) {
  const std::uint8_t payload[] = {'a', 'b'};
  const auto p = icmp_echo_request(0x1234, 1, payload);
  const std::vector<std::uint8_t> want = {8, 0, 0x84, 0x68, 0x12, 0x34, 0, 1, 'a', 'b'};
  EXPECT_EQ(p, want);
}

TEST(IcmpCodec, ParsesAReplyWithAndWithoutIpHeader) {
  // Reply: type 0, so the checksum is 0x8468 + 0x0800 = 0x8C68.
  std::vector<std::uint8_t> icmp = {0, 0, 0x8c, 0x68, 0x12, 0x34, 0, 1, 'a', 'b'};
  auto e = icmp_parse_echo_reply(icmp, false);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->id, 0x1234);
  EXPECT_EQ(e->seq, 1);
  // IPv4 header, ihl 5, protocol 1, from 127.0.0.1 (header checksum not ours to check).
  std::vector<std::uint8_t> ip = {0x45, 0, 0,   30, 0, 0, 0,   0, 64, 1,
                                  0,    0, 127, 0,  0, 1, 127, 0, 0,  1};
  ip.insert(ip.end(), icmp.begin(), icmp.end());
  e = icmp_parse_echo_reply(ip, true);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->source, 0x7f000001u);
}

TEST(IcmpCodec, RejectsRequestsBadChecksumsAndShortPackets) {
  std::vector<std::uint8_t> icmp = {0, 0, 0x8c, 0x68, 0x12, 0x34, 0, 1, 'a', 'b'};
  auto bad = icmp;
  bad[9] = 'c';
  EXPECT_FALSE(icmp_parse_echo_reply(bad, false));
  const std::uint8_t payload[] = {'a', 'b'};
  EXPECT_FALSE(icmp_parse_echo_reply(icmp_echo_request(1, 1, payload), false));  // our own request
  for (std::size_t n = 0; n < 8; ++n) {
    EXPECT_FALSE(icmp_parse_echo_reply(std::span(icmp.data(), n), false));
  }
  std::vector<std::uint8_t> ip = {0x4f, 0, 0,   30, 0, 0, 0,   0, 64, 1,
                                  0,    0, 127, 0,  0, 1, 127, 0, 0,  1};
  ip.insert(ip.end(), icmp.begin(), icmp.end());
  EXPECT_FALSE(icmp_parse_echo_reply(ip, true));  // ihl 15 = 60 bytes > what is there... and 0x4f
}

}  // namespace
}  // namespace tandem::health
