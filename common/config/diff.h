#pragma once
// What changed between two configuration generations, so a reload touches
// only what differs: unchanged services keep their connections and
// unchanged monitors keep their rise/fall state.

#include <string>
#include <vector>

#include "common/config/schema.h"

namespace tandem::config {

// Named items compared by name; `changed` holds names present in both with
// different content. Each list keeps the order of the newer file (removed:
// of the older).
struct NamedChanges {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::vector<std::string> changed;
  std::vector<std::string> unchanged;
  bool any() const { return !added.empty() || !removed.empty() || !changed.empty(); }
};

struct ConfigDiff {
  bool nodes = false;  // whole-section flags: true when the section differs
  bool global = false;
  bool interfaces = false;
  bool sync = false;
  bool control = false;
  bool alerts = false;
  NamedChanges monitors;  // templates; their users show up under services too
  NamedChanges services;
  NamedChanges vrrp_instances;
  NamedChanges sync_groups;
  NamedChanges senders;
  NamedChanges routes;
  bool any() const;
};

ConfigDiff diff(const Config& before, const Config& after);

// Real servers of one service by name, for the director's and healthd's
// reload of a changed service.
NamedChanges diff_real_servers(const Service& before, const Service& after);

}  // namespace tandem::config
