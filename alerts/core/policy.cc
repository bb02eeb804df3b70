#include "alerts/core/policy.h"

#include <algorithm>
#include <string_view>

namespace tandem::alerts {
namespace {

// Notices are keyed by kind rather than family; offset past the families.
constexpr std::uint8_t kNoticeKeyBase = 100;

template <class T>
bool contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

PolicyEngine::PolicyEngine(std::vector<Route> routes, std::size_t max_tracked)
    : routes_(std::move(routes)), max_tracked_(max_tracked) {}

bool PolicyEngine::matches(const Route& r, const Event& ev) const {
  const bool is_test = ev.kind == EventKind::kTest;
  if (!r.match.services.empty() && !(is_test && ev.service.empty()) &&
      !contains(r.match.services, ev.service)) {
    return false;
  }
  if (is_test) return true;  // a test must reach every route it can, whatever its filters
  // A role change of unknown direction (role_change from the `event`
  // command) reaches a route that asks for any of the VRRP kinds.
  const bool any_role = ev.kind == EventKind::kRoleChange &&
                        (contains(r.match.kinds, EventKind::kVrrpMaster) ||
                         contains(r.match.kinds, EventKind::kVrrpBackup) ||
                         contains(r.match.kinds, EventKind::kVrrpFault));
  if (!r.match.kinds.empty() && !contains(r.match.kinds, ev.kind) && !any_role &&
      !(is_recovery(ev.kind) && contains(r.match.kinds, failure_kind_of(ev.kind)))) {
    return false;
  }
  // Recoveries usually carry a low severity; the pairing rule (an up alert
  // only after a down alert) decides for them instead.
  return is_recovery(ev.kind) || ev.severity >= r.match.min_severity;
}

PolicyEngine::State* PolicyEngine::lookup(const Key& k, bool create) {
  auto it = state_.find(k);
  if (it != state_.end()) return &it->second;
  if (!create) return nullptr;
  if (state_.size() >= max_tracked_) {
    // Make room by forgetting something with nothing pending: a notice's
    // rate-limit memory or an episode with no alert held.
    auto victim = std::find_if(state_.begin(), state_.end(), [](const auto& kv) {
      return !kv.second.failing && !kv.second.held;
    });
    if (victim == state_.end()) {
      ++stats_.state_overflow;
      return nullptr;
    }
    state_.erase(victim);
  }
  return &state_[k];
}

bool PolicyEngine::quiet_now(const Route& r, const Event& ev, LocalTime local) const {
  return ev.severity < Severity::kCritical && in_any_window(r.policy.quiet, local);
}

void PolicyEngine::emit(std::size_t ri, AlertType type, const Event& ev, std::uint32_t number,
                        Duration outage, bool released, std::vector<Decision>& out) {
  const Route& r = routes_[ri];
  std::vector<std::string_view> done;
  for (const std::string& sender : r.senders) {
    if (contains(done, std::string_view(sender))) continue;
    done.push_back(sender);
    out.push_back(Decision{ri, r.name, sender, type, ev, number, outage, released});
    ++stats_.sent;
  }
}

std::vector<Decision> PolicyEngine::on_event(const Event& ev, TimePoint now, LocalTime local) {
  std::vector<Decision> out;
  ++stats_.events;
  bool routed = false;
  for (std::size_t ri = 0; ri < routes_.size(); ++ri) {
    if (!matches(routes_[ri], ev)) continue;
    routed = true;
    if (ev.kind == EventKind::kTest) {
      emit(ri, AlertType::kTest, ev, 0, Duration{0}, false, out);
    } else if (is_failure(ev.kind)) {
      on_failure(ri, ev, now, local, out);
    } else if (is_recovery(ev.kind)) {
      on_recovery(ri, ev, now, local, out);
    } else {
      on_notice(ri, ev, now, local, out);
    }
  }
  if (!routed) ++stats_.unrouted;
  return out;
}

void PolicyEngine::on_failure(std::size_t ri, const Event& ev, TimePoint now, LocalTime local,
                              std::vector<Decision>& out) {
  const Route& route = routes_[ri];
  const RoutePolicy& p = route.policy;
  State scratch;
  State* st =
      lookup(Key{ri, static_cast<std::uint8_t>(family(ev.kind)), ev.service, ev.server}, true);
  if (st == nullptr) st = &scratch;

  if (!st->failing) {
    // A new episode: counters, the numalerts budget and alertevery start over.
    const bool keep_held = st->held;  // an up alert still waiting for quiet hours to end
    State fresh;
    fresh.held = keep_held;
    fresh.held_type = st->held_type;
    fresh.held_event = std::move(st->held_event);
    fresh.held_outage = st->held_outage;
    *st = std::move(fresh);
    st->failing = true;
    st->first_failure = now;
  }
  ++st->consecutive;

  bool ready = true;
  const bool by_count = p.alertafter_count > 0;
  const bool by_window = p.alertafter_window > Duration{0};
  if (by_count && !by_window) {
    ready = st->consecutive >= p.alertafter_count;
  } else if (!by_count && by_window) {
    ready = now - st->first_failure > p.alertafter_window;
  } else if (by_count && by_window) {
    if (st->window_count == 0 || now - st->window_start > p.alertafter_window) {
      st->window_count = 1;
      st->window_start = now;
    } else {
      ++st->window_count;
    }
    ready = st->window_count >= p.alertafter_count;
  }

  const bool changed = !st->has_prev || (p.observe_detail ? ev.detail != st->prev_detail
                                                          : ev.summary != st->prev_summary);
  st->has_prev = true;
  st->prev_summary = ev.summary;
  st->prev_detail = ev.detail;

  if (!ready) {
    ++stats_.suppressed_alertafter;
    return;
  }
  if (p.numalerts > 0 && st->alerts_sent >= p.numalerts) {
    ++stats_.suppressed_numalerts;
    return;
  }
  if (p.alertevery > Duration{0} && st->has_last_alert && now - st->last_alert < p.alertevery &&
      (p.alertevery_strict || !changed)) {
    ++stats_.suppressed_alertevery;
    return;
  }
  if (quiet_now(route, ev, local)) {
    if (p.quiet_action == QuietAction::kHold) {
      st->held = true;
      st->held_type = AlertType::kFailure;
      st->held_event = ev;  // the latest word wins
      ++stats_.held_quiet;
    } else {
      ++stats_.dropped_quiet;
    }
    return;
  }
  st->held = false;
  ++st->alerts_sent;
  st->has_last_alert = true;
  st->last_alert = now;
  emit(ri, AlertType::kFailure, ev, st->alerts_sent, Duration{0}, false, out);
}

void PolicyEngine::on_recovery(std::size_t ri, const Event& ev, TimePoint now, LocalTime local,
                               std::vector<Decision>& out) {
  const Route& route = routes_[ri];
  const RoutePolicy& p = route.policy;
  const Key key{ri, static_cast<std::uint8_t>(family(ev.kind)), ev.service, ev.server};
  State* st = lookup(key, false);
  if (st == nullptr || !st->failing) {
    ++stats_.recovery_without_failure;
    return;
  }
  const Duration outage = now - st->first_failure;
  const bool down_sent = st->alerts_sent > 0;
  // A failure alert still held for quiet hours was never sent; it is moot now.
  st->held = false;
  if (!down_sent) {
    ++stats_.suppressed_no_down_alert;
    state_.erase(key);
    return;
  }
  if (!p.upalert) {
    state_.erase(key);
    return;
  }
  if (outage < p.upalertafter) {
    ++stats_.suppressed_upalertafter;
    state_.erase(key);
    return;
  }
  if (quiet_now(route, ev, local)) {
    if (p.quiet_action == QuietAction::kHold) {
      State holder;
      holder.held = true;
      holder.held_type = AlertType::kUp;
      holder.held_event = ev;
      holder.held_outage = outage;
      *st = std::move(holder);
      ++stats_.held_quiet;
    } else {
      ++stats_.dropped_quiet;
      state_.erase(key);
    }
    return;
  }
  state_.erase(key);
  emit(ri, AlertType::kUp, ev, 0, outage, false, out);
}

void PolicyEngine::on_notice(std::size_t ri, const Event& ev, TimePoint now, LocalTime local,
                             std::vector<Decision>& out) {
  const Route& route = routes_[ri];
  const RoutePolicy& p = route.policy;
  State scratch;
  State* st = lookup(Key{ri, static_cast<std::uint8_t>(kNoticeKeyBase + static_cast<int>(ev.kind)),
                         ev.service, ev.server},
                     true);
  if (st == nullptr) st = &scratch;
  const bool changed = !st->has_prev || (p.observe_detail ? ev.detail != st->prev_detail
                                                          : ev.summary != st->prev_summary);
  st->has_prev = true;
  st->prev_summary = ev.summary;
  st->prev_detail = ev.detail;
  if (p.alertevery > Duration{0} && st->has_last_alert && now - st->last_alert < p.alertevery &&
      (p.alertevery_strict || !changed)) {
    ++stats_.suppressed_alertevery;
    return;
  }
  // A notice describes a moment, not a lasting state: nothing to report later.
  if (quiet_now(route, ev, local)) {
    ++stats_.dropped_quiet;
    return;
  }
  st->has_last_alert = true;
  st->last_alert = now;
  emit(ri, AlertType::kNotice, ev, 0, Duration{0}, false, out);
}

std::vector<Decision> PolicyEngine::tick(TimePoint now, LocalTime local) {
  std::vector<Decision> out;
  for (auto it = state_.begin(); it != state_.end();) {
    State& st = it->second;
    const std::size_t ri = std::get<0>(it->first);
    if (!st.held || in_any_window(routes_[ri].policy.quiet, local)) {
      ++it;
      continue;
    }
    st.held = false;
    ++stats_.released;
    if (st.held_type == AlertType::kFailure) {
      ++st.alerts_sent;
      st.has_last_alert = true;
      st.last_alert = now;
      emit(ri, AlertType::kFailure, st.held_event, st.alerts_sent, Duration{0}, true, out);
      ++it;
    } else {
      emit(ri, AlertType::kUp, st.held_event, 0, st.held_outage, true, out);
      it = st.failing ? std::next(it) : state_.erase(it);
    }
  }
  return out;
}

}  // namespace tandem::alerts
