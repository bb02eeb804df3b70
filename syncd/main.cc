// tandem-syncd: wiring only; the service is in service.cc, the protocol in core/.

#include "common/runner/runner.h"
#include "syncd/service.h"

int main(int argc, char** argv) {
  return tandem::runner::run_main(
      "syncd", argc, argv, [](tandem::runner::Runner& runner) { tandem::syncd::attach(runner); });
}
