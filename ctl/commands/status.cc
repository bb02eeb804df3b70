// `tandemctl status [DAEMON]`: one row per daemon; an unreachable daemon is
// a "down" row with the reason, and makes the exit code 1.

#include <iostream>

#include "ctl/commands.h"
#include "ctl/daemons.h"
#include "ctl/table.h"

namespace tandem::ctl {
namespace {

using ipc::Json;

std::string text(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "-";
  return ipc::dump_json(j);
}

int run(const Globals& g, std::span<const std::string> args) {
  auto selected = select_daemons(args);
  if (auto* err = std::get_if<std::string>(&selected)) return usage_error(*err);
  Table table({"DAEMON", "STATE", "PID", "UPTIME", "NODE", "GEN", "NOTE"});
  Json out = Json::array();
  bool any_down = false;
  for (const auto& daemon : std::get<std::vector<std::string>>(selected)) {
    auto reply = query(g, daemon, "status");
    const std::string error = error_of(reply);
    if (!error.empty()) {
      any_down = true;
      table.add({daemon, "down", "-", "-", "-", "-", error});
      out.push_back({{"daemon", daemon}, {"state", "down"}, {"error", error}});
      continue;
    }
    const Json& s = std::get<ipc::Response>(reply).result;
    std::string note;
    const Json last = s.value("last_reload", Json());
    if (last.is_object() && !last.value("ok", true)) note = "last reload failed";
    table.add({daemon, text(s.value("state", Json())), text(s.value("pid", Json())),
               format_uptime(s.value("uptime_s", 0.0)), text(s.value("node", Json())),
               text(s.value("config_generation", Json())), note});
    out.push_back({{"daemon", daemon}, {"state", s.value("state", "unknown")}, {"status", s}});
  }
  if (g.json)
    print_json({{"daemons", out}});
  else
    std::cout << table.render();
  return any_down ? kExitFailed : kExitOk;
}

}  // namespace

Command status_command() {
  return {"status", "[DAEMON]", "state, pid, uptime, node and config generation of each daemon",
          run};
}

}  // namespace tandem::ctl
