#pragma once
// The process-level chores of a daemon: the run directory, the pid file,
// detaching from the terminal, and systemd's notify/journal/watchdog hooks.

#include <optional>
#include <string>
#include <variant>

#include "common/util/clock.h"

namespace tandem::runner {

// mkdir -p with mode 0755 for components that do not exist yet.
std::optional<std::string> make_run_dir(const std::string& dir);

// The pid file doubles as the single-instance lock: it is held with flock()
// for the life of the process, so two daemons racing for one run directory
// cannot both get past it, and a crashed one leaves no lock behind.
class PidFile {
 public:
  // Locks `path` and writes our pid; the reason on failure ("already
  // running (pid N)" when another process holds it).
  static std::variant<PidFile, std::string> acquire(const std::string& path);
  PidFile(PidFile&& other) noexcept : path_(std::move(other.path_)), fd_(other.fd_) {
    other.fd_ = -1;
  }
  PidFile& operator=(PidFile&&) = delete;
  ~PidFile();  // removes the file, then drops the lock

 private:
  PidFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

// fork + setsid. The parent stays until the child calls Detached::ready()
// (exit 0) or dies first (exit 1), so the shell sees whether start-up worked.
// Only the child returns.
class Detached {
 public:
  static Detached detach();
  Detached() = default;
  // Tells the waiting parent that start-up succeeded and drops the terminal.
  void ready();

 private:
  explicit Detached(int fd) : ready_fd_(fd) {}
  int ready_fd_ = -1;
};

// systemd integration; each is a no-op outside systemd.
bool under_systemd();     // NOTIFY_SOCKET is set
bool journal_attached();  // JOURNAL_STREAM is set: stderr goes to the journal
void notify(const std::string& state);
std::optional<Duration> watchdog_interval();  // WATCHDOG_USEC when enabled for us

}  // namespace tandem::runner
