#include "healthd/core/scheduler.h"

#include <algorithm>
#include <utility>

namespace tandem::health {

Duration jitter(Duration max, Rng& rng) {
  if (max <= Duration::zero()) return Duration::zero();
  const auto span = static_cast<std::uint64_t>(max.count());
  // Modulo bias is at most span / 2^64: irrelevant for spreading checks.
  const std::uint64_t r = span == UINT64_MAX ? rng() : rng() % (span + 1);
  return Duration(static_cast<Duration::rep>(r));
}

CheckSchedule::CheckSchedule(CheckTiming timing, TimePoint now, Rng& rng)
    : timing_(timing), next_due_(now + jitter(timing.start_jitter, rng)), started_(now) {}

TimePoint CheckSchedule::start(TimePoint now) {
  running_ = true;
  started_ = now;
  return now + timing_.timeout;
}

void CheckSchedule::finish(bool ok, TimePoint now) {
  running_ = false;
  const Duration period = (!ok && timing_.retry_interval > Duration::zero())
                              ? timing_.retry_interval
                              : timing_.interval;
  next_due_ = std::max(started_ + period, now);
}

void CheckSchedule::retime(CheckTiming timing, TimePoint now) {
  timing_ = timing;
  next_due_ = std::min(next_due_, now + timing_.interval);
}

void Scheduler::add(const std::string& key, CheckTiming timing, TimePoint now) {
  checks_.insert_or_assign(key, CheckSchedule(timing, now, rng_));
}

void Scheduler::remove(const std::string& key) {
  checks_.erase(key);
}

CheckSchedule* Scheduler::find(const std::string& key) {
  auto it = checks_.find(key);
  return it == checks_.end() ? nullptr : &it->second;
}

std::vector<std::string> Scheduler::due(TimePoint now) const {
  std::vector<std::pair<TimePoint, std::string>> d;
  for (const auto& [k, c] : checks_) {
    if (!c.running() && c.next_due() <= now) d.emplace_back(c.next_due(), k);
  }
  std::sort(d.begin(), d.end());
  std::vector<std::string> out;
  out.reserve(d.size());
  for (auto& [t, k] : d) out.push_back(std::move(k));
  return out;
}

std::optional<TimePoint> Scheduler::next_wakeup() const {
  std::optional<TimePoint> best;
  for (const auto& [k, c] : checks_) {
    if (c.running()) continue;
    if (!best || c.next_due() < *best) best = c.next_due();
  }
  return best;
}

}  // namespace tandem::health
