#include "common/log/log.h"

#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>

namespace tandem::log {
namespace {

struct State {
  std::mutex mu;
  std::string ident = "tandem";
  Level min_level = Level::kInfo;
  Target target = Target::kStderr;
  Sink sink;
};

State& state() {
  static State s;
  return s;
}

void write_stderr(const std::string& ident, Level level, std::string_view message) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm parts{};
  gmtime_r(&ts.tv_sec, &parts);
  char stamp[96];  // sized for any int the compiler cannot rule out
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                ts.tv_nsec / 1000000);
  std::string line;
  line.reserve(message.size() + 64);
  line.append(stamp).append(" ").append(level_name(level)).append(" ").append(ident);
  line.append(": ").append(message).append("\n");
  // One write per line keeps lines whole when several processes share stderr.
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace

std::optional<Level> parse_level(std::string_view text) {
  if (text == "error") return Level::kError;
  if (text == "warn") return Level::kWarn;
  if (text == "info") return Level::kInfo;
  if (text == "debug") return Level::kDebug;
  return std::nullopt;
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::kError:
      return "error";
    case Level::kWarn:
      return "warn";
    case Level::kInfo:
      return "info";
    case Level::kDebug:
      return "debug";
  }
  return "?";
}

void init(std::string ident, Level min_level, Target target) {
  State& s = state();
  std::lock_guard lock(s.mu);
  s.ident = std::move(ident);
  s.min_level = min_level;
  s.target = target;
}

void set_level(Level min_level) {
  State& s = state();
  std::lock_guard lock(s.mu);
  s.min_level = min_level;
}

void set_target(Target target) {
  State& s = state();
  std::lock_guard lock(s.mu);
  s.target = target;
}

void set_sink(Sink sink) {
  State& s = state();
  std::lock_guard lock(s.mu);
  s.sink = std::move(sink);
}

bool enabled(Level level) {
  State& s = state();
  std::lock_guard lock(s.mu);
  return static_cast<int>(level) <= static_cast<int>(s.min_level);
}

void write(Level level, std::string_view message) {
  State& s = state();
  std::lock_guard lock(s.mu);
  if (s.sink) {
    s.sink(level, message);
    return;
  }
  if (static_cast<int>(level) > static_cast<int>(s.min_level)) return;
  if (s.target == Target::kJournal) {
    sd_journal_send("MESSAGE=%.*s", static_cast<int>(message.size()), message.data(), "PRIORITY=%d",
                    static_cast<int>(level), "SYSLOG_IDENTIFIER=%s", s.ident.c_str(), nullptr);
    return;
  }
  write_stderr(s.ident, level, message);
}

}  // namespace tandem::log
