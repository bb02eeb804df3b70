// tandem-syncd: wiring only. The connection-sync engine attaches here; until
// it does, status summarises the configured sync settings.

#include "common/runner/runner.h"

namespace {

tandem::ipc::Json summary(const tandem::config::Config& cfg, const std::string& node) {
  namespace config = tandem::config;
  const auto peer = config::sync_peer(cfg, config::resolve_node(cfg, node));
  return {
      {"enabled", cfg.sync.enabled},
      {"transport", cfg.sync.transport == config::SyncTransport::unicast ? "unicast" : "multicast"},
      {"syncid", cfg.sync.syncid},
      {"peer", peer ? tandem::ipc::Json(peer->to_string()) : tandem::ipc::Json()}};
}

}  // namespace

int main(int argc, char** argv) {
  return tandem::runner::run_main("syncd", argc, argv, [](tandem::runner::Runner& runner) {
    runner.on_status([&runner] { return summary(*runner.config(), runner.options().node); });
  });
}
