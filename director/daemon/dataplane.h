#pragma once
// The packet workers and the Shards the control path drives them through.
// One AF_PACKET ring per worker, bound to every interface of the namespace
// and joined to one PACKET_FANOUT_CBPF group whose program (steering.h)
// sends a client's traffic, NAT replies included, to one worker; each worker
// has a TX port per link and owns one Director shard. Control closures are
// queued per worker and run between batches; completion is posted back to
// the runner's io_context.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/ipc/message.h"
#include "director/core/shards.h"
#include "director/daemon/forwarder.h"
#include "director/daemon/served.h"
#include "director/daemon/steering.h"
#include "director/io/worker.h"

namespace tandem::director::daemon {

struct DataplaneConfig {
  std::vector<Link> links;
  std::size_t workers = 1;
  DirectorConfig director;
  SteeringSpec steering;  // workers is filled in
  io::FilterSpec filter;  // VIPs and MACs we accept
};

class Dataplane final : public Shards {
 public:
  explicit Dataplane(boost::asio::io_context& io);
  ~Dataplane() override;

  // Opens the rings and starts the workers. On failure the shards still
  // exist (control operations apply inline) and nothing forwards.
  std::optional<std::string> start(const DataplaneConfig& cfg);
  void stop();
  bool running() const { return !threads_.empty(); }

  std::size_t size() const override { return forwarders_.size(); }
  void apply(Fn fn, Done done) override;
  // Runs fn on every worker's thread (neighbour tables, VIP sets).
  void each(std::function<void(Forwarder&)> fn);
  // Re-programs the fanout when the VIP set or the masks change.
  std::optional<std::string> set_steering(const SteeringSpec& spec);
  // Replaces every ring's accept filter (a VIP added or removed).
  std::optional<std::string> set_filter(const io::FilterSpec& spec);
  // Called on the control thread after an apply() that changed a service or
  // a server (shard 0's generation moved), whoever made it: reload, tandemctl
  // or healthd.
  void on_served_change(std::function<void(const ServedView&)> hook) {
    served_hook_ = std::move(hook);
  }
  std::atomic<bool>& active() { return active_; }

  ipc::Json status() const;

 private:
  void loop(std::size_t i);

  boost::asio::io_context& io_;
  SteadyClock clock_;
  std::atomic<bool> active_{false};
  std::atomic<bool> stopping_{false};
  std::vector<Link> links_;
  std::vector<std::unique_ptr<Forwarder>> forwarders_;
  std::vector<std::unique_ptr<io::Worker>> workers_;
  std::vector<std::thread> threads_;
  std::string error_;
  std::function<void(const ServedView&)> served_hook_;
  std::atomic<std::uint64_t> served_generation_{~std::uint64_t{0}};
};

}  // namespace tandem::director::daemon
