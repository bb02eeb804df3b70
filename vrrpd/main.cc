// tandem-vrrpd: wiring only. The runner owns flags, signals, logging, the
// control socket and reloads; the VRRP engine (vrrpd/core) attaches here.

#include "common/runner/runner.h"

int main(int argc, char** argv) {
  return tandem::runner::run_main("vrrpd", argc, argv, [](tandem::runner::Runner& runner) {
    runner.on_status([] {
      return tandem::ipc::Json{{"role", "vrrpd"}, {"engine", "not wired yet"}};
    });
  });
}
