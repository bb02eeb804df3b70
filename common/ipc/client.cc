#include "common/ipc/client.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <deque>
#include <optional>

#include "common/ipc/backoff.h"
#include "common/ipc/line_decoder.h"
#include "common/log/log.h"

namespace tandem::ipc {

namespace asio = boost::asio;

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

using Steady = std::chrono::steady_clock;

// Waits for `events` on fd until the deadline; false on timeout or error.
bool wait_for(int fd, short events, Steady::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1 << 30)));
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return false;
  }
}

}  // namespace

std::variant<Response, std::string> call(const std::string& path, const std::string& cmd,
                                         const Json& args, Duration timeout,
                                         std::size_t max_message) {
  const auto deadline = Steady::now() + timeout;
  const auto timeout_text = [&] {
    return "timed out after " +
           std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) +
           " ms";
  };
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return path + ": path too long";
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return std::string("socket: ") + std::strerror(errno);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EAGAIN && errno != EINPROGRESS)
      return std::string("connect: ") + std::strerror(errno);
    if (!wait_for(fd.get(), POLLOUT, deadline)) return timeout_text();
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return std::string("connect: ") + std::strerror(err);
  }

  // One connection carries one request, so any id will do.
  const std::string out = encode_request(Request{1, cmd, args});
  std::size_t sent = 0;
  while (sent < out.size()) {
    ssize_t n = ::send(fd.get(), out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd.get(), POLLOUT, deadline)) return timeout_text();
    } else {
      return std::string("send: ") + std::strerror(errno);
    }
  }

  LineDecoder decoder(max_message);
  std::array<char, 4096> buf{};
  std::string line;
  for (;;) {
    for (;;) {
      auto status = decoder.next(line);
      if (status == LineDecoder::Status::kTooLong) return "response longer than the limit";
      if (status == LineDecoder::Status::kNeedMore) break;
      auto reply = parse_reply(line);
      if (auto* r = std::get_if<Response>(&reply)) return *r;
      if (auto* e = std::get_if<ParseError>(&reply)) return "bad response: " + e->reason;
      // An event line cannot answer a request; keep waiting.
    }
    ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), 0);
    if (n > 0) {
      decoder.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    } else if (n == 0) {
      return "connection closed before a response";
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!wait_for(fd.get(), POLLIN, deadline)) return timeout_text();
    } else {
      return std::string("recv: ") + std::strerror(errno);
    }
  }
}

struct ControlClient::State : std::enable_shared_from_this<ControlClient::State> {
  State(asio::io_context& io_in, std::string path_in, ClientOptions options_in)
      : io(io_in),
        path(std::move(path_in)),
        options(std::move(options_in)),
        backoff(options.initial_backoff, options.max_backoff),
        timer(io_in),
        decoder(options.max_message) {}

  asio::io_context& io;
  std::string path;
  ClientOptions options;
  Backoff backoff;
  asio::steady_timer timer;
  std::optional<asio::local::stream_protocol::socket> socket;
  LineDecoder decoder;
  std::array<char, 4096> buf{};
  std::deque<std::string> out;
  bool writing = false;
  bool is_connected = false;
  bool running = false;
  std::uint64_t generation = 0;  // bumps per connection so stale handlers bail out
  std::uint64_t next_id = 1;
  std::map<std::uint64_t, ResponseFn> pending;
  EventFn event_fn;
  StateFn state_fn;

  void connect() {
    if (!running) return;
    const std::uint64_t gen = ++generation;
    decoder = LineDecoder(options.max_message);
    socket.emplace(io);
    socket->async_connect(asio::local::stream_protocol::endpoint(path),
                          [self = shared_from_this(), gen](boost::system::error_code ec) {
                            if (gen != self->generation || !self->running) return;
                            if (ec) {
                              self->retry_later("connect: " + ec.message());
                              return;
                            }
                            self->on_connected(gen);
                          });
  }

  void on_connected(std::uint64_t gen) {
    is_connected = true;
    backoff.reset();
    if (!options.topics.empty()) {
      send_request("subscribe", Json{{"topics", options.topics}},
                   [self = weak_from_this()](const Response& r) {
                     if (!r.ok)
                       if (auto s = self.lock())
                         log::warn(s->path + ": subscribe refused: " + r.error);
                   });
    }
    notify_state(true, "connected");
    read(gen);
  }

  void read(std::uint64_t gen) {
    socket->async_read_some(asio::buffer(buf), [self = shared_from_this(), gen](
                                                   boost::system::error_code ec, std::size_t n) {
      if (gen != self->generation || !self->running) return;
      if (ec) {
        self->drop(ec == asio::error::eof ? "peer closed" : ec.message());
        return;
      }
      try {
        if (!self->consume(n)) return;
      } catch (const std::exception& e) {
        self->drop(std::string("internal error: ") + e.what());
        return;
      }
      self->read(gen);
    });
  }

  // false when the connection was dropped.
  bool consume(std::size_t n) {
    decoder.feed(std::string_view(buf.data(), n));
    std::string line;
    for (;;) {
      auto status = decoder.next(line);
      if (status == LineDecoder::Status::kNeedMore) return true;
      if (status == LineDecoder::Status::kTooLong) {
        drop("message longer than " + std::to_string(options.max_message) + " bytes");
        return false;
      }
      auto reply = parse_reply(line);
      if (auto* err = std::get_if<ParseError>(&reply)) {
        drop("bad message from server: " + err->reason);
        return false;
      }
      const std::uint64_t gen = generation;
      if (auto* event = std::get_if<Event>(&reply)) {
        if (event_fn) event_fn(*event);
      } else {
        auto& response = std::get<Response>(reply);
        auto it = pending.find(response.id);
        if (it != pending.end()) {
          ResponseFn done = std::move(it->second);
          pending.erase(it);
          if (done) done(response);
        }
      }
      // A callback may have stopped us or forced a reconnect.
      if (gen != generation || !running) return false;
    }
  }

  void send_request(const std::string& cmd, const Json& args, ResponseFn done) {
    const std::uint64_t id = next_id++;
    pending.emplace(id, std::move(done));
    out.push_back(encode_request(Request{id, cmd, args}));
    if (!writing) write(generation);
  }

  void write(std::uint64_t gen) {
    writing = true;
    asio::async_write(*socket, asio::buffer(out.front()),
                      [self = shared_from_this(), gen](boost::system::error_code ec, std::size_t) {
                        if (gen != self->generation) return;
                        self->writing = false;
                        if (!self->running) return;
                        if (ec) {
                          self->drop("write: " + ec.message());
                          return;
                        }
                        self->out.pop_front();
                        if (!self->out.empty()) self->write(gen);
                      });
  }

  void close_socket() {
    ++generation;
    if (socket) {
      boost::system::error_code ignored;
      socket->close(ignored);
    }
    out.clear();
    writing = false;
    auto failed = std::move(pending);
    pending.clear();
    for (auto& [id, done] : failed)
      if (done) done(Response{id, false, Json::object(), "connection lost"});
  }

  void drop(const std::string& reason) {
    const bool was = is_connected;
    is_connected = false;
    close_socket();
    if (was) notify_state(false, reason);
    retry_later(reason);
  }

  void retry_later(const std::string& reason) {
    if (!running) return;
    const Duration delay = backoff.next();
    log::debug(
        path + ": " + reason + "; retrying in " +
        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()) +
        " ms");
    timer.expires_after(delay);
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->connect();
    });
  }

  void notify_state(bool up, const std::string& reason) {
    if (!state_fn) return;
    try {
      state_fn(up, reason);
    } catch (const std::exception& e) {
      log::error(path + ": state callback failed: " + e.what());
    }
  }
};

ControlClient::ControlClient(asio::io_context& io, std::string path, ClientOptions options)
    : state_(std::make_shared<State>(io, std::move(path), std::move(options))) {}

ControlClient::~ControlClient() {
  stop();
}

void ControlClient::on_event(EventFn fn) {
  state_->event_fn = std::move(fn);
}
void ControlClient::on_state(StateFn fn) {
  state_->state_fn = std::move(fn);
}

void ControlClient::start() {
  if (state_->running) return;
  state_->running = true;
  state_->backoff.reset();
  state_->connect();
}

void ControlClient::stop() {
  if (!state_->running) return;
  state_->running = false;
  state_->timer.cancel();
  state_->is_connected = false;
  state_->close_socket();
}

bool ControlClient::connected() const {
  return state_->is_connected;
}

void ControlClient::request(const std::string& cmd, const Json& args, ResponseFn done) {
  if (!state_->is_connected) {
    if (done) done(Response{0, false, Json::object(), "not connected"});
    return;
  }
  state_->send_request(cmd, args, std::move(done));
}

}  // namespace tandem::ipc
