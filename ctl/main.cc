// tandemctl: global options, then one command from the table in commands.cc.

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "ctl/cli.h"
#include "ctl/commands/ipvsadm.h"

namespace tandem::ctl {

std::string usage() {
  std::string out =
      "usage: tandemctl [--run-dir DIR] [--json] [--timeout SECONDS] COMMAND [ARGS]\n"
      "  --run-dir DIR      where the daemons' sockets are (default /run/tandem)\n"
      "  --json             machine-readable output\n"
      "  --timeout SECONDS  per-daemon request timeout (default 2)\n"
      "  --version          print the version and exit\n"
      "commands:\n";
  for (const auto& c : commands()) {
    std::string left = c.name + (c.args.empty() ? "" : " " + c.args);
    out +=
        "  " + left + std::string(left.size() < 22 ? 22 - left.size() : 1, ' ') + c.summary + "\n";
  }
  return out;
}

int usage_error(const std::string& message) {
  std::cerr << "tandemctl: " << message << "\n" << usage();
  return kExitUsage;
}

namespace {

int run(int argc, char** argv) {
  Globals globals;
  std::vector<std::string> rest;
  // Global options are accepted anywhere before "--" so that
  // `tandemctl status --json` works as well as `tandemctl --json status`.
  bool literal = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (!literal && arg.starts_with("--")) {
      if (auto eq = arg.find('='); eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg.resize(eq);
        has_value = true;
      }
    }
    const auto take = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= argc) return false;
      value = argv[++i];
      return true;
    };
    if (literal) {
      rest.push_back(arg);
    } else if (arg == "--") {
      literal = true;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << usage();
      return kExitOk;
    } else if (arg == "--version") {
      std::cout << "tandemctl " << TANDEM_VERSION << "\n";
      return kExitOk;
    } else if (arg == "--json") {
      if (has_value) return usage_error("--json takes no value");
      globals.json = true;
    } else if (arg == "--run-dir") {
      if (!take() || value.empty()) return usage_error("--run-dir needs a directory");
      globals.run_dir = value;
    } else if (arg == "--timeout") {
      char* end = nullptr;
      const double seconds = take() ? std::strtod(value.c_str(), &end) : 0;
      if (end == nullptr || end == value.c_str() || *end != '\0' || !(seconds > 0) ||
          seconds > 3600)
        return usage_error("--timeout needs a number of seconds between 0 and 3600");
      globals.timeout = std::chrono::milliseconds(static_cast<long>(seconds * 1000 + 0.5));
      if (globals.timeout.count() == 0) globals.timeout = std::chrono::milliseconds(1);
    } else {
      rest.push_back(has_value ? arg + "=" + value : arg);
    }
  }
  if (rest.empty()) return usage_error("no command given");
  if (rest[0] == "help") {
    std::cout << usage();
    return kExitOk;
  }
  // ipvsadm's own spelling: `tandemctl -Ln`, `tandemctl -A -t VIP:PORT -s rr`.
  if (rest[0].size() > 1 && rest[0][0] == '-') return ipvsadm_words(globals, rest);
  for (const auto& c : commands())
    if (c.name == rest[0]) return c.run(globals, std::span(rest).subspan(1));
  return usage_error("unknown command: " + rest[0]);
}

}  // namespace
}  // namespace tandem::ctl

int main(int argc, char** argv) {
  try {
    return tandem::ctl::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "tandemctl: " << e.what() << "\n";
    return tandem::ctl::kExitFailed;
  }
}
