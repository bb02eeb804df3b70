#include "director/daemon/convert.h"

#include <map>
#include <tuple>

namespace tandem::director::daemon {
namespace {

SchedulerKind to_core(config::Scheduler s) {
  switch (s) {
    case config::Scheduler::rr: return SchedulerKind::rr;
    case config::Scheduler::wrr: return SchedulerKind::wrr;
    case config::Scheduler::lc: return SchedulerKind::lc;
    case config::Scheduler::wlc: return SchedulerKind::wlc;
    case config::Scheduler::sed: return SchedulerKind::sed;
    case config::Scheduler::nq: return SchedulerKind::nq;
    case config::Scheduler::dh: return SchedulerKind::dh;
    case config::Scheduler::sh: return SchedulerKind::sh;
    case config::Scheduler::mh: return SchedulerKind::mh;
    case config::Scheduler::lblc: return SchedulerKind::lblc;
    case config::Scheduler::lblcr: return SchedulerKind::lblcr;
    case config::Scheduler::fo: return SchedulerKind::fo;
    case config::Scheduler::ovf: return SchedulerKind::ovf;
    case config::Scheduler::twos: return SchedulerKind::twos;
  }
  return SchedulerKind::wlc;
}

Forwarding to_core(config::Forwarding f) {
  switch (f) {
    case config::Forwarding::dr: return Forwarding::dr;
    case config::Forwarding::nat: return Forwarding::nat;
    case config::Forwarding::tun: return Forwarding::tun;
  }
  return Forwarding::dr;
}

const char* name(ControlError e) {
  switch (e) {
    case ControlError::ok: return "ok";
    case ControlError::exists: return "exists";
    case ControlError::no_service: return "no such service";
    case ControlError::no_destination: return "no such destination";
    case ControlError::invalid: return "invalid";
  }
  return "?";
}

// A service's identity in the core: what find_service keys it by. Two
// config services with the same identity are the same core service.
using Identity = std::tuple<int, std::uint32_t, std::uint16_t, std::uint16_t>;
Identity identity(const config::Service& s) {
  const std::uint16_t first = s.ports.empty() ? 0 : s.ports.front().first;
  return {static_cast<int>(s.protocol), s.address.value, s.port(),
          s.single_port() ? std::uint16_t{0} : first};
}
// A port group is found by any port inside it.
std::uint16_t lookup_port(const config::Service& s) {
  return s.single_port() ? s.port() : (s.ports.empty() ? 0 : s.ports.front().first);
}
Protocol proto(const config::Service& s) {
  return s.protocol == config::Protocol::udp ? Protocol::udp : Protocol::tcp;
}

using ServerKey = std::pair<std::uint32_t, std::uint16_t>;
ServerKey key(const config::RealServer& r) { return {r.address.value, r.port}; }

}  // namespace

ServiceConfig to_core(const config::Service& s) {
  ServiceConfig c;
  c.protocol = proto(s);
  c.vip = s.address;
  if (s.single_port()) {
    c.port = s.port();
  } else {
    c.port = 0;
    for (const auto& r : s.ports) c.port_group.push_back({r.first, r.last});
  }
  c.scheduler = to_core(s.scheduler);
  c.flags.fallback = s.scheduler_flags.sh_fallback || s.scheduler_flags.mh_fallback;
  c.flags.port = s.scheduler_flags.sh_port || s.scheduler_flags.mh_port;
  if (s.persistence.enabled) {
    c.persistence_timeout = s.persistence.timeout;
    const int len = s.persistence.netmask;
    c.persistence_mask = len <= 0 ? 0 : (len >= 32 ? 0xFFFFFFFFu : ~0u << (32 - len));
  }
  c.one_packet = s.one_packet;
  return c;
}

RealServerConfig to_core(const config::RealServer& r, const config::Service& s) {
  RealServerConfig c;
  c.address = r.address;
  c.port = r.port;
  // Maintenance (of the server or the whole service) quiesces: existing
  // connections finish, no new ones are scheduled.
  c.weight = (r.maintenance || s.maintenance) ? 0 : r.weight;
  c.method = to_core(r.forwarding);
  c.upper_threshold = r.upper_threshold;
  c.lower_threshold = r.lower_threshold;
  return c;
}

DirectorConfig to_core(const config::Global& g, std::size_t shards) {
  DirectorConfig d;
  const std::size_t n = shards == 0 ? 1 : shards;
  d.table.max_entries = std::max<std::size_t>(1024, g.max_connections / n);
  const auto& t = g.tcp_timeouts;
  const Duration tcp[kTcpStateCount] = {t.none,     t.established, t.syn_sent, t.syn_recv,
                                        t.fin_wait, t.time_wait,   t.close,    t.close_wait,
                                        t.last_ack, t.listen,      t.synack};
  for (int i = 0; i < kTcpStateCount; ++i) d.timeouts.tcp[static_cast<std::size_t>(i)] = tcp[i];
  d.timeouts.udp = g.udp_timeout;
  d.knobs.expire_nodest_conn = g.expire_nodest_conn;
  d.knobs.expire_quiescent_template = g.expire_quiescent_template;
  d.knobs.conn_reuse_mode = g.conn_reuse_mode;
  d.knobs.sloppy_tcp = g.sloppy_tcp;
  return d;
}

ReconcileReport reconcile(Director& shard, const config::Config* before,
                          const config::Config& after) {
  ReconcileReport rep;
  const DirectorConfig dc = to_core(after.global, 1);
  shard.knobs() = dc.knobs;
  shard.timeouts().tcp = dc.timeouts.tcp;
  shard.timeouts().udp = dc.timeouts.udp;

  std::map<Identity, const config::Service*> old_by_id, new_by_id;
  if (before != nullptr)
    for (const auto& s : before->services) old_by_id[identity(s)] = &s;
  for (const auto& s : after.services) new_by_id[identity(s)] = &s;

  auto err = [&](const config::Service& s, const std::string& what, ControlError e) {
    rep.errors.push_back("service " + s.name + ": " + what + ": " + name(e));
  };

  // Deletions first, so a port group that changes shape can be re-added.
  for (const auto& [id, s] : old_by_id) {
    if (new_by_id.contains(id)) continue;
    const ServiceId sid = shard.find_service(proto(*s), s->address, lookup_port(*s));
    if (sid == kNone) continue;
    if (const auto e = shard.delete_service(sid); e != ControlError::ok)
      err(*s, "delete", e);
    else
      ++rep.services_deleted;
  }
  for (const auto& s : after.services) {
    const auto old_it = old_by_id.find(identity(s));
    const config::Service* old = old_it == old_by_id.end() ? nullptr : old_it->second;
    ServiceId sid = shard.find_service(proto(s), s.address, lookup_port(s));
    const ServiceConfig sc = to_core(s);
    if (sid == kNone) {
      const auto r = shard.add_service(sc);
      if (r.error != ControlError::ok) {
        err(s, "add", r.error);
        continue;
      }
      sid = r.id;
      old = nullptr;  // a fresh service gets every server
      ++rep.services_added;
    } else if (old == nullptr || !(to_core(*old).scheduler == sc.scheduler &&
                                   to_core(*old).flags.fallback == sc.flags.fallback &&
                                   to_core(*old).flags.port == sc.flags.port &&
                                   to_core(*old).persistence_timeout == sc.persistence_timeout &&
                                   to_core(*old).persistence_mask == sc.persistence_mask &&
                                   to_core(*old).one_packet == sc.one_packet &&
                                   to_core(*old).port_group.size() == sc.port_group.size())) {
      if (const auto e = shard.edit_service(sid, sc); e != ControlError::ok)
        err(s, "edit", e);
      else
        ++rep.services_edited;
    }
    std::map<ServerKey, RealServerConfig> old_servers;
    if (old != nullptr)
      for (const auto& r : old->real_servers) old_servers[key(r)] = to_core(r, *old);
    std::map<ServerKey, bool> wanted;
    for (const auto& r : s.real_servers) wanted[key(r)] = true;
    for (const auto& [k, rc] : old_servers) {
      if (wanted.contains(k)) continue;
      const DestId d = shard.find_server(sid, net::Ipv4{k.first}, k.second);
      if (d == kNone) continue;
      if (const auto e = shard.delete_server(d); e != ControlError::ok)
        err(s, net::Ipv4{k.first}.to_string() + " delete", e);
      else
        ++rep.servers_deleted;
    }
    for (const auto& r : s.real_servers) {
      const RealServerConfig rc = to_core(r, s);
      const DestId d = shard.find_server(sid, r.address, r.port);
      if (d == kNone) {
        const auto res = shard.add_server(sid, rc);
        if (res.error != ControlError::ok)
          err(s, r.name + " add", res.error);
        else
          ++rep.servers_added;
        continue;
      }
      const auto o = old_servers.find(key(r));
      const bool same = o != old_servers.end() && o->second.weight == rc.weight &&
                        o->second.method == rc.method &&
                        o->second.upper_threshold == rc.upper_threshold &&
                        o->second.lower_threshold == rc.lower_threshold;
      if (same) continue;
      if (const auto e = shard.edit_server(d, rc); e != ControlError::ok)
        err(s, r.name + " edit", e);
      else
        ++rep.servers_edited;
    }
  }
  return rep;
}

}  // namespace tandem::director::daemon
