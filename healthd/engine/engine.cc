#include "healthd/engine/engine.h"

#include <chrono>
#include <exception>
#include <optional>
#include <utility>
#include <string>

#include "common/log/log.h"
#include "healthd/core/reload.h"
#include "healthd/monitors/poller.h"

namespace tandem::health {
namespace {

// The director does not drain the outbox yet; keep the latest actions only.
constexpr std::size_t kOutboxLimit = 256;

// Checks started per timer wake-up (see on_timer).
constexpr std::size_t kStartBatch = 64;
// Checks due this close after a wake-up start with it rather than with a
// wake-up of their own: at thousands of checks a second spread by jitter,
// one wake-up per check (epoll_wait, timerfd_settime, a handler, and a
// separate poll for each check's answer) was a large part of a check's CPU.
// At 1,000 checks a second, 1 ms still left 0.7 blocking wake-ups per check.
// A run starts at most this much early, keeps its due time's cadence (see
// CheckSchedule::start) and gets its whole timeout; 5 ms against intervals
// of a second or more changes nothing an operator can see.
constexpr Duration kWakeSlack = std::chrono::milliseconds(5);

const char* topic_of(EventKind k) {
  switch (k) {
    case EventKind::kServerUp:
      return "health.server_up";
    case EventKind::kServerDown:
      return "health.server_down";
    case EventKind::kQuorumLost:
      return "health.quorum_lost";
    case EventKind::kQuorumRestored:
      return "health.quorum_restored";
  }
  return "health.unknown";
}

const char* op_name(ActionOp op) {
  switch (op) {
    case ActionOp::kAdd:
      return "restore";
    case ActionOp::kSetWeight:
      return "set_weight";
    case ActionOp::kRemove:
      return "remove";
  }
  return "?";
}

ipc::Json action_json(const DirectorAction& a) {
  // A weight set to zero is how a quiesce reaches the director.
  const char* op = a.op == ActionOp::kSetWeight && a.weight == 0 ? "quiesce" : op_name(a.op);
  return {{"service", a.service}, {"server", a.server}, {"op", op}, {"weight", a.weight}};
}

double ms(Duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}
double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

Engine::Engine(boost::asio::io_context& io, Publish publish, std::uint64_t seed)
    : io_(io), publish_(std::move(publish)), timer_(io), scheduler_(seed) {
  // The daemon's loop never idles: the http checks' poller may keep its
  // wait between checks instead of cancelling and re-arming it each time.
  Poller::of(io_)->keep_waiting(true);
}

Engine::~Engine() {
  stop();
}

void Engine::stop() {
  stopped_ = true;
  timer_.cancel();
  Poller::of(io_)->keep_waiting(false);
  for (auto& [key, check] : checks_) {
    if (check.monitor) check.monitor->cancel();
  }
}

void Engine::resume_from(ipc::Json director_services) {
  resume_ = std::move(director_services);
}

void Engine::apply(const config::Config& cfg) {
  const TimePoint t = now();
  EngineSetup setup = adapt(cfg);
  auto defs = monitor_defs(setup.checks);
  const ReloadPlan plan = plan_reload(defs_, defs);
  apply_reload(scheduler_, plan, defs, t);

  std::unordered_map<std::string, Check> next;
  for (auto& def : setup.checks) {
    auto old = checks_.find(def.key);
    Check c;
    if (old != checks_.end() && old->second.def.signature == def.signature) {
      c.monitor = std::move(old->second.monitor);
      c.id = old->second.id;
    } else {
      if (old != checks_.end() && old->second.monitor) old->second.monitor->cancel();
      c.monitor = make_monitor(io_, def.params);
      c.id = next_id_++;
    }
    c.def = std::move(def);
    next.emplace(c.def.key, std::move(c));
  }
  for (auto& [key, old] : checks_) {
    if (!next.contains(key) && old.monitor) old.monitor->cancel();
  }
  checks_ = std::move(next);
  by_id_.clear();
  for (auto& [key, check] : checks_) by_id_.emplace(check.id, &check);
  defs_ = std::move(defs);

  std::set<std::string> names;
  for (auto& spec : setup.services) {
    names.insert(spec.name);
    auto it = services_.find(spec.name);
    if (it == services_.end()) {
      const std::string name = spec.name;
      services_.emplace(name, ServiceHealth(std::move(spec)));
    } else {
      it->second.reload(std::move(spec), t);
    }
  }
  for (auto it = services_.begin(); it != services_.end();) {
    if (names.contains(it->first)) {
      ++it;
      continue;
    }
    // A removed service takes its servers out of the director first.
    ServiceSpec empty;
    empty.name = it->first;
    empty.min_up = it->second.spec().min_up;
    empty.on_failure = it->second.spec().on_failure;
    it->second.reload(std::move(empty), t);
    for (auto& a : it->second.take_actions()) outbox_.push_back(std::move(a));
    it = services_.erase(it);
  }
  if (resume_) {
    // Only the first configuration resumes: later ones are reloads.
    if (auto tables = director_tables(cfg, *resume_)) {
      for (auto& [name, table] : *tables) {
        auto it = services_.find(name);
        if (it == services_.end()) continue;
        it->second.adopt_director_table(table);
        ++resumed_services_;
      }
    }
    resume_.reset();
    log::info("health: resumed " + std::to_string(resumed_services_) +
              " services from the director's table");
  }
  config_maintenance_ = std::set<std::string>(setup.maintenance.begin(), setup.maintenance.end());
  apply_maintenance(t);
  drain(t);
  log::info("health: " + std::to_string(checks_.size()) + " checks (" +
            std::to_string(plan.kept.size()) + " kept, " + std::to_string(plan.restarted.size()) +
            " restarted, " + std::to_string(plan.added.size()) + " added, " +
            std::to_string(plan.removed.size()) + " removed)");
  arm();
}

void Engine::apply_maintenance(TimePoint t) {
  for (auto& [name, svc] : services_) {
    for (const auto& server : svc.spec().servers) {
      const std::string key = name + "/" + server.id;
      const bool on = config_maintenance_.contains(key) || operator_maintenance_.contains(key);
      const ServerState* h = svc.server(server.id);
      if (h && h->maintenance() != on) svc.set_maintenance(server.id, on, t);
    }
  }
}

bool Engine::set_maintenance(const std::string& service, const std::string& server, bool on) {
  auto it = services_.find(service);
  if (it == services_.end() || it->second.server(server) == nullptr) return false;
  const std::string key = service + "/" + server;
  if (on)
    operator_maintenance_.insert(key);
  else
    operator_maintenance_.erase(key);
  const TimePoint t = now();
  apply_maintenance(t);
  drain(t);
  return true;
}

void Engine::arm() {
  if (stopped_) return;
  const auto wake = scheduler_.next_wakeup();
  // Re-arming after every result would cost a cancel and a new wait per
  // check: the timer only moves when something is due before it fires (if
  // it fires early, on_timer finds nothing due and arms again).
  if (wake && armed_ && *armed_ <= *wake) return;
  timer_.cancel();
  armed_ = wake;
  if (!wake) return;
  timer_.expires_at(std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(wake->time_since_epoch())));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    armed_.reset();
    try {
      on_timer();
    } catch (const std::exception& e) {
      log::error(std::string("health: timer: ") + e.what());
    }
  });
}

void Engine::on_timer() {
  const TimePoint t = now();
  // A bounded batch per wake-up: when thousands of checks are due at once
  // (a loaded host fell behind, or a reload), starting them all in one
  // handler held back the answers already waiting, and every one of those
  // checks' latency grew by the whole batch. The rest are still due, so the
  // timer re-armed below fires again right after the loop has polled I/O.
  for (const auto& key : scheduler_.due(t + kWakeSlack, kStartBatch)) start_check(key, t);
  arm();
}

void Engine::start_check(const std::string& key, TimePoint t) {
  auto it = checks_.find(key);
  if (it == checks_.end() || !it->second.monitor) {
    scheduler_.remove(key);
    return;
  }
  const TimePoint deadline = scheduler_.start(key, t);
  const MonoTime mono(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(deadline.time_since_epoch()));
  it->second.monitor->start(it->second.def.target, mono, [this, id = it->second.id](CheckResult r) {
    try {
      on_result(id, r);
    } catch (const std::exception& e) {
      log::error(std::string("health: result of a check: ") + e.what());
    }
  });
}

void Engine::on_result(std::uint64_t id, const CheckResult& result) {
  if (stopped_) return;
  auto found = by_id_.find(id);
  if (found == by_id_.end()) return;
  Check& check = *found->second;
  const TimePoint t = now();
  ++results_;
  if (result.warning != check.warned) {
    check.warned = result.warning;
    if (!result.warning.empty()) {
      const auto& d = check.def;
      log::warn("health.cert_expiry " + d.service + "/" + d.server + " (" + d.monitor +
                "): " + result.warning);
      if (publish_)
        publish_("health.cert_expiry", {{"service", d.service},
                                        {"server", d.server},
                                        {"monitor", d.monitor},
                                        {"summary", result.warning}});
    }
  }
  scheduler_.finish(check.def.key, result.ok, t);
  auto svc = services_.find(check.def.service);
  if (svc != services_.end()) {
    svc->second.record(check.def.server, check.def.monitor, result, t);
    drain_one(svc->first, svc->second);
  }
  arm();
}

void Engine::drain(TimePoint) {
  for (auto& [name, svc] : services_) drain_one(name, svc);
}

void Engine::drain_one(const std::string& name, ServiceHealth& svc) {
  for (const auto& e : svc.take_events()) {
    log::info(std::string(topic_of(e.kind)) + " " + e.service + "/" + e.server + ": " +
              e.summary);
    if (publish_)
      publish_(topic_of(e.kind),
               {{"service", e.service}, {"server", e.server}, {"summary", e.summary}});
  }
  auto actions = svc.take_actions();
  if (actions.empty()) return;
  ipc::Json list = ipc::Json::array();
  for (auto& a : actions) {
    list.push_back(action_json(a));
    outbox_.push_back(std::move(a));
  }
  if (publish_) publish_("health.actions", {{"service", name}, {"actions", list}});
  while (outbox_.size() > kOutboxLimit) outbox_.pop_front();
}

ipc::Json Engine::status() const {
  std::size_t servers = 0, up = 0;
  for (const auto& [name, svc] : services_) {
    servers += svc.spec().servers.size();
    up += static_cast<std::size_t>(svc.up_count());
  }
  ipc::Json outbox = ipc::Json::array();
  for (const auto& a : outbox_) outbox.push_back(action_json(a));
  return {{"services", services_.size()},
          {"servers", servers},
          {"servers_up", up},
          {"checks", checks_.size()},
          {"resumed_services", resumed_services_},
          {"check_results", results_},
          {"director_outbox", outbox},
          {"director_outbox_note", "not consumed by tandem-director yet"}};
}

ipc::Json Engine::health(const std::string& only, bool with_history) const {
  const TimePoint t = now();
  auto entry_json = [t](const HistoryEntry& e) {
    return ipc::Json{{"ok", e.ok},
                     {"summary", e.summary},
                     {"latency_ms", ms(e.latency)},
                     {"age_s", seconds(t - e.at)}};
  };
  ipc::Json services = ipc::Json::array();
  for (const auto& [name, svc] : services_) {
    if (!only.empty() && name != only) continue;
    ipc::Json servers = ipc::Json::array();
    for (const auto& spec : svc.spec().servers) {
      const ServerState* h = svc.server(spec.id);
      if (!h) continue;
      const std::string state = h->maintenance()  ? "maintenance"
                                : h->up()         ? "up"
                                : h->has_result() ? "down"
                                                  : "pending";
      // The server's own last result and history merge its monitors', so a
      // one-monitor server reads as before; each monitor is also listed.
      std::optional<std::pair<HistoryEntry, std::string>> last;
      std::vector<std::pair<HistoryEntry, std::string>> merged;
      ipc::Json monitors = ipc::Json::array();
      ipc::Json target;
      const bool named = h->checks().size() > 1;
      for (const auto& c : h->checks()) {
        const auto def = checks_.find(name + "/" + spec.id + "/" + c.spec.name);
        ipc::Json m = {{"monitor", c.spec.name},
                       {"up", c.health.checked_up()},
                       {"consecutive_successes", c.health.consecutive_successes()},
                       {"consecutive_failures", c.health.consecutive_failures()}};
        if (def != checks_.end()) {
          m["type"] = def->second.def.type;
          m["target"] = def->second.def.target.to_string();
          if (target.is_null()) target = m["target"];
        }
        const auto l = c.health.last();
        m["last"] = l ? entry_json(*l) : ipc::Json();
        // One monitor: its history is the server's, not repeated here.
        ipc::Json history = ipc::Json::array();
        for (const auto& e : with_history ? c.health.history() : std::vector<HistoryEntry>{}) {
          if (named) history.push_back(entry_json(e));
          merged.emplace_back(e, c.spec.name);
        }
        if (named) m["history"] = std::move(history);
        // A down server's last result is the failing monitor's, the one that
        // explains the state; otherwise the most recent of all.
        if (l) {
          const bool explains = !l->ok && !c.health.checked_up();
          const bool have_explainer = last && !last->first.ok;
          if (!last || (explains && !have_explainer) ||
              (explains == have_explainer && l->at > last->first.at)) {
            last.emplace(*l, c.spec.name);
          }
        }
        monitors.push_back(std::move(m));
      }
      std::stable_sort(merged.begin(), merged.end(),
                       [](const auto& a, const auto& b) { return a.first.at < b.first.at; });
      ipc::Json history = ipc::Json::array();
      for (const auto& [e, mon] : merged) {
        auto j = entry_json(e);
        if (named) j["monitor"] = mon;
        history.push_back(std::move(j));
      }
      ipc::Json s = {{"server", spec.id},
                     {"state", state},
                     {"checked_up", h->checked_up()},
                     {"maintenance", h->maintenance()},
                     {"consecutive_successes", h->consecutive_successes()},
                     {"consecutive_failures", h->consecutive_failures()},
                     {"target", target},
                     {"monitors", std::move(monitors)},
                     {"history", std::move(history)}};
      if (last) {
        s["last"] = entry_json(last->first);
        if (named) s["last"]["monitor"] = last->second;
      } else {
        s["last"] = nullptr;
      }
      servers.push_back(std::move(s));
    }
    services.push_back({{"service", name},
                        {"has_quorum", svc.has_quorum()},
                        {"up", svc.up_count()},
                        {"fallback_active", svc.fallback_active()},
                        {"servers", std::move(servers)}});
  }
  return {{"services", std::move(services)}};
}

}  // namespace tandem::health
