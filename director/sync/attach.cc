#include "director/sync/attach.h"

#include <array>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <memory>
#include <vector>

#include "common/ipc/frame_decoder.h"
#include "common/log/log.h"
#include "director/sync/convert.h"

namespace tandem::director::sync {
namespace {

namespace asio = boost::asio;
using Stream = asio::local::stream_protocol;

// 20 ms, not IPVS's 1 s: lag adds up as drain + flush_interval + the network,
// and failover loses what has not left yet.
constexpr auto kDrainInterval = std::chrono::milliseconds(20);
constexpr auto kMaxBackoff = std::chrono::seconds(2);
constexpr std::size_t kMaxFrame = 4096;
// Unsent bytes to syncd beyond which we stop queueing and resend a full
// snapshot once it catches up (a stuck syncd must not grow us without bound).
constexpr std::size_t kMaxQueue = 64 * 1024 * 1024;
constexpr std::size_t kInstallBatch = 8192;

std::uint32_t steering_mask(const Director& d) {
  std::uint32_t mask = 0xFFFFFFFFu;
  for (ServiceId id : d.services()) {
    const Service* s = d.service(id);
    if (s != nullptr && s->config.persistence_timeout.count() > 0)
      mask &= s->config.persistence_mask;
  }
  return mask;
}

struct InstallCounts {
  std::uint64_t created = 0, updated = 0, no_service = 0, no_server = 0, table_full = 0;
};

class Link : public std::enable_shared_from_this<Link> {
 public:
  Link(runner::Runner& r, Shards& shards)
      : runner_(r), shards_(shards), timer_(r.io()), retry_(r.io()) {}

  ~Link() {
    boost::system::error_code ec;
    if (sock_) sock_->close(ec);
  }

  void start() {
    schedule();
    runner_.add_command("sync-director", [weak = weak_from_this()](const ipc::Json&) {
      auto self = weak.lock();
      return self ? ipc::Reply::success(self->status()) : ipc::Reply::failure("stopped");
    });
  }

 private:
  static TimePoint now() { return SteadyClock().now(); }

  ipc::Json status() const {
    return {{"enabled", enabled_},
            {"connected", sock_ != nullptr},
            {"records_sent", records_sent_},
            {"snapshots_sent", snapshots_},
            {"events_dropped", events_dropped_},
            {"records_received", records_received_},
            {"records_invalid", records_invalid_},
            {"installed", counts_.created},
            {"updated", counts_.updated},
            {"no_service", counts_.no_service},
            {"no_server", counts_.no_server},
            {"table_full", counts_.table_full}};
  }

  // Follows the configuration on each tick: the runner has one on_config
  // hook and the director's daemon holds it.
  void follow_config() {
    const config::Config* cfg = runner_.config();
    if (cfg == nullptr) return;
    SyncLogConfig lc;
    lc.enabled = cfg->sync.enabled;
    lc.refresh = cfg->sync.refresh_interval;
    if (lc.enabled == enabled_ && lc.refresh == refresh_) return;
    enabled_ = lc.enabled;
    refresh_ = lc.refresh;
    shards_.apply([lc](Director& d, std::size_t) { d.set_sync_log(lc); }, [] {});
    if (enabled_ && !sock_ && !connecting_) connect();
    if (!enabled_ && sock_) disconnect("sync disabled");
    if (enabled_) need_snapshot_ = true;
  }

  void schedule() {
    timer_.expires_after(kDrainInterval);
    timer_.async_wait([weak = weak_from_this()](auto ec) {
      auto self = weak.lock();
      if (!self || ec) return;
      self->tick();
      self->schedule();
    });
  }

  void tick() {
    follow_config();
    if (enabled_) drain();
    flush_installs();
  }

  // ---- director -> syncd ----

  void drain() {
    if (draining_) return;
    draining_ = true;
    const bool snapshot = need_snapshot_ && sock_ != nullptr && queued_ == 0;
    if (snapshot) need_snapshot_ = false;
    auto slots = std::make_shared<std::vector<std::vector<SyncConn>>>(shards_.size());
    auto dropped = std::make_shared<std::vector<std::size_t>>(shards_.size(), 0);
    const TimePoint t = now();
    shards_.apply(
        [slots, dropped, snapshot, t](Director& d, std::size_t i) {
          auto& out = (*slots)[i];
          (*dropped)[i] = d.take_sync_events(out);
          if (snapshot) {
            out.clear();  // the snapshot holds every live entry already
            d.sync_snapshot(out, t);
          }
        },
        [weak = weak_from_this(), slots, dropped, snapshot] {
          auto self = weak.lock();
          if (!self) return;
          self->draining_ = false;
          std::size_t lost = 0;
          for (auto n : *dropped) lost += n;
          if (lost > 0) {
            self->events_dropped_ += lost;
            self->need_snapshot_ = true;
          }
          if (snapshot) ++self->snapshots_;
          self->send(*slots);
        });
  }

  void send(const std::vector<std::vector<SyncConn>>& slots) {
    if (!sock_) return;  // reconnecting sends a snapshot
    std::vector<std::uint8_t> out, rec;
    for (const auto& slot : slots) {
      for (const SyncConn& c : slot) {
        rec.clear();
        if (tandem::sync::append_record(to_record(c), rec) != tandem::sync::SyncError::kOk)
          continue;
        ipc::append_frame(out, rec);
        ++records_sent_;
      }
    }
    if (out.empty()) return;
    if (queued_ + out.size() > kMaxQueue) {
      need_snapshot_ = true;  // drop this batch; the snapshot after the backlog covers it
      return;
    }
    queued_ += out.size();
    queue_.push_back(std::move(out));
    if (!writing_) write_next();
  }

  void write_next() {
    if (queue_.empty() || !sock_) {
      writing_ = false;
      return;
    }
    writing_ = true;
    auto s = sock_;
    asio::async_write(*s, asio::buffer(queue_.front()),
                      [weak = weak_from_this(), s](auto ec, std::size_t) {
                        auto self = weak.lock();
                        if (!self || s != self->sock_) return;
                        if (ec) return self->disconnect(ec.message());
                        self->queued_ -= self->queue_.front().size();
                        self->queue_.pop_front();
                        self->write_next();
                      });
  }

  // ---- connection ----

  void connect() {
    connecting_ = true;
    auto s = std::make_shared<Stream::socket>(runner_.io());
    const std::string path = runner_.options().run_dir + "/syncd.stream.sock";
    s->async_connect(Stream::endpoint(path), [weak = weak_from_this(), s](auto ec) {
      auto self = weak.lock();
      if (!self) return;
      self->connecting_ = false;
      if (!self->enabled_) return;
      if (ec) return self->retry();
      self->sock_ = s;
      self->backoff_ = std::chrono::milliseconds(100);
      self->decoder_ = std::make_unique<ipc::FrameDecoder>(kMaxFrame);
      self->need_snapshot_ = true;
      log::info("sync: connected to tandem-syncd");
      self->read(s);
    });
  }

  void retry() {
    retry_.expires_after(backoff_);
    backoff_ = std::min<Duration>(backoff_ * 2, kMaxBackoff);
    retry_.async_wait([weak = weak_from_this()](auto ec) {
      auto self = weak.lock();
      if (!self || ec || !self->enabled_ || self->sock_ || self->connecting_) return;
      self->connect();
    });
  }

  void disconnect(const std::string& why) {
    if (!sock_) return;
    log::warn("sync: stream to tandem-syncd closed: " + why);
    boost::system::error_code ec;
    sock_->close(ec);
    sock_.reset();
    queue_.clear();
    queued_ = 0;
    writing_ = false;
    if (enabled_) retry();
  }

  // ---- syncd -> director ----

  void read(std::shared_ptr<Stream::socket> s) {
    s->async_read_some(asio::buffer(buf_), [weak = weak_from_this(), s](auto ec, std::size_t n) {
      auto self = weak.lock();
      if (!self || s != self->sock_) return;
      if (ec) return self->disconnect(ec.message());
      self->decoder_->feed(std::span(self->buf_.data(), n));
      std::vector<std::uint8_t> frame;
      for (;;) {
        const auto st = self->decoder_->next(frame);
        if (st == ipc::FrameDecoder::Status::kNeedMore) break;
        if (st == ipc::FrameDecoder::Status::kTooLarge) return self->disconnect("oversized frame");
        tandem::sync::ConnRecord r;
        std::optional<SyncConn> c;
        if (tandem::sync::decode_stream_record(frame, r) == tandem::sync::SyncError::kOk)
          c = from_record(r);
        if (!c) {
          ++self->records_invalid_;
          continue;
        }
        ++self->records_received_;
        self->installs_.push_back(*c);
      }
      if (self->installs_.size() >= kInstallBatch) self->flush_installs();
      self->read(s);
    });
  }

  void flush_installs() {
    if (installs_.empty() || installing_) return;
    installing_ = true;
    auto batch = std::make_shared<std::vector<SyncConn>>(std::move(installs_));
    installs_.clear();
    auto counts = std::make_shared<std::vector<InstallCounts>>(shards_.size());
    const auto shard_count = static_cast<std::uint32_t>(shards_.size());
    const TimePoint t = now();
    shards_.apply(
        [batch, counts, shard_count, t](Director& d, std::size_t i) {
          const std::uint32_t mask = steering_mask(d);
          InstallCounts& k = (*counts)[i];
          for (const SyncConn& c : *batch) {
            // A connection lives in exactly one shard: the one its packets reach.
            if (shard_of(c.caddr, mask, shard_count) != i) continue;
            switch (d.install_synced(c, t)) {
              case SyncInstall::created:
                ++k.created;
                break;
              case SyncInstall::updated:
                ++k.updated;
                break;
              case SyncInstall::no_service:
                ++k.no_service;
                break;
              case SyncInstall::no_server:
                ++k.no_server;
                break;
              case SyncInstall::table_full:
                ++k.table_full;
                break;
            }
          }
        },
        [weak = weak_from_this(), counts] {
          auto self = weak.lock();
          if (!self) return;
          self->installing_ = false;
          for (const auto& k : *counts) {
            self->counts_.created += k.created;
            self->counts_.updated += k.updated;
            self->counts_.no_service += k.no_service;
            self->counts_.no_server += k.no_server;
            self->counts_.table_full += k.table_full;
          }
        });
  }

  runner::Runner& runner_;
  Shards& shards_;
  asio::steady_timer timer_;
  asio::steady_timer retry_;
  Duration backoff_ = std::chrono::milliseconds(100);
  bool enabled_ = false;
  Duration refresh_{0};
  std::shared_ptr<Stream::socket> sock_;
  bool connecting_ = false;
  std::unique_ptr<ipc::FrameDecoder> decoder_;
  std::array<std::uint8_t, 65536> buf_{};
  std::deque<std::vector<std::uint8_t>> queue_;
  std::size_t queued_ = 0;
  bool writing_ = false;
  bool draining_ = false;
  bool need_snapshot_ = false;
  bool installing_ = false;
  std::vector<SyncConn> installs_;
  std::uint64_t records_sent_ = 0, snapshots_ = 0, events_dropped_ = 0;
  std::uint64_t records_received_ = 0, records_invalid_ = 0;
  InstallCounts counts_;
};

}  // namespace

void attach(runner::Runner& runner, Shards& shards) {
  auto link = std::make_shared<Link>(runner, shards);
  runner.own(link);
  link->start();
}

}  // namespace tandem::director::sync
