#pragma once
// Health of one virtual service: every real server's ServerHealth, the
// quorum (min_up with hysteresis), the fallback ("sorry") server and the
// table the director should have. Changes come out as a diff against what
// was last told to the director, plus events for alertd.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/util/clock.h"
#include "healthd/core/result.h"
#include "healthd/core/server_health.h"

namespace tandem::health {

enum class OnFailure {
  kRemove,   // take a failed server out of the table
  kQuiesce,  // keep it with weight 0 so established connections finish
};

struct RealServerSpec {
  std::string id;  // unique within the service, e.g. "198.18.1.11:80"
  int weight = 1;
  HealthPolicy policy;
  // Opaque fingerprint of the check definition (type, target, parameters):
  // when it changes on reload the server's state restarts.
  std::string check_signature;

  bool operator==(const RealServerSpec&) const = default;
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

  // Unknown server ids are ignored (a result racing a reload).
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

  // Applies a new definition: unchanged servers keep their state, servers
  // whose check or policy changed restart, removed ones are dropped (and
  // removed from the director by the next take_actions).
  ReloadReport reload(ServiceSpec spec, TimePoint now);

  ServiceSnapshot snapshot() const;
  // Takes over the state of servers whose id and check signature match;
  // others keep their initial state. Emits no events.
  void restore(const ServiceSnapshot& snap);
  // After a restart: the director's current table (id -> weight) becomes the
  // baseline, so only real differences are sent. Servers not restored from a
  // snapshot take their state from it (present with weight > 0 = up).
  void adopt_director_table(const std::map<std::string, int>& table);

  const ServiceSpec& spec() const { return spec_; }
  const ServerHealth* server(std::string_view id) const;
  int up_count() const;
  bool has_quorum() const { return has_quorum_; }
  bool fallback_active() const { return spec_.fallback.has_value() && !has_quorum_; }

 private:
  struct Entry {
    RealServerSpec spec;
    ServerHealth health;
    bool known = false;  // state came from results or a snapshot, not defaults
  };

  Entry* find(std::string_view id);
  void on_transition(const Entry& e, const Transition& t, TimePoint now);
  void update_quorum(const std::string& summary, TimePoint now, bool emit);

  ServiceSpec spec_;
  std::vector<Entry> entries_;
  bool has_quorum_ = false;
  bool restored_ = false;  // quorum came from a snapshot
  std::map<std::string, int> applied_;
  std::vector<HealthEvent> events_;
};

}  // namespace tandem::health
