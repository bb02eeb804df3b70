#include "ctl/daemons.h"

#include <iostream>

#include "common/ipc/client.h"

namespace tandem::ctl {

const std::vector<std::string>& daemon_names() {
  static const std::vector<std::string> names = {"director", "healthd", "vrrpd", "syncd", "alertd"};
  return names;
}

std::optional<std::string> canonical_daemon(const std::string& name) {
  std::string_view n = name;
  if (n.starts_with("tandem-")) n.remove_prefix(7);
  for (const auto& d : daemon_names())
    if (d == n) return d;
  return std::nullopt;
}

std::variant<std::vector<std::string>, std::string> select_daemons(
    std::span<const std::string> args) {
  if (args.empty()) return daemon_names();
  if (args.size() > 1) return std::string("expected at most one daemon name");
  auto d = canonical_daemon(args[0]);
  if (!d) {
    std::string known;
    for (const auto& n : daemon_names()) known += (known.empty() ? "" : ", ") + n;
    return "unknown daemon '" + args[0] + "' (known: " + known + ")";
  }
  return std::vector<std::string>{*d};
}

Reply query(const Globals& globals, const std::string& daemon, const std::string& cmd,
            const ipc::Json& args) {
  return ipc::call(globals.run_dir + "/" + daemon + ".sock", cmd, args, globals.timeout);
}

std::string error_of(const Reply& reply) {
  if (auto* e = std::get_if<std::string>(&reply)) return *e;
  const auto& r = std::get<ipc::Response>(reply);
  return r.ok ? "" : r.error;
}

void print_json(const ipc::Json& value) {
  std::cout << ipc::dump_json(value, 2) << "\n";
}

}  // namespace tandem::ctl
