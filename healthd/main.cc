// tandem-healthd: wiring only. The monitor engine (healthd/core) attaches
// here; until it does, status summarises the configured checks.

#include "common/runner/runner.h"

namespace {

tandem::ipc::Json summary(const tandem::config::Config& cfg) {
  std::size_t servers = 0, checks = 0;
  for (const auto& s : cfg.services) {
    for (const auto& rs : s.real_servers) {
      if (!rs.monitors.empty()) ++servers;
      checks += rs.monitors.size();
    }
  }
  return {{"monitored_servers", servers},
          {"checks", checks},
          {"monitor_templates", cfg.monitors.size()}};
}

}  // namespace

int main(int argc, char** argv) {
  return tandem::runner::run_main("healthd", argc, argv, [](tandem::runner::Runner& runner) {
    runner.on_status([&runner] { return summary(*runner.config()); });
  });
}
