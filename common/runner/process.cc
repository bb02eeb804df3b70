#include "common/runner/process.h"

#include <errno.h>
#include <fcntl.h>
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

std::optional<std::string> write_pid_file(const std::string& path) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << ::getpid() << '\n';
    if (!out.flush()) return tmp + ": cannot write";
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return path + ": " + std::strerror(errno);
  }
  return std::nullopt;
}

void remove_pid_file(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  if (in >> pid && pid == static_cast<long>(::getpid())) ::unlink(path.c_str());
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
