#include "common/sync/receiver.h"

namespace tandem::sync {

PeerReceiver::PeerReceiver(ReceiverConfig cfg) : cfg_(cfg) {}

void PeerReceiver::reset_window(std::uint64_t epoch, std::uint64_t seq) {
  known_ = true;
  epoch_ = epoch;
  highest_ = seq;
  seen_.reset();
  seen_.set(0);
  gaps_.clear();
}

AcceptResult PeerReceiver::accept(std::uint64_t epoch, std::uint64_t seq, TimePoint now) {
  AcceptResult res;
  if (seq == 0) {
    res.error = SyncError::kReplay;  // never sent by a correct sender
    return res;
  }
  if (!known_) {
    reset_window(epoch, seq);
    res.event = PeerEvent::kFirstContact;
    pending_resync_ = ResyncReason::kJoin;
    return res;
  }
  if (epoch < epoch_) {
    res.error = SyncError::kStaleEpoch;
    return res;
  }
  if (epoch > epoch_) {
    reset_window(epoch, seq);
    res.event = PeerEvent::kPeerRestarted;
    pending_resync_ = ResyncReason::kPeerRestart;
    return res;
  }
  if (seq > highest_) {
    const std::uint64_t advance = seq - highest_;
    if (advance > 1) {
      gaps_.push_back(Gap{highest_ + 1, seq - 1, now, false});
    }
    if (advance >= kReplayWindow) {
      seen_.reset();
    } else {
      seen_ <<= static_cast<std::size_t>(advance);
    }
    seen_.set(0);
    highest_ = seq;
    if (gaps_.size() > cfg_.max_gaps) {
      gaps_.clear();
      pending_resync_ = ResyncReason::kGap;
    }
    return res;
  }
  const std::uint64_t age = highest_ - seq;
  if (age >= kReplayWindow || seen_.test(static_cast<std::size_t>(age))) {
    res.error = SyncError::kReplay;
    return res;
  }
  seen_.set(static_cast<std::size_t>(age));
  fill(seq);
  return res;
}

void PeerReceiver::fill(std::uint64_t seq) {
  for (std::size_t i = 0; i < gaps_.size(); ++i) {
    Gap& g = gaps_[i];
    if (seq < g.first || seq > g.last) continue;
    if (g.first == g.last) {
      gaps_.erase(gaps_.begin() + static_cast<std::ptrdiff_t>(i));
    } else if (seq == g.first) {
      ++g.first;
    } else if (seq == g.last) {
      --g.last;
    } else {
      Gap upper{seq + 1, g.last, g.noticed, g.retransmit_asked};
      g.last = seq - 1;
      gaps_.insert(gaps_.begin() + static_cast<std::ptrdiff_t>(i) + 1, upper);
    }
    return;
  }
}

std::vector<SyncAction> PeerReceiver::poll(TimePoint now) {
  std::vector<SyncAction> out;
  auto resync = [&](ResyncReason reason) {
    out.push_back(SyncAction{SyncAction::Type::kRequestResync, 0, 0, reason});
    gaps_.clear();
    pending_resync_.reset();
    awaiting_resync_ = true;
    resync_asked_ = now;
  };
  if (pending_resync_) {
    resync(*pending_resync_);
    return out;
  }
  if (awaiting_resync_ && now - resync_asked_ >= cfg_.resync_timeout) {
    resync(ResyncReason::kTimeout);
    return out;
  }
  for (const Gap& g : gaps_) {
    // A hole that slid out of the replay window can never be filled: any
    // retransmission of it would be refused as a replay.
    const bool unfillable = highest_ - g.first >= kReplayWindow;
    if (unfillable || now - g.noticed >= cfg_.resync_after) {
      resync(ResyncReason::kGap);
      return out;
    }
  }
  for (Gap& g : gaps_) {
    if (!g.retransmit_asked && now - g.noticed >= cfg_.retransmit_after) {
      g.retransmit_asked = true;
      // Ask for at most what one request may carry; the rest waits for resync_after.
      const std::uint64_t last =
          g.last - g.first >= kMaxRetransmitRange ? g.first + kMaxRetransmitRange - 1 : g.last;
      out.push_back(
          SyncAction{SyncAction::Type::kRequestRetransmit, g.first, last, ResyncReason::kGap});
    }
  }
  return out;
}

}  // namespace tandem::sync
