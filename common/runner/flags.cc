#include "common/runner/flags.h"

#include <unistd.h>

#include <array>

namespace tandem::runner {

ParsedFlags parse_flags(const std::vector<std::string_view>& args,
                        const std::string& default_node) {
  ParsedFlags out;
  out.options.node = default_node;
  bool check = false;
  const auto fail = [&out](std::string message) {
    out.action = Action::kUsageError;
    out.error = std::move(message);
    return out;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    std::optional<std::string_view> inline_value;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    const bool takes_value =
        arg == "--config" || arg == "--run-dir" || arg == "--node" || arg == "--log-level";
    if (!takes_value && inline_value) return fail(std::string(arg) + " takes no value");
    std::string_view value;
    if (takes_value) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return fail(std::string(arg) + " needs a value");
      }
      if (value.empty()) return fail(std::string(arg) + " needs a non-empty value");
    }
    if (arg == "--config") {
      out.options.config = value;
    } else if (arg == "--run-dir") {
      out.options.run_dir = value;
    } else if (arg == "--node") {
      out.options.node = value;
    } else if (arg == "--log-level") {
      auto level = log::parse_level(value);
      if (!level) return fail("--log-level must be error, warn, info or debug");
      out.options.log_level = *level;
    } else if (arg == "--foreground") {
      out.options.foreground = true;
    } else if (arg == "--check-config") {
      check = true;
    } else if (arg == "--help" || arg == "-h") {
      out.action = Action::kHelp;
      return out;
    } else if (arg == "--version") {
      out.action = Action::kVersion;
      return out;
    } else {
      return fail("unknown argument: " + std::string(arg));
    }
  }
  out.action = check ? Action::kCheckConfig : Action::kRun;
  return out;
}

std::string usage(std::string_view program) {
  std::string p(program);
  return "usage: " + p +
         " [options]\n"
         "  --config FILE      configuration file (default /etc/tandem/tandem.yaml)\n"
         "  --run-dir DIR      directory for the control socket and pid file\n"
         "                     (default: global.run_dir of the config, /run/tandem)\n"
         "  --node NAME        this director's name (default: short host name)\n"
         "  --foreground       do not daemonize (implied under systemd)\n"
         "  --check-config     validate the configuration and exit: 0 valid, 2 invalid\n"
         "  --log-level LEVEL  error, warn, info or debug (default: global.log_level)\n"
         "  --version          print the version and exit\n"
         "  --help             print this help and exit\n";
}

std::string short_hostname() {
  std::array<char, 256> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0 || buf[0] == '\0') return "localhost";
  std::string name(buf.data());
  if (auto dot = name.find('.'); dot != std::string::npos && dot > 0) name.resize(dot);
  return name;
}

}  // namespace tandem::runner
