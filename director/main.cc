// tandem-director: wiring only. The runner owns flags, signals, logging, the
// control socket and reloads; director/daemon turns the configuration into
// shards and runs the packet workers.

#include <memory>

#include "common/runner/runner.h"
#include "director/daemon/daemon.h"

// TODO(lead): #include "director/control/control.h" (H2) and
// "director/sync/attach.h" (H7) once they exist, and call their attach()
// below with d->shards().

int main(int argc, char** argv) {
  return tandem::runner::run_main("director", argc, argv, [](tandem::runner::Runner& runner) {
    auto daemon = std::make_shared<tandem::director::daemon::Daemon>(runner);
    auto* d = daemon.get();
    runner.own(daemon);
    runner.on_config([d](const tandem::config::Config& cfg) { d->apply(cfg); });
    runner.on_status([d] { return d->status(); });
    runner.on_stop([d] { d->stop(); });
    // TODO(lead): tandem::director::control::attach(runner, d->shards());
    // TODO(lead): tandem::director::sync::attach(runner, d->shards());
  });
}
