// Virtual services and their real servers, with the ipvsadm rules an
// operator expects (port 0 only when persistent, DR/TUN keep the port).

#include "common/config/sections.h"

namespace tandem::config::detail {
namespace {

constexpr Duration kMaxPersistence = 2678400s;  // ipvsadm's limit: 31 days

std::optional<PortRange> parse_port_item(const Value& v) {
  std::string s = v.text();
  auto num = [](std::string_view t) -> long {
    if (t.empty() || t.size() > 5) return -1;
    long n = 0;
    for (char c : t) {
      if (c < '0' || c > '9') return -1;
      n = n * 10 + (c - '0');
    }
    return n >= 1 && n <= 65535 ? n : -1;
  };
  auto dash = s.find('-');
  long first = num(std::string_view(s).substr(0, dash));
  long last = dash == std::string::npos ? first : num(std::string_view(s).substr(dash + 1));
  if (!v.is_scalar() || first < 0 || last < 0 || first > last) {
    v.error("expected a port from 1 to 65535 or a range such as \"8000-8010\", got " +
            (v.is_scalar() ? quote(s) : v.kind()));
    return std::nullopt;
  }
  return PortRange{static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)};
}

bool overlaps(const PortRange& a, const PortRange& b) {
  return a.first <= b.last && b.first <= a.last;
}

std::string port_text(const PortRange& r) {
  return r.first == r.last ? std::to_string(r.first)
                           : std::to_string(r.first) + "-" + std::to_string(r.last);
}

void parse_ports(const Map& m, Service& svc) {
  auto port = m.get("port");
  auto ports = m.get("ports");
  if (port && ports) {
    ports->error("give either `port` or `ports`, not both");
    return;
  }
  if (!port && !ports) {
    m.require("port");
    return;
  }
  if (port) {
    if (auto p = port->integer(0, 65535)) {
      auto n = static_cast<std::uint16_t>(*p);
      svc.ports = {PortRange{n, n}};
    }
    return;
  }
  std::vector<Value> items = ports->items();
  if (items.empty()) ports->error("`ports` must list at least one port or range");
  for (const Value& item : items) {
    auto r = parse_port_item(item);
    if (!r) continue;
    for (const PortRange& seen : svc.ports) {
      if (overlaps(seen, *r)) {
        item.error("ports " + port_text(*r) + " overlap " + port_text(seen) +
                   " given earlier in this list");
      }
    }
    svc.ports.push_back(*r);
  }
}

void parse_persistence(const Value& v, Persistence& p) {
  if (v.is_null()) {
    v.error("expected true, false or a mapping with timeout and netmask, got nothing");
    return;
  }
  if (v.is_scalar()) {
    if (auto b = v.boolean()) p.enabled = *b;
    return;
  }
  Map m(v, {"timeout", "netmask"});
  if (!m.valid()) return;
  p.enabled = true;
  m.read("timeout", p.timeout, 1s, kMaxPersistence);
  if (auto nm = m.get("netmask")) {
    // A prefix length, or a dotted mask as ipvsadm -M takes it.
    std::string s = nm->text();
    if (auto dotted = net::Ipv4::parse(s)) {
      std::uint32_t mask = dotted->value;
      int len = 0;
      while (len < 32 && (mask & (0x80000000U >> len))) ++len;
      if (len < 32 && (mask << len) != 0) {
        nm->error("netmask " + quote(s) + " is not contiguous");
      } else {
        p.netmask = len;
      }
    } else if (auto len = nm->integer(0, 32)) {
      p.netmask = static_cast<int>(*len);
    }
  }
}

// The real port for a server given `port` (or not), per forwarding method.
void resolve_real_port(const Service& svc, const std::optional<Value>& port_value, Forwarding fwd,
                       std::uint16_t& port) {
  bool group = !svc.single_port();
  std::uint16_t vport = svc.port();
  if (!port_value) {
    port = vport;
    return;
  }
  auto p = port_value->integer(1, 65535);
  if (!p) return;
  port = static_cast<std::uint16_t>(*p);
  if (fwd == Forwarding::nat) return;
  std::string method(to_string(fwd));
  if (group) {
    port_value->error("real port must be omitted for " + method +
                      " forwarding on a multi-port service: the virtual port is kept");
  } else if (port != vport) {
    port_value->error("real port must equal virtual port (" + std::to_string(vport) + ") for " +
                      method + " forwarding");
  }
}

void parse_fallback(const Value& v, Service& svc) {
  Map m(v, {"address", "port", "forwarding"});
  Fallback fb;
  fb.forwarding = svc.forwarding;
  if (auto a = m.require("address")) {
    if (auto ip = a->ipv4()) fb.address = *ip;
  }
  m.read_enum("forwarding", fb.forwarding);
  resolve_real_port(svc, m.get("port"), fb.forwarding, fb.port);
  svc.fallback = fb;
}

void parse_real_server(const Value& v, Service& svc, const std::vector<Monitor>& inherited,
                       const Config& cfg) {
  Map m(v, {"name", "address", "port", "weight", "forwarding", "upper_threshold", "lower_threshold",
            "maintenance", "monitors"});
  RealServer rs;
  rs.forwarding = svc.forwarding;
  bool have_address = false;
  if (auto a = m.require("address")) {
    if (auto ip = a->ipv4()) {
      rs.address = *ip;
      have_address = true;
    }
  }
  m.read_enum("forwarding", rs.forwarding);
  auto port = m.get("port");
  resolve_real_port(svc, port, rs.forwarding, rs.port);
  if (auto n = m.get("name")) {
    if (auto s = n->string(); s && check_name(*n, *s)) rs.name = *s;
  } else if (have_address) {
    rs.name = rs.address.to_string();
    if (port) rs.name += ":" + std::to_string(rs.port);
  }
  m.read_int("weight", rs.weight, 0, 65535);
  m.read_int("upper_threshold", rs.upper_threshold, 0, 1000000000);
  m.read_int("lower_threshold", rs.lower_threshold, 0, 1000000000);
  if (rs.lower_threshold > 0) {
    auto at = *m.get("lower_threshold");
    if (rs.upper_threshold == 0) {
      at.error("lower_threshold needs upper_threshold");
    } else if (rs.lower_threshold >= rs.upper_threshold) {
      at.error("lower_threshold must be below upper_threshold (" +
               std::to_string(rs.upper_threshold) + ")");
    }
  }
  m.read("maintenance", rs.maintenance);
  if (auto mons = m.get("monitors")) {
    rs.monitors = parse_monitor_list(*mons, cfg);
  } else {
    rs.monitors = inherited;
  }
  for (const RealServer& other : svc.real_servers) {
    if (!rs.name.empty() && other.name == rs.name) {
      m.get("name").value_or(m.value()).error("real server name " + quote(rs.name) +
                                              " is already used in this service");
    }
    if (have_address && other.address == rs.address && other.port == rs.port) {
      std::string dest = rs.address.to_string() + ":" + std::to_string(rs.port);
      m.get("address")->error("Destination already exists: " + dest + " is real server " +
                              quote(other.name) + " of this service");
    }
  }
  svc.real_servers.push_back(std::move(rs));
}

void check_scheduler_flags(const Value& v, Service& svc) {
  for (const Value& item : v.items(true)) {
    auto flag = item.enumeration<SchedulerFlag>();
    if (!flag) continue;
    bool sh = *flag == SchedulerFlag::sh_fallback || *flag == SchedulerFlag::sh_port;
    Scheduler needed = sh ? Scheduler::sh : Scheduler::mh;
    if (svc.scheduler != needed) {
      item.error("flag " + quote(to_string(*flag)) + " applies only to the " +
                 std::string(to_string(needed)) + " scheduler, not " +
                 std::string(to_string(svc.scheduler)));
    }
    switch (*flag) {
      case SchedulerFlag::sh_fallback:
        svc.scheduler_flags.sh_fallback = true;
        break;
      case SchedulerFlag::sh_port:
        svc.scheduler_flags.sh_port = true;
        break;
      case SchedulerFlag::mh_fallback:
        svc.scheduler_flags.mh_fallback = true;
        break;
      case SchedulerFlag::mh_port:
        svc.scheduler_flags.mh_port = true;
        break;
    }
  }
}

void check_quorum(const Value& v, Service& svc) {
  Map m(v, {"min_up", "hysteresis"});
  m.read_int("min_up", svc.quorum.min_up, 0, 65535);
  m.read_int("hysteresis", svc.quorum.hysteresis, 0, 65535);
  if (svc.quorum.hysteresis > svc.quorum.min_up) {
    m.get("hysteresis")
        ->error("hysteresis must not exceed min_up (" + std::to_string(svc.quorum.min_up) + ")");
  }
}

void parse_service(const Value& v, Config& cfg) {
  Map m(v, {"name", "protocol", "address", "port", "ports", "scheduler", "scheduler_flags",
            "persistence", "one_packet", "forwarding", "on_failure", "quorum", "fallback",
            "maintenance", "monitors", "real_servers"});
  if (!m.valid()) return;
  Service svc;
  if (auto n = m.require("name")) {
    if (auto s = n->string(); s && check_name(*n, *s)) {
      if (find_named(cfg.services, *s)) n->error("service name " + quote(*s) + " is already used");
      svc.name = *s;
    }
  }
  m.read_enum("protocol", svc.protocol);
  bool have_address = false;
  if (auto a = m.require("address")) {
    if (auto ip = a->ipv4()) {
      svc.address = *ip;
      have_address = true;
    }
  }
  parse_ports(m, svc);
  m.read_enum("scheduler", svc.scheduler);
  if (auto p = m.get("persistence")) parse_persistence(*p, svc.persistence);
  if (svc.single_port() && svc.port() == 0 && !svc.persistence.enabled) {
    m.get("port")->error("Zero port specified for non-persistent service");
  }
  if (auto f = m.get("scheduler_flags")) check_scheduler_flags(*f, svc);
  if (m.read("one_packet", svc.one_packet) && svc.one_packet && svc.protocol != Protocol::udp) {
    m.get("one_packet")->error("one_packet applies only to udp services");
  }
  m.read_enum("forwarding", svc.forwarding);
  m.read_enum("on_failure", svc.on_failure);
  m.read("maintenance", svc.maintenance);
  if (auto f = m.get("fallback")) parse_fallback(*f, svc);

  std::vector<Monitor> inherited;
  if (auto mons = m.get("monitors")) inherited = parse_monitor_list(*mons, cfg);
  if (auto rss = m.get("real_servers")) {
    for (const Value& item : rss->items()) parse_real_server(item, svc, inherited, cfg);
  }
  // Without an explicit quorum a service with no real servers is simply down
  // (and serves its fallback); a stated quorum that can never be met is a
  // mistake.
  if (auto q = m.get("quorum")) {
    check_quorum(*q, svc);
    auto need = static_cast<std::size_t>(svc.quorum.min_up) +
                static_cast<std::size_t>(svc.quorum.hysteresis);
    if (need > svc.real_servers.size()) {
      q->error("quorum needs " + std::to_string(need) + " live real servers but the service has " +
               std::to_string(svc.real_servers.size()));
    }
  }

  // (protocol, VIP, port) identifies a virtual service, as it does in IPVS.
  if (have_address) {
    for (const Service& other : cfg.services) {
      if (other.protocol != svc.protocol || other.address != svc.address) continue;
      for (const PortRange& mine : svc.ports) {
        for (const PortRange& theirs : other.ports) {
          if (overlaps(mine, theirs)) {
            Value at = m.get("ports").value_or(m.get("port").value_or(m.value()));
            at.error("Service already exists: " + std::string(to_string(svc.protocol)) + " " +
                     svc.address.to_string() + ":" + port_text(mine) + " overlaps service " +
                     quote(other.name));
          }
        }
      }
    }
  }
  cfg.services.push_back(std::move(svc));
}

}  // namespace

void parse_services(const Value& v, Config& cfg) {
  for (const Value& item : v.items()) parse_service(item, cfg);
}

}  // namespace tandem::config::detail
