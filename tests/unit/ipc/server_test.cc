#include "common/ipc/server.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "tests/unit/ipc/log_capture.h"
#include "tests/unit/ipc/server_harness.h"

namespace tandem::ipc {
namespace {

using namespace std::string_literals;
using tandem::testing::LogCapture;
using tandem::testing::ServerHarness;

Response response(const std::string& line) {
  auto r = parse_reply(line);
  EXPECT_TRUE(std::holds_alternative<Response>(r)) << line;
  return std::holds_alternative<Response>(r) ? std::get<Response>(r) : Response{};
}

class ServerTest : public ::testing::Test {
 protected:
  void add_echo(ServerHarness& h) {
    h.server.add_command("echo", [](const Json& args) { return Reply::success(args); });
  }
  LogCapture log_;
};

TEST_F(ServerTest, AnswersRequestsWithTheirIds) {
  ServerHarness h;
  add_echo(h);
  int fd = h.connect();
  h.send(fd, "{\"id\":5,\"cmd\":\"echo\",\"args\":{\"x\":1}}\n{\"id\":6,\"cmd\":\"echo\"}\n");
  auto r1 = response(h.read_line(fd));
  EXPECT_EQ(r1.id, 5u);
  EXPECT_TRUE(r1.ok);
  EXPECT_EQ(r1.result, Json({{"x", 1}}));
  EXPECT_EQ(response(h.read_line(fd)).id, 6u);
  close(fd);
}

TEST_F(ServerTest, UnknownCommandAndThrowingHandlerAnswerErrorsAndKeepTheConnection) {
  ServerHarness h;
  add_echo(h);
  h.server.add_command("boom", [](const Json&) -> Reply { throw std::runtime_error("kaput"); });
  int fd = h.connect();
  h.send(fd, "{\"id\":1,\"cmd\":\"nope\"}\n");
  auto r1 = response(h.read_line(fd));
  EXPECT_FALSE(r1.ok);
  EXPECT_EQ(r1.error, "unknown command: nope");
  h.send(fd, "{\"id\":2,\"cmd\":\"boom\"}\n");
  auto r2 = response(h.read_line(fd));
  EXPECT_FALSE(r2.ok);
  EXPECT_EQ(r2.error, "internal error: kaput");
  h.send(fd, "{\"id\":3,\"cmd\":\"echo\"}\n");
  EXPECT_TRUE(response(h.read_line(fd)).ok);
  close(fd);
}

struct BadInput {
  std::string bytes;
  std::string logged;
};

class BadInputTest : public ServerTest, public ::testing::WithParamInterface<BadInput> {};

TEST_P(BadInputTest, ClosesOnlyThatConnectionWithALoggedReason) {
  ServerHarness h;
  add_echo(h);
  int good = h.connect();
  int bad = h.connect();
  h.send(bad, GetParam().bytes);
  EXPECT_TRUE(h.closed_by_server(bad));
  EXPECT_TRUE(log_.contains(GetParam().logged)) << log_.all();
  EXPECT_EQ(h.server.stats().protocol_errors, 1u);
  h.send(good, "{\"id\":1,\"cmd\":\"echo\"}\n");
  EXPECT_TRUE(response(h.read_line(good)).ok);
  EXPECT_EQ(h.server.connection_count(), 1u);
  close(good);
  close(bad);
}

INSTANTIATE_TEST_SUITE_P(
    Garbage, BadInputTest,
    ::testing::Values(BadInput{"hello world\n"s, "bad request: malformed JSON"},
                      BadInput{"[1,2,3]\n"s, "bad request: message is not a JSON object"},
                      BadInput{"{\"id\":1}\n"s, "bad request: missing or invalid \"cmd\""},
                      BadInput{"{\"id\":1,\"cmd\":\"e\0cho\"}\n"s, "bad request: malformed JSON"},
                      BadInput{"\xff\xfe\x00\x01\n"s, "bad request: malformed JSON"}));

TEST_F(ServerTest, OversizedMessageClosesTheConnection) {
  ServerHarness h(ServerLimits{.max_message = 1024});
  add_echo(h);
  int good = h.connect();
  int bad = h.connect();
  // No newline at all: refused as soon as it passes the bound.
  h.send(bad, std::string(2000, 'x'));
  EXPECT_TRUE(h.closed_by_server(bad));
  EXPECT_TRUE(log_.contains("message longer than 1024 bytes")) << log_.all();
  h.send(good, "{\"id\":1,\"cmd\":\"echo\"}\n");
  EXPECT_TRUE(response(h.read_line(good)).ok);
  close(good);
  close(bad);
}

TEST_F(ServerTest, PeerVanishingMidMessageIsLoggedAndHarmless) {
  ServerHarness h;
  add_echo(h);
  int good = h.connect();
  int bad = h.connect();
  h.send(bad, "{\"id\":1,\"cmd\":\"ec");
  close(bad);
  EXPECT_TRUE(h.run_until([&] { return h.server.connection_count() == 1; }));
  EXPECT_TRUE(log_.contains("went away mid-message (17 bytes")) << log_.all();
  EXPECT_EQ(h.server.stats().protocol_errors, 1u);
  h.send(good, "{\"id\":1,\"cmd\":\"echo\"}\n");
  EXPECT_TRUE(response(h.read_line(good)).ok);
  close(good);
}

TEST_F(ServerTest, CleanCloseIsNotAProtocolError) {
  ServerHarness h;
  int fd = h.connect();
  close(fd);
  EXPECT_TRUE(h.run_until([&] { return h.server.connection_count() == 0; }));
  EXPECT_EQ(h.server.stats().protocol_errors, 0u);
}

TEST_F(ServerTest, SubscribersGetOnlyMatchingEvents) {
  ServerHarness h;
  add_echo(h);
  int sub = h.connect();
  int other = h.connect();
  h.send(sub, "{\"id\":1,\"cmd\":\"subscribe\",\"args\":{\"topics\":[\"health.*\"]}}\n");
  auto ack = response(h.read_line(sub));
  ASSERT_TRUE(ack.ok) << ack.error;
  EXPECT_EQ(ack.result, Json({{"topics", {"health.*"}}}));

  h.server.publish("vrrp.role", Json{{"role", "master"}}, 1.0);
  h.server.publish("health.down", Json{{"rs", "198.18.0.2:80"}}, 2.0);
  auto event = parse_reply(h.read_line(sub));
  ASSERT_TRUE(std::holds_alternative<Event>(event));
  EXPECT_EQ(std::get<Event>(event).topic, "health.down");
  EXPECT_EQ(std::get<Event>(event).time, 2.0);
  EXPECT_EQ(std::get<Event>(event).data, Json({{"rs", "198.18.0.2:80"}}));

  // A subscribed connection still answers requests, interleaved with events.
  h.send(sub, "{\"id\":2,\"cmd\":\"echo\"}\n");
  EXPECT_EQ(response(h.read_line(sub)).id, 2u);
  // The unsubscribed client got nothing: its next line answers its request.
  h.send(other, "{\"id\":9,\"cmd\":\"echo\"}\n");
  EXPECT_EQ(response(h.read_line(other)).id, 9u);
  close(sub);
  close(other);
}

TEST_F(ServerTest, BadSubscribeArgumentsAreRefused) {
  ServerHarness h;
  int fd = h.connect();
  h.send(fd, "{\"id\":1,\"cmd\":\"subscribe\",\"args\":{\"topics\":[]}}\n");
  EXPECT_FALSE(response(h.read_line(fd)).ok);
  h.send(fd, "{\"id\":2,\"cmd\":\"subscribe\",\"args\":{\"topics\":[1]}}\n");
  EXPECT_FALSE(response(h.read_line(fd)).ok);
  h.send(fd, "{\"id\":3,\"cmd\":\"subscribe\"}\n");
  EXPECT_FALSE(response(h.read_line(fd)).ok);
  close(fd);
}

TEST_F(ServerTest, SlowSubscriberIsDroppedWhileAReadingOneKeepsUp) {
  ServerHarness h(ServerLimits{.max_queue_bytes = 64 * 1024});
  int slow = h.connect();
  int fast = h.connect();
  const std::string subscribe = "{\"id\":1,\"cmd\":\"subscribe\",\"args\":{\"topics\":[\"*\"]}}\n";
  h.send(slow, subscribe);
  h.send(fast, subscribe);
  ASSERT_TRUE(response(h.read_line(slow)).ok);
  ASSERT_TRUE(response(h.read_line(fast)).ok);
  const Json payload = {{"blob", std::string(1000, 'z')}};
  const std::size_t line = encode_event(Event{"bulk", 0, payload}).size();
  std::size_t fast_bytes = 0;
  char buf[65536];
  const auto drain_fast = [&] {
    ssize_t n;
    while ((n = recv(fast, buf, sizeof buf, 0)) > 0) fast_bytes += static_cast<std::size_t>(n);
  };
  std::size_t published = 0;
  // `slow` never reads: once the kernel buffer is full its queue must hit the
  // bound, while `fast` is drained after every event and never falls behind.
  for (int i = 0; i < 100000 && h.server.stats().slow_dropped == 0; ++i) {
    h.server.publish("bulk", payload, 0);
    ++published;
    h.io.poll();
    drain_fast();
    h.io.poll();
  }
  EXPECT_EQ(h.server.stats().slow_dropped, 1u);
  EXPECT_TRUE(log_.contains("peer is not reading")) << log_.all();
  EXPECT_TRUE(h.closed_by_server(slow));
  EXPECT_EQ(h.server.connection_count(), 1u);  // the fast one
  h.server.publish("bulk", payload, 0);
  ++published;
  EXPECT_TRUE(h.run_until([&] {
    drain_fast();
    return fast_bytes >= line * published;
  }));
  EXPECT_EQ(fast_bytes, line * published);
  close(slow);
  close(fast);
}

TEST_F(ServerTest, OneReplyMayExceedTheQueueLimitButNotTheReplyLimit) {
  // A listing of thousands of servers is one reply far above the queue
  // bound for events; the peer asked for it, so it is sent whole.
  ServerHarness h(ServerLimits{.max_queue_bytes = 64 * 1024, .max_reply_bytes = 512 * 1024});
  h.server.add_command("big", [](const Json& args) {
    return Reply::success({{"blob", std::string(args.at("n").get<std::size_t>(), 'x')}});
  });
  int fd = h.connect();
  h.send(fd, "{\"id\":1,\"cmd\":\"big\",\"args\":{\"n\":300000}}\n");
  auto r = response(h.read_line(fd));
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.result["blob"].get<std::string>().size(), 300000u);
  // Larger than the reply limit: an error reply, and the connection stays.
  h.send(fd, "{\"id\":2,\"cmd\":\"big\",\"args\":{\"n\":600000}}\n");
  r = response(h.read_line(fd));
  EXPECT_EQ(r.id, 2u);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("exceeds the limit of 524288"), std::string::npos) << r.error;
  h.send(fd, "{\"id\":3,\"cmd\":\"big\",\"args\":{\"n\":10}}\n");
  EXPECT_TRUE(response(h.read_line(fd)).ok);
  EXPECT_EQ(h.server.stats().slow_dropped, 0u);
  close(fd);
}

TEST_F(ServerTest, ConnectionLimitRefusesTheExtraPeer) {
  ServerHarness h(ServerLimits{.max_connections = 2});
  int a = h.connect();
  int b = h.connect();
  int c = h.connect();
  EXPECT_TRUE(h.closed_by_server(c));
  EXPECT_TRUE(log_.contains("refused: already 2 connections")) << log_.all();
  EXPECT_EQ(h.server.stats().refused, 1u);
  close(a);
  close(b);
  close(c);
}

class ListenTest : public ServerTest {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tandem-srv-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/x.sock";
  }
  void TearDown() override {
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  std::string dir_, path_;
};

TEST_F(ListenTest, SocketFileIs0660AndASecondInstanceIsRefused) {
  ServerHarness h;
  ASSERT_EQ(h.server.listen(path_, std::nullopt), std::nullopt);
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);

  ServerHarness other;
  auto err = other.server.listen(path_, std::nullopt);
  ASSERT_TRUE(err.has_value());
  EXPECT_NE(err->find("already running"), std::string::npos);

  h.server.close();
  EXPECT_NE(stat(path_.c_str(), &st), 0) << "close removes the socket file";
}

TEST_F(ListenTest, AcceptedConnectionsAreServed) {
  ServerHarness h;
  h.server.add_command("hi", [](const Json&) { return Reply::success({{"hello", 1}}); });
  ASSERT_EQ(h.server.listen(path_, std::nullopt), std::nullopt);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path_.c_str());
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  h.send(fd, "{\"id\":1,\"cmd\":\"hi\"}\n");
  EXPECT_EQ(response(h.read_line(fd)).result, Json({{"hello", 1}}));
  EXPECT_EQ(h.server.stats().accepted, 1u);
  close(fd);
}

// Needs root to become another user; the policy itself is covered by CheckPeer.
TEST_F(ListenTest, PeerOfAnotherUserIsRefusedWithAReason) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to switch user";
  ServerHarness h;
  ASSERT_EQ(h.server.listen(path_, std::nullopt), std::nullopt);
  // Let the other user reach the socket so the refusal comes from SO_PEERCRED.
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
  ASSERT_EQ(chmod(path_.c_str(), 0666), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path_.c_str());
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) _exit(4);
    char c;
    _exit(read(fd, &c, 1) == 0 ? 0 : 5);  // 0: the server hung up on us
  }
  EXPECT_TRUE(h.run_until([&] { return h.server.stats().refused == 1; }));
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(log_.contains("refused: uid 65534 is not root or the daemon's user")) << log_.all();
  EXPECT_EQ(h.server.stats().accepted, 0u);
}

}  // namespace
}  // namespace tandem::ipc
