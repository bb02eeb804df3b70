#include "common/net/checksum.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

#include "common/net/address.h"

namespace tandem::net {
namespace {

// The IPv4 header from RFC 1071 discussions and countless captures:
// 45 00 00 73 00 00 40 00 40 11 [b8 61] c0 a8 00 01 c0 a8 00 c7
std::array<std::uint8_t, 20> kHeader = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
                                        0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
                                        0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

TEST(Checksum, KnownIpv4Header) { EXPECT_EQ(internet_checksum(kHeader), 0xb861); }

TEST(Checksum, VerifiesToZeroWithFieldInPlace) {
  auto h = kHeader;
  h[10] = 0xb8;
  h[11] = 0x61;
  EXPECT_EQ(internet_checksum(h), 0);
}

TEST(Checksum, OddLengthPadsWithZero) {
  std::array<std::uint8_t, 3> odd = {0x01, 0x02, 0x03};
  std::array<std::uint8_t, 4> even = {0x01, 0x02, 0x03, 0x00};
  EXPECT_EQ(internet_checksum(odd), internet_checksum(even));
}

TEST(Checksum, IncrementalUpdateMatchesRecomputation) {
  auto h = kHeader;
  const std::uint16_t before = internet_checksum(h);
  // Rewrite the destination 192.168.0.199 -> 198.18.1.11 as NAT does.
  const std::uint32_t old_dst = 0xc0a800c7, new_dst = 0xc612010b;
  h[16] = 0xc6;
  h[17] = 0x12;
  h[18] = 0x01;
  h[19] = 0x0b;
  EXPECT_EQ(checksum_update32(before, old_dst, new_dst), internet_checksum(h));
}

TEST(Checksum, IncrementalTtlDecrement) {
  auto h = kHeader;
  const std::uint16_t before = internet_checksum(h);
  const std::uint16_t old_word = static_cast<std::uint16_t>(h[8] << 8 | h[9]);
  h[8] = static_cast<std::uint8_t>(h[8] - 1);
  const std::uint16_t new_word = static_cast<std::uint16_t>(h[8] << 8 | h[9]);
  EXPECT_EQ(checksum_update16(before, old_word, new_word), internet_checksum(h));
}

TEST(Address, ParsesAndPrints) {
  EXPECT_EQ(Ipv4::parse("198.18.0.1")->value, 0xC6120001U);
  EXPECT_EQ(Ipv4{0xC6120001U}.to_string(), "198.18.0.1");
  EXPECT_FALSE(Ipv4::parse("198.18.0"));
  EXPECT_FALSE(Ipv4::parse("198.18.0.256"));
  EXPECT_FALSE(Ipv4::parse("198.018.0.1"));
  EXPECT_FALSE(Ipv4::parse("198.18.0.1.2"));
  EXPECT_FALSE(Ipv4::parse(""));
}

TEST(Address, Prefix) {
  auto p = Ipv4Prefix::parse("198.18.0.0/15");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->contains(*Ipv4::parse("198.19.255.255")));
  EXPECT_FALSE(p->contains(*Ipv4::parse("198.20.0.0")));
  EXPECT_FALSE(Ipv4Prefix::parse("198.18.0.0/33"));
  EXPECT_EQ(Ipv4Prefix::parse("0.0.0.0/0")->mask(), 0U);
}

TEST(Address, MacAndEndpoint) {
  EXPECT_EQ(Mac::parse("00:00:5e:00:01:33")->to_string(), "00:00:5e:00:01:33");
  EXPECT_FALSE(Mac::parse("00:00:5e:00:01"));
  EXPECT_FALSE(Mac::parse("00-00-5e-00-01-33"));
  auto e = Endpoint::parse("198.18.0.100:80");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->port, 80);
  EXPECT_EQ(e->to_string(), "198.18.0.100:80");
  EXPECT_FALSE(Endpoint::parse("198.18.0.100:65536"));
}

}  // namespace
}  // namespace tandem::net
