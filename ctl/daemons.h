#pragma once
// The daemons tandemctl talks to and the one way it reaches them.

#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "common/ipc/message.h"
#include "ctl/cli.h"

namespace tandem::ctl {

// Short names in the order tables show them; the socket is <run-dir>/<name>.sock.
const std::vector<std::string>& daemon_names();

// "director" or "tandem-director" -> "director"; nullopt for anything else.
std::optional<std::string> canonical_daemon(const std::string& name);

// No argument = all daemons; one argument = that daemon. Returns the reason
// on a bad argument.
std::variant<std::vector<std::string>, std::string> select_daemons(
    std::span<const std::string> args);

// A daemon's response, or why it could not be reached.
using Reply = std::variant<ipc::Response, std::string>;

// One request to a daemon's control socket, bounded by globals.timeout.
Reply query(const Globals& globals, const std::string& daemon, const std::string& cmd,
            const ipc::Json& args = ipc::Json::object());

// Why a query did not succeed: unreachable, or the daemon's error; "" if ok.
std::string error_of(const Reply& reply);

// Prints JSON to stdout (indented, never throwing on odd strings).
void print_json(const ipc::Json& value);

}  // namespace tandem::ctl
