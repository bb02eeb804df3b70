// tandem-syncd: wiring only. The runner owns flags, signals, logging, the
// control socket and reloads; the connection-sync engine attaches here.

#include "common/runner/runner.h"

int main(int argc, char** argv) {
  return tandem::runner::run_main("syncd", argc, argv, [](tandem::runner::Runner& runner) {
    runner.on_status([] {
      return tandem::ipc::Json{{"role", "syncd"}, {"engine", "not wired yet"}};
    });
  });
}
