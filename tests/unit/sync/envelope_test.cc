#include "common/sync/envelope.h"

#include <gtest/gtest.h>

#include <string>

#include "common/sync/hmac.h"
#include "common/sync/message.h"
#include "tests/unit/sync/test_support.h"

namespace tandem::sync {
namespace {

using testing::hex;

std::vector<std::uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

std::string hexstr(const HmacDigest& d) {
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  for (auto b : d) {
    s += kDigits[b >> 4];
    s += kDigits[b & 15];
  }
  return s;
}

// RFC 4231 section 4 test cases (HMAC-SHA-256 column).
TEST(SyncHmac, Rfc4231TestCases) {
  struct Case {
    std::vector<std::uint8_t> key, data;
    const char* mac;
  };
  const std::vector<std::uint8_t> k131(131, 0xaa);
  const Case cases[] = {
      {std::vector<std::uint8_t>(20, 0x0b), bytes("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {bytes("Jefe"), bytes("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::vector<std::uint8_t>(20, 0xaa), std::vector<std::uint8_t>(50, 0xdd),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {hex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
       std::vector<std::uint8_t>(50, 0xcd),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {k131, bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {k131,
       bytes("This is a test using a larger than block-size key and a larger than block-size "
             "data. The key needs to be hashed before being used by the HMAC algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const Case& c : cases) {
    const auto mac = hmac_sha256(c.key, c.data);
    ASSERT_TRUE(mac.has_value());
    EXPECT_EQ(hexstr(*mac), c.mac);
  }
}

TEST(SyncHmac, DigestEqualIsExact) {
  HmacDigest a{}, b{};
  EXPECT_TRUE(digest_equal(a, b));
  b[31] = 1;
  EXPECT_FALSE(digest_equal(a, b));
  EXPECT_FALSE(digest_equal(std::span(a).first(31), b));
}

KeyRing ring(std::uint8_t id, std::string_view secret) {
  KeyRing r;
  r.current = Key{id, bytes(secret)};
  return r;
}

EnvelopeHeader header(std::uint64_t seq) {
  EnvelopeHeader h;
  h.kind = EnvelopeKind::kData;
  h.sender_id = 0x0102030405060708;
  h.epoch = 0x1122334455667788;
  h.seq = seq;
  return h;
}

TEST(SyncEnvelope, HeaderLayoutByteForByte) {
  const auto body = hex("aa bb cc");
  std::vector<std::uint8_t> out;
  ASSERT_EQ(seal_envelope(header(0x2a), body, ring(7, "k1"), out), SyncError::kOk);
  ASSERT_EQ(out.size(), 32u + 3 + 32);
  const auto expected_head =
      hex("54"                       // magic 'T'
          "01"                       // envelope version 1
          "00 00"                    // always zero: an IPVS backup sees size 0 and drops it
          "01"                       // kind 1: data
          "07"                       // key id 7
          "00 03"                    // body length 3
          "01 02 03 04 05 06 07 08"  // sender id
          "11 22 33 44 55 66 77 88"  // epoch
          "00 00 00 00 00 00 00 2a"  // sequence 42
          "aa bb cc");               // body
  EXPECT_EQ(std::vector<std::uint8_t>(out.begin(), out.begin() + 35), expected_head);
  const auto mac = hmac_sha256(bytes("k1"), expected_head);
  ASSERT_TRUE(mac);
  EXPECT_TRUE(std::equal(mac->begin(), mac->end(), out.begin() + 35));
}

TEST(SyncEnvelope, RoundTrip) {
  const auto body = hex("00 01 02 03 04");
  std::vector<std::uint8_t> out;
  const KeyRing k = ring(1, "secret");
  ASSERT_EQ(seal_envelope(header(5), body, k, out), SyncError::kOk);
  OpenedEnvelope o;
  ASSERT_EQ(open_envelope(out, k, o), SyncError::kOk);
  EXPECT_EQ(o.header.kind, EnvelopeKind::kData);
  EXPECT_EQ(o.header.key_id, 1);
  EXPECT_EQ(o.header.sender_id, 0x0102030405060708u);
  EXPECT_EQ(o.header.epoch, 0x1122334455667788u);
  EXPECT_EQ(o.header.seq, 5u);
  EXPECT_EQ(std::vector<std::uint8_t>(o.body.begin(), o.body.end()), body);
}

TEST(SyncEnvelope, EveryBitFlipIsRejected) {
  std::vector<std::uint8_t> out;
  const KeyRing k = ring(1, "secret");
  ASSERT_EQ(seal_envelope(header(5), hex("01 02 03 04"), k, out), SyncError::kOk);
  for (std::size_t i = 0; i < out.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto bad = out;
      bad[i] ^= static_cast<std::uint8_t>(1 << bit);
      OpenedEnvelope o;
      EXPECT_NE(open_envelope(bad, k, o), SyncError::kOk) << i << ":" << bit;
    }
  }
}

TEST(SyncEnvelope, TypedRejections) {
  const KeyRing k = ring(1, "secret");
  std::vector<std::uint8_t> good;
  ASSERT_EQ(seal_envelope(header(5), hex("01 02"), k, good), SyncError::kOk);
  OpenedEnvelope o;
  auto b = good;
  b[0] = 0x55;
  EXPECT_EQ(open_envelope(b, k, o), SyncError::kBadMagic);
  b = good;
  b[3] = 1;
  EXPECT_EQ(open_envelope(b, k, o), SyncError::kBadMagic);
  b = good;
  b[1] = 2;
  EXPECT_EQ(open_envelope(b, k, o), SyncError::kBadEnvelopeVersion);
  b = good;
  b[7] = 3;
  EXPECT_EQ(open_envelope(b, k, o), SyncError::kBadSize);
  b = good;
  b[4] = 9;
  EXPECT_EQ(open_envelope(b, k, o), SyncError::kUnknownKind);
  b = good;
  b[5] = 2;
  EXPECT_EQ(open_envelope(b, k, o), SyncError::kUnknownKey);
  b = good;
  b[33] ^= 1;  // body
  EXPECT_EQ(open_envelope(b, k, o), SyncError::kBadHmac);
  EXPECT_EQ(open_envelope(good, ring(1, "other"), o), SyncError::kBadHmac);
}

TEST(SyncEnvelope, TruncationAtEveryLength) {
  const KeyRing k = ring(1, "secret");
  std::vector<std::uint8_t> good;
  ASSERT_EQ(seal_envelope(header(5), hex("01 02 03"), k, good), SyncError::kOk);
  for (std::size_t n = 0; n < good.size(); ++n) {
    OpenedEnvelope o;
    const SyncError e = open_envelope(std::span(good).first(n), k, o);
    EXPECT_EQ(e, n < kEnvelopeOverhead ? SyncError::kTruncated : SyncError::kBadSize) << n;
  }
}

TEST(SyncEnvelope, KeyRotationAcceptsCurrentAndPrevious) {
  KeyRing old_ring = ring(1, "old");
  std::vector<std::uint8_t> from_old;
  ASSERT_EQ(seal_envelope(header(1), {}, old_ring, from_old), SyncError::kOk);

  KeyRing rotated = ring(2, "new");
  rotated.previous = Key{1, bytes("old")};
  std::vector<std::uint8_t> from_new;
  ASSERT_EQ(seal_envelope(header(2), {}, rotated, from_new), SyncError::kOk);
  EXPECT_EQ(from_new[5], 2);  // signs with the current key

  OpenedEnvelope o;
  EXPECT_EQ(open_envelope(from_old, rotated, o), SyncError::kOk);
  EXPECT_EQ(open_envelope(from_new, rotated, o), SyncError::kOk);
  EXPECT_EQ(open_envelope(from_new, old_ring, o), SyncError::kUnknownKey);

  KeyRing retired = ring(3, "newest");
  retired.previous = Key{2, bytes("new")};
  EXPECT_EQ(open_envelope(from_old, retired, o), SyncError::kUnknownKey);
  EXPECT_EQ(open_envelope(from_new, retired, o), SyncError::kOk);
}

TEST(SyncEnvelope, PlainIpvsDecoderRejectsAnEnvelope) {
  MessageBuilder b(0, 1472);
  ASSERT_EQ(b.add(testing::reference_record()), SyncError::kOk);
  const auto msg = b.finish();
  std::vector<std::uint8_t> env;
  ASSERT_EQ(seal_envelope(header(1), msg, ring(1, "k"), env), SyncError::kOk);
  DecodedMessage d;
  EXPECT_EQ(decode_message(env, {}, d), SyncError::kBadSize);
  // And the other way round: a bare IPVS message is not an envelope.
  OpenedEnvelope o;
  EXPECT_NE(open_envelope(msg, ring(1, "k"), o), SyncError::kOk);
}

TEST(SyncEnvelope, ResyncRequestBody) {
  const ResyncRequest r{0xaabbccdd00112233, 77, ResyncReason::kGap};
  const auto b = encode_resync_request(r);
  EXPECT_EQ(b, hex("aa bb cc dd 00 11 22 33  00 00 00 4d  02 00 00 00"));
  ResyncRequest back;
  ASSERT_EQ(decode_resync_request(b, back), SyncError::kOk);
  EXPECT_EQ(back, r);
  auto bad = b;
  bad[12] = 0;
  EXPECT_EQ(decode_resync_request(bad, back), SyncError::kBadBody);
  bad = b;
  bad[12] = 6;
  EXPECT_EQ(decode_resync_request(bad, back), SyncError::kBadBody);
  bad = b;
  bad[15] = 1;
  EXPECT_EQ(decode_resync_request(bad, back), SyncError::kBadBody);
  EXPECT_EQ(decode_resync_request(std::span(b).first(15), back), SyncError::kBadBody);
}

TEST(SyncEnvelope, ResyncDataBody) {
  const ResyncDataHeader h{9, 3, true};
  const auto msg = hex("00 00 00 08 00 01 00 00");
  const auto b = encode_resync_data(h, msg);
  EXPECT_EQ(b, hex("00 00 00 09  00 03  01 00  00 00 00 08 00 01 00 00"));
  ResyncDataHeader back;
  std::span<const std::uint8_t> m;
  ASSERT_EQ(decode_resync_data(b, back, m), SyncError::kOk);
  EXPECT_EQ(back, h);
  EXPECT_EQ(std::vector<std::uint8_t>(m.begin(), m.end()), msg);
  auto bad = b;
  bad[6] = 2;
  EXPECT_EQ(decode_resync_data(bad, back, m), SyncError::kBadBody);
  EXPECT_EQ(decode_resync_data(std::span(b).first(7), back, m), SyncError::kBadBody);
}

TEST(SyncEnvelope, RetransmitRequestBody) {
  const RetransmitRequest r{1, 100, 163};
  const auto b = encode_retransmit_request(r);
  EXPECT_EQ(b, hex("00 00 00 00 00 00 00 01  00 00 00 00 00 00 00 64  00 00 00 00 00 00 00 a3"));
  RetransmitRequest back;
  ASSERT_EQ(decode_retransmit_request(b, back), SyncError::kOk);
  EXPECT_EQ(back, r);
  EXPECT_EQ(decode_retransmit_request(encode_retransmit_request({1, 0, 5}), back),
            SyncError::kBadBody);
  EXPECT_EQ(decode_retransmit_request(encode_retransmit_request({1, 9, 8}), back),
            SyncError::kBadBody);
  // At most kMaxRetransmitRange (1024) sequence numbers per request.
  EXPECT_EQ(decode_retransmit_request(encode_retransmit_request({1, 1, 1025}), back),
            SyncError::kBadBody);
  EXPECT_EQ(decode_retransmit_request(encode_retransmit_request({1, 1, 1024}), back),
            SyncError::kOk);
}

TEST(SyncEnvelope, OverheadLeavesRoomForThirtyEightRecords) {
  // 1472 - 64 = 1408 bytes of body: 8 + 38 * 36 = 1376 fits, 39 would be 1412.
  const std::size_t body = max_body_size(max_message_size_for_mtu(1500));
  EXPECT_EQ(body, 1408u);
  MessageBuilder b(0, body);
  int n = 0;
  while (b.add(testing::reference_record()) == SyncError::kOk) ++n;
  EXPECT_EQ(n, 38);
}

}  // namespace
}  // namespace tandem::sync
