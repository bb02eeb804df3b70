#pragma once
// Config (YAML schema) -> director core. Pure: no I/O, no threads. The
// daemon applies the result to every shard through Shards::apply, in the
// same order on each, so all shards hold the same services.

#include <cstddef>
#include <string>
#include <vector>

#include "common/config/schema.h"
#include "director/core/director.h"

namespace tandem::director::daemon {

ServiceConfig to_core(const config::Service& s);
RealServerConfig to_core(const config::RealServer& r, const config::Service& s);
// The table limit is split evenly over the shards so the whole director
// stays within global.max_connections.
DirectorConfig to_core(const config::Global& g, std::size_t shards);

// What a reconcile did to one shard (the same on every shard).
struct ReconcileReport {
  std::size_t services_added = 0;
  std::size_t services_edited = 0;
  std::size_t services_deleted = 0;
  std::size_t servers_added = 0;
  std::size_t servers_edited = 0;
  std::size_t servers_deleted = 0;
  std::vector<std::string> errors;  // "service web: rs1: exists"
};

// Brings `shard` from `before` (nullptr: empty) to `after`, touching only
// what differs between the two configurations: a server whose config is
// unchanged keeps its runtime weight (healthd may have changed it), its
// counters and its connections. Timeouts and knobs are set from `after`.
ReconcileReport reconcile(Director& shard, const config::Config* before,
                          const config::Config& after);

}  // namespace tandem::director::daemon
