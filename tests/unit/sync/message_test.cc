#include "common/sync/message.h"

#include <gtest/gtest.h>

#include "tests/unit/sync/test_support.h"

namespace tandem::sync {
namespace {

using testing::hex;
using testing::reference_record;
using testing::reference_record_bytes;

// Header for syncid 5 and the reference record, checked by hand:
//   00        reserved
//   05        syncid 5
//   00 2c     size 44 = 8 header + 36 record
//   01        nr_conns 1
//   01        version 1
//   00 00     spare
std::vector<std::uint8_t> reference_message() {
  auto m = hex("00 05 00 2c 01 01 00 00");
  const auto r = reference_record_bytes();
  m.insert(m.end(), r.begin(), r.end());
  return m;
}

SyncError decode(const std::vector<std::uint8_t>& b, std::uint8_t filter = 0) {
  DecodedMessage m;
  return decode_message(b, DecodeOptions{filter}, m);
}

TEST(SyncMessage, BuildsReferenceMessageByteForByte) {
  MessageBuilder b(5, 1472);
  ASSERT_EQ(b.add(reference_record()), SyncError::kOk);
  EXPECT_EQ(b.finish(), reference_message());
  EXPECT_TRUE(b.empty());  // finish starts a fresh message
}

TEST(SyncMessage, DecodesReferenceMessage) {
  DecodedMessage m;
  ASSERT_EQ(decode_message(reference_message(), {}, m), SyncError::kOk);
  EXPECT_EQ(m.syncid, 5);
  ASSERT_EQ(m.records.size(), 1u);
  EXPECT_EQ(m.records[0], reference_record());
  EXPECT_TRUE(m.rejected.empty());
}

TEST(SyncMessage, EmptyMessageIsValid) {
  MessageBuilder b(9, 1472);
  const auto m = b.finish();
  EXPECT_EQ(m, hex("00 09 00 08 00 01 00 00"));
  EXPECT_EQ(decode(m), SyncError::kOk);
}

TEST(SyncMessage, PadsBetweenRecordsButNotAfterTheLast) {
  ConnRecord a = reference_record();
  a.pe_data = {0xaa};
  a.pe_name = "x";  // 36 + 3 + 3 = 42 bytes: two bytes of padding needed after it
  MessageBuilder b(1, 1472);
  ASSERT_EQ(b.add(a), SyncError::kOk);
  ASSERT_EQ(b.add(reference_record()), SyncError::kOk);
  const auto m = b.finish();
  ASSERT_EQ(m.size(), 8u + 42 + 2 + 36);
  EXPECT_EQ(m[50], 0);  // padding
  EXPECT_EQ(m[51], 0);
  EXPECT_EQ(std::vector<std::uint8_t>(m.begin() + 52, m.end()), reference_record_bytes());
  DecodedMessage d;
  ASSERT_EQ(decode_message(m, {}, d), SyncError::kOk);
  ASSERT_EQ(d.records.size(), 2u);
  EXPECT_EQ(d.records[0], a);

  // A record ending unaligned at the end of the message needs no padding.
  MessageBuilder b2(1, 1472);
  ASSERT_EQ(b2.add(a), SyncError::kOk);
  EXPECT_EQ(b2.finish().size(), 8u + 42);
}

TEST(SyncMessage, NonZeroPaddingRejected) {
  ConnRecord a = reference_record();
  a.pe_data = {0xaa};
  a.pe_name = "x";
  MessageBuilder b(1, 1472);
  ASSERT_EQ(b.add(a), SyncError::kOk);
  ASSERT_EQ(b.add(reference_record()), SyncError::kOk);
  auto m = b.finish();
  m[51] = 0x5a;
  EXPECT_EQ(decode(m), SyncError::kBadPadding);
}

TEST(SyncMessage, HeaderRejections) {
  auto m = reference_message();
  m[3] = 45;  // size field does not match datagram
  EXPECT_EQ(decode(m), SyncError::kBadSize);
  m = reference_message();
  m[0] = 1;  // reserved: a version-0 message (its first byte is nr_conns)
  EXPECT_EQ(decode(m), SyncError::kBadVersion);
  m = reference_message();
  m[5] = 2;
  EXPECT_EQ(decode(m), SyncError::kBadVersion);
  m = reference_message();
  m[7] = 1;  // spare
  EXPECT_EQ(decode(m), SyncError::kBadVersion);
}

TEST(SyncMessage, SyncIdFilter) {
  EXPECT_EQ(decode(reference_message(), 5), SyncError::kOk);
  EXPECT_EQ(decode(reference_message(), 0), SyncError::kOk);  // 0 accepts all
  EXPECT_EQ(decode(reference_message(), 6), SyncError::kWrongSyncId);
}

TEST(SyncMessage, TrailingBytesAndMissingRecords) {
  auto m = reference_message();
  m.insert(m.end(), {0, 0, 0, 0});
  m[3] = static_cast<std::uint8_t>(m.size());
  EXPECT_EQ(decode(m), SyncError::kTrailingBytes);
  m = reference_message();
  m[4] = 2;  // announces a second record that is not there
  EXPECT_EQ(decode(m), SyncError::kTruncated);
}

TEST(SyncMessage, TruncationAtEveryLengthIsRejected) {
  const auto full = reference_message();
  for (std::size_t n = 0; n < full.size(); ++n) {
    std::vector<std::uint8_t> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_NE(decode(cut), SyncError::kOk) << n;
    // Even with the size field fixed up to match, the record is cut short.
    if (n >= kMessageHeaderSize) {
      cut[2] = 0;
      cut[3] = static_cast<std::uint8_t>(n);
      EXPECT_EQ(decode(cut), SyncError::kTruncated) << n;
    } else {
      EXPECT_EQ(decode(cut), SyncError::kTruncated) << n;
    }
  }
}

TEST(SyncMessage, RecordLocalRejectionKeepsTheOthers) {
  MessageBuilder b(1, 1472);
  ASSERT_EQ(b.add(reference_record()), SyncError::kOk);
  ConnRecord second = reference_record();
  second.cport = 40001;
  second.pe_data = {1, 2};
  second.pe_name = "ab";  // 36 + 4 + 4 = 44
  ASSERT_EQ(b.add(second), SyncError::kOk);
  ConnRecord third = reference_record();
  third.cport = 40002;
  ASSERT_EQ(b.add(third), SyncError::kOk);
  auto m = b.finish();
  // Turn the second record's PE name option (type 3 at record offset 40) into
  // an unknown mandatory option 9.
  const std::size_t second_at = 8 + 36;
  ASSERT_EQ(m[second_at + 40], kOptPeName);
  m[second_at + 40] = 9;
  DecodedMessage d;
  ASSERT_EQ(decode_message(m, {}, d), SyncError::kOk);
  ASSERT_EQ(d.records.size(), 2u);
  EXPECT_EQ(d.records[0].cport, 40000);
  EXPECT_EQ(d.records[1].cport, 40002);
  ASSERT_EQ(d.rejected.size(), 1u);
  EXPECT_EQ(d.rejected[0].index, 1u);
  EXPECT_EQ(d.rejected[0].error, SyncError::kUnknownOption);
}

TEST(SyncMessage, StructuralErrorDropsWholeMessage) {
  MessageBuilder b(1, 1472);
  ASSERT_EQ(b.add(reference_record()), SyncError::kOk);
  ASSERT_EQ(b.add(reference_record()), SyncError::kOk);
  auto m = b.finish();
  m[8 + 36] = 4;  // second record: bad type
  DecodedMessage d;
  EXPECT_EQ(decode_message(m, {}, d), SyncError::kBadRecordType);
  EXPECT_TRUE(d.records.empty());
}

TEST(SyncMessage, MtuLimits) {
  EXPECT_EQ(max_message_size_for_mtu(1500), 1472u);
  EXPECT_EQ(max_message_size_for_mtu(9000), 8972u);
  EXPECT_EQ(max_message_size_for_mtu(30), 0u);
  EXPECT_EQ(max_message_size_for_mtu(100000), 0xffffu);
}

TEST(SyncMessage, FortyIpv4RecordsFillAStandardMtu) {
  // 8 + 40 * 36 = 1448 <= 1472 < 1484 = 8 + 41 * 36
  MessageBuilder b(1, max_message_size_for_mtu(1500));
  for (int i = 0; i < 40; ++i) ASSERT_EQ(b.add(reference_record()), SyncError::kOk) << i;
  EXPECT_EQ(b.add(reference_record()), SyncError::kMessageFull);
  EXPECT_EQ(b.count(), 40u);
  const auto m = b.finish();
  EXPECT_EQ(m.size(), 1448u);
  EXPECT_EQ(m[4], 40);
  DecodedMessage d;
  ASSERT_EQ(decode_message(m, {}, d), SyncError::kOk);
  EXPECT_EQ(d.records.size(), 40u);
}

TEST(SyncMessage, NrConnsCapsAt255) {
  MessageBuilder b(1, 0xffff);
  for (int i = 0; i < 255; ++i) ASSERT_EQ(b.add(reference_record()), SyncError::kOk);
  EXPECT_EQ(b.add(reference_record()), SyncError::kMessageFull);
  const auto m = b.finish();
  DecodedMessage d;
  ASSERT_EQ(decode_message(m, {}, d), SyncError::kOk);
  EXPECT_EQ(d.records.size(), 255u);
}

TEST(SyncMessage, RecordLargerThanAnyMessageIsRefused) {
  MessageBuilder b(1, 40);  // room for the header and 32 bytes only
  EXPECT_EQ(b.add(reference_record()), SyncError::kFieldTooLong);
  EXPECT_TRUE(b.empty());
}

TEST(SyncMessage, BatchingSplitsInOrderWithinLimit) {
  std::vector<ConnRecord> recs;
  for (int i = 0; i < 100; ++i) {
    ConnRecord r = reference_record();
    r.cport = static_cast<std::uint16_t>(1000 + i);
    recs.push_back(r);
  }
  ConnRecord bad = reference_record();
  bad.pe_name = std::string(20, 'z');
  recs.insert(recs.begin() + 50, bad);
  std::size_t unencodable = 0;
  const auto msgs = batch_records(recs, 3, 1472, &unencodable);
  EXPECT_EQ(unencodable, 1u);
  ASSERT_EQ(msgs.size(), 3u);
  int expect_port = 1000;
  const std::size_t counts[] = {40, 40, 20};
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_LE(msgs[i].size(), 1472u);
    DecodedMessage d;
    ASSERT_EQ(decode_message(msgs[i], {}, d), SyncError::kOk);
    EXPECT_EQ(d.syncid, 3);
    ASSERT_EQ(d.records.size(), counts[i]);
    for (const auto& r : d.records) EXPECT_EQ(r.cport, expect_port++);
  }
}

}  // namespace
}  // namespace tandem::sync
