// The endpoints of the checker benchmark: two threads, one listening socket
// per port given, answering every request with 200 "ok" and closing. With
// the namespace's 198.18.0.0/16 routed to lo as local, a listener on
// 0.0.0.0:80 is ten thousand endpoints at once, so the endpoints cost the
// machine one cheap process however many there are. Counts requests;
// GET /count answers the count so far.
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::atomic<std::uint64_t> g_requests{0};

struct Conn : std::enable_shared_from_this<Conn> {
  explicit Conn(tcp::socket s) : sock(std::move(s)) {}
  tcp::socket sock;
  std::array<char, 2048> buf{};
  std::string reply;
  void run() {
    sock.async_read_some(asio::buffer(buf), [self = shared_from_this()](auto ec, std::size_t n) {
      if (ec) return;
      const std::string_view req(self->buf.data(), n);
      if (req.starts_with("GET /count ")) {
        const std::string body = std::to_string(g_requests.load()) + "\n";
        self->reply = "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\nConnection: close\r\n\r\n" + body;
      } else {
        ++g_requests;
        self->reply = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
      }
      asio::async_write(self->sock, asio::buffer(self->reply), [self](auto, std::size_t) {
        boost::system::error_code ignored;
        self->sock.shutdown(tcp::socket::shutdown_send, ignored);
        self->sock.close(ignored);
      });
    });
  }
};

void accept_loop(tcp::acceptor& a) {
  a.async_accept([&a](auto ec, tcp::socket s) {
    if (!ec) std::make_shared<Conn>(std::move(s))->run();
    accept_loop(a);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_health_responder PORT...\n");
    return 2;
  }
  asio::io_context io;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  for (int i = 1; i < argc; ++i) {
    const auto port = static_cast<std::uint16_t>(std::atoi(argv[i]));
    auto a = std::make_unique<tcp::acceptor>(io);
    tcp::endpoint ep(asio::ip::address_v4::any(), port);
    a->open(ep.protocol());
    a->set_option(tcp::acceptor::reuse_address(true));
    a->bind(ep);
    a->listen(4096);
    accept_loop(*a);
    acceptors.push_back(std::move(a));
  }
  // Two threads, so the endpoints keep up with a checker on a busy machine.
  std::thread second([&io] { io.run(); });
  io.run();
  second.join();
}
