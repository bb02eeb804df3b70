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
  Table table({"SERVICE", "SERVER", "STATE", "LAST-CHECK", "LATENCY", "SUMMARY"});
  const Json services = result.value("services", Json::array());
  for (const auto& svc : services) {
    if (!svc.is_object()) continue;
    const std::string name = svc.value("service", "?");
    const Json servers = svc.value("servers", Json::array());
    for (const auto& s : servers) {
      if (!s.is_object()) continue;
      const Json last = s.value("last", Json());
      std::string when = "-", latency = "-", summary = "-";
      if (last.is_object()) {
        when = format_uptime(last.value("age_s", 0.0)) + " ago";
        latency = fixed(last.value("latency_ms", 0.0), "ms");
        summary = last.value("summary", "");
      }
      table.add({name, s.value("server", "?"), s.value("state", "?"), when, latency, summary});
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
