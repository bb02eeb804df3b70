#pragma once
// What alertd is told: one event per observation from any daemon. Failure
// kinds open or continue an episode, recovery kinds close it, notices stand
// alone, and test events always go out.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/util/clock.h"

namespace tandem::alerts {

enum class EventKind : std::uint8_t {
  kServerDown,
  kServerUp,
  kQuorumLost,
  kQuorumRestored,
  kRoleChange,  // a role change of unknown direction (the `event` command's role_change)
  kVrrpMaster,  // this director became master
  kVrrpBackup,  // ... became backup (or init): it lost or never had mastership
  kVrrpFault,
  kCertExpiry,  // a monitored certificate nears its end
  kSyncTrouble,
  kSyncRestored,  // closes a sync_trouble episode
  kDaemonRestart,
  kTest,
};

enum class Severity : std::uint8_t { kInfo, kWarning, kCritical };

// Which failure/recovery pair a kind belongs to; notices and tests have none.
enum class Family : std::uint8_t { kServer, kQuorum, kSync, kNone };

struct Event {
  EventKind kind = EventKind::kTest;
  Severity severity = Severity::kInfo;
  std::string service;
  std::string server;   // empty when the event concerns the whole service
  std::string summary;  // one line, like the first line of mon monitor output
  std::string detail;   // free text, may be long and multi-line
  TimePoint time;  // producer's monotonic time; policy timing uses the "now" given to the engine
  std::int64_t wall_time = 0;  // Unix seconds for display only; 0 = unknown
};

Family family(EventKind k);
bool is_failure(EventKind k);
bool is_recovery(EventKind k);
// The failure kind a recovery closes (server_up -> server_down), else k.
EventKind failure_kind_of(EventKind k);

std::string_view to_string(EventKind k);
std::string_view to_string(Severity s);
std::optional<EventKind> parse_event_kind(std::string_view s);
std::optional<Severity> parse_severity(std::string_view s);

}  // namespace tandem::alerts
