// tandem-alertd: wiring only. The runner owns flags, signals, logging, the
// control socket and reloads; the alert policy and senders (alerts/core) attaches here.

#include "common/runner/runner.h"

int main(int argc, char** argv) {
  return tandem::runner::run_main("alertd", argc, argv, [](tandem::runner::Runner& runner) {
    runner.on_status([] {
      return tandem::ipc::Json{{"role", "alertd"}, {"engine", "not wired yet"}};
    });
  });
}
