#include "common/runner/process.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>

namespace tandem::runner {

std::optional<std::string> make_run_dir(const std::string& dir) {
  if (dir.empty()) return "empty run directory";
  for (std::size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    const std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST)
      return part + ": " + std::strerror(errno);
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return dir + ": not a directory";
  return std::nullopt;
}

std::variant<PidFile, std::string> PidFile::acquire(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return path + ": " + std::strerror(errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
    // The previous owner may have unlinked the file between our open and
    // flock; a lock on an orphaned inode guards nothing, so start over.
    struct stat held {
    }, named{};
    if (::fstat(fd, &held) == 0 && (::stat(path.c_str(), &named) != 0 ||
                                    held.st_ino != named.st_ino || held.st_dev != named.st_dev)) {
      ::close(fd);
      return acquire(path);
    }
  } else {
    const int err = errno;
    std::string holder;
    std::ifstream in(path);
    long pid = 0;
    if (in >> pid) holder = " (pid " + std::to_string(pid) + ")";
    ::close(fd);
    if (err == EWOULDBLOCK) return "already running" + holder + ": " + path + " is locked";
    return path + ": flock: " + std::strerror(err);
  }
  const std::string text = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    const std::string reason = path + ": cannot write: " + std::strerror(errno);
    ::close(fd);
    return reason;
  }
  return PidFile(path, fd);
}

PidFile::~PidFile() {
  if (fd_ < 0) return;
  // Unlink while still locked so a successor never sees our stale pid.
  ::unlink(path_.c_str());
  ::close(fd_);
}

Detached Detached::detach() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    std::perror("pipe2");
    std::exit(1);
  }
  const pid_t child = ::fork();
  if (child < 0) {
    std::perror("fork");
    std::exit(1);
  }
  if (child > 0) {
    ::close(fds[1]);
    char byte = 0;
    ssize_t n;
    do {
      n = ::read(fds[0], &byte, 1);
    } while (n < 0 && errno == EINTR);
    ::_exit(n == 1 ? 0 : 1);
  }
  ::close(fds[0]);
  ::setsid();
  if (::chdir("/") != 0) {
    // Nothing relies on the working directory; staying put is harmless.
  }
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, STDIN_FILENO);
    ::close(null);
  }
  return Detached(fds[1]);
}

void Detached::ready() {
  if (ready_fd_ < 0) return;
  // Start-up errors went to the terminal; from now on nobody reads it.
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    ::close(null);
  }
  const char byte = 'R';
  [[maybe_unused]] auto n = ::write(ready_fd_, &byte, 1);
  ::close(ready_fd_);
  ready_fd_ = -1;
}

bool under_systemd() {
  const char* v = std::getenv("NOTIFY_SOCKET");
  return v != nullptr && *v != '\0';
}

bool journal_attached() {
  const char* v = std::getenv("JOURNAL_STREAM");
  return v != nullptr && *v != '\0';
}

void notify(const std::string& state) {
  sd_notify(0, state.c_str());
}

std::optional<Duration> watchdog_interval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

}  // namespace tandem::runner
