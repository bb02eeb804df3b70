#pragma once
// The health engine: runs every configured check on one io_context, feeds
// the results to the core, publishes state changes as events and keeps the
// director actions in an outbox (the director does not consume them yet).
// Nothing thrown inside reaches the loop.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/config/schema.h"
#include "common/ipc/message.h"
#include "common/util/clock.h"
#include "healthd/core/scheduler.h"
#include "healthd/core/service_health.h"
#include "healthd/engine/adapter.h"
#include "healthd/monitors/monitor.h"

namespace tandem::health {

class Engine {
 public:
  using Publish = std::function<void(std::string_view topic, const ipc::Json& data)>;

  Engine(boost::asio::io_context& io, Publish publish, std::uint64_t seed);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The initial configuration and every reload: unchanged checks keep their
  // state and cadence.
  void apply(const config::Config& cfg);
  // Before the first apply: the director's `services` reply at start-up.
  // Services found in it resume from its table (a server present with a
  // weight above 0 is up, others down) with no events and no actions for
  // what the director already has, so a healthd restart does not flap.
  void resume_from(ipc::Json director_services);
  // Operator maintenance; false for an unknown service/server.
  bool set_maintenance(const std::string& service, const std::string& server, bool on);
  void stop();

  ipc::Json status() const;  // counts and the action outbox
  // Every service and server in detail; `service` non-empty: that one only
  // (replies are bounded by the control socket's queue, so a large table is
  // read service by service); without history the reply is much smaller.
  ipc::Json health(const std::string& service = {}, bool with_history = true) const;

 private:
  struct Check {
    CheckDef def;
    std::unique_ptr<Monitor> monitor;
    std::string warned;  // the warning last published, so it is said once
    // Names this check's runs in their callbacks: kept across a reload that
    // keeps the monitor, new when it restarts, so a result posted by a run
    // of a removed or restarted check finds nothing and is dropped.
    std::uint64_t id = 0;
  };

  void arm();
  void on_timer();
  void start_check(const std::string& key, TimePoint now);
  void on_result(std::uint64_t id, const CheckResult& result);
  void drain(TimePoint now);
  void drain_one(const std::string& name, ServiceHealth& svc);
  void apply_maintenance(TimePoint now);
  TimePoint now() const { return clock_.now(); }

  boost::asio::io_context& io_;
  Publish publish_;
  SteadyClock clock_;
  boost::asio::steady_timer timer_;
  std::optional<TimePoint> armed_;  // the wake-up the timer waits for
  Scheduler scheduler_;
  std::map<std::string, ServiceHealth> services_;
  // Hashed: looked up twice per check run by a long key (service/server/monitor).
  std::unordered_map<std::string, Check> checks_;
  // The checks by id, rebuilt with checks_. A callback capturing only `this`
  // and an id fits std::function's own storage: capturing the key string
  // cost two allocations per check run.
  std::unordered_map<std::uint64_t, Check*> by_id_;
  std::uint64_t next_id_ = 1;
  std::vector<MonitorDef> defs_;
  std::set<std::string> config_maintenance_;
  std::set<std::string> operator_maintenance_;
  std::deque<DirectorAction> outbox_;
  std::optional<ipc::Json> resume_;
  std::size_t resumed_services_ = 0;
  std::uint64_t results_ = 0;  // check runs completed, for rates in status
  bool stopped_ = false;
};

}  // namespace tandem::health
