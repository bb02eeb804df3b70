// tandem-healthd: wiring only. The runner owns flags, signals, logging, the
// control socket and reloads; the monitor engine (healthd/core) attaches here.

#include "common/runner/runner.h"

int main(int argc, char** argv) {
  return tandem::runner::run_main("healthd", argc, argv, [](tandem::runner::Runner& runner) {
    runner.on_status([] {
      return tandem::ipc::Json{{"role", "healthd"}, {"engine", "not wired yet"}};
    });
  });
}
