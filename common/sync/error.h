#pragma once
// Every way a sync input can be refused. syncd keeps one counter per value, so
// an operator can tell a wrong syncid from a forged packet from a lossy link.

#include <array>
#include <cstddef>
#include <cstdint>

namespace tandem::sync {

enum class SyncError : std::uint8_t {
  kOk = 0,
  // IPVS message level.
  kTruncated,      // fewer bytes than a header or record needs
  kBadSize,        // header size field differs from the datagram length
  kBadVersion,     // not a version-1 message (reserved/spare non-zero, version != 1)
  kWrongSyncId,    // syncid filter set and the message carries another one
  kTrailingBytes,  // bytes after the last record the header announced
  kBadPadding,     // non-zero alignment bytes between records
  // Record level.
  kBadRecordType,     // type is neither 0 (IPv4) nor has bit 0 set (IPv6)
  kBadRecordVersion,  // high 4 bits of ver_size are not 0
  kBadRecordSize,     // record length smaller than its fixed part
  kBadOption,         // option header cut short, zero length, overruns the record, wrong length
  kDuplicateOption,   // the same known option twice in one record
  kUnknownOption,     // unknown option without the skippable bit: the record is dropped
  kBadPeData,         // PE data without a PE name (the kernel refuses these too)
  // Encoding.
  kFieldTooLong,  // PE data > 255 or PE name > 16 bytes
  kMessageFull,   // record does not fit in the remaining space
  // Tandem envelope.
  kBadMagic,
  kBadEnvelopeVersion,
  kUnknownKind,
  kUnknownKey,  // key id is neither the current nor the previous key
  kBadHmac,
  kBadBody,            // control body of the wrong length or with bad fields
  kReplay,             // sequence number already seen or older than the window
  kStaleEpoch,         // sender epoch older than the one we track: an old incarnation
  kSequenceExhausted,  // sender used all 2^64-1 sequence numbers; needs a new epoch
  kCount
};

const char* to_string(SyncError e);

// One counter per rejection reason; cheap enough to keep per peer.
class RejectCounters {
 public:
  void count(SyncError e) {
    if (e != SyncError::kOk && e < SyncError::kCount) ++counts_[static_cast<std::size_t>(e)];
  }
  std::uint64_t get(SyncError e) const {
    return e < SyncError::kCount ? counts_[static_cast<std::size_t>(e)] : 0;
  }
  std::uint64_t total() const;

 private:
  std::array<std::uint64_t, static_cast<std::size_t>(SyncError::kCount)> counts_{};
};

}  // namespace tandem::sync
