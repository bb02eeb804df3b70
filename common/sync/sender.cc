#include "common/sync/sender.h"

#include <limits>

namespace tandem::sync {

EnvelopeSender::EnvelopeSender(std::uint64_t sender_id, std::uint64_t epoch,
                               std::size_t history_capacity)
    : sender_id_(sender_id), epoch_(epoch), capacity_(history_capacity) {}

SyncError EnvelopeSender::seal(EnvelopeKind kind, std::span<const std::uint8_t> body,
                               const KeyRing& ring, std::vector<std::uint8_t>& out) {
  if (next_seq_ == std::numeric_limits<std::uint64_t>::max()) return SyncError::kSequenceExhausted;
  EnvelopeHeader h;
  h.kind = kind;
  h.sender_id = sender_id_;
  h.epoch = epoch_;
  h.seq = next_seq_;
  const SyncError e = seal_envelope(h, body, ring, out);
  if (e != SyncError::kOk) return e;
  ++next_seq_;
  if (capacity_ > 0) {
    if (history_.size() == capacity_) history_.pop_front();
    history_.push_back(Sent{h.seq, out});
  }
  return SyncError::kOk;
}

EnvelopeSender::Retransmit EnvelopeSender::retransmit(std::uint64_t first,
                                                      std::uint64_t last) const {
  Retransmit r;
  if (first == 0) first = 1;
  if (last >= next_seq_) last = next_seq_ - 1;
  if (first > last) return r;
  const std::uint64_t oldest = history_.empty() ? next_seq_ : history_.front().seq;
  if (first < oldest) r.need_resync = true;
  for (const Sent& s : history_) {
    if (s.seq >= first && s.seq <= last) r.datagrams.emplace_back(s.bytes);
  }
  return r;
}

}  // namespace tandem::sync
