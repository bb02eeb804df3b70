// `tandemctl vrrp`: every VRRP instance as vrrpd sees it: state, effective
// priority, who is master, the VIPs and the counters that explain a problem
// (adverts in and out, drops by reason, failed sends or address changes).

#include <iostream>
#include <string>

#include "ctl/commands.h"
#include "ctl/daemons.h"
#include "ctl/table.h"

namespace tandem::ctl {

namespace {

using ipc::Json;

std::string join(const Json& list) {
  std::string out;
  if (!list.is_array()) return "-";
  for (const auto& v : list)
    if (v.is_string()) out += (out.empty() ? "" : ",") + v.get<std::string>();
  return out.empty() ? "-" : out;
}

std::string text(const Json& obj, const char* key) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

std::string count(const Json& counters, const char* key) {
  const auto it = counters.find(key);
  return it != counters.end() && it->is_number() ? it->dump() : "0";
}

int run(const Globals& g, std::span<const std::string> args) {
  if (!args.empty()) return usage_error("vrrp takes no argument");
  auto reply = query(g, "vrrpd", "vrrp");
  const std::string error = error_of(reply);
  if (!error.empty()) {
    std::cerr << "tandemctl: vrrpd: " << error << "\n";
    return kExitFailed;
  }
  const Json& result = std::get<ipc::Response>(reply).result;
  if (g.json) {
    print_json(result);
    return kExitOk;
  }
  Table table({"INSTANCE", "GROUP", "VRID", "INTERFACE", "STATE", "PRIO", "MASTER", "VIPS",
               "TX", "RX", "DROPPED", "ERRORS"});
  const Json instances = result.value("instances", Json::array());
  for (const auto& i : instances) {
    if (!i.is_object()) continue;
    const Json counters = i.value("counters", Json::object());
    const std::uint64_t errors =
        counters.value("send_errors", std::uint64_t{0}) + counters.value("host_errors", std::uint64_t{0});
    table.add({text(i, "instance"), text(i, "group"), text(i, "vrid"), text(i, "interface"),
               text(i, "state"), text(i, "priority"), text(i, "master"), join(i.value("vips", Json())),
               count(counters, "adverts_sent"), count(counters, "adverts_received"),
               count(counters, "rx_dropped"), std::to_string(errors)});
  }
  std::cout << table.render();
  // Drops by reason, only those that happened: the table says how many, this
  // says why.
  for (const auto& i : instances) {
    if (!i.is_object()) continue;
    const Json rx = i.value("counters", Json::object()).value("rx_errors", Json::object());
    std::string reasons;
    for (auto it = rx.begin(); it != rx.end(); ++it)
      if (it->is_number() && it->get<std::uint64_t>() > 0)
        reasons += " " + it.key() + "=" + it->dump();
    const std::string last = i.value("last_error", std::string());
    if (!reasons.empty()) std::cout << text(i, "instance") << " dropped:" << reasons << "\n";
    if (!last.empty()) std::cout << text(i, "instance") << " last error: " << last << "\n";
  }
  return kExitOk;
}

}  // namespace

Command vrrp_command() {
  return {"vrrp", "", "VRRP instances: state, priority, master, VIPs, counters (vrrpd)", run};
}

}  // namespace tandem::ctl
