#include "director/control/control.h"

#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>

#include "common/ipc/client.h"
#include "common/log/log.h"
#include "common/runner/runner.h"
#include "director/control/health.h"
#include "director/control/ipvsadm.h"
#include "director/control/listing.h"
#include "director/control/ops.h"

namespace tandem::director::control {
namespace {

using ipc::Json;
using ipc::Reply;

constexpr std::size_t kDefaultConnLimit = 5000;
constexpr std::size_t kMaxConnLimit = 100000;

// Runs fn on every shard (on the shard's thread) and waits until each has.
// The state is shared so that a shard answering after the timeout writes
// into memory that still exists.
template <class T>
std::optional<std::vector<T>> gather(Shards& shards, std::function<T(Director&)> fn,
                                     Duration timeout) {
  struct State {
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::optional<T>> slots;
    std::size_t left = 0;
  };
  auto st = std::make_shared<State>();
  st->slots.resize(shards.size());
  st->left = shards.size();
  shards.apply(
      [st, fn](Director& d, std::size_t i) {
        std::optional<T> v;
        try {
          v = fn(d);
        } catch (...) {
          v = T{};  // only bad_alloc can get here; an empty answer beats a dead worker
        }
        std::lock_guard lock(st->m);
        if (i < st->slots.size() && !st->slots[i]) {
          st->slots[i] = std::move(v);
          --st->left;
        }
        st->cv.notify_all();
      },
      [] {});
  std::unique_lock lock(st->m);
  if (!st->cv.wait_for(lock, timeout, [&] { return st->left == 0; })) return std::nullopt;
  std::vector<T> out;
  out.reserve(st->slots.size());
  for (auto& s : st->slots) out.push_back(std::move(*s));
  return out;
}

const char* kTimeout = "the director's packet workers did not answer in time";

}  // namespace

Control::Control(Shards& shards, ConfigFn config, const Clock& clock, Duration timeout)
    : shards_(shards),
      config_(std::move(config)),
      clock_(clock),
      timeout_(timeout),
      health_(std::make_shared<HealthCounters>()) {}

const std::vector<std::string>& Control::commands() {
  static const std::vector<std::string> names = {
      "services",      "connections",    "service.add",   "service.edit", "service.delete",
      "server.add",    "server.edit",    "server.delete", "zero",         "clear",
      "save",          "restore"};
  return names;
}

Reply Control::handle(const std::string& cmd, const Json& args) {
  try {
    if (cmd == "services") return services();
    if (cmd == "connections") return connections(args);
    if (cmd == "save") return save();
    if (cmd == "restore") return restore(args);
    return mutate(cmd, args);
  } catch (const std::exception& e) {
    return Reply::failure(std::string("internal error: ") + e.what());
  }
}

Reply Control::services() {
  auto snaps = gather<ShardSnap>(
      shards_, [](Director& d) { return snapshot(d); }, timeout_);
  if (!snaps) return Reply::failure(kTimeout);
  const config::Config* cfg = config_ ? config_() : nullptr;
  ConfigWeight weight;
  if (cfg != nullptr) {
    weight = [cfg](const ServiceConfig& s, const RealServerConfig& r) {
      return configured_weight(*cfg, s, r);
    };
  }
  return Reply::success(services_json(*snaps, weight));
}

Reply Control::connections(const Json& args) {
  std::size_t limit = kDefaultConnLimit;
  if (auto l = args.find("limit"); l != args.end()) {
    if (!l->is_number_unsigned() || l->get<std::uint64_t>() == 0 ||
        l->get<std::uint64_t>() > kMaxConnLimit)
      return Reply::failure("limit must be from 1 to " + std::to_string(kMaxConnLimit));
    limit = l->get<std::size_t>();
  }
  struct Part {
    std::vector<ConnSnap> entries;
    std::size_t total = 0;
  };
  const TimePoint now = clock_.now();
  auto parts = gather<Part>(
      shards_,
      [now, limit](Director& d) {
        return Part{control::connections(d, now, limit), d.table().size()};
      },
      timeout_);
  if (!parts) return Reply::failure(kTimeout);
  std::vector<std::vector<ConnSnap>> shards;
  std::size_t total = 0;
  for (auto& p : *parts) {
    total += p.total;
    shards.push_back(std::move(p.entries));
  }
  return Reply::success(connections_json(shards, total, limit));
}

Reply Control::save() {
  Reply r = services();
  if (!r.ok) return r;
  return Reply::success({{"text", format_save(r.result)}});
}

Reply Control::restore(const Json& args) {
  auto text = args.find("text");
  if (text == args.end() || !text->is_string()) return Reply::failure("restore needs text");
  auto parsed = parse_restore(text->get<std::string>());
  if (auto* err = std::get_if<std::string>(&parsed)) return Reply::failure(*err);
  std::vector<Op> ops;
  std::vector<std::size_t> rule_of;  // op index -> rule number (1-based)
  const auto& requests = std::get<std::vector<Request>>(parsed);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    auto o = ops_from_request(requests[i].cmd, requests[i].args);
    if (auto* err = std::get_if<std::string>(&o))
      return Reply::failure("rule " + std::to_string(i + 1) + ": " + *err);
    for (auto& op : std::get<std::vector<Op>>(o)) {
      ops.push_back(std::move(op));
      rule_of.push_back(i + 1);
    }
  }
  auto outcomes = gather<Outcome>(
      shards_, [ops](Director& d) { return apply_ops(d, ops); }, timeout_);
  if (!outcomes) return Reply::failure(kTimeout);
  const Outcome& o = outcomes->front();
  if (!o.error.empty()) {
    return Reply::failure("rule " + std::to_string(rule_of[o.applied]) + ": " + o.error + " (" +
                          std::to_string(o.applied) + " rules applied before it)");
  }
  return Reply::success({{"applied", o.applied}});
}

Reply Control::mutate(const std::string& cmd, const Json& args) {
  auto parsed = ops_from_request(cmd, args);
  if (auto* err = std::get_if<std::string>(&parsed)) return Reply::failure(*err);
  const auto& ops = std::get<std::vector<Op>>(parsed);
  auto outcomes = gather<Outcome>(
      shards_, [ops](Director& d) { return apply_ops(d, ops); }, timeout_);
  if (!outcomes) return Reply::failure(std::string(kTimeout) + " (the change may still apply)");
  // Every shard holds the same table and gets the same operations, so they
  // all answer alike; shard 0 speaks for them.
  const Outcome& o = outcomes->front();
  if (!o.error.empty()) return Reply::failure(o.error);
  return Reply::success({{"applied", o.applied}});
}

void Control::on_health_actions(const Json& data) {
  ++health_->events;
  const config::Config* cfg = config_ ? config_() : nullptr;
  if (cfg == nullptr) {
    ++health_->failed;
    log::warn("health.actions before any configuration: ignored");
    return;
  }
  HealthOps mapped = ops_from_health(data, *cfg);
  for (const auto& e : mapped.errors) {
    ++health_->failed;
    log::warn("health.actions: " + e);
  }
  if (mapped.ops.empty()) return;
  // Each action on its own, so one refused action does not hold back the
  // rest; results come back from shard 0 (every shard answers alike).
  struct Result {
    std::vector<std::string> errors;
  };
  auto results = std::make_shared<Result>();
  auto counters = health_;
  auto ops = std::make_shared<std::vector<Op>>(std::move(mapped.ops));
  shards_.apply(
      [ops, results](Director& d, std::size_t i) {
        for (const Op& op : *ops) {
          std::string e;
          try {
            e = apply_op(d, op);
          } catch (...) {
            e = "internal error";
          }
          if (i == 0) results->errors.push_back(std::move(e));
        }
      },
      [ops, results, counters] {
        for (std::size_t k = 0; k < results->errors.size(); ++k) {
          const std::string& e = results->errors[k];
          if (e.empty()) {
            ++counters->applied;
            continue;
          }
          ++counters->failed;
          const Op& op = (*ops)[k];
          log::warn("health action on " + net::Endpoint{op.server, op.port.value_or(0)}.to_string() +
                    ": " + e);
        }
      });
}

void attach(runner::Runner& runner, Shards& shards) {
  static const SteadyClock clock;
  auto control = std::make_shared<Control>(
      shards, [&runner] { return runner.config(); }, clock);
  runner.own(control);
  Control* c = control.get();
  for (const std::string& name : Control::commands()) {
    runner.add_command(name, [c, name](const Json& args) { return c->handle(name, args); });
  }
  runner.add_command("control", [c](const Json&) {
    const auto h = c->health_counters();
    return Reply::success(
        {{"health_actions", {{"events", h.events}, {"applied", h.applied}, {"failed", h.failed}}}});
  });

  std::string path = runner.socket_path();
  path = path.substr(0, path.rfind('/') + 1) + "healthd.sock";
  ipc::ClientOptions options;
  options.topics = {"health.actions"};
  auto client = std::make_shared<ipc::ControlClient>(runner.io(), path, options);
  client->on_event([c](const ipc::Event& ev) {
    if (ev.topic != "health.actions") return;
    try {
      c->on_health_actions(ev.data);
    } catch (const std::exception& e) {
      log::error(std::string("health.actions: ") + e.what());
    }
  });
  client->on_state([](bool connected, const std::string& reason) {
    if (connected) {
      log::info("following healthd's health.actions");
    } else {
      log::info("healthd not reachable (" + reason + "); the table keeps its last state");
    }
  });
  // Owned (not stopped in on_stop, which belongs to the daemon's wiring):
  // the runner destroys it before the io_context it runs on.
  runner.own(client);
  client->start();
}

}  // namespace tandem::director::control
