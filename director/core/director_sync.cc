// Director's side of connection sync: the event log syncd drains, full
// snapshots, and installing entries received from the peer. Kept apart from
// director.cc so the packet path only gains the (disabled: one branch) hooks.

#include <algorithm>
#include <utility>

#include "director/core/director.h"

namespace tandem::director {
namespace {

// ConnTable ticks (250 ms) plus one, so 0 can mean "never reported".
std::uint32_t sync_tick_of(TimePoint now) {
  return static_cast<std::uint32_t>(now.time_since_epoch() / ConnTable::kTick) + 1;
}

std::uint32_t seconds_left(const ConnEntry& e, TimePoint now) {
  const auto left = e.expires() - now;
  if (left <= Duration::zero()) return 0;
  // Round up: an entry with 300 ms left must not read as already expired.
  return static_cast<std::uint32_t>((left + std::chrono::seconds(1) - Duration(1)) /
                                    std::chrono::seconds(1));
}

SyncConn snapshot(const ConnEntry& e, TimePoint now) {
  SyncConn c;
  c.protocol = e.protocol;
  c.is_template = e.is_template();
  c.caddr = e.caddr;
  c.cport = e.cport;
  c.vaddr = e.vaddr;
  c.vport = e.vport;
  c.daddr = e.daddr;
  c.dport = e.dport;
  c.state = e.state;
  c.method = e.method;
  c.inactive = (e.flags & entry_flag::kInactive) != 0;
  c.timeout_s = seconds_left(e, now);
  return c;
}

}  // namespace

void Director::set_sync_log(const SyncLogConfig& cfg) {
  sync_cfg_ = cfg;
  if (!cfg.enabled) {
    sync_log_.clear();
    sync_log_.shrink_to_fit();
  }
}

void Director::note_sync(EntryId id, TimePoint now) {
  ConnEntry& e = table_.at(id);
  e.sync_tick = sync_tick_of(now);
  if (sync_log_.size() >= sync_cfg_.max_events) {
    ++sync_dropped_;
    ++sync_dropped_total_;
    return;
  }
  sync_log_.push_back(snapshot(e, now));
}

void Director::maybe_refresh_sync(EntryId id, TimePoint now) {
  const ConnEntry& e = table_.at(id);
  const std::uint32_t t = sync_tick_of(now);
  if (e.sync_tick != 0 && (t - e.sync_tick) * ConnTable::kTick < sync_cfg_.refresh) return;
  note_sync(id, now);
}

std::size_t Director::take_sync_events(std::vector<SyncConn>& out) {
  if (out.empty()) {
    out.swap(sync_log_);
  } else {
    out.insert(out.end(), sync_log_.begin(), sync_log_.end());
    sync_log_.clear();
  }
  return std::exchange(sync_dropped_, 0);
}

void Director::sync_snapshot(std::vector<SyncConn>& out, TimePoint now) const {
  table_.for_each([&](EntryId, const ConnEntry& e) {
    if (e.expires() > now) out.push_back(snapshot(e, now));
  });
}

SyncInstall Director::install_synced(const SyncConn& c, TimePoint now) {
  // The backup has the same services; find the server by address so port-0
  // and port-group services (and templates, whose vport may be 0) resolve.
  RealServer* d = nullptr;
  const Service* svc = nullptr;
  bool service_seen = false;
  for (const auto& s : services_) {
    if (!s || s->config.protocol != c.protocol || s->config.vip != c.vaddr) continue;
    service_seen = true;
    for (RealServer* r : s->servers) {
      if (r->config.address == c.daddr && (r->config.port == c.dport || r->config.port == 0)) {
        d = r;
        svc = s.get();
        break;
      }
    }
    if (d != nullptr) break;
  }
  if (d == nullptr) return service_seen ? SyncInstall::no_server : SyncInstall::no_service;

  const Duration life = c.timeout_s != 0              ? Duration(std::chrono::seconds(c.timeout_s))
                        : c.is_template               ? cfg_.timeouts.template_linger
                        : c.protocol == Protocol::tcp ? cfg_.timeouts.of(c.state)
                                                      : cfg_.timeouts.udp;
  const ConnKey key{c.protocol, c.is_template, c.caddr, c.cport, c.vaddr, c.vport};
  EntryId id = table_.find(key);
  if (id != kNone && table_.at(id).dest != d->id) {
    // The peer moved it to another server (rescheduled): start over.
    if (c.is_template) {
      discard_template(id);
    } else {
      release_conn(id);
    }
    id = kNone;
  }
  // A connection steered by a persistence template holds it, as on the
  // master: otherwise the copy here expires after its own timeout while the
  // connection lives on, and after a failover the client's next connection
  // is scheduled afresh, perhaps to another server. (A connection that
  // arrives before its template stays unlinked.)
  auto link_template = [&](EntryId conn) {
    ConnEntry& e = table_.at(conn);
    if (c.is_template || e.control != kNone || svc->config.persistence_timeout.count() == 0) return;
    const ServiceConfig& sc = svc->config;
    const std::uint16_t vport = (sc.port == 0 || !sc.port_group.empty()) ? 0 : sc.port;
    const EntryId t = table_.find(ConnKey{
        c.protocol, true, net::Ipv4{c.caddr.value & sc.persistence_mask}, 0, c.vaddr, vport});
    if (t == kNone || table_.at(t).dest != d->id || table_.at(t).expires() <= now) return;
    e.control = t;
    ++table_.at(t).control;
  };
  const bool inactive = c.protocol != Protocol::tcp || !tcp_state_active(c.state);
  if (id != kNone) {
    ConnEntry& e = table_.at(id);
    if (!c.is_template) {
      const bool was_inactive = (e.flags & entry_flag::kInactive) != 0;
      if (was_inactive && !inactive) {
        --d->inactive;
        ++d->active;
        e.flags &= static_cast<std::uint8_t>(~entry_flag::kInactive);
      } else if (!was_inactive && inactive) {
        --d->active;
        ++d->inactive;
        e.flags |= entry_flag::kInactive;
      }
      e.state = c.state;
    }
    table_.arm(id, now + life);
    e.sync_tick = sync_tick_of(now);  // just heard of it: no echo as a refresh
    link_template(id);
    return SyncInstall::updated;
  }
  id = table_.create(key, now + life);
  if (id == kNone) return SyncInstall::table_full;
  ConnEntry& e = table_.at(id);
  e.daddr = d->config.address;
  e.dport = c.dport;
  e.dest = d->id;
  e.method = d->config.method;
  e.sync_tick = sync_tick_of(now);
  if (c.is_template) {
    ++templates_;
    ++d->refs;
    ++d->persistent;
    return SyncInstall::created;
  }
  bind(d);  // counts it inactive, as a new entry
  if (!inactive) {
    --d->inactive;
    ++d->active;
  } else {
    e.flags |= entry_flag::kInactive;
  }
  if (d->config.method != Forwarding::nat) e.flags |= entry_flag::kNoOutput;
  if (d->config.method == Forwarding::nat) table_.hash_reverse(id);
  e.state = c.state;
  link_template(id);
  return SyncInstall::created;
}

}  // namespace tandem::director
