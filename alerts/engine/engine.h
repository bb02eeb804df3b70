#pragma once
// alertd's adapter: control commands and the clock in, the pure policy in
// the middle, the durable spool and the delivery worker out. Everything runs
// on the io_context's thread except the transfers themselves.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "alerts/core/policy.h"
#include "alerts/senders/worker.h"
#include "alerts/spool/spool.h"
#include "common/config/schema.h"
#include "common/ipc/server.h"

namespace tandem::alerts {

class AlertEngine {
 public:
  using Publish = std::function<void(std::string_view topic, const ipc::Json& data)>;

  AlertEngine(boost::asio::io_context& io, Publish publish);
  ~AlertEngine();
  AlertEngine(const AlertEngine&) = delete;
  AlertEngine& operator=(const AlertEngine&) = delete;

  // The first call opens the spool and reloads pending jobs; later calls
  // swap senders and routes (a new spool_dir needs a restart).
  void apply(const config::Config& cfg);

  ipc::Reply event_command(const ipc::Json& args);
  // The one path every event takes (the `event` command and the daemons
  // alertd subscribes to): policy, then the spool; ok only once every
  // resulting job is on disk. Stamps the receipt time itself.
  ipc::Reply submit(Event ev);
  ipc::Reply alerts_command() const;
  ipc::Reply test_command(const ipc::Json& args);
  ipc::Json status() const;

 private:
  struct Pending {
    Job job;
    bool in_flight = false;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  struct Recent {
    std::uint64_t id = 0;
    std::string route, sender, subject, status, error;
    std::uint32_t attempts = 0;
    std::int64_t time = 0;
  };

  bool open_spool();
  // Spools every decision; the caller acknowledges only if all were written.
  bool enqueue(const std::vector<Decision>& decisions, std::vector<std::uint64_t>& ids);
  void deliver(std::uint64_t id);
  void on_result(std::uint64_t id, SendResult r);
  void remember(const Job& job, std::string status, std::string error);
  void arm_tick();

  boost::asio::io_context& io_;
  Publish publish_;
  std::optional<config::Alerts> cfg_;
  std::unique_ptr<PolicyEngine> policy_;
  std::unique_ptr<DirStore> store_;
  std::unique_ptr<Spool> spool_;
  std::map<std::uint64_t, Pending> pending_;
  std::deque<Recent> recent_;
  std::uint64_t delivered_ = 0;
  std::uint64_t failed_attempts_ = 0;
  std::uint64_t rejected_events_ = 0;
  boost::asio::steady_timer tick_;
  // Last member: destroyed first, so its thread is gone before the rest.
  std::unique_ptr<DeliveryWorker> worker_;
};

}  // namespace tandem::alerts
