#pragma once
// The state file a stopping healthd writes and a starting one reads, so a
// restart resumes counters instead of re-learning every server. The file may
// be truncated or stale: parsing never throws and rejects anything malformed.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "healthd/core/service_health.h"

namespace tandem::health {

std::string snapshot_to_json(const std::vector<ServiceSnapshot>& services);
std::optional<std::vector<ServiceSnapshot>> snapshot_from_json(std::string_view text);

}  // namespace tandem::health
