#include "healthd/core/service_health.h"

#include <algorithm>
#include <utility>

namespace tandem::health {

ServiceHealth::ServiceHealth(ServiceSpec spec) : spec_(std::move(spec)) {
  for (const auto& s : spec_.servers) entries_.push_back(Entry{s, ServerHealth(s.policy), false});
  has_quorum_ = up_count() >= spec_.min_up;
}

ServiceHealth::Entry* ServiceHealth::find(std::string_view id) {
  for (auto& e : entries_) {
    if (e.spec.id == id) return &e;
  }
  return nullptr;
}

const ServerHealth* ServiceHealth::server(std::string_view id) const {
  for (const auto& e : entries_) {
    if (e.spec.id == id) return &e.health;
  }
  return nullptr;
}

int ServiceHealth::up_count() const {
  return static_cast<int>(std::count_if(entries_.begin(), entries_.end(),
                                        [](const Entry& e) { return e.health.up(); }));
}

void ServiceHealth::record(std::string_view server, const CheckResult& result, TimePoint now) {
  Entry* e = find(server);
  if (e == nullptr) return;
  e->known = true;
  if (auto t = e->health.record(result, now)) on_transition(*e, *t, now);
}

bool ServiceHealth::set_maintenance(std::string_view server, bool on, TimePoint now) {
  Entry* e = find(server);
  if (e == nullptr) return false;
  if (auto t = e->health.set_maintenance(on)) on_transition(*e, *t, now);
  return true;
}

void ServiceHealth::on_transition(const Entry& e, const Transition& t, TimePoint now) {
  events_.push_back(HealthEvent{t.up ? EventKind::kServerUp : EventKind::kServerDown, spec_.name,
                                e.spec.id, t.reason, now});
  update_quorum(t.reason, now, true);
}

void ServiceHealth::update_quorum(const std::string& summary, TimePoint now, bool emit) {
  const int up = up_count();
  bool changed = false;
  if (has_quorum_ && up < spec_.min_up - spec_.quorum_hysteresis) {
    has_quorum_ = false;
    changed = true;
  } else if (!has_quorum_ && up >= spec_.min_up + spec_.quorum_hysteresis) {
    has_quorum_ = true;
    changed = true;
  }
  if (changed && emit) {
    events_.push_back(HealthEvent{has_quorum_ ? EventKind::kQuorumRestored : EventKind::kQuorumLost,
                                  spec_.name, "", summary, now});
  }
}

std::map<std::string, int> ServiceHealth::desired_table() const {
  std::map<std::string, int> t;
  for (const auto& e : entries_) {
    if (e.health.up()) {
      t[e.spec.id] = e.spec.weight;
    } else if (spec_.on_failure == OnFailure::kQuiesce) {
      t[e.spec.id] = 0;
    }
  }
  if (fallback_active()) t[spec_.fallback->id] = spec_.fallback->weight;
  return t;
}

std::vector<DirectorAction> ServiceHealth::take_actions() {
  const auto want = desired_table();
  std::vector<DirectorAction> adds, sets, removes;
  for (const auto& [id, w] : want) {
    auto it = applied_.find(id);
    if (it == applied_.end()) {
      adds.push_back({spec_.name, id, ActionOp::kAdd, w});
    } else if (it->second != w) {
      sets.push_back({spec_.name, id, ActionOp::kSetWeight, w});
    }
  }
  for (const auto& [id, w] : applied_) {
    if (!want.contains(id)) removes.push_back({spec_.name, id, ActionOp::kRemove, 0});
  }
  applied_ = want;
  adds.insert(adds.end(), sets.begin(), sets.end());
  adds.insert(adds.end(), removes.begin(), removes.end());
  return adds;
}

std::vector<HealthEvent> ServiceHealth::take_events() {
  return std::exchange(events_, {});
}

ReloadReport ServiceHealth::reload(ServiceSpec spec, TimePoint now) {
  ReloadReport report;
  std::vector<Entry> next;
  for (const auto& s : spec.servers) {
    Entry* old = find(s.id);
    if (old == nullptr) {
      report.added.push_back(s.id);
      next.push_back(Entry{s, ServerHealth(s.policy), false});
    } else if (old->spec.check_signature == s.check_signature && old->spec.policy == s.policy) {
      // Only the weight (or nothing) changed: health is still valid.
      report.kept.push_back(s.id);
      next.push_back(Entry{s, std::move(old->health), old->known});
    } else {
      report.restarted.push_back(s.id);
      next.push_back(Entry{s, ServerHealth(s.policy), false});
    }
  }
  for (const auto& e : entries_) {
    const bool still = std::any_of(spec.servers.begin(), spec.servers.end(),
                                   [&](const RealServerSpec& s) { return s.id == e.spec.id; });
    if (!still) report.removed.push_back(e.spec.id);
  }
  spec_ = std::move(spec);
  entries_ = std::move(next);
  update_quorum("reload", now, true);
  return report;
}

ServiceSnapshot ServiceHealth::snapshot() const {
  ServiceSnapshot snap{spec_.name, has_quorum_, {}};
  for (const auto& e : entries_) {
    if (!e.known) continue;
    snap.servers.push_back(ServerSnapshot{e.spec.id, e.spec.check_signature, e.health.checked_up(),
                                          e.health.consecutive_successes(),
                                          e.health.consecutive_failures(), e.health.maintenance()});
  }
  return snap;
}

void ServiceHealth::restore(const ServiceSnapshot& snap) {
  for (const auto& s : snap.servers) {
    Entry* e = find(s.id);
    if (e == nullptr || e->spec.check_signature != s.check_signature) continue;
    e->health.restore(s.checked_up, s.successes, s.failures, s.maintenance);
    e->known = true;
  }
  has_quorum_ = snap.has_quorum;
  restored_ = true;
  // The snapshot's quorum may not fit the restored servers (a config change
  // while healthd was down); settle it quietly, it is not news.
  update_quorum("", TimePoint{}, false);
}

void ServiceHealth::adopt_director_table(const std::map<std::string, int>& table) {
  // Entries we do not know (servers dropped from the config while healthd was
  // down) stay in the baseline so the next take_actions removes them.
  applied_ = table;
  for (auto& e : entries_) {
    auto it = table.find(e.spec.id);
    if (e.known) continue;
    const bool up = it != table.end() && it->second > 0;
    const int rise = e.health.policy().rise;
    e.health.restore(up, up ? rise : 0, up ? 0 : e.health.policy().fall, e.health.maintenance());
    e.known = true;
  }
  if (spec_.fallback) {
    // The director serving from the fallback means quorum was lost.
    has_quorum_ = !table.contains(spec_.fallback->id);
  } else if (!restored_) {
    has_quorum_ = up_count() >= spec_.min_up;
  }
  update_quorum("", TimePoint{}, false);
}

}  // namespace tandem::health
