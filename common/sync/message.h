#pragma once
// IPVS sync version-1 messages: an 8-byte header followed by nr_conns records,
// each starting on a 4-byte boundary. Layout (big-endian):
//
//   0 u8 reserved = 0   1 u8 syncid   2 be16 size (whole message)
//   4 u8 nr_conns       5 s8 version = 1   6 be16 spare = 0
//
// Like the kernel, the builder pads before a record, never after the last
// one, so size counts exactly the bytes sent.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/sync/error.h"
#include "common/sync/record.h"

namespace tandem::sync {

inline constexpr std::size_t kMessageHeaderSize = 8;
inline constexpr std::uint8_t kSyncProtocolVersion = 1;
inline constexpr std::size_t kMaxRecordsPerMessage = 255;  // nr_conns is one byte

// Largest UDP payload over IPv4 for a link MTU (1500 -> 1472); 0 if the MTU
// is too small to carry even an empty message.
std::size_t max_message_size_for_mtu(std::size_t mtu);

struct DecodeOptions {
  std::uint8_t syncid = 0;  // 0 accepts every syncid, as in IPVS
};

struct RecordReject {
  std::size_t index = 0;  // position in the message
  SyncError error = SyncError::kOk;
};

struct DecodedMessage {
  std::uint8_t syncid = 0;
  std::vector<ConnRecord> records;
  std::vector<RecordReject> rejected;  // records dropped on their own (unknown option, bad PE)
  std::uint32_t skipped_options = 0;
};

// Decodes a whole datagram. A non-kOk result drops the entire message;
// per-record rejections are listed in out.rejected and the rest is kept.
SyncError decode_message(std::span<const std::uint8_t> in, const DecodeOptions& opts,
                         DecodedMessage& out);

// Fills one message up to a size limit.
class MessageBuilder {
 public:
  MessageBuilder(std::uint8_t syncid, std::size_t max_size);

  // kOk: appended. kMessageFull: does not fit (the message is unchanged; send
  // it and retry on an empty builder). kFieldTooLong: the record can never be
  // encoded, or is larger than an empty message could hold.
  SyncError add(const ConnRecord& r);

  std::size_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  std::size_t size() const { return buf_.size(); }

  // Returns the finished message and starts a new, empty one.
  std::vector<std::uint8_t> finish();

 private:
  void reset();

  std::uint8_t syncid_;
  std::size_t max_size_;
  std::size_t count_ = 0;
  std::vector<std::uint8_t> buf_;
};

// Packs records into as few messages as fit max_size each, in order. Records
// that can never be encoded are skipped and counted in *unencodable.
std::vector<std::vector<std::uint8_t>> batch_records(std::span<const ConnRecord> records,
                                                     std::uint8_t syncid, std::size_t max_size,
                                                     std::size_t* unencodable = nullptr);

}  // namespace tandem::sync
