#include "common/sync/error.h"

namespace tandem::sync {

const char* to_string(SyncError e) {
  switch (e) {
    case SyncError::kOk:
      return "ok";
    case SyncError::kTruncated:
      return "truncated";
    case SyncError::kBadSize:
      return "bad_size";
    case SyncError::kBadVersion:
      return "bad_version";
    case SyncError::kWrongSyncId:
      return "wrong_syncid";
    case SyncError::kTrailingBytes:
      return "trailing_bytes";
    case SyncError::kBadPadding:
      return "bad_padding";
    case SyncError::kBadRecordType:
      return "bad_record_type";
    case SyncError::kBadRecordVersion:
      return "bad_record_version";
    case SyncError::kBadRecordSize:
      return "bad_record_size";
    case SyncError::kBadOption:
      return "bad_option";
    case SyncError::kDuplicateOption:
      return "duplicate_option";
    case SyncError::kUnknownOption:
      return "unknown_option";
    case SyncError::kBadPeData:
      return "bad_pe_data";
    case SyncError::kFieldTooLong:
      return "field_too_long";
    case SyncError::kMessageFull:
      return "message_full";
    case SyncError::kBadMagic:
      return "bad_magic";
    case SyncError::kBadEnvelopeVersion:
      return "bad_envelope_version";
    case SyncError::kUnknownKind:
      return "unknown_kind";
    case SyncError::kUnknownKey:
      return "unknown_key";
    case SyncError::kBadHmac:
      return "bad_hmac";
    case SyncError::kBadBody:
      return "bad_body";
    case SyncError::kReplay:
      return "replay";
    case SyncError::kStaleEpoch:
      return "stale_epoch";
    case SyncError::kSequenceExhausted:
      return "sequence_exhausted";
    case SyncError::kCount:
      break;
  }
  return "unknown";
}

std::uint64_t RejectCounters::total() const {
  std::uint64_t sum = 0;
  for (auto c : counts_) sum += c;
  return sum;
}

}  // namespace tandem::sync
