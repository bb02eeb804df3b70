#pragma once
// The config file's alert routes in the policy engine's terms. The two
// vocabularies differ (the file names vrrp_master, the engine knows
// role_change), so the mapping lives in one place.

#include <optional>
#include <vector>

#include "alerts/core/policy.h"
#include "common/config/schema.h"

namespace tandem::alerts {

EventKind from_config(config::EventKind k);
Severity from_config(config::Severity s);
std::vector<Route> policy_routes(const config::Alerts& alerts);

}  // namespace tandem::alerts
