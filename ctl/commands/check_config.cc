// `tandemctl check-config [FILE]`: the same validation the daemons run, so
// an operator can check a file before reloading it. Exit 0 valid, 2 invalid.

#include <iostream>

#include "common/config/config.h"
#include "ctl/commands.h"
#include "ctl/daemons.h"

namespace tandem::ctl {
namespace {

int run(const Globals& g, std::span<const std::string> args) {
  if (args.size() > 1) return usage_error("check-config takes at most one file");
  const std::string file = args.empty() ? "/etc/tandem/tandem.yaml" : args[0];
  const config::LoadResult result = config::load_file(file);
  const bool ok = result.ok();
  if (g.json) {
    print_json({{"file", file}, {"ok", ok}, {"errors", ipc::diagnostics_to_json(result.errors)}});
  } else if (ok) {
    std::cout << file << ": configuration is valid\n";
  } else {
    std::cerr << format_diagnostics(result.errors);
    if (result.errors.empty()) std::cerr << file << ": configuration rejected\n";
  }
  return ok ? kExitOk : kExitUsage;
}

}  // namespace

Command check_config_command() {
  return {"check-config", "[FILE]",
          "validate a configuration file (default /etc/tandem/tandem.yaml)", run};
}

}  // namespace tandem::ctl
