#include "healthd/core/reload.h"

#include <map>

namespace tandem::health {

ReloadPlan plan_reload(const std::vector<MonitorDef>& old_defs,
                       const std::vector<MonitorDef>& new_defs) {
  std::map<std::string, const MonitorDef*> old_by_key;
  for (const auto& d : old_defs) old_by_key[d.key] = &d;
  ReloadPlan plan;
  std::map<std::string, bool> seen;
  for (const auto& d : new_defs) {
    if (seen[d.key]) continue;  // duplicates are the validator's business
    seen[d.key] = true;
    auto it = old_by_key.find(d.key);
    if (it == old_by_key.end()) {
      plan.added.push_back(d.key);
    } else if (it->second->signature == d.signature) {
      plan.kept.push_back(d.key);
    } else {
      plan.restarted.push_back(d.key);
    }
  }
  for (const auto& [k, d] : old_by_key) {
    if (!seen.contains(k)) plan.removed.push_back(k);
  }
  return plan;
}

void apply_reload(Scheduler& scheduler, const ReloadPlan& plan,
                  const std::vector<MonitorDef>& new_defs, TimePoint now) {
  std::map<std::string, const MonitorDef*> by_key;
  for (const auto& d : new_defs) by_key.try_emplace(d.key, &d);
  for (const auto& k : plan.removed) scheduler.remove(k);
  for (const auto& k : plan.kept) {
    const CheckSchedule* s = scheduler.find(k);
    if (s == nullptr) {
      scheduler.add(k, by_key[k]->timing, now);
    } else if (!(s->timing() == by_key[k]->timing)) {
      scheduler.retime(k, by_key[k]->timing, now);
    }
  }
  for (const auto& k : plan.restarted) scheduler.add(k, by_key[k]->timing, now);
  for (const auto& k : plan.added) scheduler.add(k, by_key[k]->timing, now);
}

}  // namespace tandem::health
