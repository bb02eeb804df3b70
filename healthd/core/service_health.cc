#include "healthd/core/service_health.h"

#include <algorithm>
#include <utility>

namespace tandem::health {

std::vector<MonitorSpec> RealServerSpec::checks() const {
  if (!monitors.empty()) return monitors;
  return {MonitorSpec{"", policy, check_signature}};
}

bool ServerState::checked_up() const {
  return std::all_of(checks_.begin(), checks_.end(),
                     [](const Check& c) { return c.health.checked_up(); });
}

bool ServerState::has_result() const {
  return std::any_of(checks_.begin(), checks_.end(),
                     [](const Check& c) { return c.health.has_result(); });
}

int ServerState::consecutive_successes() const {
  int n = 1 << 30;
  for (const auto& c : checks_) n = std::min(n, c.health.consecutive_successes());
  return checks_.empty() ? 0 : n;
}

int ServerState::consecutive_failures() const {
  int n = 0;
  for (const auto& c : checks_) n = std::max(n, c.health.consecutive_failures());
  return n;
}

const ServerState::Check* ServerState::check(std::string_view monitor) const {
  for (const auto& c : checks_) {
    if (c.spec.name == monitor) return &c;
  }
  return nullptr;
}

ServiceHealth::Entry ServiceHealth::make_entry(const RealServerSpec& spec) {
  Entry e{spec, {}, false};
  for (auto& m : spec.checks()) {
    ServerHealth h(m.policy);
    e.state.checks_.push_back({std::move(m), std::move(h)});
  }
  return e;
}

ServiceHealth::ServiceHealth(ServiceSpec spec) : spec_(std::move(spec)) {
  for (const auto& s : spec_.servers) entries_.push_back(make_entry(s));
  reindex();
  has_quorum_ = up_count() >= spec_.min_up;
}

void ServiceHealth::reindex() {
  index_.clear();
  for (std::size_t i = 0; i < entries_.size(); ++i) index_.try_emplace(entries_[i].spec.id, i);
}

ServiceHealth::Entry* ServiceHealth::find(std::string_view id) {
  const auto it = index_.find(std::string(id));
  return it == index_.end() ? nullptr : &entries_[it->second];
}

const ServerState* ServiceHealth::server(std::string_view id) const {
  const auto it = index_.find(std::string(id));
  return it == index_.end() ? nullptr : &entries_[it->second].state;
}

int ServiceHealth::up_count() const {
  return static_cast<int>(std::count_if(entries_.begin(), entries_.end(),
                                        [](const Entry& e) { return e.state.up(); }));
}

void ServiceHealth::record(std::string_view server, const CheckResult& result, TimePoint now) {
  Entry* e = find(server);
  if (e == nullptr || e->state.checks_.empty()) return;
  record(server, e->state.checks_.front().spec.name, result, now);
}

void ServiceHealth::record(std::string_view server, std::string_view monitor,
                           const CheckResult& result, TimePoint now) {
  Entry* e = find(server);
  if (e == nullptr) return;
  auto c = std::find_if(e->state.checks_.begin(), e->state.checks_.end(),
                        [&](const ServerState::Check& x) { return x.spec.name == monitor; });
  if (c == e->state.checks_.end()) return;
  const bool was_up = e->state.up();
  e->known = true;
  c->health.record(result, now);
  if (e->state.up() == was_up) return;
  // Name the monitor when there are several, so the event says which failed.
  const std::string reason =
      e->state.checks_.size() > 1 ? c->spec.name + ": " + result.summary : result.summary;
  on_transition(*e, e->state.up(), reason, now);
}

bool ServiceHealth::set_maintenance(std::string_view server, bool on, TimePoint now) {
  Entry* e = find(server);
  if (e == nullptr) return false;
  const bool was_up = e->state.up();
  e->state.maintenance_ = on;
  if (e->state.up() != was_up) {
    on_transition(*e, e->state.up(), on ? "maintenance on" : "maintenance off", now);
  }
  return true;
}

void ServiceHealth::on_transition(const Entry& e, bool up, const std::string& reason,
                                  TimePoint now) {
  events_.push_back(HealthEvent{up ? EventKind::kServerUp : EventKind::kServerDown, spec_.name,
                                e.spec.id, reason, now});
  update_quorum(reason, now, true);
}

void ServiceHealth::update_quorum(const std::string& summary, TimePoint now, bool emit) {
  // Every path that can change the desired table passes here.
  dirty_ = true;
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
    if (e.state.up()) {
      t[e.spec.id] = e.spec.weight;
    } else if (spec_.on_failure == OnFailure::kQuiesce) {
      t[e.spec.id] = 0;
    }
  }
  if (fallback_active()) t[spec_.fallback->id] = spec_.fallback->weight;
  return t;
}

std::vector<DirectorAction> ServiceHealth::take_actions() {
  // Most results change nothing: skip rebuilding the table for them, it
  // would cost O(servers) per check.
  if (!dirty_) return {};
  dirty_ = false;
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
    Entry e = make_entry(s);
    if (old == nullptr) {
      report.added.push_back(s.id);
      next.push_back(std::move(e));
      continue;
    }
    // A monitor whose check and policy are unchanged keeps its state: its
    // results are still valid whatever happened to the server's others.
    bool all_kept = true;
    for (auto& c : e.state.checks_) {
      auto prev = std::find_if(old->state.checks_.begin(), old->state.checks_.end(),
                               [&](const ServerState::Check& o) { return o.spec == c.spec; });
      if (prev == old->state.checks_.end()) {
        all_kept = false;
      } else {
        c.health = std::move(prev->health);
      }
    }
    e.state.maintenance_ = old->state.maintenance_;
    e.known = old->known && all_kept;
    (all_kept ? report.kept : report.restarted).push_back(s.id);
    // Dropping a failing monitor can bring a server up (or a new one can
    // take it down until it has results): that is a change subscribers hear.
    if (e.state.up() != old->state.up()) {
      events_.push_back(HealthEvent{e.state.up() ? EventKind::kServerUp : EventKind::kServerDown,
                                    spec.name, s.id, "reload", now});
    }
    next.push_back(std::move(e));
  }
  for (const auto& e : entries_) {
    const bool still = std::any_of(spec.servers.begin(), spec.servers.end(),
                                   [&](const RealServerSpec& s) { return s.id == e.spec.id; });
    if (!still) report.removed.push_back(e.spec.id);
  }
  spec_ = std::move(spec);
  entries_ = std::move(next);
  reindex();
  update_quorum("reload", now, true);
  return report;
}

ServiceSnapshot ServiceHealth::snapshot() const {
  ServiceSnapshot snap{spec_.name, has_quorum_, {}};
  for (const auto& e : entries_) {
    if (!e.known) continue;
    for (const auto& c : e.state.checks_) {
      snap.servers.push_back(ServerSnapshot{e.spec.id, c.spec.name, c.spec.check_signature,
                                            c.health.checked_up(),
                                            c.health.consecutive_successes(),
                                            c.health.consecutive_failures(),
                                            e.state.maintenance_});
    }
  }
  return snap;
}

void ServiceHealth::restore(const ServiceSnapshot& snap) {
  for (const auto& s : snap.servers) {
    Entry* e = find(s.id);
    if (e == nullptr) continue;
    for (auto& c : e->state.checks_) {
      if (c.spec.name != s.monitor || c.spec.check_signature != s.check_signature) continue;
      c.health.restore(s.checked_up, s.successes, s.failures, false);
      e->state.maintenance_ = s.maintenance;
      e->known = true;
    }
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
    for (auto& c : e.state.checks_) {
      const HealthPolicy& p = c.health.policy();
      c.health.restore(up, up ? p.rise : 0, up ? 0 : p.fall, false);
    }
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
