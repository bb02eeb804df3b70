#include "alerts/senders/worker.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace tandem::alerts
