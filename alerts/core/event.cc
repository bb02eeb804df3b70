#include "alerts/core/event.h"

#include <array>
#include <utility>

namespace tandem::alerts {
namespace {

constexpr std::array<std::pair<EventKind, std::string_view>, 13> kKindNames = {{
    {EventKind::kServerDown, "server_down"},
    {EventKind::kServerUp, "server_up"},
    {EventKind::kQuorumLost, "quorum_lost"},
    {EventKind::kQuorumRestored, "quorum_restored"},
    {EventKind::kRoleChange, "role_change"},
    {EventKind::kVrrpMaster, "vrrp_master"},
    {EventKind::kVrrpBackup, "vrrp_backup"},
    {EventKind::kVrrpFault, "vrrp_fault"},
    {EventKind::kCertExpiry, "cert_expiry"},
    {EventKind::kSyncTrouble, "sync_trouble"},
    {EventKind::kSyncRestored, "sync_restored"},
    {EventKind::kDaemonRestart, "daemon_restart"},
    {EventKind::kTest, "test"},
}};

constexpr std::array<std::pair<Severity, std::string_view>, 3> kSeverityNames = {{
    {Severity::kInfo, "info"},
    {Severity::kWarning, "warning"},
    {Severity::kCritical, "critical"},
}};

}  // namespace

Family family(EventKind k) {
  switch (k) {
    case EventKind::kServerDown:
    case EventKind::kServerUp:
      return Family::kServer;
    case EventKind::kQuorumLost:
    case EventKind::kQuorumRestored:
      return Family::kQuorum;
    case EventKind::kSyncTrouble:
    case EventKind::kSyncRestored:
      return Family::kSync;
    case EventKind::kRoleChange:
    case EventKind::kVrrpMaster:
    case EventKind::kVrrpBackup:
    case EventKind::kVrrpFault:
    case EventKind::kCertExpiry:
    case EventKind::kDaemonRestart:
    case EventKind::kTest:
      return Family::kNone;
  }
  return Family::kNone;
}

bool is_failure(EventKind k) {
  return k == EventKind::kServerDown || k == EventKind::kQuorumLost || k == EventKind::kSyncTrouble;
}

bool is_recovery(EventKind k) {
  return k == EventKind::kServerUp || k == EventKind::kQuorumRestored ||
         k == EventKind::kSyncRestored;
}

EventKind failure_kind_of(EventKind k) {
  switch (k) {
    case EventKind::kServerUp:
      return EventKind::kServerDown;
    case EventKind::kQuorumRestored:
      return EventKind::kQuorumLost;
    case EventKind::kSyncRestored:
      return EventKind::kSyncTrouble;
    default:
      return k;
  }
}

std::string_view to_string(EventKind k) {
  for (const auto& [kind, name] : kKindNames) {
    if (kind == k) return name;
  }
  return "unknown";
}

std::string_view to_string(Severity s) {
  for (const auto& [sev, name] : kSeverityNames) {
    if (sev == s) return name;
  }
  return "unknown";
}

std::optional<EventKind> parse_event_kind(std::string_view s) {
  for (const auto& [kind, name] : kKindNames) {
    if (name == s) return kind;
  }
  return std::nullopt;
}

std::optional<Severity> parse_severity(std::string_view s) {
  for (const auto& [sev, name] : kSeverityNames) {
    if (name == s) return sev;
  }
  return std::nullopt;
}

}  // namespace tandem::alerts
