// `tandemctl ping [DAEMON]`: is each control socket answering, and how fast.

#include <chrono>
#include <cstdio>
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
    const auto start = std::chrono::steady_clock::now();
    auto reply = query(g, daemon, "ping");
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    const std::string error = error_of(reply);
    any_failed |= !error.empty();
    if (g.json) {
      out.push_back(error.empty() ? ipc::Json{{"daemon", daemon}, {"ok", true}, {"ms", ms}}
                                  : ipc::Json{{"daemon", daemon}, {"ok", false}, {"error", error}});
    } else if (error.empty()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2f", ms);
      std::cout << daemon << ": ok (" << buf << " ms)\n";
    } else {
      std::cout << daemon << ": down: " << error << "\n";
    }
  }
  if (g.json) print_json({{"daemons", out}});
  return any_failed ? kExitFailed : kExitOk;
}

}  // namespace

Command ping_command() {
  return {"ping", "[DAEMON]", "check that control sockets answer", run};
}

}  // namespace tandem::ctl
