#pragma once
// When each check runs: a steady interval while results are good, a shorter
// retry delay after a failure (so a down server is confirmed or cleared
// quickly), a random start offset so a thousand checks configured at once do
// not fire in the same millisecond, and a deadline per run.

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/util/clock.h"

namespace tandem::health {

struct CheckTiming {
  Duration interval = std::chrono::seconds(10);  // ldirectord checkinterval
  Duration retry_interval{};                     // after a failure; zero = interval
  Duration timeout = std::chrono::seconds(5);    // ldirectord checktimeout
  Duration start_jitter{};                       // first run in [now, now + jitter]

  bool operator==(const CheckTiming&) const = default;
};

// Seeded by the caller: tests pass a fixed seed, healthd a random one.
using Rng = std::mt19937_64;

class CheckSchedule {
 public:
  CheckSchedule(CheckTiming timing, TimePoint now, Rng& rng);

  TimePoint next_due() const { return next_due_; }
  bool running() const { return running_; }
  const CheckTiming& timing() const { return timing_; }

  // Marks the run started and returns its deadline.
  TimePoint start(TimePoint now);
  // Runs stay on the cadence of their start times, so a slow check does not
  // push every later run back; never due before the run ended, though.
  void finish(bool ok, TimePoint now);
  // New timing on reload: the next run comes no later than the new interval.
  void retime(CheckTiming timing, TimePoint now);

 private:
  CheckTiming timing_;
  TimePoint next_due_;
  TimePoint started_;
  bool running_ = false;
};

// Uniform offset in [0, max]; exposed for the jitter tests.
Duration jitter(Duration max, Rng& rng);

// All checks of the daemon, keyed by monitor key. Idle checks are indexed by
// due time, so finding what is due costs O(due), not O(checks), per wake-up.
class Scheduler {
 public:
  explicit Scheduler(std::uint64_t seed) : rng_(seed) {}

  // Adds or replaces (a restarted check is due again after a fresh jitter).
  void add(const std::string& key, CheckTiming timing, TimePoint now);
  void remove(const std::string& key);
  bool contains(const std::string& key) const { return checks_.contains(key); }
  const CheckSchedule* find(const std::string& key) const;

  // Unknown keys are ignored (a result racing a reload); start then returns now.
  TimePoint start(const std::string& key, TimePoint now);
  void finish(const std::string& key, bool ok, TimePoint now);
  void retime(const std::string& key, CheckTiming timing, TimePoint now);

  // Keys due at `now` and not running, earliest first (ties: in the order
  // they were added); at most `limit`.
  std::vector<std::string> due(TimePoint now, std::size_t limit = SIZE_MAX) const;
  // When the loop should wake next (the earliest due time of an idle check).
  std::optional<TimePoint> next_wakeup() const;

 private:
  // The idle index holds a number per check, given when it is added, that
  // orders checks due at the same instant (all those a wake-up started come
  // back due together). With the key string copied into the index and
  // compared on ties, and an ordered map searched by long keys sharing a
  // prefix, start and finish were a fifth of healthd's instructions per check.
  struct Entry {
    CheckSchedule schedule;
    std::uint64_t seq;
    const std::string* key;  // the map's own key: unordered_map nodes never move
  };
  using IdleEntry = std::pair<TimePoint, std::uint64_t>;

  void index(const Entry& e);
  void unindex(const Entry& e);

  Rng rng_;
  std::uint64_t next_seq_ = 0;
  std::unordered_map<std::string, Entry> checks_;
  std::map<IdleEntry, const Entry*> idle_;
};

}  // namespace tandem::health
