#pragma once
// Health of one virtual service: every real server's ServerHealth, the
// quorum (min_up with hysteresis), the fallback ("sorry") server and the
// table the director should have. Changes come out as a diff against what
// was last told to the director, plus events for alertd.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/util/clock.h"
#include "healthd/core/result.h"
#include "healthd/core/server_health.h"

namespace tandem::health {

enum class OnFailure {
  kRemove,   // take a failed server out of the table
  kQuiesce,  // keep it with weight 0 so established connections finish
};

// One of a real server's checks. Each has its own rise/fall; the server is
// up only while every one of them is.
struct MonitorSpec {
  std::string name;  // unique within the server, e.g. "http-ok"
  HealthPolicy policy;
  // Opaque fingerprint of the check definition (type, target, parameters):
  // when it changes on reload this monitor's state restarts.
  std::string check_signature;

  bool operator==(const MonitorSpec&) const = default;
};

struct RealServerSpec {
  std::string id;  // unique within the service, e.g. "198.18.1.11:80"
  int weight = 1;
  // Every check that judges the server. Empty: the server has one check,
  // unnamed, described by policy and check_signature below (the common case,
  // kept short to write).
  std::vector<MonitorSpec> monitors;
  HealthPolicy policy;
  std::string check_signature;

  // The effective list (never empty).
  std::vector<MonitorSpec> checks() const;
  bool operator==(const RealServerSpec&) const = default;
};

// A real server as the service sees it: one ServerHealth per monitor (their
// own maintenance flags are unused) and the server's maintenance.
class ServerState {
 public:
  struct Check {
    MonitorSpec spec;
    ServerHealth health;
  };

  bool up() const { return checked_up() && !maintenance_; }
  // Every monitor says up.
  bool checked_up() const;
  bool maintenance() const { return maintenance_; }
  // Some monitor has reported (or state was restored).
  bool has_result() const;
  // The weakest monitor's view: the fewest successes, the most failures.
  int consecutive_successes() const;
  int consecutive_failures() const;
  const std::vector<Check>& checks() const { return checks_; }
  const Check* check(std::string_view monitor) const;

 private:
  friend class ServiceHealth;
  std::vector<Check> checks_;
  bool maintenance_ = false;
};

struct FallbackSpec {
  std::string id;
  int weight = 1;
  bool operator==(const FallbackSpec&) const = default;
};

struct ServiceSpec {
  std::string name;
  std::vector<RealServerSpec> servers;
  std::optional<FallbackSpec> fallback;
  // Quorum is lost when fewer than min_up - hysteresis servers are up and
  // restored when at least min_up + hysteresis are, so a count hovering at
  // the threshold does not flap (keepalived's quorum/hysteresis).
  int min_up = 1;
  int quorum_hysteresis = 0;
  OnFailure on_failure = OnFailure::kRemove;
};

enum class ActionOp { kAdd, kSetWeight, kRemove };

struct DirectorAction {
  std::string service;
  std::string server;
  ActionOp op = ActionOp::kAdd;
  int weight = 0;  // for kAdd and kSetWeight
  bool operator==(const DirectorAction&) const = default;
};

enum class EventKind { kServerUp, kServerDown, kQuorumLost, kQuorumRestored };

struct HealthEvent {
  EventKind kind = EventKind::kServerDown;
  std::string service;
  std::string server;   // empty for quorum events
  std::string summary;  // the check's summary that caused the change
  TimePoint at;
};

struct ServerSnapshot {
  std::string id;
  std::string monitor;  // the monitor's name; one entry per monitor
  std::string check_signature;
  bool checked_up = false;
  int successes = 0;
  int failures = 0;
  bool maintenance = false;
  bool operator==(const ServerSnapshot&) const = default;
};

struct ServiceSnapshot {
  std::string service;
  bool has_quorum = false;
  std::vector<ServerSnapshot> servers;
  bool operator==(const ServiceSnapshot&) const = default;
};

struct ReloadReport {
  std::vector<std::string> kept, restarted, added, removed;
};

class ServiceHealth {
 public:
  explicit ServiceHealth(ServiceSpec spec);

  // Unknown server ids or monitor names are ignored (a result racing a
  // reload). A server goes down when any monitor goes down (the event quotes
  // that monitor's summary) and up when the last one comes up.
  void record(std::string_view server, std::string_view monitor, const CheckResult& result,
              TimePoint now);
  // The server's first monitor (servers with one check).
  void record(std::string_view server, const CheckResult& result, TimePoint now);
  // Returns false for an unknown server.
  bool set_maintenance(std::string_view server, bool on, TimePoint now);

  // Changes to the director table since the last call: adds first, then
  // weight changes, then removals, so a fallback replacing the last server
  // is in place before that server leaves.
  std::vector<DirectorAction> take_actions();
  std::vector<HealthEvent> take_events();

  // The table the director should have now: server id -> weight.
  std::map<std::string, int> desired_table() const;

  // Applies a new definition: unchanged monitors keep their state, monitors
  // whose check or policy changed restart, removed ones are dropped (and
  // removed servers leave the director with the next take_actions). A server
  // is reported kept when all its monitors kept their state.
  ReloadReport reload(ServiceSpec spec, TimePoint now);

  ServiceSnapshot snapshot() const;
  // Takes over the state of monitors whose server id, name and check
  // signature match; others keep their initial state. Emits no events.
  void restore(const ServiceSnapshot& snap);
  // After a restart: the director's current table (id -> weight) becomes the
  // baseline, so only real differences are sent. Servers not restored from a
  // snapshot take their state from it (present with weight > 0 = up).
  void adopt_director_table(const std::map<std::string, int>& table);

  const ServiceSpec& spec() const { return spec_; }
  const ServerState* server(std::string_view id) const;
  int up_count() const;
  bool has_quorum() const { return has_quorum_; }
  bool fallback_active() const { return spec_.fallback.has_value() && !has_quorum_; }

 private:
  struct Entry {
    RealServerSpec spec;
    ServerState state;
    bool known = false;  // state came from results or a snapshot, not defaults
  };

  static Entry make_entry(const RealServerSpec& spec);
  Entry* find(std::string_view id);
  void on_transition(const Entry& e, bool up, const std::string& reason, TimePoint now);
  void update_quorum(const std::string& summary, TimePoint now, bool emit);

  void reindex();

  ServiceSpec spec_;
  std::vector<Entry> entries_;
  // id -> index in entries_: a result looks its server up once per check.
  std::unordered_map<std::string, std::size_t> index_;
  bool has_quorum_ = false;
  bool restored_ = false;  // quorum came from a snapshot
  bool dirty_ = true;      // the desired table may differ from applied_
  std::map<std::string, int> applied_;
  std::vector<HealthEvent> events_;
};

}  // namespace tandem::health
