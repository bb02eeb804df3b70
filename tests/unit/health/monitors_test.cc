// Each monitor against real servers on 127.0.0.1: passes when healthy, and
// fails with the right summary when the service refuses, hangs, answers
// wrong, or closes early. Deadlines here only bound a hang; no test asserts
// how fast anything was.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "healthd/monitors/monitor.h"
#include "tests/unit/health/loopback.h"

namespace tandem::health {
namespace {

using namespace std::chrono_literals;
using lb::closed_port;
using lb::loopback;
using lb::run_check;
using lb::ScriptedTcpServer;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace asio = boost::asio;

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";

std::string http(int code, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(code) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// --- tcp --------------------------------------------------------------------

TEST(TcpMonitor, ConnectsToAListener) {
  asio::io_context io;
  ScriptedTcpServer srv(io, "");
  auto m = make_monitor(io, TcpParams{});
  auto r = run_check(io, *m, loopback(srv.port()), 5s);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.summary, "connected");
}

TEST(TcpMonitor, RefusedIsReportedAsSuch) {
  asio::io_context io;
  auto m = make_monitor(io, TcpParams{});
  auto r = run_check(io, *m, loopback(closed_port()), 5s);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "connection refused");
}

TEST(TcpMonitor, ListenerThatNeverAcceptsTimesOut) {
  // A backlog of 0 with the accept queue already full: Linux drops further
  // SYNs, so the next connect hangs until our deadline.
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(lfd, 0), 0);
  socklen_t len = sizeof sa;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len);
  std::vector<int> fillers;
  for (int i = 0; i < 2; ++i) {
    int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ::connect(c, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    fillers.push_back(c);
  }
  ::usleep(50 * 1000);  // let the handshakes land in the queue (not a threshold)
  asio::io_context io;
  auto m = make_monitor(io, TcpParams{});
  auto r = run_check(io, *m, loopback(ntohs(sa.sin_port)), 300ms);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "timeout (connecting)");
  EXPECT_THAT(r.detail, StartsWith("deadline passed after "));
  for (int c : fillers) ::close(c);
  ::close(lfd);
}

TEST(TcpMonitor, CancelSuppressesTheCallback) {
  asio::io_context io;
  ScriptedTcpServer srv(io, "");
  auto m = make_monitor(io, TcpParams{});
  int calls = 0;
  m->start(loopback(srv.port()), std::chrono::steady_clock::now() + 5s,
           [&](CheckResult) { ++calls; });
  m->cancel();
  io.run_for(200ms);
  EXPECT_EQ(calls, 0);
  // The monitor is usable again afterwards.
  EXPECT_TRUE(run_check(io, *m, loopback(srv.port()), 5s).ok);
}

TEST(HttpMonitor, StartWhileRunningReplacesTheRun) {
  asio::io_context io;
  ScriptedTcpServer hang(io, "", false);
  ScriptedTcpServer ok(io, kOk);
  HttpParams p;
  auto m = make_monitor(io, p);
  int stale = 0;
  m->start(loopback(hang.port()), std::chrono::steady_clock::now() + 5s,
           [&](CheckResult) { ++stale; });
  io.run_for(50ms);
  EXPECT_TRUE(run_check(io, *m, loopback(ok.port()), 5s).ok);
  EXPECT_EQ(stale, 0);
}

TEST(ExecMonitorCancel, DestroyingTheMonitorStopsAndReapsTheChild) {
  asio::io_context io;
  ExecParams p;
  p.program = "/bin/sh";
  p.args = {"-c", "echo $$; exec sleep 100", "monitor"};
  int calls = 0;
  {
    auto m = make_monitor(io, p);
    m->start(loopback(0), std::chrono::steady_clock::now() + 5s, [&](CheckResult) { ++calls; });
    io.run_for(100ms);
  }
  io.run_for(500ms);  // the pending exit wait reaps the killed child
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);  // no child left, zombie or not
  EXPECT_EQ(errno, ECHILD);
}

TEST(TcpMonitor, TargetOverrideReplacesAddressAndPort) {
  const net::Endpoint real{net::Ipv4{0xC6120164}, 80};  // 198.18.1.100:80, never contacted
  TargetOverride o;
  o.address = net::Ipv4{0x7f000001};
  o.port = 8080;
  EXPECT_EQ(check_target(real, o), (net::Endpoint{net::Ipv4{0x7f000001}, 8080}));
  EXPECT_EQ(check_target(real, TargetOverride{}), real);
  o.address.reset();
  EXPECT_EQ(check_target(real, o), (net::Endpoint{real.address, 8080}));
}

// --- http -------------------------------------------------------------------

HttpParams health_check() {
  HttpParams p;
  p.path = "/health";
  return p;
}

CheckResult http_against(const std::string& reply, HttpParams p, bool close_after = true,
                         std::chrono::milliseconds timeout = 5s, std::string* request = nullptr) {
  asio::io_context io;
  ScriptedTcpServer srv(io, reply, close_after, 7);
  auto m = make_monitor(io, p);
  auto r = run_check(io, *m, loopback(srv.port()), timeout);
  if (request != nullptr) *request = srv.received();
  return r;
}

TEST(HttpMonitor, HealthyServerAnswerSplitIntoSingleBytes) {
  asio::io_context io;
  ScriptedTcpServer srv(io, kOk, true, 1);
  auto m = make_monitor(io, health_check());
  auto r = run_check(io, *m, loopback(srv.port()), 5s);
  EXPECT_TRUE(r.ok) << r.summary;
  EXPECT_EQ(r.summary, "HTTP 200");
  EXPECT_THAT(srv.received(),
              StartsWith("GET /health HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(srv.port())));
  EXPECT_THAT(srv.received(), HasSubstr("\r\nConnection: close\r\n"));
  EXPECT_THAT(srv.received(), EndsWith("\r\n\r\n"));
}

TEST(HttpMonitor, HeadWithHostHeader) {
  auto p = health_check();
  p.method = "HEAD";
  p.host = "www.tandem.test";
  std::string req;
  auto r = http_against("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", p, false, 5s, &req);
  EXPECT_TRUE(r.ok) << r.summary;
  EXPECT_THAT(req, StartsWith("HEAD /health HTTP/1.1\r\nHost: www.tandem.test\r\n"));
}

TEST(HttpMonitor, WrongStatus) {
  auto r = http_against(http(503, "busy"), health_check());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "HTTP 503 (expected 200-299)");
}

TEST(HttpMonitor, StatusRangesAndSingleCodes) {
  auto p = health_check();
  p.expect_status = {{301, 302}, {404, 404}};
  EXPECT_TRUE(http_against(http(302, ""), p).ok);
  EXPECT_TRUE(http_against(http(404, ""), p).ok);
  auto r = http_against(http(200, ""), p);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "HTTP 200 (expected 301-302,404)");
}

TEST(HttpMonitor, BodySubstring) {
  auto p = health_check();
  p.expect_body = "ok";
  EXPECT_TRUE(http_against(http(200, "all ok here"), p).ok);
  auto r = http_against(http(200, "degraded"), p);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "HTTP 200 but body lacks \"ok\"");
}

TEST(HttpMonitor, BodyRegex) {
  auto p = health_check();
  p.expect_regex = "status: (up|ok)";
  EXPECT_TRUE(http_against(http(200, "x\nstatus: up\n"), p).ok);
  auto r = http_against(http(200, "status: down"), p);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "HTTP 200 but body does not match \"status: (up|ok)\"");
}

TEST(HttpMonitor, RegexOnAFullSizeHostileBodyDoesNotCrash) {
  // libstdc++'s std::regex overflows the stack on this; the monitor must not.
  auto p = health_check();
  p.expect_regex = ".*c";
  auto r = http_against(http(200, std::string(64 * 1024, 'a')), p);
  EXPECT_FALSE(r.ok);
  p.expect_regex = "(a|b)*c$";
  r = http_against(http(200, std::string(64 * 1024 - 1, 'a') + "c"), p);
  EXPECT_TRUE(r.ok) << r.summary;
}

TEST(HttpMonitor, RegexSeesPastANulByte) {
  auto p = health_check();
  p.expect_regex = "after";
  auto r = http_against(http(200, std::string("before\0after", 12)), p);
  EXPECT_TRUE(r.ok) << r.summary;
}

TEST(HttpMonitor, InvalidRegexFailsEveryRun) {
  auto p = health_check();
  p.expect_regex = "(";
  auto r = http_against(kOk, p);
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.summary, StartsWith("invalid regex"));
}

TEST(HttpMonitor, HeaderInjectionInPathIsRefused) {
  auto p = health_check();
  p.path = "/x\r\nX-Evil: 1";
  auto r = http_against(kOk, p);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "invalid path or host");
}

TEST(HttpMonitor, ClosedInTheHeaders) {
  auto r = http_against("HTTP/1.1 200 OK\r\nContent-Len", health_check());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "bad HTTP response: connection closed in the headers");
}

TEST(HttpMonitor, ClosedWithoutAnswer) {
  auto r = http_against("", health_check());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "bad HTTP response: connection closed without a response");
}

TEST(HttpMonitor, ClosedInTheBody) {
  auto r = http_against("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort", health_check());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "bad HTTP response: connection closed in the body");
}

TEST(HttpMonitor, Garbage) {
  auto r = http_against("SSH-2.0-OpenSSH_9.2\r\n", health_check());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "bad HTTP response: malformed status line");
}

TEST(HttpMonitor, HugeHeaderWithoutNewlineIsCutOff) {
  auto r = http_against("HTTP/1.1 200 OK\r\nX: " + std::string(100000, 'a'), health_check(), false);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "bad HTTP response: response headers too large");
}

TEST(HttpMonitor, EndlessBodyIsReadOnlyToTheLimit) {
  auto p = health_check();
  p.limits.max_body_bytes = 1000;
  p.expect_body = "aaaa";
  // The server would keep the connection open: the bounded read ends the check.
  auto r = http_against("HTTP/1.1 200 OK\r\n\r\n" + std::string(200000, 'a'), p, false);
  EXPECT_TRUE(r.ok) << r.summary;
}

TEST(HttpMonitor, HangingServerTimesOut) {
  auto r = http_against("", health_check(), false, 300ms);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "timeout (waiting for response)");
}

TEST(HttpMonitor, HangAfterHeadersTimesOut) {
  auto r =
      http_against("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", health_check(), false, 300ms);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "timeout (waiting for response)");
}

TEST(HttpMonitor, Refused) {
  asio::io_context io;
  auto m = make_monitor(io, health_check());
  auto r = run_check(io, *m, loopback(closed_port()), 5s);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "connection refused");
}

TEST(HttpMonitor, RunsAgainAfterAResult) {
  asio::io_context io;
  ScriptedTcpServer srv(io, kOk);
  auto m = make_monitor(io, health_check());
  EXPECT_TRUE(run_check(io, *m, loopback(srv.port()), 5s).ok);
  EXPECT_TRUE(run_check(io, *m, loopback(srv.port()), 5s).ok);
  EXPECT_EQ(srv.connections(), 2);
}

// --- telnet -----------------------------------------------------------------

std::string iac(std::initializer_list<int> xs) {
  std::string s;
  for (int x : xs) s.push_back(static_cast<char>(x));
  return s;
}

TEST(TelnetMonitor, RefusesOptionsAndFindsThePrompt) {
  asio::io_context io;
  // DO TERMINAL-TYPE, WILL ECHO, a subnegotiation, then the banner and prompt.
  ScriptedTcpServer srv(
      io, iac({255, 253, 24, 255, 251, 1, 255, 250, 24, 1, 255, 240}) + "\r\nDebian 12\r\nlogin: ",
      false, 3);
  auto m = make_monitor(io, TelnetParams{});
  auto r = run_check(io, *m, loopback(srv.port()), 5s);
  EXPECT_TRUE(r.ok) << r.summary;
  EXPECT_EQ(r.summary, "found \"login\"");
  // The reply to the server: WONT TERMINAL-TYPE, DONT ECHO.
  io.run_for(50ms);
  EXPECT_THAT(srv.received(), HasSubstr(iac({255, 252, 24})));
  EXPECT_THAT(srv.received(), HasSubstr(iac({255, 254, 1})));
}

TEST(TelnetMonitor, ClosedBeforeThePrompt) {
  asio::io_context io;
  ScriptedTcpServer srv(io, "Service unavailable\r\n");
  auto m = make_monitor(io, TelnetParams{});
  auto r = run_check(io, *m, loopback(srv.port()), 5s);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "closed before \"login\" (got \"Service unavailable \")");
}

TEST(TelnetMonitor, SilentServerTimesOut) {
  asio::io_context io;
  ScriptedTcpServer srv(io, "Welcome\r\n", false);
  auto m = make_monitor(io, TelnetParams{});
  auto r = run_check(io, *m, loopback(srv.port()), 300ms);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "timeout (no \"login\" in \"Welcome \")");
}

TEST(TelnetMonitor, SendsThenExpects) {
  asio::io_context io;
  ScriptedTcpServer srv(io, "250 ok\r\n", false);
  TelnetParams p;
  p.send = "HELO tandem\r\n";
  p.expect = "250";
  auto m = make_monitor(io, p);
  auto r = run_check(io, *m, loopback(srv.port()), 5s);
  EXPECT_TRUE(r.ok) << r.summary;
  io.run_for(50ms);
  EXPECT_EQ(srv.received(), "HELO tandem\r\n");
}

TEST(TelnetMonitor, Refused) {
  asio::io_context io;
  auto m = make_monitor(io, TelnetParams{});
  auto r = run_check(io, *m, loopback(closed_port()), 5s);
  EXPECT_EQ(r.summary, "connection refused");
}

// --- exec -------------------------------------------------------------------

ExecParams sh(const std::string& script) {
  ExecParams p;
  p.program = "/bin/sh";
  p.args = {"-c", script, "monitor"};  // $0 = monitor, $1 = the host
  p.kill_grace = 200ms;
  return p;
}

CheckResult exec_run(const ExecParams& p, std::chrono::milliseconds timeout = 5s) {
  asio::io_context io;
  auto m = make_monitor(io, p);
  return run_check(io, *m, loopback(8080), timeout);
}

TEST(ExecMonitor, ExitZeroIsOkAndFirstLineIsTheSummary) {
  auto r = exec_run(sh("echo \"$1 is fine\"; echo second line"));
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.summary, "127.0.0.1 is fine");
  EXPECT_EQ(r.detail, "127.0.0.1 is fine\nsecond line\n");
}

TEST(ExecMonitor, NonZeroExitFails) {
  auto r = exec_run(sh("echo 'disk full'; exit 3"));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "disk full (exit 3)");
  r = exec_run(sh("exit 1"));
  EXPECT_EQ(r.summary, "exit 1");
}

TEST(ExecMonitor, HostAndPortPlaceholders) {
  ExecParams p;
  p.program = "/bin/echo";
  p.args = {"--target={host}:{port}", "x"};
  p.append_host = false;  // exec without mon_compatible
  auto r = exec_run(p);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.summary, "--target=127.0.0.1:8080 x");
  // mon_compatible: the host comes last whatever the args say.
  p.append_host = true;
  r = exec_run(p);
  EXPECT_EQ(r.summary, "--target=127.0.0.1:8080 x 127.0.0.1");
}

TEST(ExecMonitor, TargetInTheEnvironment) {
  ::setenv("TANDEM_CHECK_HOST", "stale", 1);  // the daemon's own is not passed on
  auto p = sh("echo \"$TANDEM_CHECK_HOST:$TANDEM_CHECK_PORT $#\"");
  p.append_host = false;
  auto r = exec_run(p);
  ::unsetenv("TANDEM_CHECK_HOST");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.summary, "127.0.0.1:8080 0");
}

TEST(ExecMonitor, NoShellInterpretation) {
  ExecParams p;
  p.program = "/bin/echo";
  p.args = {"$HOME;", "`id`"};
  auto r = exec_run(p);
  EXPECT_EQ(r.summary, "$HOME; `id` 127.0.0.1");
}

TEST(ExecMonitor, TimeoutTerminates) {
  auto r = exec_run(sh("echo started; exec sleep 100"), 300ms);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "timeout (killed)");
  EXPECT_EQ(r.detail, "started\n");
}

TEST(ExecMonitor, IgnoredSigtermEscalatesToSigkill) {
  auto r = exec_run(sh("trap '' TERM; echo stubborn; while :; do sleep 1; done"), 300ms);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "timeout (killed)");
}

TEST(ExecMonitor, OutputIsBounded) {
  auto p = sh("head -c 1000000 /dev/zero | tr '\\0' 'x'; echo");
  p.max_output = 100;
  auto r = exec_run(p);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.detail.size(), 100u);
}

TEST(ExecMonitor, MissingProgram) {
  ExecParams p;
  p.program = "/nonexistent/monitor";
  auto r = exec_run(p);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "cannot run /nonexistent/monitor: No such file or directory");
}

TEST(ExecMonitor, KilledBySignal) {
  auto r = exec_run(sh("kill -9 $$"));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "killed by signal 9");
}

// --- ping -------------------------------------------------------------------

TEST(PingMonitor, LoopbackAnswersOverARawSocket) {
  if (::geteuid() != 0) GTEST_SKIP() << "raw ICMP needs root";
  asio::io_context io;
  PingParams p;
  p.socket = PingParams::Socket::kRaw;
  auto m = make_monitor(io, p);
  auto r = run_check(io, *m, loopback(0), 5s);
  EXPECT_TRUE(r.ok) << r.summary;
  EXPECT_EQ(r.summary, "echo reply");
}

TEST(PingMonitor, AutoPicksAWorkingSocket) {
  asio::io_context io;
  auto m = make_monitor(io, PingParams{});
  auto r = run_check(io, *m, loopback(0), 5s);
  if (::geteuid() != 0 && !r.ok) GTEST_SKIP() << r.summary;
  EXPECT_TRUE(r.ok) << r.summary;
}

}  // namespace
}  // namespace tandem::health
