// The Poller that drives plain http checks: every registered socket's edge
// reaches its client once per batch, a removed socket's pending events are
// dropped, and an empty poller does not keep the loop alive (the one-shot
// tandem-healthcheck relies on run() returning). Plus many http checks at
// once on one loop, and a check cancelled or abandoned mid-flight.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "healthd/monitors/monitor.h"
#include "healthd/monitors/poller.h"
#include "tests/unit/health/loopback.h"

namespace tandem::health {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

struct Recorder : Poller::Client {
  std::vector<std::uint32_t> events;
  void on_events(std::uint32_t e) override { events.push_back(e); }
};

struct Pair {
  int a = -1, b = -1;
  Pair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    a = fds[0];
    b = fds[1];
  }
  ~Pair() {
    ::close(a);
    ::close(b);
  }
};

// A listener that never accepts: the kernel completes handshakes into its
// backlog, so a check connects, sends, and then waits for an answer forever.
struct SilentListener {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  std::uint16_t port = 0;
  SilentListener() {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    EXPECT_EQ(::listen(fd, 64), 0);
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    port = ntohs(sa.sin_port);
  }
  ~SilentListener() { ::close(fd); }
};

TEST(Poller, DeliversReadinessAndLetsTheLoopEndWhenEmpty) {
  asio::io_context io;
  auto poller = Poller::of(io);
  EXPECT_EQ(poller, Poller::of(io)) << "one poller per io_context";
  Pair p;
  auto rec = std::make_shared<Recorder>();
  auto token = poller->add(p.a, EPOLLIN, rec);
  ASSERT_TRUE(token);
  EXPECT_EQ(poller->registered(), 1u);
  ASSERT_EQ(::write(p.b, "x", 1), 1);
  while (rec->events.empty()) {
    ASSERT_NE(io.run_one_for(10s), 0u) << "the write's edge never arrived";
  }
  EXPECT_TRUE(rec->events.front() & EPOLLIN);
  poller->remove(*token);
  EXPECT_EQ(poller->registered(), 0u);
  // Nothing registered: the poller's wait is cancelled and run() returns.
  io.run_for(30s);
  EXPECT_TRUE(io.stopped()) << "an empty poller kept the loop running";
}

TEST(Poller, ARemovedSocketsPendingEventIsDropped) {
  asio::io_context io;
  auto poller = Poller::of(io);
  Pair first, second;
  auto gone = std::make_shared<Recorder>();
  auto kept = std::make_shared<Recorder>();
  auto t1 = poller->add(first.a, EPOLLIN, gone);
  auto t2 = poller->add(second.a, EPOLLIN, kept);
  ASSERT_TRUE(t1 && t2);
  ASSERT_EQ(::write(first.b, "x", 1), 1);
  ASSERT_EQ(::write(second.b, "x", 1), 1);
  // Removed after its edge is queued in the epoll set, before dispatch: a
  // later client in the same slot must not receive it either.
  poller->remove(*t1);
  Pair third;
  auto reuse = std::make_shared<Recorder>();
  auto t3 = poller->add(third.a, EPOLLIN, reuse);
  ASSERT_TRUE(t3);
  EXPECT_NE(*t3, *t1) << "a reused slot must carry a new generation";
  while (kept->events.empty()) {
    ASSERT_NE(io.run_one_for(10s), 0u);
  }
  EXPECT_TRUE(gone->events.empty());
  EXPECT_TRUE(reuse->events.empty()) << "the old socket's edge reached the slot's new client";
  poller->remove(*t2);
  poller->remove(*t3);
  io.run_for(30s);
  EXPECT_TRUE(io.stopped());
}

TEST(Poller, ManyHttpChecksAtOnceEachReportOnce) {
  asio::io_context io;
  lb::ScriptedTcpServer srv(io, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
  HttpParams p;
  p.path = "/health";
  constexpr int kChecks = 200;
  std::vector<std::unique_ptr<Monitor>> monitors;
  std::vector<int> calls(kChecks, 0);
  std::vector<std::optional<CheckResult>> results(kChecks);
  for (int i = 0; i < kChecks; ++i) {
    monitors.push_back(make_monitor(io, p));
    monitors.back()->start(lb::loopback(srv.port()), std::chrono::steady_clock::now() + 30s,
                           [&, i](CheckResult r) {
                             ++calls[i];
                             results[i] = std::move(r);
                           });
  }
  int done = 0;
  while (done < kChecks) {
    ASSERT_NE(io.run_one_for(30s), 0u) << done << " of " << kChecks << " reported";
    done = 0;
    for (const auto& r : results) done += r.has_value();
  }
  io.poll();
  for (int i = 0; i < kChecks; ++i) {
    EXPECT_EQ(calls[i], 1) << "check " << i;
    EXPECT_TRUE(results[i]->ok) << results[i]->summary;
    EXPECT_EQ(results[i]->summary, "HTTP 200");
  }
  EXPECT_EQ(srv.connections(), kChecks);
  EXPECT_EQ(Poller::of(io)->registered(), 0u);
  EXPECT_GE(Poller::of(io)->dispatched(), static_cast<std::uint64_t>(kChecks));
}

TEST(Poller, CancelledHttpCheckNeverReportsAndFreesItsSocket) {
  asio::io_context io;
  SilentListener silent;
  HttpParams p;
  auto m = make_monitor(io, p);
  int calls = 0;
  m->start(lb::loopback(silent.port), std::chrono::steady_clock::now() + 60s,
           [&](CheckResult) { ++calls; });
  EXPECT_EQ(Poller::of(io)->registered(), 1u);
  // Let it connect and send; the listener never answers.
  for (int i = 0; i < 20 && Poller::of(io)->dispatched() == 0; ++i) io.run_one_for(1s);
  m->cancel();
  EXPECT_EQ(Poller::of(io)->registered(), 0u);
  io.run_for(30s);
  EXPECT_TRUE(io.stopped()) << "a cancelled check kept the loop running";
  EXPECT_EQ(calls, 0);
}

TEST(Poller, ContextDestroyedWithACheckInFlight) {
  // Nothing to assert but that teardown is clean (the ASan build checks it):
  // the session, its socket and the poller outlive or follow the context in
  // whichever order it destroys them.
  SilentListener silent;
  std::unique_ptr<Monitor> m;
  {
    asio::io_context io;
    m = make_monitor(io, HttpParams{});
    m->start(lb::loopback(silent.port), std::chrono::steady_clock::now() + 60s,
             [](CheckResult) { ADD_FAILURE() << "no result after the context is gone"; });
    io.poll();
  }
  m.reset();
  SUCCEED();
}

}  // namespace
}  // namespace tandem::health

namespace tandem::health {
namespace {

TEST(Poller, KeepWaitingHoldsTheLoopUntilCleared) {
  asio::io_context io;
  auto poller = Poller::of(io);
  poller->keep_waiting(true);
  // Nothing registered, yet the wait stands: run() must not return on its own.
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(io.stopped()) << "a kept wait let the loop run dry";
  // Still delivers while kept.
  Pair p;
  auto rec = std::make_shared<Recorder>();
  auto token = poller->add(p.a, EPOLLIN, rec);
  ASSERT_TRUE(token);
  ASSERT_EQ(::write(p.b, "x", 1), 1);
  while (rec->events.empty()) {
    ASSERT_NE(io.run_one_for(10s), 0u);
  }
  poller->remove(*token);
  poller->keep_waiting(false);
  io.run_for(30s);
  EXPECT_TRUE(io.stopped()) << "clearing keep_waiting left the wait standing";
}

struct Expirer : Poller::Expiring {
  std::vector<int>* order;
  int name;
  Expirer(std::vector<int>* o, int n) : order(o), name(n) {}
  void expire() override { order->push_back(name); }
};

TEST(Poller, DeadlinesExpireInTimeOrderOnceAndUnscheduledOnesNever) {
  asio::io_context io;
  auto poller = Poller::of(io);
  std::vector<int> order;
  const auto now = std::chrono::steady_clock::now();
  auto a = std::make_shared<Expirer>(&order, 1);
  auto b = std::make_shared<Expirer>(&order, 2);
  auto c = std::make_shared<Expirer>(&order, 3);
  auto d = std::make_shared<Expirer>(&order, 4);
  std::weak_ptr<Expirer> c_alive = c;
  // Out of order, so the timer must move to an earlier deadline.
  poller->schedule(*a, now + 60ms, a);
  poller->schedule(*b, now + 20ms, b);
  poller->schedule(*c, now + 40ms, c);
  poller->schedule(*d, now + 10ms, d);
  poller->schedule(*d, now + 30ms, d);  // rescheduled: once, at the new time
  poller->unschedule(*b);
  poller->unschedule(*b);  // twice is harmless
  EXPECT_EQ(poller->scheduled(), 3u);
  c.reset();  // the poller keeps c until it expires
  EXPECT_FALSE(c_alive.expired());
  io.run();  // returns: nothing left once the last deadline passed
  EXPECT_EQ(order, (std::vector<int>{4, 3, 1}));
  EXPECT_EQ(poller->scheduled(), 0u);
  EXPECT_TRUE(c_alive.expired());
}

TEST(Poller, UnschedulingTheLastDeadlineLetsTheLoopEnd) {
  asio::io_context io;
  auto poller = Poller::of(io);
  std::vector<int> order;
  auto a = std::make_shared<Expirer>(&order, 1);
  poller->schedule(*a, std::chrono::steady_clock::now() + 1h, a);
  asio::post(io, [&] { poller->unschedule(*a); });
  io.run();  // would wait an hour if the timer were left armed
  EXPECT_TRUE(order.empty());
}

}  // namespace
}  // namespace tandem::health
