#pragma once
// Sender side of the envelope: one sequence counter per (sender id, epoch)
// and a bounded history of sealed datagrams, so a retransmit request is
// answered with the very bytes first sent (same seq, same HMAC).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "common/sync/envelope.h"
#include "common/sync/error.h"

namespace tandem::sync {

class EnvelopeSender {
 public:
  // epoch must grow across restarts of this sender (the adapter picks e.g. the
  // wall-clock start time in ns or a persisted counter).
  EnvelopeSender(std::uint64_t sender_id, std::uint64_t epoch, std::size_t history_capacity);

  // Seals body under the next sequence number and remembers the result.
  // kSequenceExhausted once 2^64-1 numbers are used: restart with a new epoch.
  SyncError seal(EnvelopeKind kind, std::span<const std::uint8_t> body, const KeyRing& ring,
                 std::vector<std::uint8_t>& out);

  struct Retransmit {
    std::vector<std::span<const std::uint8_t>> datagrams;  // valid until the next seal()
    // Part of the range is no longer in the history: answer with a resync.
    bool need_resync = false;
  };
  // Sequence numbers never sent yet are ignored (a confused or hostile peer).
  Retransmit retransmit(std::uint64_t first, std::uint64_t last) const;

  std::uint64_t sender_id() const { return sender_id_; }
  std::uint64_t epoch() const { return epoch_; }
  std::uint64_t next_seq() const { return next_seq_; }

 private:
  struct Sent {
    std::uint64_t seq;
    std::vector<std::uint8_t> bytes;
  };

  std::uint64_t sender_id_;
  std::uint64_t epoch_;
  std::uint64_t next_seq_ = 1;  // 0 is never used, so "nothing seen" needs no flag
  std::size_t capacity_;
  std::deque<Sent> history_;
};

}  // namespace tandem::sync
