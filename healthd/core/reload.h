#pragma once
// Reload migration for the check schedule: given the old and new monitor
// definitions, unchanged monitors keep running on their cadence, changed
// ones restart (due again with a fresh jitter), removed ones are dropped.
// ServiceHealth::reload applies the same rule to the health state.

#include <string>
#include <vector>

#include "common/util/clock.h"
#include "healthd/core/scheduler.h"

namespace tandem::health {

struct MonitorDef {
  std::string key;        // e.g. "web/198.18.1.11:80"
  std::string signature;  // the check's definition, opaque to the core
  CheckTiming timing;
};

struct ReloadPlan {
  std::vector<std::string> kept, restarted, added, removed;
};

ReloadPlan plan_reload(const std::vector<MonitorDef>& old_defs,
                       const std::vector<MonitorDef>& new_defs);

// Applies a plan to the schedule. A kept monitor whose timing alone changed
// keeps its place but is retimed.
void apply_reload(Scheduler& scheduler, const ReloadPlan& plan,
                  const std::vector<MonitorDef>& new_defs, TimePoint now);

}  // namespace tandem::health
