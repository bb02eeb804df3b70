#pragma once
// tandem-director's adapter: configuration -> shards, the data plane, VIP
// ownership (nftables guard, ARP, vrrp.state), neighbours, status. Runs on
// the runner's io_context; the packet work happens on the workers.

#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "common/ipc/client.h"
#include "common/runner/runner.h"
#include "director/daemon/dataplane.h"
#include "director/daemon/links.h"

namespace tandem::director::daemon {

// Workers: TANDEM_DIRECTOR_WORKERS if set (1..64), else one per CPU we may
// run on, at most 4.
std::size_t worker_count();

class Daemon {
 public:
  explicit Daemon(runner::Runner& runner);
  ~Daemon();

  void apply(const config::Config& cfg);
  void stop();
  ipc::Json status() const;
  Shards& shards() { return dp_; }

 private:
  void start_dataplane(const config::Config& cfg);
  void schedule_refresh();
  void on_vrrp(const ipc::Json& instance);
  void update_active();

  runner::Runner& runner_;
  Dataplane dp_;
  std::unique_ptr<Neighbours> neighbours_;
  boost::asio::steady_timer timer_;
  std::optional<config::Config> applied_;
  std::unique_ptr<ipc::ControlClient> vrrp_;
  bool uses_vrrp_ = false;
  std::set<std::uint32_t> vips_;
  std::map<std::string, bool> vrrp_master_;  // instance -> master, for our VIPs
  std::string guard_error_;
  bool guard_installed_ = false;
  std::string last_reconcile_error_;
  bool stopped_ = false;
};

}  // namespace tandem::director::daemon
