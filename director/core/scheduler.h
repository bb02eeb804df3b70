#pragma once
// Schedulers pick a real server for a new connection, following the
// selection rules of the IPVS modules of the same name. They run once per new
// connection (not per packet) over the service's server list in insertion
// order; cost is O(servers) for the list-walking ones and O(1) for dh/sh/mh.

#include <cstdint>
#include <memory>
#include <span>

#include "common/net/address.h"
#include "common/util/clock.h"
#include "director/core/model.h"

namespace tandem::director {

struct SchedInput {
  net::Ipv4 src;
  std::uint16_t sport = 0;
  net::Ipv4 dst;
  std::uint16_t dport = 0;
  TimePoint now{};
};

struct LocalityConfig {
  Duration lblc_expiration = std::chrono::hours(24);
  Duration lblcr_expiration = std::chrono::hours(24);
  std::size_t max_entries = 16384;  // per service; beyond it no new entries
};

using ServerList = std::span<RealServer* const>;

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  // Called after any change of the server list or of a server's weight.
  virtual void update(ServerList servers) = 0;
  // nullptr when no server is eligible.
  virtual RealServer* pick(ServerList servers, const SchedInput& in) = 0;
  // Periodic housekeeping (lblc/lblcr entry expiry); time passed in.
  virtual void housekeeping(TimePoint /*now*/) {}
  // Remembered per-destination entries (lblc/lblcr), for stats.
  virtual std::size_t entries() const { return 0; }
};

std::unique_ptr<Scheduler> make_scheduler(SchedulerKind kind, SchedulerFlags flags,
                                          std::uint64_t seed, const LocalityConfig& locality);

const char* scheduler_name(SchedulerKind kind);

// Factories, one per source file.
std::unique_ptr<Scheduler> make_rr();
std::unique_ptr<Scheduler> make_wrr();
std::unique_ptr<Scheduler> make_least(SchedulerKind kind);  // lc wlc sed nq fo ovf
std::unique_ptr<Scheduler> make_twos(std::uint64_t seed);
std::unique_ptr<Scheduler> make_dh();
std::unique_ptr<Scheduler> make_sh(SchedulerFlags flags);
std::unique_ptr<Scheduler> make_mh(SchedulerFlags flags);
std::unique_ptr<Scheduler> make_lblc(const LocalityConfig& cfg);
std::unique_ptr<Scheduler> make_lblcr(const LocalityConfig& cfg);

}  // namespace tandem::director
