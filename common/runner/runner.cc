#include "common/runner/runner.h"

#include <signal.h>
#include <unistd.h>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "common/log/log.h"
#include "common/runner/process.h"

namespace tandem::runner {

namespace asio = boost::asio;
using ipc::Json;
using ipc::Reply;

namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

log::Level to_log_level(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::debug:
      return log::Level::kDebug;
    case config::LogLevel::info:
    case config::LogLevel::notice:
      return log::Level::kInfo;
    case config::LogLevel::warning:
      return log::Level::kWarn;
    case config::LogLevel::error:
      return log::Level::kError;
  }
  return log::Level::kInfo;
}

Options resolve(Options options, const config::Config& cfg) {
  if (options.run_dir.empty()) options.run_dir = cfg.global.run_dir;
  return options;
}

ipc::ServerLimits limits_from(const config::Control& control) {
  ipc::ServerLimits limits;
  limits.max_message = control.max_message_size;
  return limits;
}

}  // namespace

struct Runner::Timers {
  explicit Timers(asio::io_context& io) : signals(io, SIGHUP, SIGTERM, SIGINT), watchdog(io) {}
  asio::signal_set signals;
  asio::steady_timer watchdog;
  Duration watchdog_period{};
};

std::string version() {
  return TANDEM_VERSION;
}

Runner::Runner(std::string daemon, Options options, config::Config initial, Loader loader)
    : daemon_(std::move(daemon)),
      options_(resolve(std::move(options), initial)),
      control_(io_, limits_from(initial.control),
               ipc::default_policy(initial.control.socket_group)),
      keeper_(options_.config, std::move(loader)),
      initial_(std::move(initial)),
      timers_(std::make_unique<Timers>(io_)),
      started_(std::chrono::steady_clock::now()) {
  register_builtins();
}

Runner::~Runner() = default;

std::string Runner::socket_path() const {
  return options_.run_dir + "/" + daemon_ + ".sock";
}

void Runner::add_command(std::string name, ipc::Handler handler) {
  control_.add_command(std::move(name), std::move(handler));
}

void Runner::publish(std::string_view topic, const Json& data) {
  control_.publish(topic, data, unix_now());
}

void Runner::register_builtins() {
  add_command("status", [this](const Json&) { return Reply::success(status()); });
  add_command("ping", [this](const Json&) {
    return Reply::success({{"pong", true}, {"daemon", daemon_}});
  });
  add_command("reload", [this](const Json&) {
    LoadOutcome outcome = reload();
    if (!outcome.ok)
      return Reply::failure("configuration refused, still running generation " +
                            std::to_string(outcome.generation) + ":\n" +
                            format_diagnostics(outcome.errors));
    return Reply::success({{"generation", outcome.generation}});
  });
}

Json Runner::status() const {
  const auto uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_);
  const auto stats = control_.stats();
  Json last = nullptr;
  if (keeper_.last())
    last = {{"ok", keeper_.last()->ok},
            {"time", last_reload_time_},
            {"errors", ipc::diagnostics_to_json(keeper_.last()->errors)}};
  Json detail = Json::object();
  if (status_fn_) detail = status_fn_();
  return {{"daemon", daemon_},
          {"program", "tandem-" + daemon_},
          {"version", version()},
          {"pid", static_cast<long>(::getpid())},
          {"node", options_.node},
          {"state", "running"},
          {"uptime_s", uptime.count()},
          {"config_path", keeper_.path()},
          {"config_generation", keeper_.generation()},
          {"reload_failures", keeper_.failures()},
          {"last_reload", last},
          {"control",
           {{"connections", control_.connection_count()},
            {"accepted", stats.accepted},
            {"refused", stats.refused},
            {"protocol_errors", stats.protocol_errors},
            {"slow_dropped", stats.slow_dropped}}},
          {"detail", detail}};
}

LoadOutcome Runner::reload() {
  notify("RELOADING=1");
  log::info("reloading " + keeper_.path());
  LoadOutcome outcome = keeper_.reload();
  last_reload_time_ = unix_now();
  if (outcome.ok) {
    apply_log_level(*keeper_.current());
    log::info("configuration generation " + std::to_string(outcome.generation) + " is running");
  } else {
    for (const auto& d : outcome.errors) log::error(d.to_string());
    log::error("reload refused; generation " + std::to_string(outcome.generation) +
               " keeps running (" + std::to_string(keeper_.failures()) + " failed reloads)");
  }
  notify("READY=1\nSTATUS=" + std::string(outcome.ok ? "running" : "running; last reload failed"));
  publish("config.reload", {{"ok", outcome.ok},
                            {"generation", outcome.generation},
                            {"errors", ipc::diagnostics_to_json(outcome.errors)}});
  return outcome;
}

void Runner::apply_log_level(const config::Config& cfg) {
  // An explicit --log-level beats the file, also across reloads.
  log::set_level(options_.log_level.value_or(to_log_level(cfg.global.log_level)));
}

void Runner::wait_signal() {
  timers_->signals.async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      reload();
      wait_signal();
      return;
    }
    log::info(std::string("received ") + (signo == SIGTERM ? "SIGTERM" : "SIGINT") + ", stopping");
    stop();
  });
}

void Runner::arm_watchdog() {
  timers_->watchdog.expires_after(timers_->watchdog_period);
  timers_->watchdog.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    notify("WATCHDOG=1");
    arm_watchdog();
  });
}

int Runner::run(std::function<void()> on_ready) {
  const config::Control control = initial_ ? initial_->control : config::Control{};
  if (initial_) {
    LoadOutcome first = keeper_.install(config::LoadResult{std::move(*initial_), {}});
    initial_.reset();
    last_reload_time_ = unix_now();
    if (!first.ok) {
      for (const auto& d : first.errors) log::error(d.to_string());
      log::error("cannot start: the daemon refused its configuration");
      return 2;
    }
    apply_log_level(*keeper_.current());
  }
  if (auto err = make_run_dir(options_.run_dir)) {
    log::error("run directory: " + *err);
    return 1;
  }
  auto pid_file = PidFile::acquire(options_.run_dir + "/" + daemon_ + ".pid");
  if (auto* err = std::get_if<std::string>(&pid_file)) {
    log::error(*err);
    return 1;
  }
  std::optional<gid_t> group;
  if (!control.socket_group.empty()) group = ipc::lookup_group(control.socket_group);
  if (auto err = control_.listen(socket_path(), group, static_cast<mode_t>(control.socket_mode))) {
    log::error("control socket: " + *err);
    return 1;
  }

  wait_signal();
  if (auto period = watchdog_interval()) {
    timers_->watchdog_period = *period / 2;
    arm_watchdog();
  }
  log::info("tandem-" + daemon_ + " " + version() + " ready on " + socket_path() + " (node " +
            options_.node + ", config generation " + std::to_string(keeper_.generation()) + ")");
  notify("READY=1\nSTATUS=running");
  if (on_ready) on_ready();

  int code = 0;
  try {
    io_.run();
  } catch (const std::exception& e) {
    log::error(std::string("event loop failed: ") + e.what());
    code = 1;
  }
  control_.close();
  log::info("stopped");
  return code;
}

void Runner::stop() {
  if (stopping_) return;
  stopping_ = true;
  notify("STOPPING=1");
  if (stop_fn_) {
    try {
      stop_fn_();
    } catch (const std::exception& e) {
      log::error(std::string("stop hook failed: ") + e.what());
    }
  }
  boost::system::error_code ignored;
  timers_->signals.cancel(ignored);
  timers_->watchdog.cancel();
  // Closing the server removes the socket at once, so clients see "down"
  // rather than a socket that no longer answers.
  control_.close();
  io_.stop();
}

int run_main(std::string daemon, int argc, char** argv, const std::function<void(Runner&)>& wire,
             const Loader& loader) {
  const std::string program = "tandem-" + daemon;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  ParsedFlags flags = parse_flags(args, short_hostname());
  switch (flags.action) {
    case Action::kUsageError:
      std::cerr << program << ": " << flags.error << "\n" << usage(program);
      return 2;
    case Action::kHelp:
      std::cout << usage(program);
      return 0;
    case Action::kVersion:
      std::cout << program << " " << version() << "\n";
      return 0;
    case Action::kCheckConfig:
    case Action::kRun:
      break;
  }
  const Options& options = flags.options;
  config::LoadResult loaded = loader(options.config);
  if (!loaded.ok()) {
    std::cerr << format_diagnostics(loaded.errors);
    if (loaded.errors.empty()) std::cerr << options.config << ": configuration rejected\n";
    return 2;
  }
  if (flags.action == Action::kCheckConfig) {
    std::cout << options.config << ": configuration is valid\n";
    return 0;
  }

  ::signal(SIGPIPE, SIG_IGN);
  const bool detach = !options.foreground && !under_systemd();
  const auto target = journal_attached() ? log::Target::kJournal : log::Target::kStderr;
  log::init(program, options.log_level.value_or(log::Level::kInfo), target);
  // Detach before any thread or event loop exists: fork keeps only the caller.
  Detached detached = detach ? Detached::detach() : Detached();
  try {
    Runner runner(daemon, options, std::move(*loaded.config), loader);
    wire(runner);
    return runner.run([&] {
      if (!detach) return;
      detached.ready();
      // stderr is /dev/null from here on.
      log::set_target(log::Target::kJournal);
    });
  } catch (const std::exception& e) {
    // A daemon whose wiring fails exits with a reason, never via terminate().
    log::error(std::string("start-up failed: ") + e.what());
    return 1;
  }
}

}  // namespace tandem::runner
