#pragma once
// The mon-style alert policy as a pure state machine: events and "now" in,
// "send alert X to sender Y" decisions out. Semantics follow mon's do_alert
// (see alerts/core/README.md for each rule and where Tandem differs).

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "alerts/core/event.h"
#include "alerts/core/quiet.h"
#include "common/util/clock.h"

namespace tandem::alerts {

struct RouteMatch {
  Severity min_severity = Severity::kInfo;  // not applied to recoveries (see README)
  std::vector<std::string> services;        // empty = any
  std::vector<EventKind> kinds;             // empty = any; a failure kind also admits its recovery
};

enum class QuietAction : std::uint8_t {
  kHold,  // keep the latest alert per episode and send it when quiet hours end
  kDrop,  // count it and forget it
};

struct RoutePolicy {
  // alertafter: count only = N consecutive failures; window only = failing for
  // longer than T; both = N failures within T. Neither = alert on the first.
  std::uint32_t alertafter_count = 0;
  Duration alertafter_window{0};
  // alertevery: inside T after the last alert, repeat only if the summary
  // (observe_detail: the detail) changed since the previous failure; strict
  // ignores changes.
  Duration alertevery{0};
  bool alertevery_strict = false;
  bool observe_detail = false;
  std::uint32_t numalerts = 0;  // failure alerts per episode; 0 = unlimited
  bool upalert = true;
  Duration upalertafter{0};  // up alert only if the outage lasted at least this long
  std::vector<QuietWindow> quiet;
  QuietAction quiet_action = QuietAction::kHold;
};

struct Route {
  std::string name;
  RouteMatch match;
  std::vector<std::string> senders;  // duplicates are sent to once
  RoutePolicy policy;
};

enum class AlertType : std::uint8_t { kFailure, kUp, kNotice, kTest };

struct Decision {
  std::size_t route_index = 0;
  std::string route;
  std::string sender;
  AlertType type = AlertType::kFailure;
  Event event;
  std::uint32_t alert_number = 0;  // failure alerts: 1-based count in this episode
  Duration outage{0};              // up alerts: first failure -> recovery
  bool released_after_quiet = false;
};

struct PolicyStats {
  std::uint64_t events = 0;
  std::uint64_t unrouted = 0;  // matched no route
  std::uint64_t sent = 0;      // decisions (per sender)
  std::uint64_t suppressed_alertafter = 0;
  std::uint64_t suppressed_alertevery = 0;
  std::uint64_t suppressed_numalerts = 0;
  std::uint64_t suppressed_no_down_alert = 0;  // up alert with no down alert sent
  std::uint64_t suppressed_upalertafter = 0;
  std::uint64_t recovery_without_failure = 0;
  std::uint64_t held_quiet = 0;
  std::uint64_t dropped_quiet = 0;
  std::uint64_t released = 0;
  std::uint64_t state_overflow = 0;  // episode table full: evaluated without memory
};

class PolicyEngine {
 public:
  explicit PolicyEngine(std::vector<Route> routes, std::size_t max_tracked = 10000);

  // now: the adapter's monotonic time at receipt; local: the same instant in
  // the operator's local time, for quiet hours only.
  std::vector<Decision> on_event(const Event& ev, TimePoint now, LocalTime local);

  // Releases alerts held during quiet hours whose window has ended.
  std::vector<Decision> tick(TimePoint now, LocalTime local);

  const PolicyStats& stats() const { return stats_; }
  std::size_t tracked() const { return state_.size(); }
  const std::vector<Route>& routes() const { return routes_; }

 private:
  // (route, family-or-kind, service, server)
  using Key = std::tuple<std::size_t, std::uint8_t, std::string, std::string>;

  struct State {
    bool failing = false;
    TimePoint first_failure;
    std::uint32_t consecutive = 0;
    std::uint32_t window_count = 0;  // alertafter N T
    TimePoint window_start;
    std::uint32_t alerts_sent = 0;
    bool has_last_alert = false;
    TimePoint last_alert;
    bool has_prev = false;
    std::string prev_summary;
    std::string prev_detail;
    bool held = false;
    AlertType held_type = AlertType::kFailure;
    Event held_event;
    Duration held_outage{0};
  };

  bool matches(const Route& r, const Event& ev) const;
  State* lookup(const Key& k, bool create);
  void emit(std::size_t route, AlertType type, const Event& ev, std::uint32_t number,
            Duration outage, bool released, std::vector<Decision>& out);
  bool quiet_now(const Route& r, const Event& ev, LocalTime local) const;

  void on_failure(std::size_t ri, const Event& ev, TimePoint now, LocalTime local,
                  std::vector<Decision>& out);
  void on_recovery(std::size_t ri, const Event& ev, TimePoint now, LocalTime local,
                   std::vector<Decision>& out);
  void on_notice(std::size_t ri, const Event& ev, TimePoint now, LocalTime local,
                 std::vector<Decision>& out);

  std::vector<Route> routes_;
  std::size_t max_tracked_;
  std::map<Key, State> state_;
  PolicyStats stats_;
};

}  // namespace tandem::alerts
