#include "alerts/senders/exec_send.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace tandem::alerts {

namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

int ms_left(SteadyTime deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - std::chrono::steady_clock::now())
                  .count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1000));
}

// Writes the body until done, the child stops reading, or the deadline.
// A socket rather than a pipe so MSG_NOSIGNAL protects us from SIGPIPE
// whatever the process's signal setup.
void feed(int fd, const std::string& body, SteadyTime deadline) {
  std::size_t off = 0;
  while (off < body.size()) {
    pollfd p{fd, POLLOUT, 0};
    int ms = ms_left(deadline);
    if (ms == 0) return;
    int n = ::poll(&p, 1, ms);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    ssize_t w = ::send(fd, body.data() + off, body.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return;  // the program does not want its stdin; that is its choice
    }
    off += static_cast<std::size_t>(w);
  }
}

}  // namespace

SendResult send_exec(const config::ExecSender& cfg, const Job& job,
                     const std::atomic<bool>* cancel) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return {false, std::string("socketpair: ") + std::strerror(errno)};
  }
  ::shutdown(sv[1], SHUT_WR);  // the child's end only reads
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGHUP);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> args{cfg.path};
  if (cfg.mon_compatible) {
    // mon's alert calling convention (mon(8), "ALERT PROGRAMS"); a Tandem
    // service is both mon's service and its hostgroup.
    args.insert(args.end(), {"-s", job.service, "-g", job.service, "-h", job.server, "-t",
                             std::to_string(job.created)});
    if (job.type == "up") args.emplace_back("-u");
  }
  args.insert(args.end(), cfg.args.begin(), cfg.args.end());
  // A trailing comma keeps one variable per line.
  std::vector<std::string> env{
      "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
      "TANDEM_ALERT_ID=" + std::to_string(job.id),
      "TANDEM_ALERT_ROUTE=" + job.route,
      "TANDEM_ALERT_SENDER=" + job.sender,
      "TANDEM_ALERT_TYPE=" + job.type,
      "TANDEM_ALERT_KIND=" + job.kind,
      "TANDEM_ALERT_SEVERITY=" + job.severity,
      "TANDEM_ALERT_SERVICE=" + job.service,
      "TANDEM_ALERT_SERVER=" + job.server,
      "TANDEM_ALERT_SUBJECT=" + job.subject,
      "TANDEM_ALERT_TIME=" + std::to_string(job.created),
      // What mon's alert scripts read.
      "MON_SERVICE=" + job.service,
      "MON_GROUP=" + job.service,
      "MON_ALERTTYPE=" + job.type,
      "MON_LAST_SUMMARY=" + job.summary,
      "MON_OPSTATUS=" + std::string(job.type == "up" ? "1" : "0"),
  };
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, cfg.path.c_str(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(sv[1]);
  if (rc != 0) {
    ::close(sv[0]);
    return {false, "cannot run " + cfg.path + ": " + std::strerror(rc)};
  }
  SteadyTime deadline = std::chrono::steady_clock::now() + cfg.timeout;
  feed(sv[0], job.body, deadline);
  ::close(sv[0]);

  for (;;) {
    // WNOWAIT: the child stays unreaped, so its pid (our group id) cannot be
    // reused before the group kill below.
    siginfo_t info{};
    int w = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
    if (w == 0 && info.si_pid == pid) break;
    if (w < 0 && errno != EINTR) return {false, std::string("waitid: ") + std::strerror(errno)};
    if (ms_left(deadline) == 0 || (cancel != nullptr && cancel->load())) {
      ::kill(-pid, SIGKILL);
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      return {false, cfg.path + " timed out and was killed"};
    }
    // The worker thread has nothing else to do; a short sleep keeps the
    // code free of SIGCHLD plumbing that the daemon's loop would share.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Helpers the program left behind in its group go with it.
  ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {true, {}};
  if (WIFEXITED(status)) {
    return {false, cfg.path + " exited " + std::to_string(WEXITSTATUS(status))};
  }
  return {false, cfg.path + " killed by signal " + std::to_string(WTERMSIG(status))};
}

}  // namespace tandem::alerts
