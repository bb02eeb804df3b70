// ping: one ICMP echo. An unprivileged ICMP datagram socket is preferred
// (net.ipv4.ping_group_range); root falls back to a raw socket. Both are
// connect()ed to the target so the kernel filters other sources, and replies
// are matched on id and sequence (a raw socket sees every echo on the host).
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <cstring>

#include "healthd/monitors/factories.h"
#include "healthd/monitors/icmp_codec.h"
#include "healthd/monitors/session.h"

namespace tandem::health {

namespace {

namespace asio = boost::asio;
using Ec = boost::system::error_code;

std::uint16_t next_sequence() {
  static std::atomic<std::uint16_t> seq{1};
  return seq++;
}

class PingSession final : public Session {
 public:
  PingSession(asio::io_context& io, MonoTime deadline, Callback done,
              std::shared_ptr<const PingParams> p)
      : Session(io, deadline, std::move(done)), p_(std::move(p)), fd_(io) {}

 private:
  void begin(const net::Endpoint& target) override {
    target_ = target.address.value;
    int fd = -1;
    int err = 0;
    if (p_->socket != PingParams::Socket::kRaw) {
      fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
      err = errno;
      raw_ = false;
    }
    if (fd < 0 && p_->socket != PingParams::Socket::kDatagram) {
      fd = ::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
      err = errno;
      raw_ = true;
    }
    if (fd < 0) return finish(false, std::string("cannot open ICMP socket: ") + std::strerror(err));
    fd_.assign(fd);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(target_);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
      return finish(false, std::string("connect failed: ") + std::strerror(errno));
    }
    if (!raw_) {
      // The kernel puts the socket's local "port" in the id field.
      sockaddr_in local{};
      socklen_t len = sizeof local;
      if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
        id_ = ntohs(local.sin_port);
      }
    } else {
      id_ = static_cast<std::uint16_t>(::getpid() ^ (fd << 8));
    }
    seq_ = next_sequence();
    std::vector<std::uint8_t> payload(std::min<std::size_t>(p_->payload, 1400));
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i);
    request_ = icmp_echo_request(id_, seq_, payload);
    phase_ = "waiting for echo reply";
    fd_.async_write_some(asio::buffer(request_),
                         [s = self<PingSession>()](const Ec& ec, std::size_t) {
                           if (!s->finished() && ec) {
                             s->finish(false, "send failed: " + ec.message());
                           }
                         });
    receive();
  }

  void on_deadline() override {
    // Counts vary run to run, so they go in the detail, not the summary.
    finish(false, "no echo reply", std::to_string(ignored_) + " other packets ignored");
  }

  void receive() {
    fd_.async_read_some(asio::buffer(buf_), [s = self<PingSession>()](const Ec& ec, std::size_t n) {
      s->on_packet(ec, n);
    });
  }

  void on_packet(const Ec& ec, std::size_t n) {
    if (finished()) return;
    if (ec == asio::error::host_unreachable || ec == asio::error::network_unreachable ||
        ec == asio::error::connection_refused) {
      return finish(false, connect_error_summary(ec));
    }
    if (ec) return finish(false, "receive failed: " + ec.message());
    const auto e = icmp_parse_echo_reply(std::span(buf_.data(), n), raw_);
    // A ping socket's id is the kernel's business; it only delivers ours.
    if (!e || e->seq != seq_ || (raw_ && (e->id != id_ || e->source != target_))) {
      ++ignored_;
      return receive();
    }
    finish(true, "echo reply");
  }

  void close() override {
    Ec ignored;
    fd_.close(ignored);
  }

  std::shared_ptr<const PingParams> p_;
  asio::posix::stream_descriptor fd_;
  bool raw_ = false;
  std::uint32_t target_ = 0;
  std::uint16_t id_ = 0, seq_ = 0;
  std::vector<std::uint8_t> request_;
  int ignored_ = 0;
  std::array<std::uint8_t, 2048> buf_{};
};

}  // namespace

std::unique_ptr<Monitor> make_ping_monitor(asio::io_context& io, const PingParams& p) {
  return std::make_unique<SessionMonitor<PingSession, PingParams>>(io, p);
}

}  // namespace tandem::health
