#pragma once
// Up/down state of one real server as seen by one monitor: rise/fall
// hysteresis over consecutive results, an initial-state policy, maintenance
// (forced down by the operator) and a bounded ring of recent results.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/util/clock.h"
#include "healthd/core/result.h"

namespace tandem::health {

enum class InitialState {
  kDown,         // must earn `rise` successes before traffic (the safe default)
  kUp,           // trusted until `fall` failures (ldirectord's behaviour)
  kFirstResult,  // the first result decides at once, then rise/fall apply
};

struct HealthPolicy {
  int rise = 1;  // consecutive successes to go up
  int fall = 1;  // consecutive failures to go down (ldirectord failurecount)
  InitialState initial = InitialState::kDown;
  std::size_t history = 16;  // results kept for `tandemctl status`

  bool operator==(const HealthPolicy&) const = default;
};

struct HistoryEntry {
  TimePoint at;
  bool ok = false;
  Duration latency{};
  std::string summary;
};

// A change of the effective state (checked state combined with maintenance).
struct Transition {
  bool up = false;
  std::string reason;  // the failing check's summary, or "maintenance on/off"
};

class ServerHealth {
 public:
  explicit ServerHealth(HealthPolicy policy = {});

  // Feeds one check result; returns the transition when the effective state
  // changed because of it.
  std::optional<Transition> record(const CheckResult& result, TimePoint now);
  std::optional<Transition> set_maintenance(bool on);

  // Effective state: what the director should act on.
  bool up() const { return checked_up_ && !maintenance_; }
  bool checked_up() const { return checked_up_; }
  bool maintenance() const { return maintenance_; }
  bool has_result() const { return has_result_; }
  int consecutive_successes() const { return successes_; }
  int consecutive_failures() const { return failures_; }
  const HealthPolicy& policy() const { return policy_; }

  // Oldest first.
  std::vector<HistoryEntry> history() const;
  std::optional<HistoryEntry> last() const;

  // Restores counters from a snapshot or an adopted director state; the
  // history is not carried over (it is diagnostics, not state).
  void restore(bool checked_up, int successes, int failures, bool maintenance);

 private:
  HealthPolicy policy_;
  bool checked_up_ = false;
  bool maintenance_ = false;
  bool has_result_ = false;
  int successes_ = 0;
  int failures_ = 0;
  std::vector<HistoryEntry> ring_;
  std::size_t ring_next_ = 0;  // where the next entry goes once the ring is full
};

}  // namespace tandem::health
