// `tandemctl health`: every service/server as healthd sees it, and
// `tandemctl health maintenance SERVICE SERVER on|off`.

#include <cstdio>
#include <iostream>
#include <string>

#include "ctl/commands.h"
#include "ctl/daemons.h"
#include "ctl/table.h"

namespace tandem::ctl {

namespace {

using ipc::Json;

std::string fixed(double v, const char* unit) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f%s", v, unit);
  return buf;
}

// Recent results oldest first, one character each: + passed, - failed.
std::string history_marks(const Json& history) {
  std::string out;
  if (!history.is_array()) return "-";
  for (const auto& h : history) {
    if (h.is_object()) out += h.value("ok", false) ? '+' : '-';
  }
  return out.empty() ? "-" : out;
}

struct LastCheck {
  std::string when = "-", latency = "-", summary = "-";
};

LastCheck last_of(const Json& last) {
  LastCheck c;
  if (last.is_object()) {
    c.when = format_uptime(last.value("age_s", 0.0)) + " ago";
    c.latency = fixed(last.value("latency_ms", 0.0), "ms");
    c.summary = last.value("summary", "");
  }
  return c;
}

int maintenance(const Globals& g, std::span<const std::string> args) {
  if (args.size() != 3 || (args[2] != "on" && args[2] != "off"))
    return usage_error("health maintenance SERVICE SERVER on|off");
  const Json req = {{"service", args[0]}, {"server", args[1]}, {"on", args[2] == "on"}};
  auto reply = query(g, "healthd", "maintenance", req);
  const std::string error = error_of(reply);
  if (!error.empty()) {
    std::cerr << "tandemctl: " << error << "\n";
    return kExitFailed;
  }
  if (g.json)
    print_json(std::get<ipc::Response>(reply).result);
  else
    std::cout << args[0] << "/" << args[1] << " maintenance " << args[2] << "\n";
  return kExitOk;
}

int run(const Globals& g, std::span<const std::string> args) {
  if (!args.empty() && args[0] == "maintenance") return maintenance(g, args.subspan(1));
  if (!args.empty()) return usage_error("health takes no argument but maintenance");
  auto reply = query(g, "healthd", "health");
  const std::string error = error_of(reply);
  if (!error.empty()) {
    std::cerr << "tandemctl: healthd: " << error << "\n";
    return kExitFailed;
  }
  const Json& result = std::get<ipc::Response>(reply).result;
  if (g.json) {
    print_json(result);
    return kExitOk;
  }
  Table table({"SERVICE", "SERVER", "STATE", "LAST-CHECK", "LATENCY", "HISTORY", "SUMMARY"});
  const Json services = result.value("services", Json::array());
  for (const auto& svc : services) {
    if (!svc.is_object()) continue;
    const std::string name = svc.value("service", "?");
    const Json servers = svc.value("servers", Json::array());
    for (const auto& s : servers) {
      if (!s.is_object()) continue;
      const Json monitors = s.value("monitors", Json::array());
      const bool several = monitors.is_array() && monitors.size() > 1;
      LastCheck last = last_of(s.value("last", Json()));
      const Json last_json = s.value("last", Json());
      if (several && last_json.is_object()) {
        last.summary = last_json.value("monitor", "") + ": " + last.summary;
      }
      table.add({name, s.value("server", "?"), s.value("state", "?"), last.when, last.latency,
                 several ? "" : history_marks(s.value("history", Json())), last.summary});
      // A server judged by several monitors gets a line for each.
      if (!several) continue;
      for (const auto& m : monitors) {
        if (!m.is_object()) continue;
        const LastCheck ml = last_of(m.value("last", Json()));
        table.add({"", "  " + m.value("monitor", "?"), m.value("up", false) ? "up" : "down",
                   ml.when, ml.latency, history_marks(m.value("history", Json())), ml.summary});
      }
    }
  }
  std::cout << table.render();
  return kExitOk;
}

}  // namespace

Command health_command() {
  return {"health", "[maintenance SERVICE SERVER on|off]",
          "state and last check of every real server (healthd); operator maintenance", run};
}

}  // namespace tandem::ctl
