// How much CPU healthd spends per http check: N http monitors, each due every
// interval with start jitter from the core scheduler, against a local HTTP
// responder on its own thread (or --target). Prints CPU seconds per check of
// the checking thread (getrusage RUSAGE_THREAD), so the server's work is not
// counted.
#include <sys/resource.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/util/clock.h"
#include "healthd/core/scheduler.h"
#include "healthd/monitors/monitor.h"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace tandem;
using namespace tandem::health;

double thread_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Minimal responder: reads a request, answers 200 "ok", closes.
struct Responder : std::enable_shared_from_this<Responder> {
  explicit Responder(tcp::socket s) : sock(std::move(s)) {}
  tcp::socket sock;
  std::array<char, 2048> buf{};
  void run() {
    sock.async_read_some(asio::buffer(buf), [self = shared_from_this()](auto ec, std::size_t) {
      if (ec) return;
      static const std::string kReply = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
      asio::async_write(self->sock, asio::buffer(kReply), [self](auto, std::size_t) {
        boost::system::error_code ignored;
        self->sock.shutdown(tcp::socket::shutdown_both, ignored);
      });
    });
  }
};

void accept_loop(tcp::acceptor& a) {
  a.async_accept([&a](auto ec, tcp::socket s) {
    if (!ec) std::make_shared<Responder>(std::move(s))->run();
    accept_loop(a);
  });
}

long arg(std::vector<std::string_view>& args, std::string_view name, long dflt) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == name) {
      long v = dflt;
      std::from_chars(args[i + 1].data(), args[i + 1].data() + args[i + 1].size(), v);
      return v;
    }
  }
  return dflt;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  const long n = arg(args, "--monitors", 1000);
  const long seconds = arg(args, "--seconds", 10);
  const long interval_ms = arg(args, "--interval-ms", 1000);

  asio::io_context server_io;
  tcp::acceptor acceptor(server_io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  acceptor.listen(4096);
  accept_loop(acceptor);
  std::thread server([&] { server_io.run(); });
  const net::Endpoint target{net::Ipv4{0x7f000001}, acceptor.local_endpoint().port()};

  asio::io_context io;
  SteadyClock clock;
  Scheduler sched(12345);
  const CheckTiming timing{std::chrono::milliseconds(interval_ms),
                           {},
                           std::chrono::seconds(5),
                           std::chrono::milliseconds(interval_ms)};
  std::vector<std::unique_ptr<Monitor>> monitors;
  HttpParams p;
  p.path = "/health";
  p.expect_body = "ok";
  for (long i = 0; i < n; ++i) {
    monitors.push_back(make_monitor(io, p));
    sched.add(std::to_string(i), timing, clock.now());
  }

  long done = 0, failed = 0;
  const double cpu0 = thread_cpu_seconds();
  const auto end = clock.now() + std::chrono::seconds(seconds);
  asio::steady_timer wake(io);
  std::function<void()> tick = [&] {
    const auto now = clock.now();
    if (now >= end) return;
    for (const auto& key : sched.due(now)) {
      const auto deadline = sched.start(key, now);
      const auto idx = static_cast<std::size_t>(std::stol(key));
      monitors[idx]->start(target,
                           std::chrono::steady_clock::time_point(deadline.time_since_epoch()),
                           [&, key](CheckResult r) {
                             ++done;
                             failed += r.ok ? 0 : 1;
                             sched.finish(key, r.ok, clock.now());
                           });
    }
    auto next = sched.next_wakeup().value_or(now + std::chrono::milliseconds(10));
    wake.expires_at(std::chrono::steady_clock::time_point(
        std::max(next, now + std::chrono::milliseconds(1)).time_since_epoch()));
    wake.async_wait([&](auto ec) {
      if (!ec) tick();
    });
  };
  tick();
  io.run();
  const double cpu = thread_cpu_seconds() - cpu0;
  server_io.stop();
  server.join();
  std::printf(
      "monitors=%ld interval_ms=%ld seconds=%ld checks=%ld failed=%ld cpu_s=%.3f "
      "cpu_us_per_check=%.1f\n",
      n, interval_ms, seconds, done, failed, cpu, done > 0 ? cpu * 1e6 / done : 0.0);
  return failed == 0 ? 0 : 1;
}
