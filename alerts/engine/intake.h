#pragma once
// What other daemons publish, in alertd's terms. healthd's `health.*` events
// and vrrpd's `vrrp.state` become Events for the same path as the `event`
// command. Pure: no sockets, so the mapping and the reconnect catch-up are
// tested with plain JSON.
//
// Severities (see docs/alerts.md): one real server down is a warning (the
// service still serves from the others), a service without quorum is
// critical, a director in fault is critical, a director taking over or losing
// mastership is a warning, anything else (recoveries, start-up init->backup)
// is info.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alerts/core/event.h"
#include "common/ipc/message.h"

namespace tandem::alerts {

struct IntakeStats {
  std::uint64_t events = 0;     // publications turned into alert events
  std::uint64_t ignored = 0;    // topics that are not alerts (health.actions)
  std::uint64_t malformed = 0;  // missing or mistyped fields: counted, dropped
  std::uint64_t caught_up = 0;  // transitions found by a snapshot after a reconnect
};

class Intake {
 public:
  // One publication; empty when it is not an alert or is malformed.
  std::vector<Event> health_event(std::string_view topic, const ipc::Json& data);
  std::vector<Event> vrrp_event(const ipc::Json& data);

  // The answer to `health` / `vrrp` after a (re)connect. The first one only
  // records where things stand (alertd just started: it cannot know what
  // changed before); later ones yield the transitions missed while the link
  // was down, so a healthd or vrrpd restart does not swallow an alert.
  std::vector<Event> health_snapshot(const ipc::Json& result);
  std::vector<Event> vrrp_snapshot(const ipc::Json& result);

  // While vrrpd says this director is backup (no instance master), healthd's
  // alerts are left to the active director unless backup_alerts is set: both
  // check the same servers, so both would send the same mail.
  void set_backup_alerts(bool on) { backup_alerts_ = on; }
  bool silenced_as_backup() const;
  // Silenced events are held, the latest per service/server (a recovery
  // drops its failure), so a director that becomes active still reports
  // what is wrong at that moment: release() hands over the held failures.
  void hold(std::vector<Event> events);
  std::vector<Event> release();

  const IntakeStats& stats() const { return stats_; }

 private:
  struct ServerState {
    bool up = false;
    std::string summary;
  };
  std::vector<Event> cert_event(const ipc::Json& data);
  std::optional<Event> vrrp_change(const std::string& instance, const std::string& previous,
                                   const ipc::Json& data);

  bool backup_alerts_ = false;
  std::map<std::pair<std::string, std::string>, Event> held_;
  bool health_seen_ = false;
  bool vrrp_seen_ = false;
  std::map<std::pair<std::string, std::string>, ServerState> servers_;
  std::map<std::string, bool> quorum_;
  std::map<std::string, std::string> roles_;  // instance -> state
  IntakeStats stats_;
};

}  // namespace tandem::alerts
