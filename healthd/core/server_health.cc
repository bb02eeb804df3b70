#include "healthd/core/server_health.h"

#include <algorithm>
#include <utility>

namespace tandem::health {

ServerHealth::ServerHealth(HealthPolicy policy) : policy_(policy) {
  policy_.rise = std::max(policy_.rise, 1);
  policy_.fall = std::max(policy_.fall, 1);
  checked_up_ = policy_.initial == InitialState::kUp;
}

std::optional<Transition> ServerHealth::record(const CheckResult& result, TimePoint now) {
  const bool was_up = up();
  const bool first = !has_result_;
  has_result_ = true;

  if (policy_.history > 0) {
    HistoryEntry e{now, result.ok, result.latency, result.summary};
    if (ring_.size() < policy_.history) {
      // Whole at once: growing by doubling cost a reallocation and moves
      // every few of a server's first results.
      if (ring_.empty()) ring_.reserve(policy_.history);
      ring_.push_back(std::move(e));
    } else {
      ring_[ring_next_] = std::move(e);
      ring_next_ = (ring_next_ + 1) % ring_.size();
    }
  }

  // Any success clears the failure run and vice versa: only consecutive
  // results count, as ldirectord's failurecount does.
  if (result.ok) {
    ++successes_;
    failures_ = 0;
  } else {
    ++failures_;
    successes_ = 0;
  }
  if (first && policy_.initial == InitialState::kFirstResult) {
    checked_up_ = result.ok;
  } else if (!checked_up_ && successes_ >= policy_.rise) {
    checked_up_ = true;
  } else if (checked_up_ && failures_ >= policy_.fall) {
    checked_up_ = false;
  }
  // Counters saturate so a server that stays in one state for years cannot
  // overflow them.
  successes_ = std::min(successes_, 1 << 30);
  failures_ = std::min(failures_, 1 << 30);

  if (up() == was_up) return std::nullopt;
  return Transition{up(), result.summary};
}

std::optional<Transition> ServerHealth::set_maintenance(bool on) {
  const bool was_up = up();
  maintenance_ = on;
  if (up() == was_up) return std::nullopt;
  return Transition{up(), on ? "maintenance on" : "maintenance off"};
}

std::vector<HistoryEntry> ServerHealth::history() const {
  std::vector<HistoryEntry> out;
  out.reserve(ring_.size());
  for (std::size_t i = 0; i < ring_.size(); ++i) {
    out.push_back(ring_[(ring_next_ + i) % ring_.size()]);
  }
  return out;
}

std::optional<HistoryEntry> ServerHealth::last() const {
  if (ring_.empty()) return std::nullopt;
  return ring_[(ring_next_ + ring_.size() - 1) % ring_.size()];
}

void ServerHealth::restore(bool checked_up, int successes, int failures, bool maintenance) {
  checked_up_ = checked_up;
  successes_ = std::clamp(successes, 0, 1 << 30);
  failures_ = std::clamp(failures, 0, 1 << 30);
  maintenance_ = maintenance;
  has_result_ = true;
}

}  // namespace tandem::health
