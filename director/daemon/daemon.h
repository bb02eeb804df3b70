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
#include <unordered_set>
#include <vector>

#include "common/ipc/client.h"
#include "common/runner/runner.h"
#include "director/daemon/dataplane.h"
#include "director/daemon/links.h"

namespace tandem::director::daemon {

// Workers: global.workers, or for "auto" (0) one per CPU we may run on
// (at most 64).
std::size_t worker_count(std::uint32_t configured);

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
  void manage_offloads(bool on);
  void set_targets(const config::Config& cfg, const ServedView& view);
  // Everything derived from what we serve (VIP sets, ARP, ring filter,
  // steering, nftables guard, next hops), recomputed from the config and
  // the shards' live view whenever either changes.
  void update_served();
  void update_served(const config::Config& cfg, bool running);

  runner::Runner& runner_;
  Dataplane dp_;
  std::unique_ptr<Neighbours> neighbours_;
  boost::asio::steady_timer timer_;
  std::optional<config::Config> applied_;
  std::unique_ptr<ipc::ControlClient> vrrp_;
  bool uses_vrrp_ = false;
  std::unordered_set<std::uint32_t> vips_;   // every VIP we serve
  std::vector<std::uint32_t> carried_;       // VIPs a vrrp instance carries (vrrpd answers ARP)
  std::vector<net::Mac> filter_macs_;        // our links' and the vmacs' addresses
  ServedView live_;                          // read off shard 0 after the last change
  ServedView served_;                        // merge of config and live_, as applied
  std::map<std::string, bool> vrrp_master_;  // instance -> master, for our VIPs
  std::string guard_error_;
  bool guard_installed_ = false;
  std::string last_reconcile_error_;
  std::size_t workers_ = 0;           // as started; changing it needs a restart
  std::vector<std::string> devices_;  // the links we forward on
  std::vector<Offloads> offloads_;    // GRO/LRO as found, restored at exit
  std::vector<std::string> offload_errors_;
  std::vector<std::string> dr_not_on_link_;  // "service/server": DR needs L2 adjacency
  bool stopped_ = false;
};

}  // namespace tandem::director::daemon
