#include "common/sync/record.h"

#include <gtest/gtest.h>

#include "tests/unit/sync/test_support.h"

namespace tandem::sync {
namespace {

using testing::hex;
using testing::reference_record;
using testing::reference_record_bytes;

TEST(SyncRecord, EncodesReferenceIpv4RecordByteForByte) {
  std::vector<std::uint8_t> out;
  ASSERT_EQ(append_record(reference_record(), out), SyncError::kOk);
  EXPECT_EQ(out, reference_record_bytes());
  EXPECT_EQ(encoded_record_size(reference_record()), kIpv4RecordSize);
}

TEST(SyncRecord, DecodesReferenceIpv4Record) {
  ConnRecord r;
  const auto bytes = reference_record_bytes();
  const RecordDecode d = decode_record(bytes, r);
  ASSERT_EQ(d.error, SyncError::kOk);
  EXPECT_EQ(d.size, 36u);
  EXPECT_EQ(r, reference_record());
  EXPECT_EQ(r.caddr.to_v4().to_string(), "198.18.0.10");
  EXPECT_EQ(r.daddr.to_v4().to_string(), "198.18.1.11");
}

TEST(SyncRecord, EncoderStripsHashedFlag) {
  ConnRecord r = reference_record();
  r.flags |= kFlagHashed;
  std::vector<std::uint8_t> out;
  ASSERT_EQ(append_record(r, out), SyncError::kOk);
  EXPECT_EQ(out, reference_record_bytes());
}

// 2001:db8::1 -> [2001:db8::100]:443 -> [2001:db8::11]:8443, UDP, NAT, 300 s.
TEST(SyncRecord, Ipv6RecordByteForByte) {
  ConnRecord r;
  r.ipv6 = true;
  r.protocol = 17;
  r.flags = 0;
  r.state = 0;
  r.cport = 5353;
  r.vport = 443;
  r.dport = 8443;
  r.fwmark = 7;
  r.timeout_s = 300;
  r.caddr.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
  r.vaddr.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00};
  r.daddr.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11};
  const auto expected =
      hex("01"                                               // type bit 0: IPv6
          "11"                                               // protocol 17: UDP
          "00 48"                                            // length 72
          "00 00 00 00"                                      // flags: NAT
          "00 00"                                            // state 0
          "14 e9"                                            // cport 5353
          "01 bb"                                            // vport 443
          "20 fb"                                            // dport 8443
          "00 00 00 07"                                      // fwmark 7
          "00 00 01 2c"                                      // timeout 300
          "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01"  // caddr
          "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 01 00"  // vaddr
          "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 11"  // daddr
      );
  std::vector<std::uint8_t> out;
  ASSERT_EQ(append_record(r, out), SyncError::kOk);
  EXPECT_EQ(out, expected);
  ConnRecord back;
  ASSERT_EQ(decode_record(expected, back).error, SyncError::kOk);
  EXPECT_EQ(back, r);
}

TEST(SyncRecord, SeqAndPeOptionsByteForByte) {
  ConnRecord r = reference_record();
  r.flags |= 0x0600;  // in and out sequence adjustment
  r.seq = SeqOption{{0x01020304, 0x10, 0x08}, {0xa0b0c0d0, 0xfffffff0, 0}};
  r.pe_data = {0xde, 0xad, 0xbe};
  r.pe_name = "sip";
  auto expected = reference_record_bytes();
  expected[3] = 36 + 26 + 5 + 5;  // length 72 = 0x48
  expected[6] = 0x06;             // flags 0x0603
  const auto opts =
      hex("01 18"                                // option 1 (TCP seq data), length 24
          "01 02 03 04 00 00 00 10 00 00 00 08"  // in: init_seq, delta, previous_delta
          "a0 b0 c0 d0 ff ff ff f0 00 00 00 00"  // out
          "02 03 de ad be"                       // option 2 (PE data), length 3
          "03 03 73 69 70"                       // option 3 (PE name), "sip"
      );
  expected.insert(expected.end(), opts.begin(), opts.end());
  std::vector<std::uint8_t> out;
  ASSERT_EQ(append_record(r, out), SyncError::kOk);
  EXPECT_EQ(out, expected);
  ConnRecord back;
  ASSERT_EQ(decode_record(expected, back).error, SyncError::kOk);
  EXPECT_EQ(back, r);
}

// Builds the reference record with raw option bytes appended and the length fixed up.
std::vector<std::uint8_t> with_options(std::string_view opt_hex) {
  auto b = reference_record_bytes();
  const auto o = hex(opt_hex);
  b.insert(b.end(), o.begin(), o.end());
  b[2] = static_cast<std::uint8_t>(b.size() >> 8);
  b[3] = static_cast<std::uint8_t>(b.size());
  return b;
}

SyncError decode_err(const std::vector<std::uint8_t>& b) {
  ConnRecord r;
  return decode_record(b, r).error;
}

TEST(SyncRecord, SkippableUnknownOptionIsSkipped) {
  ConnRecord r;
  const RecordDecode d = decode_record(with_options("47 02 aa bb"), r);  // type 7 | 0x40
  EXPECT_EQ(d.error, SyncError::kOk);
  EXPECT_EQ(d.skipped_options, 1u);
  EXPECT_EQ(r, reference_record());
}

TEST(SyncRecord, UnknownMandatoryOptionRejectsRecordOnly) {
  const auto b = with_options("07 02 aa bb");
  ConnRecord r;
  const RecordDecode d = decode_record(b, r);
  EXPECT_EQ(d.error, SyncError::kUnknownOption);
  EXPECT_EQ(d.size, b.size());  // so a message decoder can step over it
  EXPECT_TRUE(is_record_local(d.error));
}

TEST(SyncRecord, OptionFramingErrors) {
  EXPECT_EQ(decode_err(with_options("01")), SyncError::kBadOption);                 // header cut
  EXPECT_EQ(decode_err(with_options("02 00")), SyncError::kBadOption);              // zero length
  EXPECT_EQ(decode_err(with_options("02 05 aa bb")), SyncError::kBadOption);        // overruns
  EXPECT_EQ(decode_err(with_options("01 04 00 00 00 00")), SyncError::kBadOption);  // seq != 24
  EXPECT_EQ(decode_err(with_options("03 11 " + std::string(34, 'a'))),
            SyncError::kBadOption);  // PE name 17 > 16
  EXPECT_FALSE(is_record_local(SyncError::kBadOption));
}

TEST(SyncRecord, DuplicateOptionsRejected) {
  const std::string seq = "01 18 " + std::string(48, '0');
  EXPECT_EQ(decode_err(with_options(seq + seq)), SyncError::kDuplicateOption);
  EXPECT_EQ(decode_err(with_options("02 01 aa 02 01 bb 03 01 61")), SyncError::kDuplicateOption);
  EXPECT_EQ(decode_err(with_options("02 01 aa 03 01 61 03 01 62")), SyncError::kDuplicateOption);
  // The skippable bit does not make a known option repeatable.
  EXPECT_EQ(decode_err(with_options(seq + "41 18 " + std::string(48, '0'))),
            SyncError::kDuplicateOption);
}

TEST(SyncRecord, PeDataWithoutNameRejected) {
  EXPECT_EQ(decode_err(with_options("02 02 aa bb")), SyncError::kBadPeData);
  EXPECT_TRUE(is_record_local(SyncError::kBadPeData));
}

TEST(SyncRecord, BadTypeVersionAndSize) {
  auto b = reference_record_bytes();
  b[0] = 2;
  EXPECT_EQ(decode_err(b), SyncError::kBadRecordType);
  b = reference_record_bytes();
  b[2] = 0x10;  // version 1
  EXPECT_EQ(decode_err(b), SyncError::kBadRecordVersion);
  b = reference_record_bytes();
  b[3] = 35;  // shorter than the fixed IPv4 part
  EXPECT_EQ(decode_err(b), SyncError::kBadRecordSize);
  b = reference_record_bytes();
  b[0] = 1;  // claims IPv6 but only 36 bytes long
  EXPECT_EQ(decode_err(b), SyncError::kBadRecordSize);
}

TEST(SyncRecord, TruncationAtEveryLengthIsRejected) {
  const auto full = with_options("01 18 " + std::string(48, '1') + "02 01 aa 03 01 61");
  for (std::size_t n = 0; n < full.size(); ++n) {
    std::vector<std::uint8_t> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(decode_err(cut), SyncError::kTruncated) << "length " << n;
  }
  EXPECT_EQ(decode_err(full), SyncError::kOk);
}

TEST(SyncRecord, EncoderRefusesOversizedFields) {
  ConnRecord r = reference_record();
  r.pe_name = std::string(17, 'x');
  std::vector<std::uint8_t> out;
  EXPECT_EQ(append_record(r, out), SyncError::kFieldTooLong);
  r.pe_name = "sip";
  r.pe_data.assign(256, 1);
  EXPECT_EQ(append_record(r, out), SyncError::kFieldTooLong);
  r.pe_data.assign(255, 1);
  EXPECT_EQ(append_record(r, out), SyncError::kOk);
  std::array<std::uint8_t, 10> small{};
  std::size_t written = 99;
  EXPECT_EQ(encode_record(reference_record(), small, written), SyncError::kMessageFull);
  EXPECT_EQ(written, 0u);
}

TEST(SyncRecord, StreamFrameMustHoldExactlyOneRecord) {
  auto b = reference_record_bytes();
  ConnRecord r;
  EXPECT_EQ(decode_stream_record(b, r), SyncError::kOk);
  EXPECT_EQ(r, reference_record());
  b.push_back(0);
  EXPECT_EQ(decode_stream_record(b, r), SyncError::kTrailingBytes);
}

}  // namespace
}  // namespace tandem::sync
