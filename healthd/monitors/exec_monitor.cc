// exec: a mon-style monitor program, run without a shell with the host as
// argument. Exit 0 = ok, the first stdout line is the summary. The child
// gets its own process group so a timeout can stop whatever it started:
// SIGTERM, a grace period, then SIGKILL. A pidfd tells the loop when it has
// exited, so it is reaped without blocking and without a SIGCHLD handler.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "healthd/monitors/factories.h"
#include "healthd/monitors/session.h"

extern char** environ;

namespace tandem::health {

namespace {

namespace asio = boost::asio;
using Ec = boost::system::error_code;

std::vector<std::string> build_argv(const ExecParams& p, const net::Endpoint& t) {
  const std::string host = t.address.to_string();
  const std::string port = std::to_string(t.port);
  std::vector<std::string> argv = {p.program};
  for (std::string a : p.args) {
    for (auto [key, value] : {std::pair<std::string_view, const std::string&>{"{host}", host},
                              std::pair<std::string_view, const std::string&>{"{port}", port}}) {
      for (auto at = a.find(key); at != std::string::npos; at = a.find(key, at + value.size())) {
        a.replace(at, key.size(), value);
      }
    }
    argv.push_back(std::move(a));
  }
  if (p.append_host) argv.push_back(host);
  return argv;
}

// The daemon's environment minus any stale TANDEM_CHECK_*, plus the target.
std::vector<std::string> build_env(const net::Endpoint& t) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::string_view(*e).starts_with("TANDEM_CHECK_")) continue;
    env.emplace_back(*e);
  }
  env.push_back("TANDEM_CHECK_HOST=" + t.address.to_string());
  env.push_back("TANDEM_CHECK_PORT=" + std::to_string(t.port));
  return env;
}

class ExecSession final : public Session {
 public:
  ExecSession(asio::io_context& io, MonoTime deadline, Callback done,
              std::shared_ptr<const ExecParams> p)
      : Session(io, deadline, std::move(done)), p_(std::move(p)), out_(io), exit_(io), grace_(io) {}

  ~ExecSession() override {
    // Only reached with the child still around if the io_context died first.
    if (pid_ > 0 && !reaped_) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

 private:
  void begin(const net::Endpoint& target) override {
    const auto args = build_argv(*p_, target);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const auto env_strings = build_env(target);
    std::vector<char*> envp;
    for (const auto& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) return fail_errno("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    sigaddset(&dflt, SIGTERM);
    sigaddset(&dflt, SIGCHLD);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dflt);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, p_->program.c_str(), &fa, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(pipefd[1]);
    if (rc != 0) {
      ::close(pipefd[0]);
      return finish(false, "cannot run " + p_->program + ": " + std::strerror(rc));
    }
    pid_ = pid;
    ::fcntl(pipefd[0], F_SETFL, ::fcntl(pipefd[0], F_GETFL) | O_NONBLOCK);
    out_.assign(pipefd[0]);
    // Via syscall: glibc 2.36 declares pidfd_open without C linkage for C++.
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd < 0) {
      // Without a pidfd (kernel < 5.3) we cannot wait for it without
      // blocking: stop it now rather than leave a zombie behind.
      const int err = errno;
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      reaped_ = true;
      return finish(false, std::string("pidfd_open: ") + std::strerror(err));
    }
    exit_.assign(pidfd);
    phase_ = "running";
    read_output();
    exit_.async_wait(asio::posix::stream_descriptor::wait_read,
                     [s = self<ExecSession>()](const Ec& ec) {
                       if (!ec) s->on_exit();
                     });
  }

  void fail_errno(const char* what) {
    finish(false, std::string(what) + ": " + std::strerror(errno));
  }

  void read_output() {
    out_.async_read_some(asio::buffer(buf_),
                         [s = self<ExecSession>()](const Ec& ec, std::size_t n) {
                           if (ec) return;  // EOF or closed; the exit decides
                           s->keep(n);
                           s->read_output();
                         });
  }

  // Reads past max_output are discarded so the child never blocks on a full pipe.
  void keep(std::size_t n) {
    const std::size_t room = p_->max_output - std::min(p_->max_output, output_.size());
    output_.append(buf_.data(), std::min(n, room));
  }

  void drain() {
    Ec ec;
    while (out_.is_open()) {
      const std::size_t n = out_.read_some(asio::buffer(buf_), ec);
      if (ec || n == 0) break;
      keep(n);
    }
  }

  void on_deadline() override {
    // Not finished yet: the result waits for the reap, so no zombie and no
    // stray process outlives the check.
    timed_out_ = true;
    phase_ = "terminating";
    ::kill(-pid_, SIGTERM);
    grace_.expires_after(p_->kill_grace);
    grace_.async_wait([s = self<ExecSession>()](const Ec& ec) {
      if (!ec && !s->reaped_) ::kill(-s->pid_, SIGKILL);
    });
  }

  void on_exit() {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == 0) {  // spurious wake-up
      exit_.async_wait(asio::posix::stream_descriptor::wait_read,
                       [s = self<ExecSession>()](const Ec& ec) {
                         if (!ec) s->on_exit();
                       });
      return;
    }
    reaped_ = true;
    if (finished()) return;  // cancelled: reaping was all that was left
    grace_.cancel();
    // A grandchild may hold the pipe open; take what is there, do not wait.
    drain();
    std::string first = output_.substr(0, output_.find('\n'));
    if (first.size() > 200) first.resize(200);
    if (timed_out_) {
      return finish(false, "timeout (killed)", output_);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      return finish(true, first.empty() ? "exit 0" : first, output_);
    }
    const std::string how = WIFEXITED(status)
                                ? "exit " + std::to_string(WEXITSTATUS(status))
                                : "killed by signal " + std::to_string(WTERMSIG(status));
    finish(false, first.empty() ? how : first + " (" + how + ")", output_);
  }

  void close() override {
    Ec ignored;
    out_.close(ignored);
    grace_.cancel();
    if (pid_ > 0 && !reaped_) {
      // Cancelled while running: the pending exit wait still reaps it.
      ::kill(-pid_, SIGKILL);
      return;
    }
    exit_.close(ignored);
  }

  std::shared_ptr<const ExecParams> p_;
  asio::posix::stream_descriptor out_, exit_;
  asio::steady_timer grace_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  bool timed_out_ = false;
  std::string output_;
  std::array<char, 4096> buf_{};
};

}  // namespace

std::unique_ptr<Monitor> make_exec_monitor(asio::io_context& io, const ExecParams& p) {
  return std::make_unique<SessionMonitor<ExecSession, ExecParams>>(io, p);
}

}  // namespace tandem::health
