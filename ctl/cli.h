#pragma once
// tandemctl's command model. Each command group lives in its own file under
// ctl/commands/ and is listed once in ctl/commands.cc; main.cc only parses the
// global options and dispatches.

#include <chrono>
#include <span>
#include <string>
#include <vector>

namespace tandem::ctl {

struct Globals {
  std::string run_dir = "/run/tandem";
  bool json = false;
  std::chrono::milliseconds timeout{2000};
};

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // a daemon is down or refused
inline constexpr int kExitUsage = 2;   // bad invocation or invalid config

struct Command {
  std::string name;
  std::string args;     // e.g. "[DAEMON]", for the usage text
  std::string summary;  // one line
  int (*run)(const Globals&, std::span<const std::string> args);
};

// The table of every command, in the order `tandemctl --help` lists them.
const std::vector<Command>& commands();

// Prints "tandemctl: <message>" and the usage to stderr; returns kExitUsage.
int usage_error(const std::string& message);
std::string usage();

}  // namespace tandem::ctl
