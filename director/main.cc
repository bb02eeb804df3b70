// tandem-director: wiring only. The runner owns flags, signals, logging, the
// control socket and reloads; the data plane (director/core, director/io)
// attaches here. Until it does, status summarises the configured services.

#include "common/runner/runner.h"

namespace {

tandem::ipc::Json summary(const tandem::config::Config& cfg) {
  std::size_t real_servers = 0;
  for (const auto& s : cfg.services) real_servers += s.real_servers.size();
  return {{"services", cfg.services.size()},
          {"real_servers", real_servers},
          {"interfaces", cfg.interfaces.size()},
          {"max_connections", cfg.global.max_connections}};
}

}  // namespace

int main(int argc, char** argv) {
  return tandem::runner::run_main("director", argc, argv, [](tandem::runner::Runner& runner) {
    runner.on_status([&runner] { return summary(*runner.config()); });
  });
}
