#pragma once
// tandem-director's control plane: the ipvsadm-like commands on its control
// socket (services, connections, service.add|edit|delete, server.add|edit|
// delete, zero, clear, save, restore) and the consumer of healthd's
// `health.actions`. Every operation reaches the packet workers through
// Shards, in the same order on every shard.
//
// Commands answer synchronously: a handler hands its work to every shard and
// waits (bounded) until each shard has run it. Shards runs that work on the
// workers' own threads, never on this (the control) thread, so the wait
// cannot deadlock; with InlineShards it is already done when apply returns.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/ipc/server.h"
#include "common/util/clock.h"
#include "director/core/shards.h"

namespace tandem::runner {
class Runner;
}

namespace tandem::director::control {

class Control {
 public:
  using ConfigFn = std::function<const config::Config*()>;

  Control(Shards& shards, ConfigFn config, const Clock& clock,
          Duration timeout = std::chrono::seconds(5));

  // Every command this class answers, for registration.
  static const std::vector<std::string>& commands();
  // Never throws: failures are error replies.
  ipc::Reply handle(const std::string& cmd, const ipc::Json& args);
  // One `health.actions` event: applied to every shard, in order, without
  // waiting; what cannot be applied is logged and counted.
  void on_health_actions(const ipc::Json& data);

  struct HealthCounters {
    std::uint64_t events = 0;
    std::uint64_t applied = 0;
    std::uint64_t failed = 0;  // unknown names, bad fields, or refused by the table
  };
  HealthCounters health_counters() const { return *health_; }

 private:
  ipc::Reply services();
  ipc::Reply connections(const ipc::Json& args);
  ipc::Reply save();
  ipc::Reply restore(const ipc::Json& args);
  ipc::Reply mutate(const std::string& cmd, const ipc::Json& args);

  Shards& shards_;
  ConfigFn config_;
  const Clock& clock_;
  Duration timeout_;
  std::shared_ptr<HealthCounters> health_;
};

// Registers the commands on the runner's control socket and subscribes to
// healthd's health.actions (reconnecting; the table keeps its last state
// while healthd is away).
void attach(runner::Runner& runner, Shards& shards);

}  // namespace tandem::director::control
