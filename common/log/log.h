#pragma once
// The one logging API of the suite. A daemon picks its target once at start
// (journald under systemd, stderr otherwise); every component just calls
// log::info(...). Tests install a capturing sink to assert on logged reasons.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tandem::log {

// Values are syslog priorities so journald gets them unchanged.
enum class Level { kError = 3, kWarn = 4, kInfo = 6, kDebug = 7 };

enum class Target { kStderr, kJournal };

std::optional<Level> parse_level(std::string_view text);
std::string_view level_name(Level level);

// ident is the program name ("tandem-director"); it prefixes stderr lines
// and becomes SYSLOG_IDENTIFIER in the journal.
void init(std::string ident, Level min_level, Target target);
void set_level(Level min_level);
void set_target(Target target);

// Replaces the output; for tests. An empty function restores init's target.
using Sink = std::function<void(Level, std::string_view)>;
void set_sink(Sink sink);

bool enabled(Level level);
void write(Level level, std::string_view message);

inline void error(std::string_view m) {
  write(Level::kError, m);
}
inline void warn(std::string_view m) {
  write(Level::kWarn, m);
}
inline void info(std::string_view m) {
  write(Level::kInfo, m);
}
inline void debug(std::string_view m) {
  if (enabled(Level::kDebug)) write(Level::kDebug, m);
}

}  // namespace tandem::log
