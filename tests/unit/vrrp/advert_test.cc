#include "vrrpd/core/advert.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace tandem::vrrp {
namespace {

const net::Ipv4 kSrc{0xC6120002};       // 198.18.0.2
const net::Ipv4 kDst{kMulticastGroup};  // 224.0.0.18
const net::Ipv4 kVip{0xC6120064};       // 198.18.0.100

// VRRPv3, VRID 51, priority 150, interval 100 cs, one address 198.18.0.100,
// sent from 198.18.0.2 to 224.0.0.18.
//   31 33 96 01 | 00 64 [cs] | c6 12 00 64
// Checksum by hand, 16-bit words:
//   pseudo-header: c612 + 0002 + e000 + 0012 + 0070 (proto 112) + 000c (len 12)
//     c612+0002=c614, +e000=1a614, +0012=1a626, +0070=1a696, +000c=1a6a2
//   message: 3133 + 9601 + 0064 + c612 + 0064 (checksum word as 0)
//     1a6a2+3133=1d7d5, +9601=26dd6, +0064=26e3a, +c612=3344c, +0064=334b0
//   fold: 3 + 34b0 = 34b3; complement: ffff - 34b3 = cb4c
const std::vector<std::uint8_t> kV3Vector = {0x31, 0x33, 0x96, 0x01, 0x00, 0x64,
                                             0xcb, 0x4c, 0xc6, 0x12, 0x00, 0x64};

// VRRPv2, VRID 51, priority 150, auth type 0, interval 1 s, one address
// 198.18.0.100, 8 zero bytes of auth data.
//   21 33 96 01 | 00 01 [cs] | c6 12 00 64 | 00 x 8
// Checksum (message only): 2133 + 9601 + 0001 + c612 + 0064 + 0 x 4
//   2133+9601=b734, +0001=b735, +c612=17d47, +0064=17dab
//   fold: 1 + 7dab = 7dac; complement: ffff - 7dac = 8253
const std::vector<std::uint8_t> kV2Vector = {
    0x21, 0x33, 0x96, 0x01, 0x00, 0x01, 0x82, 0x53, 0xc6, 0x12, 0x00, 0x64, 0, 0, 0, 0, 0, 0, 0, 0};

Advert v3_advert() {
  Advert a;
  a.version = Version::kV3;
  a.vrid = 51;
  a.priority = 150;
  a.interval = 100;
  a.addresses = {kVip};
  return a;
}

Advert v2_advert() {
  Advert a = v3_advert();
  a.version = Version::kV2;
  a.interval = 1;
  return a;
}

std::vector<std::uint8_t> encode_vec(const Advert& a, net::Ipv4 src = kSrc, net::Ipv4 dst = kDst) {
  std::array<std::uint8_t, kMaxMessageSize> buf{};
  const std::size_t n = encode(a, src, dst, buf);
  return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)};
}

TEST(VrrpAdvert, EncodesV3HandCheckedVector) {
  EXPECT_EQ(encode_vec(v3_advert()), kV3Vector);
}

TEST(VrrpAdvert, EncodesV2HandCheckedVector) {
  EXPECT_EQ(encode_vec(v2_advert()), kV2Vector);
}

TEST(VrrpAdvert, DecodesV3HandCheckedVector) {
  Decoded d = decode(kV3Vector);
  ASSERT_EQ(d.error, DecodeError::kOk);
  EXPECT_EQ(d.advert.version, Version::kV3);
  EXPECT_EQ(d.advert.vrid, 51);
  EXPECT_EQ(d.advert.priority, 150);
  EXPECT_EQ(d.advert.interval, 100);
  EXPECT_EQ(d.advert.checksum, 0xcb4c);
  ASSERT_EQ(d.advert.addresses.size(), 1U);
  EXPECT_EQ(d.advert.addresses[0], kVip);
  EXPECT_EQ(d.length, 12U);
  EXPECT_TRUE(verify_checksum(Version::kV3, kV3Vector, kSrc, kDst));
}

TEST(VrrpAdvert, DecodesV2HandCheckedVector) {
  Decoded d = decode(kV2Vector);
  ASSERT_EQ(d.error, DecodeError::kOk);
  EXPECT_EQ(d.advert.version, Version::kV2);
  EXPECT_EQ(d.advert.auth_type, 0);
  EXPECT_EQ(d.advert.interval, 1);
  EXPECT_EQ(d.advert.checksum, 0x8253);
  EXPECT_EQ(d.length, 20U);
  EXPECT_TRUE(verify_checksum(Version::kV2, kV2Vector, kSrc, kDst));
}

TEST(VrrpAdvert, V3ChecksumCoversPseudoHeader) {
  // Same bytes from another source no longer verify; v2 does not care.
  EXPECT_FALSE(verify_checksum(Version::kV3, kV3Vector, net::Ipv4{0xC6120003}, kDst));
  EXPECT_FALSE(verify_checksum(Version::kV3, kV3Vector, kSrc, net::Ipv4{0xC6120001}));
  EXPECT_TRUE(verify_checksum(Version::kV2, kV2Vector, net::Ipv4{0xC6120003}, kDst));
}

TEST(VrrpAdvert, EveryFlippedBitBreaksTheChecksum) {
  for (std::size_t i = 0; i < kV3Vector.size() * 8; ++i) {
    auto b = kV3Vector;
    b[i / 8] ^= static_cast<std::uint8_t>(1U << (i % 8));
    EXPECT_FALSE(verify_checksum(Version::kV3, b, kSrc, kDst)) << "bit " << i;
  }
}

TEST(VrrpAdvert, V3ReservedBitsIgnoredOnReceive) {
  auto b = kV3Vector;
  b[4] |= 0xf0;
  Decoded d = decode(b);
  ASSERT_EQ(d.error, DecodeError::kOk);
  EXPECT_EQ(d.advert.interval, 100);
}

TEST(VrrpAdvert, TruncatedAtEveryLength) {
  for (const auto* vec : {&kV3Vector, &kV2Vector}) {
    for (std::size_t len = 0; len < vec->size(); ++len) {
      Decoded d = decode(std::span(*vec).first(len));
      const DecodeError want = len < kHeaderSize ? DecodeError::kTooShort : DecodeError::kTruncated;
      EXPECT_EQ(d.error, want) << "length " << len;
    }
  }
}

TEST(VrrpAdvert, TrailingBytesRefused) {
  auto b = kV3Vector;
  b.push_back(0);
  EXPECT_EQ(decode(b).error, DecodeError::kTrailingBytes);
}

TEST(VrrpAdvert, CountBeyondPayloadIsTruncated) {
  auto b = kV3Vector;
  b[3] = 255;
  EXPECT_EQ(decode(b).error, DecodeError::kTruncated);
}

TEST(VrrpAdvert, BadVersionAndType) {
  for (std::uint8_t v : {0, 1, 4, 15}) {
    auto b = kV3Vector;
    b[0] = static_cast<std::uint8_t>(v << 4 | 1);
    EXPECT_EQ(decode(b).error, DecodeError::kBadVersion) << int(v);
  }
  for (std::uint8_t t : {0, 2, 15}) {
    auto b = kV3Vector;
    b[0] = static_cast<std::uint8_t>(0x30 | t);
    EXPECT_EQ(decode(b).error, DecodeError::kBadType) << int(t);
  }
}

TEST(VrrpAdvert, RoundTripsManyAddresses) {
  Advert a = v3_advert();
  a.addresses = {};
  for (std::uint32_t i = 0; i < kMaxAddresses; ++i)
    a.addresses.push_back(net::Ipv4{0xC6120000 + i});
  auto bytes = encode_vec(a);
  ASSERT_EQ(bytes.size(), message_size(Version::kV3, kMaxAddresses));
  Decoded d = decode(bytes);
  ASSERT_EQ(d.error, DecodeError::kOk);
  EXPECT_EQ(d.advert.addresses, a.addresses);
  EXPECT_TRUE(verify_checksum(Version::kV3, bytes, kSrc, kDst));
}

TEST(VrrpAdvert, EncodeRefusesSmallBufferAndWideInterval) {
  std::array<std::uint8_t, 11> small{};
  EXPECT_EQ(encode(v3_advert(), kSrc, kDst, small), 0U);
  Advert a = v3_advert();
  a.interval = 4096;
  std::array<std::uint8_t, 64> buf{};
  EXPECT_EQ(encode(a, kSrc, kDst, buf), 0U);
  a.interval = 4095;
  EXPECT_EQ(encode(a, kSrc, kDst, buf), 12U);
}

TEST(VrrpAdvert, V2AuthDataRoundTrips) {
  Advert a = v2_advert();
  a.auth_type = 1;
  a.auth_data = {'s', 'e', 'c', 'r', 'e', 't', 0, 0};
  auto bytes = encode_vec(a);
  Decoded d = decode(bytes);
  ASSERT_EQ(d.error, DecodeError::kOk);
  EXPECT_EQ(d.advert.auth_type, 1);
  EXPECT_EQ(d.advert.auth_data, a.auth_data);
  EXPECT_EQ(bytes[4], 1);
  EXPECT_EQ(bytes[12], 's');
}

}  // namespace
}  // namespace tandem::vrrp
