// `tandemctl reload [DAEMON]`: asks each daemon to re-read its file. A daemon
// that refuses keeps its running config and says why; that (or a daemon that
// is down) makes the exit code 1.

#include <iostream>

#include "ctl/commands.h"
#include "ctl/daemons.h"

namespace tandem::ctl {
namespace {

int run(const Globals& g, std::span<const std::string> args) {
  auto selected = select_daemons(args);
  if (auto* err = std::get_if<std::string>(&selected)) return usage_error(*err);
  ipc::Json out = ipc::Json::array();
  bool any_failed = false;
  for (const auto& daemon : std::get<std::vector<std::string>>(selected)) {
    auto reply = query(g, daemon, "reload");
    if (auto* e = std::get_if<std::string>(&reply)) {
      any_failed = true;
      out.push_back({{"daemon", daemon}, {"ok", false}, {"state", "down"}, {"error", *e}});
      if (!g.json) std::cout << daemon << ": down: " << *e << "\n";
      continue;
    }
    const auto& r = std::get<ipc::Response>(reply);
    if (r.ok) {
      const auto generation = r.result.value("generation", ipc::Json());
      out.push_back({{"daemon", daemon}, {"ok", true}, {"generation", generation}});
      if (!g.json)
        std::cout << daemon << ": reloaded, generation " << ipc::dump_json(generation) << "\n";
    } else {
      any_failed = true;
      out.push_back({{"daemon", daemon}, {"ok", false}, {"state", "refused"}, {"error", r.error}});
      if (!g.json)
        std::cout << daemon << ": refused: " << r.error << (r.error.ends_with('\n') ? "" : "\n");
    }
  }
  if (g.json) print_json({{"daemons", out}});
  return any_failed ? kExitFailed : kExitOk;
}

}  // namespace

Command reload_command() {
  return {"reload", "[DAEMON]", "make each daemon re-read its configuration", run};
}

}  // namespace tandem::ctl
