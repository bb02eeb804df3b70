#include "alerts/engine/routes.h"

#include <algorithm>

namespace tandem::alerts {

EventKind from_config(config::EventKind k) {
  switch (k) {
    case config::EventKind::server_down:
      return EventKind::kServerDown;
    case config::EventKind::server_up:
      return EventKind::kServerUp;
    case config::EventKind::quorum_lost:
      return EventKind::kQuorumLost;
    case config::EventKind::quorum_restored:
      return EventKind::kQuorumRestored;
    case config::EventKind::vrrp_master:
      return EventKind::kVrrpMaster;
    case config::EventKind::vrrp_backup:
      return EventKind::kVrrpBackup;
    case config::EventKind::vrrp_fault:
      return EventKind::kVrrpFault;
    case config::EventKind::sync_peer_lost:
      return EventKind::kSyncTrouble;
    case config::EventKind::sync_peer_restored:
      return EventKind::kSyncRestored;
    case config::EventKind::cert_expiry:
      return EventKind::kCertExpiry;
    case config::EventKind::daemon_down:
    case config::EventKind::daemon_up:
      return EventKind::kDaemonRestart;
  }
  return EventKind::kTest;
}

Severity from_config(config::Severity s) {
  switch (s) {
    case config::Severity::info:
      return Severity::kInfo;
    case config::Severity::warning:
      return Severity::kWarning;
    case config::Severity::critical:
      return Severity::kCritical;
  }
  return Severity::kInfo;
}

std::vector<Route> policy_routes(const config::Alerts& alerts) {
  std::vector<Route> out;
  for (const config::Route& r : alerts.routes) {
    Route p;
    p.name = r.name;
    // The file lists severities; the engine keeps a floor: the lowest listed.
    if (!r.match.severities.empty()) {
      Severity lowest = Severity::kCritical;
      for (config::Severity s : r.match.severities) lowest = std::min(lowest, from_config(s));
      p.match.min_severity = lowest;
    }
    p.match.services = r.match.services;
    for (config::EventKind k : r.match.events) {
      EventKind ek = from_config(k);
      if (std::find(p.match.kinds.begin(), p.match.kinds.end(), ek) == p.match.kinds.end()) {
        p.match.kinds.push_back(ek);
      }
    }
    p.senders = r.senders;
    p.policy.alertafter_count = static_cast<std::uint32_t>(std::max(0, r.alertafter.count));
    p.policy.alertafter_window = r.alertafter.period;
    p.policy.alertevery = r.alertevery;
    p.policy.observe_detail = r.observe_detail;
    p.policy.numalerts = static_cast<std::uint32_t>(std::max(0, r.numalerts));
    p.policy.upalert = r.upalert;
    p.policy.upalertafter = r.upalertafter;
    for (const config::QuietPeriod& q : r.quiet) {
      QuietWindow w;
      if (!q.days.empty()) {
        w.days = 0;
        // config: mon=0..sun=6; engine: bit 0 = Sunday.
        for (config::Weekday d : q.days)
          w.days |= static_cast<std::uint8_t>(1u << ((static_cast<int>(d) + 1) % 7));
      }
      w.start_minute = q.start_minute;
      w.end_minute = q.end_minute;
      p.policy.quiet.push_back(w);
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace tandem::alerts
