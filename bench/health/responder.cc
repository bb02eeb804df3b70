// The endpoints of the checker benchmark: every request answered with 200
// "ok" and a close. With the namespace's 198.18.0.0/16 routed to lo as
// local, a listener on 0.0.0.0:80 is ten thousand endpoints at once, so the
// endpoints cost the machine one process however many there are. Counts
// requests; GET /count answers the count so far.
//
// It must never be what limits a checker: when it fell behind at 10,000
// checks/s (an Asio loop, an accept queue of 4096), connections waited in
// the queue past the checkers' 1 s timeout, the timed-out ones were still
// accepted and answered for nothing, and the run collapsed. So: one
// blocking thread per CPU per port on its own SO_REUSEPORT listener, and
// TCP_DEFER_ACCEPT so accept returns only once the request is there; each
// request costs accept, recv, send and close, nothing else.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

std::atomic<std::uint64_t> g_requests{0};

constexpr std::string_view kOk =
    "HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";

int listener(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  const int defer = 2;  // seconds a connection may stay silent before it is accepted anyway
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  ::setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 65535) != 0) {
    std::perror("bench_health_responder: listen");
    std::exit(1);
  }
  return fd;
}

void serve(int lfd) {
  char buf[2048];
  for (;;) {
    const int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // Deferred accept timed out, or the request is split: wait a little.
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 1000) == 1) n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    }
    if (n > 0) {
      const std::string_view req(buf, static_cast<std::size_t>(n));
      if (req.starts_with("GET /count ")) {
        const std::string body = std::to_string(g_requests.load()) + "\n";
        const std::string reply = "HTTP/1.0 200 OK\r\nContent-Length: " +
                                  std::to_string(body.size()) +
                                  "\r\nConnection: close\r\n\r\n" + body;
        ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
      } else {
        g_requests.fetch_add(1, std::memory_order_relaxed);
        ::send(fd, kOk.data(), kOk.size(), MSG_NOSIGNAL);
      }
    }
    ::close(fd);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_health_responder PORT...\n");
    return 2;
  }
  const unsigned threads = std::max(2u, std::thread::hardware_concurrency());
  std::vector<std::thread> workers;
  for (int i = 1; i < argc; ++i) {
    const auto port = static_cast<std::uint16_t>(std::atoi(argv[i]));
    for (unsigned t = 0; t < threads; ++t) workers.emplace_back(serve, listener(port));
  }
  for (auto& w : workers) w.join();
}
