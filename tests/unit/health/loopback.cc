#include "tests/unit/health/loopback.h"

#include <gtest/gtest.h>

namespace tandem::health::lb {

CheckResult run_check(asio::io_context& io, Monitor& m, const net::Endpoint& target,
                      std::chrono::milliseconds timeout) {
  std::optional<CheckResult> r;
  int calls = 0;
  m.start(target, std::chrono::steady_clock::now() + timeout, [&](CheckResult x) {
    ++calls;
    r = std::move(x);
  });
  EXPECT_FALSE(r) << "callback ran inside start()";
  io.restart();
  while (!r) {
    if (io.run_one() == 0) {
      ADD_FAILURE() << "event loop ran dry before the check reported";
      return {};
    }
  }
  io.poll();  // a second callback would show here
  EXPECT_EQ(calls, 1);
  return *r;
}

ScriptedTcpServer::ScriptedTcpServer(asio::io_context& io, std::string reply, bool close_after,
                                     std::size_t chunk)
    : io_(io),
      acceptor_(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)),
      reply_(std::move(reply)),
      close_after_(close_after),
      chunk_(chunk) {
  accept();
}

namespace {

// One accepted connection: records what the client sends, writes the reply
// in pieces, then half-closes or stays silent. Pending handlers own it.
struct Conn : std::enable_shared_from_this<Conn> {
  explicit Conn(tcp::socket s) : sock(std::move(s)) {}
  tcp::socket sock;
  std::vector<std::string> pieces;
  std::size_t next = 0;
  bool close_after = true;
  std::shared_ptr<std::string> received;
  std::array<char, 4096> buf{};

  void read() {
    sock.async_read_some(asio::buffer(buf), [self = shared_from_this()](
                                                const boost::system::error_code& e, std::size_t n) {
      self->received->append(self->buf.data(), n);
      if (!e) self->read();
    });
  }
  void write() {
    if (next == pieces.size()) {
      boost::system::error_code ignored;
      if (close_after) sock.shutdown(tcp::socket::shutdown_send, ignored);
      return;
    }
    asio::async_write(sock, asio::buffer(pieces[next]),
                      [self = shared_from_this()](const boost::system::error_code& e, std::size_t) {
                        if (e) return;
                        ++self->next;
                        self->write();
                      });
  }
};

}  // namespace

void ScriptedTcpServer::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket s) {
    if (ec) return;
    ++*connections_;
    auto c = std::make_shared<Conn>(std::move(s));
    c->close_after = close_after_;
    c->received = received_;
    const std::size_t step = chunk_ == 0 ? std::max<std::size_t>(reply_.size(), 1) : chunk_;
    for (std::size_t i = 0; i < reply_.size(); i += step)
      c->pieces.push_back(reply_.substr(i, step));
    c->read();
    c->write();
    accept();
  });
}

std::uint16_t closed_port() {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  return a.local_endpoint().port();
}

}  // namespace tandem::health::lb
