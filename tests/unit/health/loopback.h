#pragma once
// Little scripted servers on 127.0.0.1 ephemeral ports, run on the test's own
// io_context next to the monitor under test, so every exchange is
// deterministic and single-threaded.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/net/address.h"
#include "healthd/monitors/monitor.h"

namespace tandem::health::lb {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

inline net::Endpoint loopback(std::uint16_t port) {
  return net::Endpoint{net::Ipv4{0x7f000001}, port};
}

// Runs the loop until the check reports; fails the test if the loop idles.
CheckResult run_check(asio::io_context& io, Monitor& m, const net::Endpoint& target,
                      std::chrono::milliseconds timeout);

// A TCP server that answers each connection with `reply` (written in pieces
// of `chunk` bytes), then closes or keeps the connection open, and records
// what the client sent.
class ScriptedTcpServer {
 public:
  ScriptedTcpServer(asio::io_context& io, std::string reply, bool close_after = true,
                    std::size_t chunk = 0);
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  const std::string& received() const { return *received_; }
  int connections() const { return *connections_; }

 private:
  void accept();
  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::string reply_;
  bool close_after_;
  std::size_t chunk_;
  std::shared_ptr<std::string> received_ = std::make_shared<std::string>();
  std::shared_ptr<int> connections_ = std::make_shared<int>(0);
};

// A port on which nothing listens (bound, then released).
std::uint16_t closed_port();

}  // namespace tandem::health::lb
