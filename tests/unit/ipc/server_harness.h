#pragma once
// A ControlServer on a private io_context, driven from the test thread, with
// raw non-blocking client fds so tests can send exactly the bytes they want.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "common/ipc/server.h"

namespace tandem::testing {

namespace asio = boost::asio;

class ServerHarness {
 public:
  explicit ServerHarness(ipc::ServerLimits limits = {})
      : server(io, limits, ipc::AccessPolicy{geteuid(), std::nullopt}) {}

  // A connected client fd served by `server` (non-blocking).
  int connect() {
    ipc::UnixSocket mine(io), theirs(io);
    asio::local::connect_pair(mine, theirs);
    server.adopt(std::move(theirs));
    int fd = mine.release();
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
  }

  // Runs the loop until pred() holds. The iteration cap only keeps a broken
  // test from hanging; no test depends on how long anything takes.
  bool run_until(const std::function<bool()>& pred) {
    for (int i = 0; i < 20000; ++i) {
      if (pred()) return true;
      io.run_one_for(std::chrono::milliseconds(5));
      if (io.stopped()) io.restart();
    }
    return pred();
  }

  void send(int fd, std::string_view bytes) {
    ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }

  // The next complete line the server sent on fd; "<closed>" on EOF.
  std::string read_line(int fd) {
    auto& pending = buffers_[fd];
    std::string result;
    run_until([&] {
      auto nl = pending.find('\n');
      if (nl != std::string::npos) {
        result = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        return true;
      }
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) pending.append(buf, static_cast<std::size_t>(n));
      if (n == 0) {
        result = "<closed>";
        return true;
      }
      return false;
    });
    return result;
  }

  // True once the server has closed fd's connection (pending lines ignored).
  bool closed_by_server(int fd) {
    return run_until([&] {
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      return n == 0 || (n < 0 && errno == ECONNRESET);
    });
  }

  asio::io_context io;
  ipc::ControlServer server;

 private:
  std::map<int, std::string> buffers_;
};

}  // namespace tandem::testing
