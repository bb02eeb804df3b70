#include "common/ipc/client.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <cstring>
#include <thread>

#include "common/ipc/backoff.h"
#include "common/ipc/server.h"
#include "tests/unit/ipc/log_capture.h"
#include "tests/unit/ipc/server_harness.h"

namespace tandem::ipc {
namespace {

using namespace std::chrono_literals;
using tandem::testing::LogCapture;
using tandem::testing::ServerHarness;

TEST(Backoff, DoublesUpToTheCapAndResets) {
  Backoff b(100ms, 1000ms);
  EXPECT_EQ(b.next(), 100ms);
  EXPECT_EQ(b.next(), 200ms);
  EXPECT_EQ(b.next(), 400ms);
  EXPECT_EQ(b.next(), 800ms);
  EXPECT_EQ(b.next(), 1000ms);
  EXPECT_EQ(b.next(), 1000ms);
  b.reset();
  EXPECT_EQ(b.next(), 100ms);
}

TEST(Backoff, InitialAboveTheCapIsClamped) {
  Backoff b(5s, 2s);
  EXPECT_EQ(b.next(), 2s);
  EXPECT_EQ(b.next(), 2s);
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tandem-cli-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/d.sock";
  }
  void TearDown() override {
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  std::string dir_, path_;
  LogCapture log_;
};

using SyncCall = TempDir;

TEST_F(SyncCall, GetsTheResponse) {
  boost::asio::io_context io;
  ControlServer server(io, {}, AccessPolicy{geteuid(), std::nullopt});
  server.add_command("ping", [](const Json& args) { return Reply::success({{"echo", args}}); });
  ASSERT_EQ(server.listen(path_, std::nullopt), std::nullopt);
  auto guard = boost::asio::make_work_guard(io);
  std::thread loop([&] { io.run(); });
  auto r = call(path_, "ping", Json{{"n", 3}}, 5s);
  auto f = call(path_, "missing", Json::object(), 5s);
  boost::asio::post(io, [&] { server.close(); });
  guard.reset();
  loop.join();
  ASSERT_TRUE(std::holds_alternative<Response>(r)) << std::get<std::string>(r);
  EXPECT_TRUE(std::get<Response>(r).ok);
  EXPECT_EQ(std::get<Response>(r).result, Json({{"echo", {{"n", 3}}}}));
  ASSERT_TRUE(std::holds_alternative<Response>(f));
  EXPECT_FALSE(std::get<Response>(f).ok);
}

TEST_F(SyncCall, MissingSocketIsAnError) {
  auto r = call(path_, "ping", Json::object(), 1s);
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  EXPECT_EQ(std::get<std::string>(r), "connect: No such file or directory");
}

TEST_F(SyncCall, SilentServerTimesOut) {
  // Listening but never accepting: connect and send succeed, no answer comes.
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path_.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  auto r = call(path_, "ping", Json::object(), 50ms);
  close(fd);
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  EXPECT_EQ(std::get<std::string>(r), "timed out after 50 ms");
}

using AsyncClient = TempDir;

TEST_F(AsyncClient, ReconnectsAndResubscribesAfterTheServerRestarts) {
  ServerHarness first;
  ASSERT_EQ(first.server.listen(path_, std::nullopt), std::nullopt);
  // Client and both servers share one loop so the test drives everything.
  ControlClient client(first.io, path_, ClientOptions{{"health.*"}, 1ms, 8ms});
  std::vector<std::string> topics;
  std::vector<std::pair<bool, std::string>> transitions;
  client.on_event([&](const Event& e) { topics.push_back(e.topic); });
  client.on_state([&](bool up, const std::string& why) { transitions.emplace_back(up, why); });
  client.start();

  // Publish until the subscription has landed; the client sees only matches.
  ASSERT_TRUE(first.run_until([&] {
    first.server.publish("vrrp.role", Json::object(), 0);
    first.server.publish("health.down", Json::object(), 0);
    return !topics.empty();
  }));
  EXPECT_EQ(topics.front(), "health.down");

  first.server.close();
  ASSERT_TRUE(first.run_until([&] { return !client.connected(); }));
  ASSERT_EQ(transitions.size(), 2u);
  EXPECT_EQ(transitions[1], (std::pair<bool, std::string>{false, "peer closed"}));

  // While nobody listens the client keeps retrying (connect fails each time).
  ControlServer second(first.io, {}, AccessPolicy{geteuid(), std::nullopt});
  ASSERT_EQ(second.listen(path_, std::nullopt), std::nullopt);
  topics.clear();
  ASSERT_TRUE(first.run_until([&] {
    second.publish("health.up", Json::object(), 0);
    return !topics.empty();
  }));
  EXPECT_EQ(topics.front(), "health.up");
  EXPECT_TRUE(client.connected());
  EXPECT_EQ(transitions.size(), 3u);

  bool answered = false;
  second.add_command("ping", [](const Json&) { return Reply::success({{"pong", true}}); });
  client.request("ping", Json::object(), [&](const Response& r) {
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.result, Json({{"pong", true}}));
    answered = true;
  });
  EXPECT_TRUE(first.run_until([&] { return answered; }));
  client.stop();
  second.close();
}

TEST_F(AsyncClient, RequestWithoutConnectionFailsAtOnce) {
  boost::asio::io_context io;
  ControlClient client(io, path_, ClientOptions{});
  std::string error;
  client.request("ping", Json::object(), [&](const Response& r) { error = r.error; });
  EXPECT_EQ(error, "not connected");
}

}  // namespace
}  // namespace tandem::ipc
