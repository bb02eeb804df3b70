#pragma once
// What every daemon's main.cc uses: flags, logging, daemonizing, signals,
// sd_notify, config reloads and the control socket with its built-in
// commands (status, reload, ping, subscribe). A daemon wires its engines to
// io() and registers hooks and commands; it never touches these chores.

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.h"
#include "common/ipc/server.h"
#include "common/runner/config_keeper.h"
#include "common/runner/flags.h"

namespace tandem::runner {

using StatusFn = std::function<ipc::Json()>;

class Runner {
 public:
  // `daemon` is the short name: "director" -> tandem-director, director.sock.
  // `initial` is the validated configuration the daemon starts with; its
  // control section (socket group, mode, message size) holds until restart.
  // An empty options.run_dir means initial.global.run_dir.
  Runner(std::string daemon, Options options, config::Config initial,
         Loader loader = config::load_file);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  boost::asio::io_context& io() { return io_; }
  ipc::ControlServer& control() { return control_; }
  const Options& options() const { return options_; }
  const std::string& daemon() const { return daemon_; }
  const config::Config* config() const { return keeper_.current(); }

  // Called with the initial and every accepted configuration.
  void on_config(ApplyFn apply) { keeper_.set_apply(std::move(apply)); }
  // Its object appears as "detail" in `status`.
  void on_status(StatusFn status) { status_fn_ = std::move(status); }
  // Called once on SIGTERM/SIGINT or stop(), while the loop and the control
  // socket still exist, so engines can withdraw (release VIPs, flush state).
  void on_stop(std::function<void()> fn) { stop_fn_ = std::move(fn); }
  void add_command(std::string name, ipc::Handler handler);
  // Keeps a daemon's component (an engine with timers and sockets on io())
  // for the Runner's life and destroys it before the io_context it uses.
  void own(std::shared_ptr<void> component) { owned_.push_back(std::move(component)); }
  // Publishes an event to subscribers of the control socket.
  void publish(std::string_view topic, const ipc::Json& data);

  // Hands the initial configuration to the on_config hook, binds the
  // control socket, tells systemd and `on_ready` that start-up is done, and
  // serves until stop(). Returns the process exit code.
  int run(std::function<void()> on_ready = {});
  void stop();

  // The `reload` command and SIGHUP both land here.
  LoadOutcome reload();
  ipc::Json status() const;
  std::string socket_path() const;

 private:
  void wait_signal();
  void arm_watchdog();
  void register_builtins();
  void apply_log_level(const config::Config& cfg);

  std::string daemon_;
  Options options_;
  boost::asio::io_context io_;
  ipc::ControlServer control_;
  ConfigKeeper keeper_;
  std::optional<config::Config> initial_;
  StatusFn status_fn_;
  std::function<void()> stop_fn_;
  struct Timers;
  std::unique_ptr<Timers> timers_;
  double last_reload_time_ = 0;
  std::chrono::steady_clock::time_point started_;
  bool stopping_ = false;
  // Last, so destroyed first: components go while io_ and control_ still exist.
  std::vector<std::shared_ptr<void>> owned_;
};

// The whole life of a daemon process: parses flags (exit 2 on misuse),
// handles --help/--version/--check-config, validates the config, detaches
// unless told not to, then builds a Runner, lets `wire` attach the daemon,
// and runs it.
int run_main(std::string daemon, int argc, char** argv, const std::function<void(Runner&)>& wire,
             const Loader& loader = config::load_file);

std::string version();

}  // namespace tandem::runner
