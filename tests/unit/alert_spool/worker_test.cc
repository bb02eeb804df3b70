#include "alerts/senders/worker.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

namespace tandem::alerts {
namespace {

TEST(AlertWorker, ResultsArriveOnTheLoopThreadInOrder) {
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::vector<std::string> seen;
  std::thread::id loop_thread = std::this_thread::get_id();
  std::thread::id work_thread;
  DeliveryWorker worker(io);
  for (int i = 0; i < 3; ++i) {
    worker.submit(
        [i, &work_thread] {
          work_thread = std::this_thread::get_id();
          return SendResult{i != 1, i == 1 ? "refused" : ""};
        },
        [&, i](SendResult r) {
          EXPECT_EQ(std::this_thread::get_id(), loop_thread);
          seen.push_back(std::to_string(i) + (r.ok ? ":ok" : ":" + r.error));
          if (seen.size() == 3) guard.reset();
        });
  }
  io.run();
  EXPECT_EQ(seen, (std::vector<std::string>{"0:ok", "1:refused", "2:ok"}));
  EXPECT_NE(work_thread, loop_thread);
}

TEST(AlertWorker, ThrowingWorkBecomesAFailureNotACrash) {
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  SendResult got{true, {}};
  DeliveryWorker worker(io);
  worker.submit([]() -> SendResult { throw std::runtime_error("boom"); },
                [&](SendResult r) {
                  got = r;
                  guard.reset();
                });
  io.run();
  EXPECT_FALSE(got.ok);
  EXPECT_NE(got.error.find("boom"), std::string::npos);
}

// A loopback listener that accepts into its backlog and never greets: the
// SMTP transfer would wait for its (hour-long) timeout unless cancelled.
TEST(AlertCurl, CancelEndsATransferThatWouldHang) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof sa;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);

  config::MailSender cfg;
  cfg.server = "127.0.0.1";
  cfg.port = ntohs(sa.sin_port);
  cfg.starttls = false;
  cfg.from = "t@lab.test";
  cfg.to = {"a@lab.test"};
  cfg.timeout = std::chrono::hours(1);
  Job job;
  job.id = 1;
  job.sender = "mail";
  std::atomic<bool> cancel{true};
  SendResult r = send_mail(cfg, job, &cancel);
  ::close(fd);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("aborted"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace tandem::alerts
