#include "vrrpd/core/hmac_auth.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace tandem::vrrp {
namespace {

const net::Ipv4 kSrc{0xC6120002};
const net::Ipv4 kDst{0xE0000012};
const std::vector<std::uint8_t> kMessage = {0x31, 0x33, 0x96, 0x01, 0x00, 0x64,
                                            0xcb, 0x4c, 0xc6, 0x12, 0x00, 0x64};

AuthKey key(std::uint8_t id, const char* secret) {
  AuthKey k;
  k.id = id;
  for (const char* p = secret; *p; ++p) k.secret.push_back(static_cast<std::uint8_t>(*p));
  return k;
}

TEST(VrrpHmac, OptionLayout) {
  AuthOption o = sign_advert(key(7, "s"), 0x0102030405060708ULL, kSrc, kDst, kMessage);
  EXPECT_EQ(o[0], 30);
  EXPECT_EQ(o[1], 28);
  EXPECT_EQ(o[2], 7);
  EXPECT_EQ(o[3], 0);
  const std::array<std::uint8_t, 8> seq = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_TRUE(std::equal(seq.begin(), seq.end(), o.begin() + 4));
}

TEST(VrrpHmac, MacMatchesAnIndependentComputation) {
  // HMAC-SHA256(key "s", c6120002 e0000012 1e1c0700 0102030405060708 | message)
  // = 9677adaffa315bcd208ab58286712c05..., from the openssl command line:
  // printf '<those 32 bytes>' | openssl dgst -sha256 -mac HMAC -macopt key:s
  AuthOption o = sign_advert(key(7, "s"), 0x0102030405060708ULL, kSrc, kDst, kMessage);
  const std::array<std::uint8_t, 16> want = {0x96, 0x77, 0xad, 0xaf, 0xfa, 0x31, 0x5b, 0xcd,
                                             0x20, 0x8a, 0xb5, 0x82, 0x86, 0x71, 0x2c, 0x05};
  EXPECT_TRUE(std::equal(want.begin(), want.end(), o.begin() + 12));
}

TEST(VrrpHmac, MacCoversAddressesAndMessage) {
  const AuthKey k = key(1, "secret");
  AuthOption base = sign_advert(k, 5, kSrc, kDst, kMessage);
  EXPECT_NE(sign_advert(k, 5, net::Ipv4{0xC6120003}, kDst, kMessage), base);
  EXPECT_NE(sign_advert(k, 5, kSrc, net::Ipv4{0xC6120001}, kMessage), base);
  EXPECT_NE(sign_advert(k, 6, kSrc, kDst, kMessage), base);
  auto m = kMessage;
  m[2] = 0x97;
  EXPECT_NE(sign_advert(k, 5, kSrc, kDst, m), base);
  EXPECT_NE(sign_advert(key(1, "secreT"), 5, kSrc, kDst, kMessage), base);
}

TEST(VrrpHmac, ReplayWindowSlides) {
  ReplayWindow w;
  EXPECT_TRUE(w.acceptable(100));
  w.record(100);
  EXPECT_FALSE(w.acceptable(100));
  EXPECT_TRUE(w.acceptable(99));  // late but inside the window, not yet seen
  w.record(99);
  EXPECT_FALSE(w.acceptable(99));
  EXPECT_TRUE(w.acceptable(37));   // 100 - 63
  EXPECT_FALSE(w.acceptable(36));  // 100 - 64: older than the window
  w.record(200);
  EXPECT_FALSE(w.acceptable(100));
  EXPECT_TRUE(w.acceptable(199));
  EXPECT_TRUE(w.acceptable(201));
}

TEST(VrrpHmac, KeyRotation) {
  AuthKeyRing sender_ring, receiver_ring;
  sender_ring.add(key(1, "old"));
  ASSERT_TRUE(sender_ring.set_send_key(1));
  receiver_ring.add(key(1, "old"));
  receiver_ring.add(key(2, "new"));
  AuthVerifier v(receiver_ring);

  auto opt = sign_advert(*sender_ring.send_key(), 1, kSrc, kDst, kMessage);
  EXPECT_EQ(v.verify(kSrc, kDst, opt, kMessage), AuthError::kOk);
  sender_ring.add(key(2, "new"));
  ASSERT_TRUE(sender_ring.set_send_key(2));
  opt = sign_advert(*sender_ring.send_key(), 2, kSrc, kDst, kMessage);
  EXPECT_EQ(v.verify(kSrc, kDst, opt, kMessage), AuthError::kOk);
  receiver_ring.remove(1);
  opt = sign_advert(key(1, "old"), 3, kSrc, kDst, kMessage);
  EXPECT_EQ(v.verify(kSrc, kDst, opt, kMessage), AuthError::kUnknownKey);
  EXPECT_FALSE(sender_ring.set_send_key(9));
}

TEST(VrrpHmac, ReplayWindowIsPerSender) {
  AuthKeyRing ring;
  ring.add(key(1, "k"));
  AuthVerifier v(ring);
  const net::Ipv4 other{0xC6120003};
  auto a = sign_advert(key(1, "k"), 10, kSrc, kDst, kMessage);
  auto b = sign_advert(key(1, "k"), 10, other, kDst, kMessage);
  EXPECT_EQ(v.verify(kSrc, kDst, a, kMessage), AuthError::kOk);
  EXPECT_EQ(v.verify(other, kDst, b, kMessage), AuthError::kOk);
  EXPECT_EQ(v.verify(kSrc, kDst, a, kMessage), AuthError::kReplay);
}

TEST(VrrpHmac, ForgedPacketsDoNotMoveTheWindow) {
  AuthKeyRing ring;
  ring.add(key(1, "k"));
  AuthVerifier v(ring);
  auto forged = sign_advert(key(1, "wrong"), 1'000'000, kSrc, kDst, kMessage);
  EXPECT_EQ(v.verify(kSrc, kDst, forged, kMessage), AuthError::kBadMac);
  auto good = sign_advert(key(1, "k"), 5, kSrc, kDst, kMessage);
  EXPECT_EQ(v.verify(kSrc, kDst, good, kMessage), AuthError::kOk);
}

TEST(VrrpHmac, FindsOptionAmongOthers) {
  auto opt = sign_advert(key(1, "k"), 1, kSrc, kDst, kMessage);
  // NOP, a router-alert option (148, len 4), our option, end of list, padding.
  std::vector<std::uint8_t> list = {1, 148, 4, 0, 0};
  list.insert(list.end(), opt.begin(), opt.end());
  list.push_back(0);
  list.push_back(0xee);
  bool malformed = true;
  auto found = find_ipv4_option(list, kAuthOptionType, malformed);
  EXPECT_FALSE(malformed);
  ASSERT_EQ(found.size(), kAuthOptionSize);
  EXPECT_TRUE(std::equal(found.begin(), found.end(), opt.begin()));
}

TEST(VrrpHmac, MalformedOptionLists) {
  bool malformed = false;
  const std::vector<std::vector<std::uint8_t>> bad = {
      {148},           // no length byte
      {148, 1},        // length below 2
      {148, 9, 0, 0},  // runs past the end
      {30, 2, 30, 2},  // ours twice
  };
  for (const auto& list : bad) {
    find_ipv4_option(list, kAuthOptionType, malformed);
    EXPECT_TRUE(malformed);
  }
  find_ipv4_option({}, kAuthOptionType, malformed);
  EXPECT_FALSE(malformed);
}

TEST(VrrpHmac, WrongSizedOptionIsMalformed) {
  AuthKeyRing ring;
  ring.add(key(1, "k"));
  AuthVerifier v(ring);
  const std::vector<std::uint8_t> short_opt = {30, 4, 1, 0};
  EXPECT_EQ(v.verify(kSrc, kDst, short_opt, kMessage), AuthError::kMalformed);
  EXPECT_EQ(v.verify(kSrc, kDst, {}, kMessage), AuthError::kMissing);
}

}  // namespace
}  // namespace tandem::vrrp
