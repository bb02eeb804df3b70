#pragma once
// Receiver side of the envelope for one remote sender: epoch tracking
// (restart detection), an anti-replay window over 64-bit sequence numbers,
// and gap bookkeeping that turns losses into "ask for a retransmit", then
// "ask for a full resync" actions. Time only comes in as arguments.

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/sync/envelope.h"
#include "common/sync/error.h"
#include "common/util/clock.h"

namespace tandem::sync {

inline constexpr std::size_t kReplayWindow = 1024;

struct ReceiverConfig {
  Duration retransmit_after = std::chrono::milliseconds(50);  // reordering allowance
  Duration resync_after = std::chrono::seconds(2);            // a gap still open this long
  Duration resync_timeout = std::chrono::seconds(30);         // a requested resync not completed
  std::size_t max_gaps = 64;                                  // more holes than this: resync
};

enum class PeerEvent : std::uint8_t {
  kNone,
  kFirstContact,   // first accepted envelope from this sender
  kPeerRestarted,  // a newer epoch: the sender restarted and its counter began again
};

struct AcceptResult {
  SyncError error = SyncError::kOk;  // kReplay or kStaleEpoch when refused
  PeerEvent event = PeerEvent::kNone;
};

struct SyncAction {
  enum class Type : std::uint8_t { kRequestRetransmit, kRequestResync };
  Type type = Type::kRequestRetransmit;
  std::uint64_t first = 0;  // retransmit range, inclusive
  std::uint64_t last = 0;
  ResyncReason reason = ResyncReason::kGap;
  bool operator==(const SyncAction&) const = default;
};

class PeerReceiver {
 public:
  explicit PeerReceiver(ReceiverConfig cfg = {});

  // Call only after open_envelope succeeded, so forged packets never move the
  // window. A refused envelope leaves the state unchanged.
  AcceptResult accept(std::uint64_t epoch, std::uint64_t seq, TimePoint now);

  // Actions due at now. A resync action clears the open gaps (the full table
  // supersedes them) and starts the resync timeout.
  std::vector<SyncAction> poll(TimePoint now);

  // The last part of a resync arrived.
  void resync_complete() { awaiting_resync_ = false; }
  // Ask for a resync at the next poll (e.g. tandemctl).
  void request_resync(ResyncReason reason) { pending_resync_ = reason; }

  struct Gap {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    TimePoint noticed;
    bool retransmit_asked = false;
  };
  const std::vector<Gap>& gaps() const { return gaps_; }
  bool known() const { return known_; }
  std::uint64_t epoch() const { return epoch_; }
  std::uint64_t highest() const { return highest_; }
  bool awaiting_resync() const { return awaiting_resync_; }

 private:
  void reset_window(std::uint64_t epoch, std::uint64_t seq);
  void fill(std::uint64_t seq);

  ReceiverConfig cfg_;
  bool known_ = false;
  std::uint64_t epoch_ = 0;
  std::uint64_t highest_ = 0;
  std::bitset<kReplayWindow> seen_;  // bit i: highest_ - i was accepted
  std::vector<Gap> gaps_;
  std::optional<ResyncReason> pending_resync_;
  bool awaiting_resync_ = false;
  TimePoint resync_asked_;
};

}  // namespace tandem::sync
