#pragma once
// The command line every Tandem daemon shares. Parsing is pure so every
// accepted and refused spelling is unit-tested; main decides what to do.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/log/log.h"

namespace tandem::runner {

struct Options {
  std::string config = "/etc/tandem/tandem.yaml";
  std::string run_dir;  // empty: the config's global.run_dir (default /run/tandem)
  std::string node;     // defaults to the short host name
  bool foreground = false;
  std::optional<log::Level> log_level;  // unset: the config's global.log_level
};

enum class Action { kRun, kCheckConfig, kHelp, kVersion, kUsageError };

struct ParsedFlags {
  Action action = Action::kRun;
  Options options;
  std::string error;  // for kUsageError
};

// args excludes the program name. Accepts "--flag value" and "--flag=value".
ParsedFlags parse_flags(const std::vector<std::string_view>& args, const std::string& default_node);

std::string usage(std::string_view program);

// The host name up to its first dot; "localhost" if it cannot be read.
std::string short_hostname();

}  // namespace tandem::runner
