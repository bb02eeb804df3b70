// tandem-vrrpd: wiring only. The VRRP engine (vrrpd/core) attaches here;
// until it does, status summarises the configured instances.

#include "common/runner/runner.h"

namespace {

tandem::ipc::Json summary(const tandem::config::Config& cfg) {
  std::size_t addresses = 0;
  for (const auto& i : cfg.vrrp.instances) addresses += i.virtual_addresses.size();
  return {{"instances", cfg.vrrp.instances.size()},
          {"sync_groups", cfg.vrrp.sync_groups.size()},
          {"virtual_addresses", addresses}};
}

}  // namespace

int main(int argc, char** argv) {
  return tandem::runner::run_main("vrrpd", argc, argv, [](tandem::runner::Runner& runner) {
    runner.on_status([&runner] { return summary(*runner.config()); });
  });
}
