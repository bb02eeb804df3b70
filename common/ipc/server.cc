#include "common/ipc/server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstring>
#include <deque>
#include <set>
#include <vector>

#include "common/ipc/line_decoder.h"
#include "common/log/log.h"

namespace tandem::ipc {

namespace {
class Session;
}

struct ControlServer::State {
  State(asio::io_context& io_in, ServerLimits limits_in, AccessPolicy policy_in)
      : io(io_in), limits(limits_in), policy(policy_in), retry(io_in) {}

  asio::io_context& io;
  ServerLimits limits;
  AccessPolicy policy;
  std::map<std::string, Handler, std::less<>> handlers;
  std::optional<asio::local::stream_protocol::acceptor> acceptor;
  asio::steady_timer retry;  // pauses accepting after errors such as EMFILE
  std::string path;
  std::set<std::shared_ptr<Session>> sessions;
  ServerStats stats;
  std::uint64_t next_id = 1;
  bool closed = false;
};

namespace {

using State = ControlServer::State;

std::string describe(std::uint64_t id, const PeerCred& peer) {
  return "control connection " + std::to_string(id) + " (pid " + std::to_string(peer.pid) +
         " uid " + std::to_string(peer.uid) + ")";
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<State> state, UnixSocket socket, std::uint64_t id, PeerCred peer)
      : state_(std::move(state)),
        socket_(std::move(socket)),
        decoder_(state_->limits.max_message),
        id_(id),
        peer_(peer) {}

  void start() { read(); }

  bool wants(std::string_view topic) const {
    for (const auto& pattern : topics_)
      if (topic_matches(pattern, topic)) return true;
    return false;
  }

  // An answer to a request: it may be larger than the queue limit (see
  // ServerLimits::max_reply_bytes), as long as the peer has been reading.
  void send_reply(Response r) {
    std::string line = encode_response(r);
    const auto& lim = state_->limits;
    if (line.size() > lim.max_reply_bytes)
      // Too large to send at all: the peer gets an error, not a cut line.
      line = encode_response(Response{r.id, false, Json::object(),
                                      "reply of " + std::to_string(line.size()) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(lim.max_reply_bytes)});
    enqueue(std::move(line), queued_ <= lim.max_queue_bytes);
  }

  void send(std::string line) {
    const bool fits = queued_ + line.size() <= state_->limits.max_queue_bytes;
    enqueue(std::move(line), fits);
  }

  void enqueue(std::string line, bool fits) {
    if (closed_) return;
    if (!fits) {
      ++state_->stats.slow_dropped;
      close("peer is not reading: more than " + std::to_string(state_->limits.max_queue_bytes) +
                " bytes queued",
            log::Level::kWarn);
      return;
    }
    queued_ += line.size();
    out_.push_back(std::move(line));
    if (!writing_) write();
  }

  void close(const std::string& reason, log::Level level) {
    if (closed_) return;
    closed_ = true;
    log::write(level, describe(id_, peer_) + " closed: " + reason);
    boost::system::error_code ignored;
    socket_.shutdown(UnixSocket::shutdown_both, ignored);
    socket_.close(ignored);
    // Erasing may drop the last owner; handlers still queued hold their own.
    state_->sessions.erase(shared_from_this());
  }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(buf_),
                            [self = shared_from_this()](boost::system::error_code ec,
                                                        std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(boost::system::error_code ec, std::size_t n) {
    if (closed_) return;
    if (ec) {
      if (decoder_.buffered() > 0) {
        ++state_->stats.protocol_errors;
        close("peer went away mid-message (" + std::to_string(decoder_.buffered()) +
                  " bytes of an unterminated line)",
              log::Level::kWarn);
      } else {
        close(ec == asio::error::eof ? "peer closed" : ec.message(), log::Level::kDebug);
      }
      return;
    }
    try {
      decoder_.feed(std::string_view(buf_.data(), n));
      std::string line;
      for (;;) {
        auto status = decoder_.next(line);
        if (status == LineDecoder::Status::kNeedMore) break;
        if (status == LineDecoder::Status::kTooLong) {
          ++state_->stats.protocol_errors;
          close("message longer than " + std::to_string(state_->limits.max_message) + " bytes",
                log::Level::kWarn);
          return;
        }
        handle_line(line);
        if (closed_) return;
      }
    } catch (const std::exception& e) {
      close(std::string("internal error: ") + e.what(), log::Level::kError);
      return;
    }
    read();
  }

  void handle_line(const std::string& line) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) return;  // blank keep-alive
    auto parsed = parse_request(line);
    if (auto* err = std::get_if<ParseError>(&parsed)) {
      ++state_->stats.protocol_errors;
      close("bad request: " + err->reason, log::Level::kWarn);
      return;
    }
    const Request& request = std::get<Request>(parsed);
    ++state_->stats.requests;
    Reply reply = dispatch(request);
    send_reply(Response{request.id, reply.ok, std::move(reply.result), reply.error});
  }

  Reply dispatch(const Request& request) {
    if (request.cmd == "subscribe") return subscribe(request.args);
    auto it = state_->handlers.find(request.cmd);
    if (it == state_->handlers.end()) return Reply::failure("unknown command: " + request.cmd);
    try {
      return it->second(request.args);
    } catch (const std::exception& e) {
      log::error("command " + request.cmd + " failed: " + e.what());
      return Reply::failure(std::string("internal error: ") + e.what());
    } catch (...) {
      log::error("command " + request.cmd + " failed with a non-standard exception");
      return Reply::failure("internal error");
    }
  }

  Reply subscribe(const Json& args) {
    auto topics = args.find("topics");
    if (topics == args.end() || !topics->is_array() || topics->empty())
      return Reply::failure("subscribe needs a non-empty \"topics\" array");
    if (topics_.size() + topics->size() > state_->limits.max_topics)
      return Reply::failure("at most " + std::to_string(state_->limits.max_topics) + " topics");
    std::vector<std::string> added;
    for (const auto& t : *topics) {
      if (!t.is_string() || t.get_ref<const std::string&>().empty())
        return Reply::failure("topics must be non-empty strings");
      added.push_back(t.get<std::string>());
    }
    topics_.insert(topics_.end(), added.begin(), added.end());
    return Reply::success({{"topics", topics_}});
  }

  void write() {
    writing_ = true;
    asio::async_write(socket_, asio::buffer(out_.front()),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        self->on_written(ec);
                      });
  }

  void on_written(boost::system::error_code ec) {
    writing_ = false;
    if (closed_) return;
    if (ec) {
      close("write failed: " + ec.message(), log::Level::kInfo);
      return;
    }
    queued_ -= out_.front().size();
    out_.pop_front();
    if (!out_.empty()) write();
  }

  std::shared_ptr<State> state_;
  UnixSocket socket_;
  LineDecoder decoder_;
  std::array<char, 4096> buf_{};
  std::deque<std::string> out_;
  std::size_t queued_ = 0;
  bool writing_ = false;
  bool closed_ = false;
  std::vector<std::string> topics_;
  std::uint64_t id_;
  PeerCred peer_;
};

void serve(const std::shared_ptr<State>& state, UnixSocket socket) {
  const std::uint64_t id = state->next_id++;
  auto cred = peer_credentials(socket.native_handle());
  if (!cred) {
    ++state->stats.refused;
    log::warn("control connection " + std::to_string(id) +
              " refused: peer credentials unavailable");
    return;
  }
  const std::string who = describe(id, *cred);
  if (state->sessions.size() >= state->limits.max_connections) {
    ++state->stats.refused;
    log::warn(who + " refused: already " + std::to_string(state->sessions.size()) + " connections");
    return;
  }
  std::vector<gid_t> groups;
  if (cred->uid != 0 && cred->uid != state->policy.self_uid && state->policy.group)
    groups = groups_of_user(cred->uid, cred->gid);
  if (auto refusal = check_peer(*cred, state->policy, groups)) {
    ++state->stats.refused;
    log::warn(who + " refused: " + *refusal);
    return;
  }
  ++state->stats.accepted;
  log::debug(who + " accepted");
  auto session = std::make_shared<Session>(state, std::move(socket), id, *cred);
  state->sessions.insert(session);
  session->start();
}

void accept_next(const std::shared_ptr<State>& state) {
  if (state->closed || !state->acceptor) return;
  state->acceptor->async_accept([state](boost::system::error_code ec, UnixSocket socket) {
    if (state->closed) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      log::error("control socket accept failed: " + ec.message());
      state->retry.expires_after(std::chrono::milliseconds(100));
      state->retry.async_wait([state](boost::system::error_code wait_ec) {
        if (!wait_ec) accept_next(state);
      });
      return;
    }
    try {
      serve(state, std::move(socket));
    } catch (const std::exception& e) {
      log::error(std::string("control socket: dropping a connection: ") + e.what());
    }
    accept_next(state);
  });
}

}  // namespace

ControlServer::ControlServer(asio::io_context& io, ServerLimits limits, AccessPolicy policy)
    : state_(std::make_shared<State>(io, limits, policy)) {}

ControlServer::~ControlServer() {
  close();
}

void ControlServer::add_command(std::string name, Handler handler) {
  state_->handlers[std::move(name)] = std::move(handler);
}

std::optional<std::string> ControlServer::listen(const std::string& path,
                                                 std::optional<gid_t> group, mode_t mode) {
  if (auto busy = clear_stale_socket(path)) return busy;
  boost::system::error_code ec;
  asio::local::stream_protocol::acceptor acceptor(state_->io);
  acceptor.open(asio::local::stream_protocol(), ec);
  if (ec) return "socket: " + ec.message();
  // bind() creates the file; the umask keeps it from ever being wider than `mode`.
  const mode_t old_mask = ::umask(~mode & 0777);
  acceptor.bind(asio::local::stream_protocol::endpoint(path), ec);
  ::umask(old_mask);
  if (ec) return path + ": bind: " + ec.message();
  if (::chmod(path.c_str(), mode) != 0) {
    const std::string reason = path + ": chmod: " + std::strerror(errno);
    ::unlink(path.c_str());
    return reason;
  }
  if (group && ::chown(path.c_str(), static_cast<uid_t>(-1), *group) != 0)
    log::warn(path + ": cannot set group " + std::to_string(*group) + ": " + std::strerror(errno));
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    ::unlink(path.c_str());
    return path + ": listen: " + ec.message();
  }
  state_->acceptor.emplace(std::move(acceptor));
  state_->path = path;
  state_->closed = false;
  accept_next(state_);
  return std::nullopt;
}

void ControlServer::adopt(UnixSocket socket) {
  serve(state_, std::move(socket));
}

void ControlServer::publish(std::string_view topic, const Json& data, double time) {
  std::string line;
  // Copy first: a send may close a slow session and erase it from the set.
  std::vector<std::shared_ptr<Session>> targets;
  for (const auto& s : state_->sessions)
    if (s->wants(topic)) targets.push_back(s);
  if (targets.empty()) return;
  line = encode_event(Event{std::string(topic), time, data});
  for (const auto& s : targets) {
    ++state_->stats.events_sent;
    s->send(line);
  }
}

void ControlServer::close() {
  if (state_->closed) return;
  state_->closed = true;
  state_->retry.cancel();
  if (state_->acceptor) {
    boost::system::error_code ignored;
    state_->acceptor->close(ignored);
    state_->acceptor.reset();
  }
  if (!state_->path.empty()) {
    ::unlink(state_->path.c_str());
    state_->path.clear();
  }
  auto sessions = state_->sessions;
  for (const auto& s : sessions) s->close("server shutting down", log::Level::kDebug);
}

std::size_t ControlServer::connection_count() const {
  return state_->sessions.size();
}

ServerStats ControlServer::stats() const {
  return state_->stats;
}

}  // namespace tandem::ipc
