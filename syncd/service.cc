#include "syncd/service.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <sstream>

#include "common/ipc/client.h"
#include "common/ipc/frame_decoder.h"
#include "common/log/log.h"
#include "common/sync/record.h"
#include "syncd/core/engine.h"

namespace tandem::syncd {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using Stream = asio::local::stream_protocol;

constexpr auto kTick = std::chrono::milliseconds(10);
constexpr std::size_t kMaxFrame = 4096;                    // one record, options included
constexpr std::size_t kMaxStreamQueue = 64 * 1024 * 1024;  // installs not yet read by the director

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// Keys from the config; a key_file that cannot be read is an error the
// operator must see, and the daemon then refuses to sign rather than use
// a guessable key.
std::optional<sync::KeyRing> load_keys(const config::SyncAuth& auth, std::string& error) {
  sync::KeyRing ring;
  if (auth.keys.empty()) return ring;  // unauthenticated: key 0, empty secret
  bool have_current = false;
  for (const auto& k : auth.keys) {
    sync::Key key;
    key.id = static_cast<std::uint8_t>(k.id);
    std::string secret = k.key;
    if (!k.key_file.empty()) {
      std::ifstream f(k.key_file, std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      if (!f) {
        error = "cannot read sync key_file " + k.key_file;
        return std::nullopt;
      }
      secret = ss.str();
      while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    }
    key.secret.assign(secret.begin(), secret.end());
    if (k.id == auth.active_key) {
      ring.current = std::move(key);
      have_current = true;
    } else if (!ring.previous) {
      // KeyRing verifies two keys: the active one and one other (rotation).
      ring.previous = std::move(key);
    }
  }
  if (!have_current) {
    error = "sync active_key not found";
    return std::nullopt;
  }
  return ring;
}

class Service : public std::enable_shared_from_this<Service> {
 public:
  explicit Service(runner::Runner& r)
      : runner_(r), io_(r.io()), udp_(r.io()), acceptor_(r.io()), timer_(r.io()) {}

  void apply(const config::Config& cfg) {
    const config::Node* node = config::resolve_node(cfg, runner_.options().node);
    std::string err;
    auto keys = load_keys(cfg.sync.authentication, err);
    if (!keys) {
      log::error("sync: " + err + "; keeping the previous keys");
      if (!engine_) return;
    }
    if (engine_) {
      // Transport, addresses and identity change only on restart.
      if (keys)
        engine_->reconfigure(*keys, static_cast<std::uint8_t>(cfg.sync.syncid),
                             cfg.sync.flush_interval);
      return;
    }
    if (!cfg.sync.enabled) {
      log::info("sync: disabled in the configuration");
      return;
    }
    EngineConfig ec;
    const std::string node_name = node ? node->name : runner_.options().node;
    ec.sender_id =
        (node ? std::uint64_t{node->address.value} << 32 : 0) | (fnv1a(node_name) & 0xffffffffULL);
    ec.epoch = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
    ec.syncid = static_cast<std::uint8_t>(cfg.sync.syncid);
    ec.keys = *keys;
    ec.flush_interval = cfg.sync.flush_interval;
    ec.resync_enabled = cfg.sync.resync.enabled;
    ec.receiver.resync_timeout = cfg.sync.resync.timeout;
    if (cfg.sync.resync.max_rate != 0) {
      // records/s -> datagrams per tick, ~38 records per datagram.
      const double per_tick = cfg.sync.resync.max_rate / 38.0 / (1000.0 / kTick.count());
      ec.resync_datagrams_per_tick = std::max<std::size_t>(1, static_cast<std::size_t>(per_tick));
    }
    engine_ = std::make_unique<Engine>(ec, now());
    transport_ = cfg.sync.transport;
    port_ = cfg.sync.port;
    group_ = cfg.sync.group;
    ttl_ = cfg.sync.ttl;
    peer_ = config::sync_peer(cfg, node);
    local_ = node ? node->address : net::Ipv4{};
    device_ = config::device_of(cfg, node, cfg.sync.interface);
    open_udp();
    // The stream socket is opened from the first tick: the runner creates
    // the run directory only after this hook.
    open_vrrp();
    schedule_tick();
  }

  void stop() {
    stopped_ = true;
    boost::system::error_code ec;
    timer_.cancel();
    udp_.close(ec);
    acceptor_.close(ec);
    if (client_) client_->close(ec);
    if (vrrp_) vrrp_->stop();
    ::unlink(stream_socket_path(runner_.options().run_dir).c_str());
  }

  ipc::Json status() const {
    const auto& cfg = *runner_.config();
    ipc::Json j = {{"enabled", engine_ != nullptr},
                   {"transport",
                    cfg.sync.transport == config::SyncTransport::unicast ? "unicast" : "multicast"},
                   {"syncid", cfg.sync.syncid}};
    if (!engine_) return j;
    j["role"] = to_string(engine_->role());
    j["role_source"] = override_ ? "operator" : (vrrp_connected_ ? "vrrpd" : "none");
    j["destination"] = destination_text();
    j["udp_open"] = udp_.is_open();
    j["udp_error"] = udp_error_;
    j["director_connected"] = client_ != nullptr;
    j["mirror"] = engine_->mirror_size();
    j["sender_id"] = engine_->sender_id();
    const auto& c = engine_->counters();
    j["counters"] = {{"local_records", c.local_records},
                     {"sent_datagrams", c.sent_datagrams},
                     {"sent_records", c.sent_records},
                     {"sent_bytes", c.sent_bytes},
                     {"heartbeats_sent", c.heartbeats_sent},
                     {"send_errors", send_errors_},
                     {"received_datagrams", c.received_datagrams},
                     {"received_records", c.received_records},
                     {"installs", c.installs},
                     {"installs_dropped", installs_dropped_},
                     {"own_datagrams", c.own_datagrams},
                     {"unknown_peers", c.unknown_peers},
                     {"rejected_records", c.rejected_records},
                     {"resync_requests_sent", c.resync_requests_sent},
                     {"resync_requests_received", c.resync_requests_received},
                     {"resyncs_served", c.resyncs_served},
                     {"resync_records_sent", c.resync_records_sent},
                     {"resyncs_completed", c.resyncs_completed},
                     {"retransmit_requests_sent", c.retransmit_requests_sent},
                     {"retransmit_requests_received", c.retransmit_requests_received},
                     {"retransmitted", c.retransmitted},
                     {"unencodable", c.unencodable},
                     {"stream_errors", stream_errors_},
                     {"mirror_expired", c.mirror_expired}};
    ipc::Json rej = ipc::Json::object();
    std::uint64_t total = 0;
    for (std::size_t i = 1; i < static_cast<std::size_t>(sync::SyncError::kCount); ++i) {
      const auto e = static_cast<sync::SyncError>(i);
      if (auto n = engine_->rejected().get(e)) {
        rej[sync::to_string(e)] = n;
        total += n;
      }
    }
    j["rejected"] = rej;
    j["rejected_total"] = total;
    const auto lag = engine_->lag();
    j["lag_ms"] = {
        {"samples", lag.samples}, {"p50", lag.p50_ms}, {"p99", lag.p99_ms}, {"max", lag.max_ms}};
    ipc::Json peers = ipc::Json::array();
    for (const auto& p : engine_->peers(now())) {
      peers.push_back({{"sender_id", p.sender_id},
                       {"epoch", p.epoch},
                       {"highest_seq", p.highest_seq},
                       {"open_gaps", p.open_gaps},
                       {"awaiting_resync", p.awaiting_resync},
                       {"alive", p.alive},
                       {"last_seen_s", p.last_seen_ago_s}});
    }
    j["peers"] = peers;
    return j;
  }

  ipc::Reply resync() {
    if (!engine_) return ipc::Reply::failure("sync is disabled");
    engine_->request_resync();
    return ipc::Reply::success({{"requested", true}});
  }

  ipc::Reply set_role(const ipc::Json& args) {
    if (!engine_) return ipc::Reply::failure("sync is disabled");
    const std::string r = args.value("role", std::string());
    if (r == "master" || r == "backup" || r == "none") {
      override_ = r == "master" ? Role::master : r == "backup" ? Role::backup : Role::none;
    } else if (r == "auto") {
      override_.reset();
    } else {
      return ipc::Reply::failure("role must be master, backup, none or auto");
    }
    update_role();
    return ipc::Reply::success({{"role", to_string(engine_->role())}});
  }

 private:
  static TimePoint now() { return SteadyClock().now(); }

  std::string destination_text() const {
    if (transport_ == config::SyncTransport::unicast) {
      return peer_ ? peer_->to_string() + ":" + std::to_string(port_) : "(no peer)";
    }
    return group_.to_string() + ":" + std::to_string(port_);
  }

  // ---- UDP ----

  void open_udp() {
    boost::system::error_code ec;
    udp_.open(udp::v4(), ec);
    if (ec) return udp_fail("open: " + ec.message());
    udp_.set_option(udp::socket::reuse_address(true), ec);
    const int fd = udp_.native_handle();
    const int buf = 4 * 1024 * 1024;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    const unsigned ifindex = device_.empty() ? 0 : ::if_nametoindex(device_.c_str());
    if (transport_ == config::SyncTransport::multicast) {
      udp_.bind(udp::endpoint(asio::ip::address_v4(group_.value), port_), ec);
      if (ec) return udp_fail("bind " + destination_text() + ": " + ec.message());
      ip_mreqn mreq{};
      mreq.imr_multiaddr.s_addr = htonl(group_.value);
      mreq.imr_address.s_addr = htonl(local_.value);
      mreq.imr_ifindex = static_cast<int>(ifindex);
      if (::setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0)
        return udp_fail(std::string("join group: ") + std::strerror(errno));
      ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq);
      const unsigned char ttl = static_cast<unsigned char>(ttl_), loop = 0;
      ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
      // Our own datagrams would only be counted and dropped.
      ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop);
      dest_ = udp::endpoint(asio::ip::address_v4(group_.value), port_);
    } else {
      if (!peer_) return udp_fail("unicast sync without a peer address");
      udp_.bind(udp::endpoint(asio::ip::address_v4(local_.value), port_), ec);
      if (ec)
        return udp_fail("bind " + local_.to_string() + ":" + std::to_string(port_) + ": " +
                        ec.message());
      dest_ = udp::endpoint(asio::ip::address_v4(peer_->value), port_);
    }
    log::info("sync: " +
              std::string(transport_ == config::SyncTransport::unicast ? "unicast" : "multicast") +
              " to " + destination_text());
    receive();
  }

  void udp_fail(const std::string& why) {
    // The daemon stays up (status shows why): sync is not worth refusing
    // to run the rest of the director for, and a reload can fix the config.
    udp_error_ = why;
    log::error("sync: " + why);
    boost::system::error_code ec;
    udp_.close(ec);
  }

  void receive() {
    auto self = shared_from_this();
    udp_.async_receive_from(asio::buffer(rx_buf_), rx_from_, [self](auto ec, std::size_t n) {
      if (self->stopped_ || ec == asio::error::operation_aborted) return;
      if (!ec) {
        self->engine_->datagram(std::span(self->rx_buf_.data(), n), now());
        self->pump();
      }
      self->receive();
    });
  }

  void pump() {
    for (auto& d : engine_->take_outgoing()) {
      if (!udp_.is_open()) break;
      boost::system::error_code ec;
      // Synchronous and non-blocking in effect (UDP): a full socket buffer
      // drops the datagram, which the peer's loss recovery repairs.
      udp_.send_to(asio::buffer(d), dest_, 0, ec);
      if (ec) ++send_errors_;
    }
    auto installs = engine_->take_installs();
    if (installs.empty()) return;
    if (!client_) {
      installs_dropped_ += installs.size();  // the director dumps what it has on connect
      return;
    }
    std::vector<std::uint8_t> out;
    std::vector<std::uint8_t> rec;
    for (const auto& r : installs) {
      rec.clear();
      if (sync::append_record(r, rec) != sync::SyncError::kOk) continue;
      ipc::append_frame(out, rec);
    }
    queue_write(std::move(out));
  }

  // ---- director stream ----

  void open_stream() {
    const std::string path = stream_socket_path(runner_.options().run_dir);
    ::unlink(path.c_str());
    boost::system::error_code ec;
    acceptor_.open(Stream(), ec);
    if (!ec) acceptor_.bind(Stream::endpoint(path), ec);
    if (!ec) acceptor_.listen(4, ec);
    if (ec) {
      log::error("sync: director stream " + path + ": " + ec.message() + "; retrying");
      acceptor_.close(ec);
      return;
    }
    accept();
  }

  void accept() {
    auto self = shared_from_this();
    acceptor_.async_accept([self](auto ec, Stream::socket s) {
      if (self->stopped_ || ec == asio::error::operation_aborted) return;
      if (!ec) self->adopt(std::move(s));
      self->accept();
    });
  }

  void adopt(Stream::socket s) {
    // One director per node: a new connection is the director restarting.
    if (client_) {
      boost::system::error_code ec;
      client_->close(ec);
    }
    client_ = std::make_shared<Stream::socket>(std::move(s));
    decoder_ = std::make_unique<ipc::FrameDecoder>(kMaxFrame);
    write_queue_.clear();
    queued_bytes_ = 0;
    writing_ = false;
    log::info("sync: director connected");
    // A (re)started director may have missed installs (or lost its table):
    // the peer's full table brings it back. Asked only of peers we know.
    engine_->request_resync();
    read(client_);
  }

  void drop_client(const std::shared_ptr<Stream::socket>& c, const std::string& why) {
    if (c != client_) return;
    log::warn("sync: director stream closed: " + why);
    boost::system::error_code ec;
    client_->close(ec);
    client_.reset();
    write_queue_.clear();
    queued_bytes_ = 0;
    writing_ = false;
  }

  void read(std::shared_ptr<Stream::socket> c) {
    auto self = shared_from_this();
    c->async_read_some(asio::buffer(stream_buf_), [self, c](auto ec, std::size_t n) {
      if (self->stopped_ || c != self->client_) return;
      if (ec) return self->drop_client(c, ec.message());
      self->decoder_->feed(std::span(self->stream_buf_.data(), n));
      std::vector<std::uint8_t> frame;
      const TimePoint t = now();
      for (;;) {
        const auto st = self->decoder_->next(frame);
        if (st == ipc::FrameDecoder::Status::kNeedMore) break;
        if (st == ipc::FrameDecoder::Status::kTooLarge) {
          ++self->stream_errors_;
          return self->drop_client(c, "oversized frame");
        }
        sync::ConnRecord r;
        if (sync::decode_stream_record(frame, r) != sync::SyncError::kOk) {
          ++self->stream_errors_;  // one bad record; the framing is still intact
          continue;
        }
        self->engine_->local_record(r, t);
      }
      self->pump();
      self->read(c);
    });
  }

  void queue_write(std::vector<std::uint8_t> bytes) {
    if (queued_bytes_ + bytes.size() > kMaxStreamQueue) {
      // The director is not reading; it dumps on reconnect, so cut it loose.
      return drop_client(client_, "director not reading installs");
    }
    queued_bytes_ += bytes.size();
    write_queue_.push_back(std::move(bytes));
    if (!writing_) write_next();
  }

  void write_next() {
    if (write_queue_.empty() || !client_) {
      writing_ = false;
      return;
    }
    writing_ = true;
    auto self = shared_from_this();
    auto c = client_;
    asio::async_write(*c, asio::buffer(write_queue_.front()), [self, c](auto ec, std::size_t) {
      if (self->stopped_ || c != self->client_) return;
      if (ec) return self->drop_client(c, ec.message());
      self->queued_bytes_ -= self->write_queue_.front().size();
      self->write_queue_.pop_front();
      self->write_next();
    });
  }

  // ---- role ----

  void open_vrrp() {
    ipc::ClientOptions o;
    o.topics = {"vrrp.state"};
    o.max_backoff = std::chrono::seconds(2);
    vrrp_ = std::make_unique<ipc::ControlClient>(io_, runner_.options().run_dir + "/vrrpd.sock", o);
    std::weak_ptr<Service> weak = shared_from_this();
    vrrp_->on_event([weak](const ipc::Event& e) {
      if (auto self = weak.lock()) self->vrrp_event(e.data);
    });
    vrrp_->on_state([weak](bool up, const std::string&) {
      auto self = weak.lock();
      if (!self) return;
      self->vrrp_connected_ = up;
      if (!up) return;
      self->vrrp_->request("vrrp", ipc::Json::object(), [weak](const ipc::Response& r) {
        auto s = weak.lock();
        if (!s || !r.ok) return;
        const ipc::Json& list = r.result.contains("instances") ? r.result["instances"] : r.result;
        if (!list.is_array()) return;
        s->instances_.clear();
        for (const auto& i : list) s->vrrp_event(i);
      });
    });
    vrrp_->start();
  }

  void vrrp_event(const ipc::Json& d) {
    if (!d.is_object()) return;
    const auto name = d.value("instance", std::string());
    const auto state = d.value("state", std::string());
    if (name.empty()) return;
    instances_[name] = state;
    update_role();
  }

  void update_role() {
    Role r = Role::none;
    if (override_) {
      r = *override_;
    } else {
      for (const auto& [n, s] : instances_) {
        if (s == "master")
          r = Role::master;
        else if (r == Role::none)
          r = Role::backup;
      }
    }
    if (r != engine_->role()) {
      log::info(std::string("sync: role ") + to_string(engine_->role()) + " -> " + to_string(r));
      engine_->set_role(r, now());
      pump();
    }
  }

  // ---- timer ----

  void schedule_tick() {
    auto self = shared_from_this();
    timer_.expires_after(kTick);
    timer_.async_wait([self](auto ec) {
      if (self->stopped_ || ec) return;
      const TimePoint t = now();
      if (!self->acceptor_.is_open() && t - self->stream_tried_ >= std::chrono::seconds(1)) {
        self->stream_tried_ = t;
        self->open_stream();
      }
      self->engine_->tick(t);
      self->pump();
      self->schedule_tick();
    });
  }

  runner::Runner& runner_;
  asio::io_context& io_;
  std::unique_ptr<Engine> engine_;
  config::SyncTransport transport_ = config::SyncTransport::multicast;
  std::uint16_t port_ = 8848;
  net::Ipv4 group_;
  int ttl_ = 1;
  std::optional<net::Ipv4> peer_;
  net::Ipv4 local_;
  std::string device_;
  udp::socket udp_;
  udp::endpoint dest_;
  udp::endpoint rx_from_;
  std::array<std::uint8_t, 65536> rx_buf_{};
  std::string udp_error_;
  Stream::acceptor acceptor_;
  TimePoint stream_tried_{};
  std::shared_ptr<Stream::socket> client_;
  std::unique_ptr<ipc::FrameDecoder> decoder_;
  std::array<std::uint8_t, 65536> stream_buf_{};
  std::deque<std::vector<std::uint8_t>> write_queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  std::unique_ptr<ipc::ControlClient> vrrp_;
  bool vrrp_connected_ = false;
  std::map<std::string, std::string> instances_;
  std::optional<Role> override_;
  asio::steady_timer timer_;
  std::uint64_t send_errors_ = 0;
  std::uint64_t stream_errors_ = 0;
  std::uint64_t installs_dropped_ = 0;
  bool stopped_ = false;
};

}  // namespace

std::string stream_socket_path(const std::string& run_dir) {
  return run_dir + "/syncd.stream.sock";
}

void attach(runner::Runner& runner) {
  auto s = std::make_shared<Service>(runner);
  runner.own(s);
  runner.on_config([s](const config::Config& cfg) { s->apply(cfg); });
  runner.on_status([s] { return s->status(); });
  runner.on_stop([s] { s->stop(); });
  runner.add_command("sync", [s](const ipc::Json&) { return ipc::Reply::success(s->status()); });
  runner.add_command("sync-resync", [s](const ipc::Json&) { return s->resync(); });
  runner.add_command("sync-role", [s](const ipc::Json& args) { return s->set_role(args); });
}

}  // namespace tandem::syncd
