// tandem-alertd: wiring only. The alert policy and senders (alerts/core)
// attach here; until they do, status summarises the configured routing.

#include "common/runner/runner.h"

namespace {

tandem::ipc::Json summary(const tandem::config::Config& cfg) {
  return {{"senders", cfg.alerts.senders.size()},
          {"routes", cfg.alerts.routes.size()},
          {"spool_dir", cfg.alerts.spool_dir}};
}

}  // namespace

int main(int argc, char** argv) {
  return tandem::runner::run_main("alertd", argc, argv, [](tandem::runner::Runner& runner) {
    runner.on_status([&runner] { return summary(*runner.config()); });
  });
}
