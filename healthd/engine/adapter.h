#pragma once
// From the suite's configuration to what the health core and the monitors
// take. Pure: no I/O, so reload decisions are testable without sockets.
// One check per monitor of each real server; every one of them judges it.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/config/schema.h"
#include "common/net/address.h"
#include "healthd/core/reload.h"
#include "healthd/core/scheduler.h"
#include "healthd/core/service_health.h"
#include "healthd/monitors/monitor.h"

namespace tandem::health {

struct CheckDef {
  std::string key;  // "<service>/<server>/<monitor>", also the scheduler key
  std::string service;
  std::string server;   // the real server's name, its id in ServiceHealth
  std::string monitor;  // the monitor's name, unique within the server
  std::string type;     // "http", "dns", ... for display
  net::Endpoint target;
  MonitorParams params;
  CheckTiming timing;
  std::string signature;
};

struct EngineSetup {
  std::vector<ServiceSpec> services;
  std::vector<CheckDef> checks;
  // Servers the config puts in maintenance: "<service>/<server>".
  std::vector<std::string> maintenance;
};

MonitorParams monitor_params(const config::Monitor& m);
CheckTiming check_timing(const config::Monitor& m);
HealthPolicy health_policy(const config::Monitor& m);
// Fingerprint of what the check does and whom it probes; timing and
// rise/fall are left out (timing is retimed in place, the policy is compared
// by the core on its own).
std::string check_signature(const config::Monitor& m, const net::Endpoint& target);

EngineSetup adapt(const config::Config& cfg);

// The director's table as healthd names it: service name -> server id
// (real server name, or the fallback's address:port) -> current weight.
using DirectorTables = std::map<std::string, std::map<std::string, int>>;

// Maps the director's `services` reply onto the config by protocol, address
// and port. Tolerant of a director older or newer than this healthd: entries
// it cannot read or match are skipped, and servers the config does not name
// are left out (the director's own reload deals with those). nullopt when
// the reply holds no services list at all.
std::optional<DirectorTables> director_tables(const config::Config& cfg,
                                              const nlohmann::json& reply);
std::vector<MonitorDef> monitor_defs(const std::vector<CheckDef>& checks);

}  // namespace tandem::health
