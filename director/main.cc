// tandem-director: wiring only. The runner owns flags, signals, logging, the
// control socket and reloads; the data plane (director/core, director/io) attaches here.

#include "common/runner/runner.h"

int main(int argc, char** argv) {
  return tandem::runner::run_main("director", argc, argv, [](tandem::runner::Runner& runner) {
    runner.on_status([] {
      return tandem::ipc::Json{{"role", "director"}, {"engine", "not wired yet"}};
    });
  });
}
