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
  // A run the loop starts a little early (to share a wake-up) keeps the
  // cadence of its due time: otherwise every early start would shorten the
  // interval. Its deadline still counts the whole timeout from now.
  started_ = std::max(now, next_due_);
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

void Scheduler::index(const Entry& e) {
  if (!e.schedule.running()) idle_.emplace(IdleEntry{e.schedule.next_due(), e.seq}, &e);
}

void Scheduler::unindex(const Entry& e) {
  if (!e.schedule.running()) idle_.erase(IdleEntry{e.schedule.next_due(), e.seq});
}

void Scheduler::add(const std::string& key, CheckTiming timing, TimePoint now) {
  remove(key);
  auto [it, inserted] =
      checks_.emplace(key, Entry{CheckSchedule(timing, now, rng_), next_seq_++, nullptr});
  it->second.key = &it->first;
  index(it->second);
}

void Scheduler::remove(const std::string& key) {
  auto it = checks_.find(key);
  if (it == checks_.end()) return;
  unindex(it->second);
  checks_.erase(it);
}

const CheckSchedule* Scheduler::find(const std::string& key) const {
  auto it = checks_.find(key);
  return it == checks_.end() ? nullptr : &it->second.schedule;
}

TimePoint Scheduler::start(const std::string& key, TimePoint now) {
  auto it = checks_.find(key);
  if (it == checks_.end()) return now;
  unindex(it->second);
  return it->second.schedule.start(now);
}

void Scheduler::finish(const std::string& key, bool ok, TimePoint now) {
  auto it = checks_.find(key);
  if (it == checks_.end() || !it->second.schedule.running()) return;
  it->second.schedule.finish(ok, now);
  index(it->second);
}

void Scheduler::retime(const std::string& key, CheckTiming timing, TimePoint now) {
  auto it = checks_.find(key);
  if (it == checks_.end()) return;
  unindex(it->second);
  it->second.schedule.retime(timing, now);
  index(it->second);
}

std::vector<std::string> Scheduler::due(TimePoint now, std::size_t limit) const {
  std::vector<std::string> out;
  for (auto it = idle_.begin(); it != idle_.end() && it->first.first <= now && out.size() < limit;
       ++it) {
    out.push_back(*it->second->key);
  }
  return out;
}

std::optional<TimePoint> Scheduler::next_wakeup() const {
  if (idle_.empty()) return std::nullopt;
  return idle_.begin()->first.first;
}

}  // namespace tandem::health
