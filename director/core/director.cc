#include "director/core/director.h"

#include <algorithm>
#include <map>

namespace tandem::director {
namespace {

constexpr Duration kMaxPersistence = std::chrono::seconds(2678400);
constexpr Duration kHousekeepingInterval = std::chrono::seconds(60);

// A packet of an existing connection goes where the entry says.
Decision forward_along(const ConnEntry& e, EntryId id) {
  Decision out;
  out.verdict = Verdict::forward;
  out.method = e.method;
  out.server = e.dest;
  out.real_addr = e.daddr;
  out.real_port = e.dport;
  out.vip = e.vaddr;
  out.vport = e.vport;
  out.entry = id;
  return out;
}

bool has(std::uint8_t flags, std::uint8_t bit) {
  return (flags & bit) != 0;
}

bool ranges_overlap(const std::vector<PortRange>& a, const std::vector<PortRange>& b) {
  for (const PortRange& x : a) {
    for (const PortRange& y : b) {
      if (x.first <= y.last && y.first <= x.last) return true;
    }
  }
  return false;
}

bool in_group(const std::vector<PortRange>& g, std::uint16_t port) {
  return std::any_of(g.begin(), g.end(),
                     [&](const PortRange& r) { return r.first <= port && port <= r.last; });
}

bool valid_service(const ServiceConfig& c) {
  const bool persistent = c.persistence_timeout.count() > 0;
  if (c.persistence_timeout.count() < 0 || c.persistence_timeout > kMaxPersistence) return false;
  if (!c.port_group.empty()) {
    if (c.port != 0) return false;
    for (const PortRange& r : c.port_group) {
      if (r.first > r.last) return false;
    }
  } else if (c.port == 0 && !persistent) {
    return false;  // ipvsadm: "Zero port specified for non-persistent service"
  }
  if (c.one_packet && c.protocol != Protocol::udp) return false;
  return true;
}

}  // namespace

std::uint32_t shard_of(net::Ipv4 client, std::uint32_t mask, std::uint32_t shards) {
  if (shards <= 1) return 0;
  const std::uint32_t h = (client.value & mask) * 0x9E3779B1u;
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(h) * shards) >> 32);
}

Director::Director(const DirectorConfig& cfg) : cfg_(cfg), table_(cfg.table) {}

Director::~Director() = default;

std::uint64_t Director::service_key(Protocol p, net::Ipv4 vip, std::uint16_t port) {
  return (static_cast<std::uint64_t>(p) << 48) | (static_cast<std::uint64_t>(vip.value) << 16) |
         port;
}

// ---------------------------------------------------------------- control

ControlResult Director::add_service(const ServiceConfig& c) {
  ++generation_;
  if (!valid_service(c)) return {ControlError::invalid, kNone};
  const std::uint64_t key = service_key(c.protocol, c.vip, c.port);
  if (c.port_group.empty()) {
    if (by_port_.contains(key)) return {ControlError::exists, kNone};
  } else if (auto it = groups_.find(key); it != groups_.end()) {
    for (ServiceId other : it->second) {
      if (ranges_overlap(services_[other]->config.port_group, c.port_group)) {
        return {ControlError::exists, kNone};
      }
    }
  }
  ServiceId id = kNone;
  for (ServiceId i = 0; i < services_.size(); ++i) {
    if (!services_[i]) {
      id = i;
      break;
    }
  }
  if (id == kNone) {
    id = static_cast<ServiceId>(services_.size());
    services_.emplace_back();
  }
  auto svc = std::make_unique<Service>();
  svc->config = c;
  svc->id = id;
  svc->scheduler = make_scheduler(c.scheduler, c.flags, c.seed, cfg_.locality);
  svc->scheduler->update(svc->servers);
  services_[id] = std::move(svc);
  if (c.port_group.empty()) {
    by_port_[key] = id;
  } else {
    groups_[key].push_back(id);
  }
  return {ControlError::ok, id};
}

ControlError Director::edit_service(ServiceId id, const ServiceConfig& c) {
  ++generation_;
  Service* svc = svc_ptr(id);
  if (svc == nullptr) return ControlError::no_service;
  const ServiceConfig& old = svc->config;
  const bool same_group =
      old.port_group.size() == c.port_group.size() &&
      std::equal(old.port_group.begin(), old.port_group.end(), c.port_group.begin(),
                 [](const PortRange& a, const PortRange& b) {
                   return a.first == b.first && a.last == b.last;
                 });
  if (!valid_service(c) || c.protocol != old.protocol || c.vip != old.vip || c.port != old.port ||
      !same_group) {
    return ControlError::invalid;
  }
  const bool new_sched = c.scheduler != old.scheduler || c.flags.fallback != old.flags.fallback ||
                         c.flags.port != old.flags.port || c.seed != old.seed;
  svc->config = c;
  if (new_sched) {
    svc->scheduler = make_scheduler(c.scheduler, c.flags, c.seed, cfg_.locality);
    svc->scheduler->update(svc->servers);
  }
  return ControlError::ok;
}

ControlError Director::delete_service(ServiceId id) {
  ++generation_;
  Service* svc = svc_ptr(id);
  if (svc == nullptr) return ControlError::no_service;
  while (!svc->servers.empty()) detach_server(*svc, svc->servers.back());
  for (RealServer* d : svc->trash) d->service = kNone;
  const std::uint64_t key = service_key(svc->config.protocol, svc->config.vip, svc->config.port);
  if (svc->config.port_group.empty()) {
    by_port_.erase(key);
  } else {
    auto& v = groups_[key];
    std::erase(v, id);
    if (v.empty()) groups_.erase(key);
  }
  // Trashed servers now belong to no service; they are freed when their
  // last entry goes (put_dest).
  std::vector<RealServer*> orphans = std::move(svc->trash);
  services_[id].reset();
  for (RealServer* d : orphans) {
    if (d->refs == 0) put_dest(d);
  }
  return ControlError::ok;
}

ServiceId Director::find_service(Protocol p, net::Ipv4 vip, std::uint16_t port) const {
  auto it = by_port_.find(service_key(p, vip, port));
  if (it != by_port_.end()) return it->second;
  auto g = groups_.find(service_key(p, vip, 0));
  if (g != groups_.end()) {
    for (ServiceId id : g->second) {
      if (in_group(services_[id]->config.port_group, port)) return id;
    }
  }
  return kNone;
}

Service* Director::lookup_service(Protocol p, net::Ipv4 vip, std::uint16_t port) {
  // Exact port first, then a port group, then the all-ports service.
  auto it = by_port_.find(service_key(p, vip, port));
  if (it != by_port_.end()) return services_[it->second].get();
  auto g = groups_.find(service_key(p, vip, 0));
  if (g != groups_.end()) {
    for (ServiceId id : g->second) {
      if (in_group(services_[id]->config.port_group, port)) return services_[id].get();
    }
  }
  it = by_port_.find(service_key(p, vip, 0));
  return it != by_port_.end() ? services_[it->second].get() : nullptr;
}

ControlResult Director::add_server(ServiceId sid, const RealServerConfig& in) {
  ++generation_;
  Service* svc = svc_ptr(sid);
  if (svc == nullptr) return {ControlError::no_service, kNone};
  if (in.weight > 65535 || (in.lower_threshold != 0 && in.upper_threshold != 0 &&
                            in.lower_threshold > in.upper_threshold)) {
    return {ControlError::invalid, kNone};
  }
  RealServerConfig c = in;
  // DR and TUN cannot change the port: the packet is not rewritten.
  if (c.method != Forwarding::nat) c.port = svc->config.port;
  if (c.port == 0 && svc->config.port_group.empty()) c.port = svc->config.port;
  for (RealServer* d : svc->servers) {
    if (d->config.address == c.address && d->config.port == c.port) {
      return {ControlError::exists, kNone};
    }
  }
  RealServer* d = nullptr;
  // A server removed while connections still used it comes back with them.
  for (RealServer* t : svc->trash) {
    if (t->config.address == c.address && t->config.port == c.port) d = t;
  }
  if (d != nullptr) {
    std::erase(svc->trash, d);
  } else {
    DestId id;
    if (!free_dests_.empty()) {
      id = free_dests_.back();
      free_dests_.pop_back();
    } else {
      id = static_cast<DestId>(dests_.size());
      dests_.emplace_back();
    }
    dests_[id] = std::make_unique<RealServer>();
    d = dests_[id].get();
    d->id = id;
  }
  d->config = c;
  d->service = sid;
  d->available = true;
  d->overloaded = false;
  d->last_weight = c.weight;
  svc->servers.push_back(d);
  svc->scheduler->update(svc->servers);
  return {ControlError::ok, d->id};
}

ControlError Director::edit_server(DestId id, const RealServerConfig& in) {
  ++generation_;
  RealServer* d = dest(id);
  if (d == nullptr || !d->available) return ControlError::no_destination;
  Service* svc = svc_ptr(d->service);
  if (in.weight > 65535 || in.address != d->config.address) return ControlError::invalid;
  RealServerConfig c = in;
  if (c.method != Forwarding::nat) c.port = svc->config.port;
  if (c.port == 0 && svc->config.port_group.empty()) c.port = svc->config.port;
  if (c.port != d->config.port) return ControlError::invalid;
  // As __ip_vs_update_dest: a removed or raised upper threshold clears the
  // overload mark; the next bind re-evaluates it.
  if (c.upper_threshold == 0 || c.upper_threshold > d->config.upper_threshold) {
    d->overloaded = false;
  }
  if (c.weight != 0) d->last_weight = c.weight;
  d->config = c;
  svc->scheduler->update(svc->servers);
  return ControlError::ok;
}

ControlError Director::set_weight(DestId id, std::uint32_t weight) {
  RealServer* d = dest(id);
  if (d == nullptr || !d->available) return ControlError::no_destination;
  RealServerConfig c = d->config;
  c.weight = weight;
  return edit_server(id, c);
}

void Director::detach_server(Service& svc, RealServer* d) {
  std::erase(svc.servers, d);
  d->available = false;
  svc.scheduler->update(svc.servers);
  if (d->refs == 0) {
    put_dest(d);
  } else {
    svc.trash.push_back(d);
  }
}

ControlError Director::delete_server(DestId id) {
  ++generation_;
  RealServer* d = dest(id);
  if (d == nullptr || !d->available) return ControlError::no_destination;
  detach_server(*svc_ptr(d->service), d);
  return ControlError::ok;
}

DestId Director::find_server(ServiceId sid, net::Ipv4 addr, std::uint16_t port) const {
  if (sid >= services_.size() || !services_[sid]) return kNone;
  for (const RealServer* d : services_[sid]->servers) {
    if (d->config.address == addr && d->config.port == port) return d->id;
  }
  return kNone;
}

void Director::put_dest(RealServer* d) {
  if (d->available || d->refs != 0) return;
  if (Service* svc = svc_ptr(d->service)) std::erase(svc->trash, d);
  const DestId id = d->id;
  dests_[id].reset();
  free_dests_.push_back(id);
}

const Service* Director::service(ServiceId id) const {
  return id < services_.size() ? services_[id].get() : nullptr;
}

const RealServer* Director::server(DestId id) const {
  return id < dests_.size() ? dests_[id].get() : nullptr;
}

std::vector<ServiceId> Director::services() const {
  std::vector<ServiceId> out;
  for (const auto& s : services_) {
    if (s) out.push_back(s->id);
  }
  return out;
}

void Director::zero_stats(ServiceId id) {
  Service* svc = svc_ptr(id);
  if (svc == nullptr) return;
  svc->stats.zero();
  for (RealServer* d : svc->servers) d->stats.zero();
}

void Director::zero_stats() {
  for (const auto& s : services_) {
    if (s) zero_stats(s->id);
  }
}

TableStats Director::table_stats() const {
  TableStats t;
  t.templates = templates_;
  t.connections = table_.size() - templates_;
  t.max_entries = table_.max_entries();
  t.memory = table_.memory();
  return t;
}

std::string Director::audit() const {
  struct Count {
    std::int32_t active = 0, inactive = 0, persistent = 0;
    std::uint32_t refs = 0;
  };
  std::map<DestId, Count> seen;
  std::size_t templates = 0;
  std::string err;
  table_.for_each([&](EntryId id, const ConnEntry& e) {
    Count& c = seen[e.dest];
    ++c.refs;
    if (e.is_template()) {
      ++templates;
      ++c.persistent;
    } else if (has(e.flags, entry_flag::kInactive)) {
      ++c.inactive;
    } else {
      ++c.active;
    }
    if (e.dest >= dests_.size() || !dests_[e.dest]) {
      err += "entry " + std::to_string(id) + " points at a freed server; ";
    }
    if (!e.is_template() && e.protocol == Protocol::tcp &&
        has(e.flags, entry_flag::kInactive) == tcp_state_active(e.state)) {
      err += "entry " + std::to_string(id) + " counted against its state; ";
    }
    if (!e.is_template() && e.control != kNone) {
      const ConnEntry& t = table_.at(e.control);
      if (!has(t.flags, entry_flag::kUsed) || !t.is_template()) {
        err += "entry " + std::to_string(id) + " controlled by a non-template; ";
      }
    }
  });
  if (templates != templates_) err += "template count drifted; ";
  for (const auto& d : dests_) {
    if (!d) continue;
    const Count c = seen.count(d->id) != 0 ? seen.at(d->id) : Count{};
    if (c.active != d->active || c.inactive != d->inactive || c.persistent != d->persistent ||
        c.refs != d->refs) {
      err += "server " + std::to_string(d->id) + " counters drifted; ";
    }
    if (!d->available && d->refs == 0) err += "removed server " + std::to_string(d->id) + " kept; ";
  }
  return err;
}

// ------------------------------------------------------------- accounting

void Director::bind(RealServer* d) {
  ++d->refs;
  ++d->inactive;  // a new entry starts in NONE, which is inactive
  if (d->config.upper_threshold != 0 &&
      static_cast<std::uint32_t>(d->active + d->inactive) >= d->config.upper_threshold) {
    d->overloaded = true;
  }
}

void Director::unbind(RealServer* d) {
  const auto total = static_cast<std::uint64_t>(d->active + d->inactive);
  const RealServerConfig& c = d->config;
  if (c.lower_threshold != 0) {
    if (total < c.lower_threshold) d->overloaded = false;
  } else if (c.upper_threshold != 0) {
    if (total * 4 < std::uint64_t{c.upper_threshold} * 3) d->overloaded = false;
  } else {
    d->overloaded = false;
  }
}

void Director::release_conn(EntryId id) {
  ConnEntry& e = table_.at(id);
  const std::uint32_t control = e.control;
  RealServer* d = dest(e.dest);
  if (d != nullptr) {
    if (has(e.flags, entry_flag::kInactive)) {
      --d->inactive;
    } else {
      --d->active;
    }
    unbind(d);
    --d->refs;
    put_dest(d);  // before the template below drops what may be the last ref
  }
  table_.release(id);
  if (control != kNone) {
    ConnEntry& t = table_.at(control);
    --t.control;
    // A discarded template lives only as long as what it controls.
    if (t.control == 0 && !has(t.flags, entry_flag::kHashed)) release_template(control);
  }
}

void Director::release_template(EntryId id) {
  ConnEntry& t = table_.at(id);
  RealServer* d = dest(t.dest);
  table_.release(id);
  --templates_;
  if (d != nullptr) {
    --d->persistent;
    --d->refs;
    put_dest(d);
  }
}

bool Director::expire(EntryId id, TimePoint now) {
  ConnEntry& e = table_.at(id);
  ++counters_.expired;
  if (e.is_template()) {
    if (e.control > 0) {
      // Still steering live connections: keep it a while longer.
      table_.arm(id, now + cfg_.timeouts.template_linger);
      return false;
    }
    release_template(id);
    return true;
  }
  release_conn(id);
  return true;
}

bool Director::lookup_expired(EntryId id, TimePoint now) {
  if (table_.at(id).expires() > now) return false;
  return expire(id, now);
}

void Director::transition(EntryId id, Direction dir, std::uint8_t flags, TimePoint now) {
  ConnEntry& e = table_.at(id);
  if (e.protocol != Protocol::tcp) {
    table_.arm(id, now + cfg_.timeouts.udp);
    if (sync_cfg_.enabled) maybe_refresh_sync(id, now);
    return;
  }
  TcpDir td = TcpDir::input;
  if (dir == Direction::out) {
    td = TcpDir::output;
  } else if (has(e.flags, entry_flag::kNoOutput)) {
    td = TcpDir::input_only;
  }
  const TcpState next = tcp_next(td, tcp_event(flags), e.state);
  const bool changed = next != e.state;
  if (changed) {
    if (RealServer* d = dest(e.dest)) {
      const bool inactive = has(e.flags, entry_flag::kInactive);
      if (!inactive && !tcp_state_active(next)) {
        --d->active;
        ++d->inactive;
        e.flags |= entry_flag::kInactive;
      } else if (inactive && tcp_state_active(next)) {
        ++d->active;
        --d->inactive;
        e.flags &= ~entry_flag::kInactive;
      }
    }
    e.state = next;
  }
  table_.arm(id, now + cfg_.timeouts.of(next));
  if (sync_cfg_.enabled) {
    if (changed) {
      note_sync(id, now);
    } else {
      maybe_refresh_sync(id, now);
    }
  }
}

void Director::count_packet(RealServer* d, Direction dir, std::uint32_t len) {
  Service* svc = svc_ptr(d->service);
  for (Stats* s : {&d->stats, svc != nullptr ? &svc->stats : nullptr}) {
    if (s == nullptr) continue;
    if (dir == Direction::in) {
      ++s->counters.in_packets;
      s->counters.in_bytes += len;
    } else {
      ++s->counters.out_packets;
      s->counters.out_bytes += len;
    }
  }
}

// ------------------------------------------------------------ packet path

Decision Director::on_packet(const PacketMeta& m, TimePoint now) {
  return m.direction == Direction::out ? handle_out(m, now) : handle_in(m, now);
}

Decision Director::on_icmp_error(const PacketMeta& q, TimePoint now) {
  Decision out;
  EntryId id = kNone;
  if (q.direction == Direction::in) {
    // Our reply went VIP:vport -> client:cport; the entry is keyed the other way.
    id = table_.find(ConnKey{q.protocol, false, q.dst, q.dport, q.src, q.sport});
  } else {
    // The request reached RIP:rport from client:cport; the reverse chain
    // holds NAT entries only.
    id = table_.find_reverse(q.protocol, q.dst, q.dport, q.src, q.sport);
  }
  if (id != kNone && lookup_expired(id, now)) id = kNone;
  if (id == kNone) {
    ++counters_.icmp_unrelated;
    out.reason = DropReason::no_connection;
    return out;
  }
  ++counters_.icmp_related;
  const ConnEntry& e = table_.at(id);
  // A removed server's entry still names where the connection went, and
  // IPVS relays the error there all the same.
  if (RealServer* d = dest(e.dest)) count_packet(d, q.direction, q.length);
  return forward_along(e, id);
}

Decision Director::handle_out(const PacketMeta& m, TimePoint now) {
  Decision out;
  EntryId id = table_.find_reverse(m.protocol, m.src, m.sport, m.dst, m.dport);
  if (id != kNone && lookup_expired(id, now)) id = kNone;
  if (id == kNone) {
    ++counters_.no_connection;
    out.reason = DropReason::no_connection;
    return out;
  }
  transition(id, Direction::out, m.tcp_flags, now);
  const ConnEntry& e = table_.at(id);
  if (RealServer* d = dest(e.dest)) count_packet(d, Direction::out, m.length);
  return forward_along(e, id);
}

Decision Director::handle_in(const PacketMeta& m, TimePoint now) {
  const ConnKey key{m.protocol, false, m.src, m.sport, m.dst, m.dport};
  EntryId id = table_.find(key);
  if (id != kNone && lookup_expired(id, now)) id = kNone;

  if (id != kNone && m.protocol == Protocol::tcp && has(m.tcp_flags, tcp_flag::syn) &&
      cfg_.knobs.conn_reuse_mode != 0) {
    const ConnEntry& e = table_.at(id);
    const RealServer* d = dest(e.dest);
    bool resched = false;
    if (cfg_.knobs.expire_nodest_conn && d != nullptr && d->weight() == 0) {
      resched = true;  // a new connection to a quiesced server goes elsewhere
    } else if (e.control == kNone) {
      // Connections steered by a persistence template keep their server.
      resched = e.state == TcpState::time_wait || e.state == TcpState::close ||
                ((cfg_.knobs.conn_reuse_mode & 2) && e.state == TcpState::fin_wait &&
                 has(e.flags, entry_flag::kNoOutput));
    }
    if (resched) {
      ++counters_.rescheduled;
      release_conn(id);
      id = kNone;
    }
  }

  if (id != kNone) {
    const RealServer* d = dest(table_.at(id).dest);
    if (d == nullptr || !d->available) {
      if (!cfg_.knobs.expire_nodest_conn) {
        // Dropped without re-arming: the entry runs out on its own.
        ++counters_.server_gone;
        Decision drop;
        drop.verdict = Verdict::drop;
        drop.reason = DropReason::server_gone;
        return drop;
      }
      ++counters_.rescheduled;
      release_conn(id);
      id = kNone;
    }
  }

  if (id == kNone) return schedule_new(m, now);

  transition(id, Direction::in, m.tcp_flags, now);
  const ConnEntry& e = table_.at(id);
  RealServer* d = dest(e.dest);
  count_packet(d, Direction::in, m.length);
  return forward_along(e, id);
}

bool Director::template_valid(const ConnEntry& t) const {
  const RealServer* d = t.dest < dests_.size() ? dests_[t.dest].get() : nullptr;
  if (d == nullptr || !d->available) return false;
  if (cfg_.knobs.expire_quiescent_template && d->weight() == 0) return false;
  return true;
}

void Director::discard_template(EntryId id) {
  table_.unhash(id);
  if (table_.at(id).control == 0) release_template(id);
}

RealServer* Director::schedule_persistent(Service& svc, const PacketMeta& m, TimePoint now,
                                          EntryId& tmpl, bool& full) {
  const ServiceConfig& c = svc.config;
  const std::uint16_t vport = (c.port == 0 || !c.port_group.empty()) ? 0 : c.port;
  const ConnKey key{m.protocol, true, net::Ipv4{m.src.value & c.persistence_mask}, 0, m.dst, vport};
  EntryId id = table_.find(key);
  if (id != kNone && lookup_expired(id, now)) id = kNone;
  if (id != kNone && !template_valid(table_.at(id))) {
    discard_template(id);
    id = kNone;
  }
  if (id != kNone) {
    table_.arm(id, now + c.persistence_timeout);
    if (sync_cfg_.enabled) maybe_refresh_sync(id, now);
    tmpl = id;
    return dest(table_.at(id).dest);
  }
  const SchedInput in{m.src, m.sport, m.dst, m.dport, now};
  RealServer* d = svc.scheduler->pick(svc.servers, in);
  if (d == nullptr) return nullptr;
  id = table_.create(key, now + c.persistence_timeout);
  if (id == kNone) {
    full = true;
    return nullptr;
  }
  ConnEntry& t = table_.at(id);
  t.daddr = d->config.address;
  t.dport = d->config.port;
  t.dest = d->id;
  t.method = d->config.method;
  ++templates_;
  ++d->refs;
  ++d->persistent;
  if (sync_cfg_.enabled) note_sync(id, now);
  tmpl = id;
  return d;
}

Decision Director::schedule_new(const PacketMeta& m, TimePoint now) {
  Decision out;
  Service* svc = lookup_service(m.protocol, m.dst, m.dport);
  if (svc == nullptr) {
    ++counters_.no_service;
    out.reason = DropReason::no_service;
    return out;
  }
  out.verdict = Verdict::drop;
  if (m.protocol == Protocol::tcp && !cfg_.knobs.sloppy_tcp &&
      (!has(m.tcp_flags, tcp_flag::syn) || has(m.tcp_flags, tcp_flag::rst))) {
    ++counters_.not_syn;
    out.reason = DropReason::not_syn;
    return out;
  }
  const bool persistent = svc->config.persistence_timeout.count() > 0;
  EntryId tmpl = kNone;
  bool full = false;
  RealServer* d = nullptr;
  if (persistent) {
    d = schedule_persistent(*svc, m, now, tmpl, full);
  } else {
    d = svc->scheduler->pick(svc->servers, SchedInput{m.src, m.sport, m.dst, m.dport, now});
  }
  if (full) {
    ++counters_.table_full;
    out.reason = DropReason::table_full;
    return out;
  }
  if (d == nullptr) {
    ++counters_.no_server;
    out.reason = DropReason::no_server;
    return out;
  }
  const std::uint16_t rport = d->config.port != 0 ? d->config.port : m.dport;
  out.verdict = Verdict::forward;
  out.method = d->config.method;
  out.server = d->id;
  out.real_addr = d->config.address;
  out.real_port = rport;
  out.vip = m.dst;
  out.vport = m.dport;

  if (svc->config.one_packet) {
    ++svc->stats.counters.conns;
    ++d->stats.counters.conns;
    count_packet(d, Direction::in, m.length);
    return out;
  }

  const ConnKey key{m.protocol, false, m.src, m.sport, m.dst, m.dport};
  const EntryId id = table_.create(key, now + cfg_.timeouts.initial);
  if (id == kNone) {
    ++counters_.table_full;
    out = Decision{};
    out.verdict = Verdict::drop;
    out.reason = DropReason::table_full;
    return out;
  }
  ConnEntry& e = table_.at(id);
  e.daddr = d->config.address;
  e.dport = rport;
  e.dest = d->id;
  e.method = d->config.method;
  e.flags |= entry_flag::kInactive;
  if (d->config.method != Forwarding::nat) e.flags |= entry_flag::kNoOutput;
  if (tmpl != kNone) {
    e.control = tmpl;
    ++table_.at(tmpl).control;
  }
  bind(d);
  if (d->config.method == Forwarding::nat) table_.hash_reverse(id);
  ++svc->stats.counters.conns;
  ++d->stats.counters.conns;
  transition(id, Direction::in, m.tcp_flags, now);
  count_packet(d, Direction::in, m.length);
  out.entry = id;
  return out;
}

// ------------------------------------------------------------------ timers

void Director::tick(TimePoint now) {
  table_.collect(now, [&](EntryId id) { expire(id, now); });
  for (const auto& s : services_) {
    if (!s) continue;
    s->stats.tick(now);
    for (RealServer* d : s->servers) d->stats.tick(now);
  }
  if (!housekeeping_started_) {
    housekeeping_started_ = true;
    last_housekeeping_ = now;
  } else if (now - last_housekeeping_ >= kHousekeepingInterval) {
    last_housekeeping_ = now;
    for (const auto& s : services_) {
      if (s) s->scheduler->housekeeping(now);
    }
  }
}

}  // namespace tandem::director
