#pragma once
// healthd's `health.actions` events as director operations. healthd names
// services and servers as the configuration does (service name, real server
// name, fallback "address:port"); the configuration says which VIP, real
// address, port, method and thresholds those names stand for.

#include <optional>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/ipc/message.h"
#include "director/control/ops.h"

namespace tandem::director::control {

// The identity tandem-director gives a configured service.
ServiceKey key_of(const config::Service& svc);

struct HealthOps {
  std::vector<Op> ops;
  std::vector<std::string> errors;  // actions that were skipped, and why
};

// {"service":name,"actions":[{"service","server","op","weight"}]} where op is
// restore (add back with its configured settings at `weight`), set_weight,
// quiesce (weight 0) or remove.
HealthOps ops_from_health(const ipc::Json& data, const config::Config& cfg);

// The configured weight of a real server, for `services`' config_weight.
std::optional<std::uint32_t> configured_weight(const config::Config& cfg, const ServiceConfig& svc,
                                               const RealServerConfig& server);

}  // namespace tandem::director::control
