// tandem-director: wiring only. The runner owns flags, signals, logging, the
// control socket and reloads; director/daemon turns the configuration into
// shards and runs the packet workers; director/control (commands, healthd's
// actions) and director/sync (the stream to tandem-syncd) reach the shards
// through the same Shards.

#include <memory>

#include "common/runner/runner.h"
#include "director/control/control.h"
#include "director/daemon/daemon.h"
#include "director/sync/attach.h"

int main(int argc, char** argv) {
  return tandem::runner::run_main("director", argc, argv, [](tandem::runner::Runner& runner) {
    auto daemon = std::make_shared<tandem::director::daemon::Daemon>(runner);
    auto* d = daemon.get();
    runner.own(daemon);
    runner.on_config([d](const tandem::config::Config& cfg) { d->apply(cfg); });
    runner.on_status([d] { return d->status(); });
    runner.on_stop([d] { d->stop(); });
    tandem::director::control::attach(runner, d->shards());
    tandem::director::sync::attach(runner, d->shards());
  });
}
