#include "syncd/core/engine.h"

#include <algorithm>
#include <utility>

namespace tandem::syncd {

using sync::ConnRecord;
using sync::EnvelopeKind;
using sync::SyncError;

const char* to_string(Role r) {
  switch (r) {
    case Role::master:
      return "master";
    case Role::backup:
      return "backup";
    case Role::none:
      break;
  }
  return "none";
}

namespace {

std::size_t body_limit(const EngineConfig& c) {
  return sync::max_body_size(c.datagram_limit);
}

// Records without a timeout (should not happen from our director) still
// leave the mirror eventually.
constexpr std::uint32_t kDefaultTimeoutS = 300;

}  // namespace

Engine::Engine(EngineConfig cfg, TimePoint now)
    : cfg_(std::move(cfg)),
      sender_(cfg_.sender_id, cfg_.epoch, cfg_.history),
      builder_(cfg_.syncid, body_limit(cfg_)),
      last_sent_(now),
      last_expiry_(now) {}

void Engine::reconfigure(const sync::KeyRing& keys, std::uint8_t syncid, Duration flush_interval) {
  cfg_.keys = keys;
  cfg_.flush_interval = flush_interval;
  if (syncid != cfg_.syncid) {
    // Pending records were built with the old id; they go out under it.
    cfg_.syncid = syncid;
    if (!builder_.empty()) {
      auto msg = builder_.finish();
      seal(EnvelopeKind::kData, msg, last_sent_);
    }
    builder_ = sync::MessageBuilder(syncid, body_limit(cfg_));
  }
}

void Engine::set_role(Role r, TimePoint now) {
  if (r == role_) return;
  role_ = r;
  if (r == Role::master && cfg_.resync_enabled) {
    // Push the table once: the peer may have asked while we were backup.
    start_resync(0, 0);
    send_resync_parts(now);
  }
}

Engine::Key Engine::key_of(const ConnRecord& r) {
  return Key{r.ipv6,  r.protocol, (r.flags & sync::kFlagTemplate) != 0, r.caddr, r.cport, r.vaddr,
             r.vport, r.fwmark};
}

void Engine::remember(const ConnRecord& r, TimePoint now) {
  const std::uint32_t t = r.timeout_s != 0 ? r.timeout_s : kDefaultTimeoutS;
  auto& m = mirror_[key_of(r)];
  m.record = r;
  m.expires = now + std::chrono::seconds(t);
}

void Engine::seal(EnvelopeKind kind, std::span<const std::uint8_t> body, TimePoint now) {
  std::vector<std::uint8_t> out;
  const SyncError e = sender_.seal(kind, body, cfg_.keys, out);
  if (e != SyncError::kOk) {
    rejected_.count(e);  // shows up as a local failure to sign
    return;
  }
  ++counters_.sent_datagrams;
  counters_.sent_bytes += out.size();
  outgoing_.push_back(std::move(out));
  last_sent_ = now;
}

void Engine::local_record(const ConnRecord& r, TimePoint now) {
  ++counters_.local_records;
  remember(r, now);
  if (role_ != Role::master) return;
  SyncError e = builder_.add(r);
  if (e == SyncError::kMessageFull) {
    flush(now);
    e = builder_.add(r);
  }
  if (e != SyncError::kOk) {
    ++counters_.unencodable;
    return;
  }
  if (builder_.count() == 1) {
    batch_started_ = now;
    oldest_pending_ = now;
  }
  ++counters_.sent_records;
  if (builder_.count() >= sync::kMaxRecordsPerMessage) flush(now);
}

void Engine::flush(TimePoint now) {
  if (builder_.empty()) return;
  const auto msg = builder_.finish();
  const double waited = std::chrono::duration<double, std::milli>(now - oldest_pending_).count();
  lag_ms_.push_back(waited);
  if (lag_ms_.size() > kLagSamples) lag_ms_.pop_front();
  seal(EnvelopeKind::kData, msg, now);
}

void Engine::handle_data(std::span<const std::uint8_t> message, TimePoint now) {
  sync::DecodedMessage decoded;
  const SyncError e = sync::decode_message(message, {cfg_.syncid}, decoded);
  if (e != SyncError::kOk) {
    rejected_.count(e);
    return;
  }
  for (const auto& rej : decoded.rejected) {
    rejected_.count(rej.error);
    ++counters_.rejected_records;
  }
  for (auto& r : decoded.records) {
    ++counters_.received_records;
    remember(r, now);
    installs_.push_back(std::move(r));
    ++counters_.installs;
  }
}

void Engine::datagram(std::span<const std::uint8_t> bytes, TimePoint now) {
  sync::OpenedEnvelope env;
  SyncError e = sync::open_envelope(bytes, cfg_.keys, env);
  if (e != SyncError::kOk) {
    rejected_.count(e);
    return;
  }
  const auto& h = env.header;
  if (h.sender_id == sender_.sender_id()) {
    ++counters_.own_datagrams;
    return;
  }
  auto it = peers_.find(h.sender_id);
  if (it == peers_.end()) {
    if (peers_.size() >= cfg_.max_peers) {
      ++counters_.unknown_peers;
      return;
    }
    it = peers_.emplace(h.sender_id, Peer{sync::PeerReceiver(cfg_.receiver), now}).first;
  }
  Peer& peer = it->second;
  const sync::AcceptResult acc = peer.rx.accept(h.epoch, h.seq, now);
  if (acc.error != SyncError::kOk) {
    rejected_.count(acc.error);
    return;
  }
  peer.last_seen = now;
  ++counters_.received_datagrams;
  switch (h.kind) {
    case EnvelopeKind::kData:
      handle_data(env.body, now);
      break;
    case EnvelopeKind::kHeartbeat:
      break;
    case EnvelopeKind::kResyncRequest: {
      sync::ResyncRequest req;
      if ((e = sync::decode_resync_request(env.body, req)) != SyncError::kOk) {
        rejected_.count(e);
        break;
      }
      if (req.target_sender != sender_.sender_id()) break;
      ++counters_.resync_requests_received;
      // Only the master's table is worth copying; a backup's request is
      // asked again after its timeout, by which time roles may have moved.
      if (role_ == Role::master && cfg_.resync_enabled) start_resync(h.sender_id, req.request_id);
      break;
    }
    case EnvelopeKind::kResyncData: {
      sync::ResyncDataHeader rh;
      std::span<const std::uint8_t> msg;
      if ((e = sync::decode_resync_data(env.body, rh, msg)) != SyncError::kOk) {
        rejected_.count(e);
        break;
      }
      handle_data(msg, now);
      if (rh.last) {
        peer.rx.resync_complete();
        ++counters_.resyncs_completed;
      }
      break;
    }
    case EnvelopeKind::kRetransmitRequest: {
      sync::RetransmitRequest req;
      if ((e = sync::decode_retransmit_request(env.body, req)) != SyncError::kOk) {
        rejected_.count(e);
        break;
      }
      if (req.target_sender != sender_.sender_id()) break;
      ++counters_.retransmit_requests_received;
      const auto rt = sender_.retransmit(req.first, req.last);
      for (auto d : rt.datagrams) {
        outgoing_.emplace_back(d.begin(), d.end());
        ++counters_.retransmitted;
        ++counters_.sent_datagrams;
        counters_.sent_bytes += d.size();
      }
      if (rt.need_resync && role_ == Role::master && cfg_.resync_enabled) {
        start_resync(h.sender_id, 0);
      }
      break;
    }
  }
}

void Engine::start_resync(std::uint64_t target, std::uint32_t request_id) {
  // A newer request from the same peer supersedes one still being sent.
  for (auto it = resyncs_.begin(); it != resyncs_.end();) {
    it = it->target == target ? resyncs_.erase(it) : std::next(it);
  }
  // Persistence templates first (the mirror's order puts them last): the
  // peer's director links a connection to its template only if the template
  // is already there, and an unlinked template expires under a live
  // connection.
  std::vector<ConnRecord> records;
  records.reserve(mirror_.size());
  for (const bool templates : {true, false}) {
    for (const auto& [k, m] : mirror_) {
      if (std::get<2>(k) == templates) records.push_back(m.record);
    }
  }
  PendingResync p;
  p.target = target;
  p.request_id = request_id;
  std::size_t bad = 0;
  p.messages = sync::batch_records(records, cfg_.syncid,
                                   body_limit(cfg_) - sync::kResyncDataHeaderSize, &bad);
  counters_.unencodable += bad;
  counters_.resync_records_sent += records.size() - bad;
  // An empty table still ends with a (last) part, so the peer's resync completes.
  if (p.messages.empty()) {
    sync::MessageBuilder empty(cfg_.syncid, body_limit(cfg_));
    p.messages.push_back(empty.finish());
  }
  ++counters_.resyncs_served;
  resyncs_.push_back(std::move(p));
}

void Engine::send_resync_parts(TimePoint now) {
  std::size_t budget = cfg_.resync_datagrams_per_tick;
  while (budget > 0 && !resyncs_.empty()) {
    PendingResync& p = resyncs_.front();
    while (budget > 0 && p.next < p.messages.size()) {
      sync::ResyncDataHeader rh;
      rh.request_id = p.request_id;
      rh.part = static_cast<std::uint16_t>(p.next);
      rh.last = p.next + 1 == p.messages.size();
      const auto body = sync::encode_resync_data(rh, p.messages[p.next]);
      seal(EnvelopeKind::kResyncData, body, now);
      ++p.next;
      --budget;
    }
    if (p.next >= p.messages.size()) resyncs_.pop_front();
  }
}

void Engine::expire_mirror(TimePoint now) {
  for (auto it = mirror_.begin(); it != mirror_.end();) {
    if (it->second.expires <= now) {
      it = mirror_.erase(it);
      ++counters_.mirror_expired;
    } else {
      ++it;
    }
  }
}

void Engine::request_resync() {
  operator_resync_ = true;
}

void Engine::tick(TimePoint now) {
  if (!builder_.empty() && now - batch_started_ >= cfg_.flush_interval) flush(now);
  for (auto& [id, peer] : peers_) {
    if (operator_resync_) peer.rx.request_resync(sync::ResyncReason::kOperator);
    for (const sync::SyncAction& a : peer.rx.poll(now)) {
      if (a.type == sync::SyncAction::Type::kRequestRetransmit) {
        sync::RetransmitRequest req{id, a.first, a.last};
        seal(EnvelopeKind::kRetransmitRequest, sync::encode_retransmit_request(req), now);
        ++counters_.retransmit_requests_sent;
      } else if (cfg_.resync_enabled) {
        sync::ResyncRequest req{id, next_request_id_++, a.reason};
        seal(EnvelopeKind::kResyncRequest, sync::encode_resync_request(req), now);
        ++counters_.resync_requests_sent;
      } else {
        peer.rx.resync_complete();  // nothing will come; do not ask forever
      }
    }
  }
  operator_resync_ = false;
  send_resync_parts(now);
  if (now - last_sent_ >= cfg_.heartbeat_interval) {
    seal(EnvelopeKind::kHeartbeat, {}, now);
    ++counters_.heartbeats_sent;
  }
  if (now - last_expiry_ >= std::chrono::seconds(1)) {
    last_expiry_ = now;
    expire_mirror(now);
  }
}

std::vector<std::vector<std::uint8_t>> Engine::take_outgoing() {
  return std::exchange(outgoing_, {});
}

std::vector<ConnRecord> Engine::take_installs() {
  return std::exchange(installs_, {});
}

LagSummary Engine::lag() const {
  LagSummary s;
  if (lag_ms_.empty()) return s;
  std::vector<double> v(lag_ms_.begin(), lag_ms_.end());
  std::sort(v.begin(), v.end());
  s.samples = v.size();
  s.p50_ms = v[(v.size() - 1) / 2];
  s.p99_ms = v[(v.size() - 1) * 99 / 100];
  s.max_ms = v.back();
  return s;
}

std::vector<PeerStatus> Engine::peers(TimePoint now) const {
  std::vector<PeerStatus> out;
  for (const auto& [id, p] : peers_) {
    PeerStatus s;
    s.sender_id = id;
    s.epoch = p.rx.epoch();
    s.highest_seq = p.rx.highest();
    s.open_gaps = p.rx.gaps().size();
    s.awaiting_resync = p.rx.awaiting_resync();
    s.alive = now - p.last_seen < cfg_.peer_timeout;
    s.last_seen_ago_s = std::chrono::duration<double>(now - p.last_seen).count();
    out.push_back(s);
  }
  return out;
}

}  // namespace tandem::syncd
