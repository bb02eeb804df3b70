// `tandemctl ipvsadm ARGS` (also spelled `tandemctl -A ...`, any ipvsadm
// option first): ipvsadm's verbs and layouts against tandem-director's
// control socket.
// Parsing and formatting live in director/control (ipvsadm.h, listing.h) so
// the director's `restore` reads exactly what `save` writes.

#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "ctl/commands.h"
#include "ctl/commands/ipvsadm.h"
#include "ctl/daemons.h"
#include "director/control/ipvsadm.h"
#include "director/control/listing.h"

namespace tandem::ctl {

namespace {

using ipc::Json;
namespace dc = director::control;

// The director's answer, or a printed error and exit code 1.
std::optional<Json> ask(const Globals& g, const std::string& cmd, const Json& args) {
  auto reply = query(g, "director", cmd, args);
  const std::string error = error_of(reply);
  if (!error.empty()) {
    std::cerr << "tandemctl: " << error << "\n";
    return std::nullopt;
  }
  return std::get<ipc::Response>(reply).result;
}

int list(const Globals& g, const dc::Invocation& inv) {
  const dc::Request req = dc::to_request(inv);
  auto result = ask(g, req.cmd, Json::object());
  if (!result) return kExitFailed;
  if (g.json) {
    print_json(*result);
    return kExitOk;
  }
  if (inv.list.connections) {
    std::cout << dc::format_connections(*result, inv.list);
    if (result->value("truncated", false))
      std::cerr << "tandemctl: showing " << result->value("connections", Json::array()).size()
                << " of " << result->value("total", 0) << " entries\n";
    return kExitOk;
  }
  std::optional<Json> only;
  if (inv.protocol) only = dc::service_json(*inv.protocol, inv.service);
  auto text = dc::format_list(*result, inv.list, only);
  if (!text) {
    std::cerr << "tandemctl: No such service\n";
    return kExitFailed;
  }
  std::cout << *text;
  return kExitOk;
}

int execute(const Globals& g, const dc::Invocation& inv) {
  switch (inv.verb) {
    case dc::Verb::list:
      return list(g, inv);
    case dc::Verb::save: {
      auto result = ask(g, "save", Json::object());
      if (!result) return kExitFailed;
      if (g.json)
        print_json(*result);
      else
        std::cout << result->value("text", "");
      return kExitOk;
    }
    case dc::Verb::restore: {
      std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
      // Check locally first: a typo is a usage error before anything is sent.
      auto parsed = dc::parse_restore(text);
      if (auto* err = std::get_if<std::string>(&parsed)) {
        std::cerr << "tandemctl: " << *err << "\n";
        return kExitUsage;
      }
      auto result = ask(g, "restore", {{"text", text}});
      if (!result) return kExitFailed;
      if (g.json) print_json(*result);
      return kExitOk;
    }
    default: {
      const dc::Request req = dc::to_request(inv);
      auto result = ask(g, req.cmd, req.args);
      if (!result) return kExitFailed;
      if (g.json) print_json(*result);
      return kExitOk;
    }
  }
}

int run_ipvsadm(const Globals& g, std::span<const std::string> args) {
  return ipvsadm_words(g, std::vector<std::string>(args.begin(), args.end()));
}

}  // namespace

int ipvsadm_words(const Globals& g, const std::vector<std::string>& words) {
  auto parsed = dc::parse_ipvsadm(words);
  if (auto* err = std::get_if<std::string>(&parsed)) return usage_error(*err);
  return execute(g, std::get<dc::Invocation>(parsed));
}

Command ipvsadm_command() {
  return {"ipvsadm", "-A|-E|-D|-a|-e|-d|-L|-Z|-C|-S|-R ...",
          "ipvsadm's verbs on tandem-director (also `tandemctl -A ...`)", run_ipvsadm};
}

}  // namespace tandem::ctl
