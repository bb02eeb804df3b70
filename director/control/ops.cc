#include "director/control/ops.h"

#include <algorithm>
#include <iterator>
#include <chrono>
#include <map>
#include <tuple>

#include "director/core/scheduler.h"

namespace tandem::director::control {
namespace {

using ipc::Json;

bool same_group(const std::vector<PortRange>& a, const std::vector<PortRange>& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](const PortRange& x, const PortRange& y) {
           return x.first == y.first && x.last == y.last;
         });
}

// Reads an unsigned field no larger than max; absent -> nullopt; wrong -> error.
std::optional<std::string> read_uint(const Json& j, const char* key, std::uint64_t max,
                                     std::optional<std::uint64_t>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_unsigned() || it->get<std::uint64_t>() > max)
    return std::string(key) + " must be an integer from 0 to " + std::to_string(max);
  out = it->get<std::uint64_t>();
  return std::nullopt;
}

std::variant<ServiceKey, std::string> read_service(const Json& args) {
  auto it = args.find("service");
  if (it == args.end() || !it->is_object()) return std::string("no service given");
  const Json& s = *it;
  ServiceKey k;
  const std::string proto = s.value("protocol", std::string());
  if (proto == "tcp") {
    k.protocol = Protocol::tcp;
  } else if (proto == "udp") {
    k.protocol = Protocol::udp;
  } else {
    return std::string("service protocol must be tcp or udp");
  }
  auto a = s.find("address");
  auto ip = a != s.end() && a->is_string() ? net::Ipv4::parse(a->get<std::string>()) : std::nullopt;
  if (!ip) return std::string("illegal virtual server address[:port] specified");
  k.vip = *ip;
  std::optional<std::uint64_t> port;
  if (auto e = read_uint(s, "port", 65535, port)) return *e;
  k.port = static_cast<std::uint16_t>(port.value_or(0));
  if (auto g = s.find("ports"); g != s.end() && g->is_array()) {
    for (const Json& r : *g) {
      if (!r.is_array() || r.size() != 2 || !r[0].is_number_unsigned() ||
          !r[1].is_number_unsigned() || r[0].get<std::uint64_t>() > 65535 ||
          r[1].get<std::uint64_t>() > 65535)
        return std::string("ports must be [first,last] pairs");
      k.group.push_back({static_cast<std::uint16_t>(r[0].get<std::uint64_t>()),
                         static_cast<std::uint16_t>(r[1].get<std::uint64_t>())});
    }
  }
  return k;
}

std::optional<std::string> read_service_fields(const Json& args, Op& op) {
  if (auto s = args.find("scheduler"); s != args.end() && !s->is_null()) {
    auto kind = s->is_string() ? scheduler_of(s->get<std::string>()) : std::nullopt;
    if (!kind) return std::string("Scheduler or persistence engine not found");
    op.scheduler = kind;
  }
  if (auto f = args.find("flags"); f != args.end() && !f->is_null()) {
    if (!f->is_array()) return std::string("flags must be a list");
    SchedulerFlags flags;
    for (const Json& x : *f) {
      const std::string name = x.is_string() ? x.get<std::string>() : "";
      if (name == "sh-fallback" || name == "mh-fallback") {
        flags.fallback = true;
      } else if (name == "sh-port" || name == "mh-port") {
        flags.port = true;
      } else {
        return "invalid scheduler flag: " + name;
      }
    }
    op.flags = flags;
  }
  if (auto p = args.find("persistent"); p != args.end()) {
    if (p->is_null() || (p->is_boolean() && !p->get<bool>())) {
      op.persistence = Duration::zero();
    } else if (p->is_object()) {
      std::optional<std::uint64_t> t;
      if (auto e = read_uint(*p, "timeout", 2678400, t)) return *e;
      if (t) op.persistence = std::chrono::seconds(*t);
      if (auto m = p->find("netmask"); m != p->end() && !m->is_null()) {
        auto ip = m->is_string() ? net::Ipv4::parse(m->get<std::string>()) : std::nullopt;
        if (!ip) return std::string("illegal virtual server netmask specified");
        op.netmask = ip->value;
      }
    } else {
      return std::string("persistent must be null or {timeout, netmask}");
    }
  }
  if (auto o = args.find("one_packet"); o != args.end() && !o->is_null()) {
    if (!o->is_boolean()) return std::string("one_packet must be true or false");
    op.one_packet = o->get<bool>();
  }
  return std::nullopt;
}

std::optional<std::string> read_server_fields(const Json& args, Op& op) {
  auto it = args.find("server");
  if (it == args.end() || !it->is_object()) return std::string("no real server given");
  const Json& s = *it;
  auto a = s.find("address");
  auto ip = a != s.end() && a->is_string() ? net::Ipv4::parse(a->get<std::string>()) : std::nullopt;
  if (!ip) return std::string("illegal real server address[:port] specified");
  op.server = *ip;
  std::optional<std::uint64_t> v;
  if (auto e = read_uint(s, "port", 65535, v)) return *e;
  if (v) op.port = static_cast<std::uint16_t>(*v);
  if (auto m = s.find("method"); m != s.end() && !m->is_null()) {
    const std::string name = m->is_string() ? m->get<std::string>() : "";
    if (name == "dr") {
      op.method = Forwarding::dr;
    } else if (name == "nat") {
      op.method = Forwarding::nat;
    } else if (name == "tun") {
      op.method = Forwarding::tun;
    } else {
      return std::string("method must be dr, nat or tun");
    }
  }
  v.reset();
  if (auto e = read_uint(s, "weight", 65535, v)) return std::string("illegal weight specified");
  if (v) op.weight = static_cast<std::uint32_t>(*v);
  v.reset();
  if (auto e = read_uint(s, "upper_threshold", 0x7fffffff, v)) return *e;
  if (v) op.upper_threshold = static_cast<std::uint32_t>(*v);
  v.reset();
  if (auto e = read_uint(s, "lower_threshold", 0x7fffffff, v)) return *e;
  if (v) op.lower_threshold = static_cast<std::uint32_t>(*v);
  return std::nullopt;
}

std::string invalid_service(const ServiceConfig& c) {
  if (c.port == 0 && c.port_group.empty() && c.persistence_timeout.count() == 0)
    return "Zero port specified for non-persistent service";
  if (c.one_packet && c.protocol != Protocol::udp)
    return "One-Packet Scheduling is only for UDP virtual services";
  return "Invalid service configuration";
}

std::string error_text(ControlError e, bool server_op) {
  switch (e) {
    case ControlError::ok:
      return {};
    case ControlError::exists:
      return server_op ? "Destination already exists" : "Service already exists";
    case ControlError::no_service:
      return server_op ? "Service not defined" : "No such service";
    case ControlError::no_destination:
      return "No such destination";
    case ControlError::invalid:
      return "Invalid argument";
  }
  return "Invalid argument";
}

std::uint16_t server_port(const Service& svc, const Op& op) {
  if (op.port) return *op.port;
  return svc.config.port;
}

DestId find_dest(const Director& d, const Service& svc, const Op& op) {
  DestId id = d.find_server(svc.id, op.server, server_port(svc, op));
  if (id != kNone || op.port) return id;
  // DR/TUN servers carry the service's port; NAT ones may not. Without an
  // explicit port, a server whose address is unique in the service is meant.
  for (const RealServer* r : svc.servers) {
    if (r->config.address == op.server) {
      if (id != kNone) return kNone;
      id = r->id;
    }
  }
  return id;
}

std::string apply_server_add(Director& d, const Service& svc, const Op& op) {
  RealServerConfig c;
  c.address = op.server;
  c.port = server_port(svc, op);
  c.method = op.method.value_or(Forwarding::dr);
  c.weight = op.weight.value_or(1);
  c.upper_threshold = op.upper_threshold.value_or(0);
  c.lower_threshold = op.lower_threshold.value_or(0);
  if (c.lower_threshold != 0 && c.upper_threshold != 0 && c.lower_threshold > c.upper_threshold)
    return "lower threshold above upper threshold";
  return error_text(d.add_server(svc.id, c).error, true);
}

std::string apply_server_edit(Director& d, DestId id, const Op& op) {
  const RealServer* r = d.server(id);
  RealServerConfig c = r->config;
  if (op.method) c.method = *op.method;
  if (op.weight) c.weight = *op.weight;
  if (op.upper_threshold) c.upper_threshold = *op.upper_threshold;
  if (op.lower_threshold) c.lower_threshold = *op.lower_threshold;
  const ControlError e = d.edit_server(id, c);
  if (e == ControlError::invalid)
    return "this change needs the real server deleted and added again (port or method)";
  return error_text(e, true);
}

}  // namespace

const char* protocol_name(Protocol p) {
  return p == Protocol::udp ? "udp" : "tcp";
}

const char* method_name(Forwarding f) {
  switch (f) {
    case Forwarding::nat:
      return "nat";
    case Forwarding::tun:
      return "tun";
    case Forwarding::dr:
      break;
  }
  return "dr";
}

std::optional<SchedulerKind> scheduler_of(const std::string& name) {
  for (int k = 0; k <= static_cast<int>(SchedulerKind::lblcr); ++k) {
    const auto kind = static_cast<SchedulerKind>(k);
    if (name == scheduler_name(kind)) return kind;
  }
  return std::nullopt;
}

ServiceId find_exact(const Director& shard, const ServiceKey& key) {
  for (ServiceId id : shard.services()) {
    const ServiceConfig& c = shard.service(id)->config;
    if (c.protocol == key.protocol && c.vip == key.vip && c.port == key.port &&
        same_group(c.port_group, key.group))
      return id;
  }
  return kNone;
}

std::variant<std::vector<Op>, std::string> ops_from_request(const std::string& cmd,
                                                            const Json& args) {
  if (!args.is_object()) return std::string("arguments must be an object");
  static const char* const kKnown[] = {"service.add", "service.edit", "service.delete",
                                       "server.add",  "server.edit",  "server.delete",
                                       "zero",        "clear"};
  if (std::find(std::begin(kKnown), std::end(kKnown), cmd) == std::end(kKnown))
    return "unknown operation: " + cmd;
  Op op;
  if (cmd == "clear") {
    op.kind = Op::Kind::clear;
    return std::vector<Op>{op};
  }
  const bool needs_service = cmd != "zero";
  if (args.contains("service") || needs_service) {
    auto key = read_service(args);
    if (auto* e = std::get_if<std::string>(&key)) return *e;
    op.service = std::get<ServiceKey>(std::move(key));
    op.has_service = true;
  }
  if (cmd == "zero") {
    op.kind = Op::Kind::zero;
  } else if (cmd == "service.add" || cmd == "service.edit") {
    op.kind = cmd == "service.add" ? Op::Kind::add_service : Op::Kind::edit_service;
    if (auto e = read_service_fields(args, op)) return *e;
  } else if (cmd == "service.delete") {
    op.kind = Op::Kind::delete_service;
  } else if (cmd == "server.add" || cmd == "server.edit" || cmd == "server.delete") {
    op.kind = cmd == "server.add"    ? Op::Kind::add_server
              : cmd == "server.edit" ? Op::Kind::edit_server
                                     : Op::Kind::delete_server;
    if (auto e = read_server_fields(args, op)) return *e;
  } else {
    return "unknown operation: " + cmd;
  }
  return std::vector<Op>{op};
}

std::string apply_op(Director& d, const Op& op) {
  if (op.kind == Op::Kind::clear) {
    for (ServiceId id : d.services()) d.delete_service(id);
    return {};
  }
  const ServiceId sid = op.has_service ? find_exact(d, op.service) : kNone;
  const Service* svc = d.service(sid);
  const bool server_op = op.kind == Op::Kind::add_server || op.kind == Op::Kind::edit_server ||
                         op.kind == Op::Kind::delete_server || op.kind == Op::Kind::set_weight ||
                         op.kind == Op::Kind::ensure_server || op.kind == Op::Kind::remove_server;
  if (op.kind == Op::Kind::zero) {
    if (!op.has_service) {
      d.zero_stats();
      return {};
    }
    if (svc == nullptr) return "No such service";
    d.zero_stats(sid);
    return {};
  }
  if (op.kind == Op::Kind::add_service) {
    ServiceConfig c;
    c.protocol = op.service.protocol;
    c.vip = op.service.vip;
    c.port = op.service.port;
    c.port_group = op.service.group;
    c.scheduler = op.scheduler.value_or(SchedulerKind::wlc);
    c.flags = op.flags.value_or(SchedulerFlags{});
    c.persistence_timeout = op.persistence.value_or(Duration::zero());
    c.persistence_mask = op.netmask.value_or(0xFFFFFFFFu);
    c.one_packet = op.one_packet.value_or(false);
    const ControlResult r = d.add_service(c);
    return r.error == ControlError::invalid ? invalid_service(c) : error_text(r.error, false);
  }
  if (svc == nullptr) return error_text(ControlError::no_service, server_op);
  switch (op.kind) {
    case Op::Kind::edit_service: {
      ServiceConfig c = svc->config;
      if (op.scheduler) c.scheduler = *op.scheduler;
      if (op.flags) c.flags = *op.flags;
      if (op.persistence) c.persistence_timeout = *op.persistence;
      if (op.netmask) c.persistence_mask = *op.netmask;
      if (op.one_packet) c.one_packet = *op.one_packet;
      // A netmask named alone turns persistence on with ipvsadm's default.
      if (op.netmask && !op.persistence && c.persistence_timeout.count() == 0)
        c.persistence_timeout = std::chrono::seconds(360);
      const ControlError e = d.edit_service(sid, c);
      return e == ControlError::invalid ? invalid_service(c) : error_text(e, false);
    }
    case Op::Kind::delete_service:
      return error_text(d.delete_service(sid), false);
    case Op::Kind::add_server:
      return apply_server_add(d, *svc, op);
    case Op::Kind::edit_server:
    case Op::Kind::delete_server:
    case Op::Kind::set_weight:
    case Op::Kind::ensure_server:
    case Op::Kind::remove_server: {
      const DestId id = find_dest(d, *svc, op);
      if (id == kNone) {
        if (op.kind == Op::Kind::remove_server) return {};
        if (op.kind == Op::Kind::ensure_server) return apply_server_add(d, *svc, op);
        return "No such destination";
      }
      if (op.kind == Op::Kind::delete_server || op.kind == Op::Kind::remove_server)
        return error_text(d.delete_server(id), true);
      if (op.kind == Op::Kind::edit_server) return apply_server_edit(d, id, op);
      return error_text(d.set_weight(id, op.weight.value_or(0)), true);
    }
    default:
      break;
  }
  return "Invalid argument";
}

Outcome apply_ops(Director& shard, const std::vector<Op>& ops) {
  Outcome out;
  for (const Op& op : ops) {
    out.error = apply_op(shard, op);
    if (!out.error.empty()) return out;
    ++out.applied;
  }
  return out;
}

ShardSnap snapshot(const Director& d) {
  ShardSnap snap;
  snap.table = d.table_stats();
  for (ServiceId id : d.services()) {
    const Service* s = d.service(id);
    ServiceSnap ss;
    ss.config = s->config;
    ss.counters = s->stats.counters;
    ss.rates = s->stats.estimator.rates();
    for (const RealServer* r : s->servers) {
      ss.servers.push_back({r->config, r->active, r->inactive, r->persistent, r->stats.counters,
                            r->stats.estimator.rates()});
    }
    snap.services.push_back(std::move(ss));
  }
  return snap;
}

namespace {

void add(Counters& a, const Counters& b) {
  a.conns += b.conns;
  a.in_packets += b.in_packets;
  a.out_packets += b.out_packets;
  a.in_bytes += b.in_bytes;
  a.out_bytes += b.out_bytes;
}
void add(Rates& a, const Rates& b) {
  a.cps += b.cps;
  a.in_pps += b.in_pps;
  a.out_pps += b.out_pps;
  a.in_bps += b.in_bps;
  a.out_bps += b.out_bps;
}
Json stats_json(const Counters& c) {
  return {{"conns", c.conns},
          {"inpkts", c.in_packets},
          {"outpkts", c.out_packets},
          {"inbytes", c.in_bytes},
          {"outbytes", c.out_bytes}};
}
Json rates_json(const Rates& r) {
  return {{"cps", r.cps},
          {"inpps", r.in_pps},
          {"outpps", r.out_pps},
          {"inbps", r.in_bps},
          {"outbps", r.out_bps}};
}

bool same_service(const ServiceConfig& a, const ServiceConfig& b) {
  return a.protocol == b.protocol && a.vip == b.vip && a.port == b.port &&
         same_group(a.port_group, b.port_group);
}

}  // namespace

Json services_json(const std::vector<ShardSnap>& shards, const ConfigWeight& config_weight) {
  Json out = Json::object();
  TableStats table;
  for (const ShardSnap& s : shards) {
    table.connections += s.table.connections;
    table.templates += s.table.templates;
    table.max_entries += s.table.max_entries;
  }
  out["table"] = {{"size", table.max_entries},
                  {"connections", table.connections},
                  {"templates", table.templates}};
  Json list = Json::array();
  if (shards.empty()) {
    out["services"] = list;
    return out;
  }
  std::vector<ServiceSnap> merged = shards[0].services;
  for (std::size_t i = 1; i < shards.size(); ++i) {
    for (ServiceSnap& m : merged) {
      for (const ServiceSnap& o : shards[i].services) {
        if (!same_service(m.config, o.config)) continue;
        add(m.counters, o.counters);
        add(m.rates, o.rates);
        for (ServerSnap& ms : m.servers) {
          for (const ServerSnap& os : o.servers) {
            if (ms.config.address != os.config.address || ms.config.port != os.config.port)
              continue;
            ms.active += os.active;
            ms.inactive += os.inactive;
            ms.persistent += os.persistent;
            add(ms.counters, os.counters);
            add(ms.rates, os.rates);
          }
        }
      }
    }
  }
  std::sort(merged.begin(), merged.end(), [](const ServiceSnap& a, const ServiceSnap& b) {
    return std::make_tuple(a.config.protocol, a.config.vip, a.config.port) <
           std::make_tuple(b.config.protocol, b.config.vip, b.config.port);
  });
  for (const ServiceSnap& s : merged) {
    const ServiceConfig& c = s.config;
    Json svc = {{"protocol", protocol_name(c.protocol)},
                {"address", c.vip.to_string()},
                {"port", c.port},
                {"scheduler", scheduler_name(c.scheduler)}};
    if (!c.port_group.empty()) {
      Json ports = Json::array();
      for (const PortRange& r : c.port_group) ports.push_back({r.first, r.last});
      svc["ports"] = ports;
    }
    Json flags = Json::array();
    const std::string prefix = c.scheduler == SchedulerKind::mh ? "mh-" : "sh-";
    if (c.flags.fallback) flags.push_back(prefix + "fallback");
    if (c.flags.port) flags.push_back(prefix + "port");
    svc["flags"] = flags;
    if (c.persistence_timeout.count() > 0) {
      svc["persistent"] = {
          {"timeout", std::chrono::duration_cast<std::chrono::seconds>(c.persistence_timeout).count()},
          {"netmask", net::Ipv4{c.persistence_mask}.to_string()}};
    } else {
      svc["persistent"] = nullptr;
    }
    svc["one_packet"] = c.one_packet;
    svc["method"] = s.servers.empty() ? "dr" : method_name(s.servers.front().config.method);
    svc["stats"] = stats_json(s.counters);
    svc["rates"] = rates_json(s.rates);
    Json servers = Json::array();
    for (const ServerSnap& r : s.servers) {
      std::optional<std::uint32_t> cw;
      if (config_weight) cw = config_weight(c, r.config);
      servers.push_back({{"address", r.config.address.to_string()},
                         {"port", r.config.port},
                         {"method", method_name(r.config.method)},
                         {"weight", r.config.weight},
                         {"config_weight", cw ? Json(*cw) : Json(nullptr)},
                         {"upper_threshold", r.config.upper_threshold},
                         {"lower_threshold", r.config.lower_threshold},
                         {"active", r.active},
                         {"inactive", r.inactive},
                         {"persistent", r.persistent},
                         {"stats", stats_json(r.counters)},
                         {"rates", rates_json(r.rates)}});
    }
    svc["servers"] = servers;
    list.push_back(std::move(svc));
  }
  out["services"] = list;
  return out;
}

std::vector<ConnSnap> connections(const Director& d, TimePoint now, std::size_t limit) {
  std::vector<ConnSnap> out;
  d.table().for_each([&](EntryId, const ConnEntry& e) {
    if (out.size() >= limit) return;
    ConnSnap c;
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
    c.expires_s = std::chrono::duration_cast<std::chrono::seconds>(e.expires() - now).count();
    if (c.expires_s < 0) c.expires_s = 0;
    out.push_back(c);
  });
  return out;
}

Json connections_json(const std::vector<std::vector<ConnSnap>>& shards, std::size_t total,
                      std::size_t limit) {
  Json list = Json::array();
  for (const auto& shard : shards) {
    for (const ConnSnap& c : shard) {
      if (list.size() >= limit) break;
      const auto ep = [](net::Ipv4 a, std::uint16_t p) { return net::Endpoint{a, p}.to_string(); };
      // ipvsadm -c shows UDP entries (and UDP templates) in state "UDP".
      const std::string state = c.protocol == Protocol::udp ? "UDP" : tcp_state_name(c.state);
      list.push_back({{"protocol", protocol_name(c.protocol)},
                      {"client", ep(c.caddr, c.cport)},
                      {"virtual", ep(c.vaddr, c.vport)},
                      {"real", ep(c.daddr, c.dport)},
                      {"state", state},
                      {"expires", c.expires_s},
                      {"template", c.is_template},
                      {"method", method_name(c.method)}});
    }
  }
  return {{"connections", list}, {"total", total}, {"truncated", list.size() < total}};
}

}  // namespace tandem::director::control
