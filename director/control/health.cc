#include "director/control/health.h"

namespace tandem::director::control {
namespace {

using ipc::Json;

Forwarding forwarding_of(config::Forwarding f) {
  switch (f) {
    case config::Forwarding::nat:
      return Forwarding::nat;
    case config::Forwarding::tun:
      return Forwarding::tun;
    case config::Forwarding::dr:
      break;
  }
  return Forwarding::dr;
}

bool same_key(const ServiceKey& a, const ServiceConfig& b) {
  if (a.protocol != b.protocol || a.vip != b.vip || a.port != b.port ||
      a.group.size() != b.port_group.size())
    return false;
  for (std::size_t i = 0; i < a.group.size(); ++i) {
    if (a.group[i].first != b.port_group[i].first || a.group[i].last != b.port_group[i].last)
      return false;
  }
  return true;
}

const config::Service* find_service(const config::Config& cfg, const std::string& name) {
  for (const auto& s : cfg.services)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace

ServiceKey key_of(const config::Service& svc) {
  ServiceKey k;
  k.protocol = svc.protocol == config::Protocol::udp ? Protocol::udp : Protocol::tcp;
  k.vip = svc.address;
  k.port = svc.port();
  if (!svc.single_port()) {
    for (const auto& r : svc.ports) k.group.push_back({r.first, r.last});
  }
  return k;
}

HealthOps ops_from_health(const Json& data, const config::Config& cfg) {
  HealthOps out;
  if (!data.is_object()) {
    out.errors.push_back("health.actions data is not an object");
    return out;
  }
  const std::string default_service = data.value("service", std::string());
  auto list = data.find("actions");
  if (list == data.end() || !list->is_array()) {
    out.errors.push_back("health.actions without an actions list");
    return out;
  }
  for (const Json& a : *list) {
    if (!a.is_object()) {
      out.errors.push_back("an action is not an object");
      continue;
    }
    const std::string service = a.value("service", default_service);
    const std::string server = a.value("server", std::string());
    const std::string what = a.value("op", std::string());
    const Json w = a.value("weight", Json());
    const config::Service* svc = find_service(cfg, service);
    if (svc == nullptr) {
      out.errors.push_back(service + "/" + server + ": no such service in the configuration");
      continue;
    }
    Op op;
    op.has_service = true;
    op.service = key_of(*svc);
    bool found = false;
    // By name first; "address:port" also finds a server whose configured
    // name is something else (healthd names it by config name today).
    const auto ep = net::Endpoint::parse(server);
    const config::RealServer* by_endpoint = nullptr;
    for (const auto& rs : svc->real_servers) {
      if (ep && server.find(':') != std::string::npos && rs.address == ep->address &&
          rs.port == ep->port)
        by_endpoint = &rs;
    }
    for (const auto& rs : svc->real_servers) {
      if (rs.name != server && &rs != by_endpoint) continue;
      op.server = rs.address;
      op.port = rs.port;
      op.method = forwarding_of(rs.forwarding);
      op.upper_threshold = rs.upper_threshold;
      op.lower_threshold = rs.lower_threshold;
      found = true;
      break;
    }
    if (!found && svc->fallback &&
        net::Endpoint{svc->fallback->address, svc->fallback->port}.to_string() == server) {
      op.server = svc->fallback->address;
      op.port = svc->fallback->port;
      op.method = forwarding_of(svc->fallback->forwarding);
      found = true;
    }
    if (!found) {
      out.errors.push_back(service + "/" + server + ": no such real server in the configuration");
      continue;
    }
    std::uint32_t weight = 0;
    if (w.is_number_unsigned() && w.get<std::uint64_t>() <= 65535) {
      weight = static_cast<std::uint32_t>(w.get<std::uint64_t>());
    } else if (!w.is_null() && !(w.is_number_integer() && w.get<std::int64_t>() == 0)) {
      out.errors.push_back(service + "/" + server + ": bad weight");
      continue;
    }
    op.weight = weight;
    if (what == "restore") {
      op.kind = Op::Kind::ensure_server;
    } else if (what == "set_weight") {
      op.kind = Op::Kind::set_weight;
    } else if (what == "quiesce") {
      op.kind = Op::Kind::set_weight;
      op.weight = 0;
    } else if (what == "remove") {
      op.kind = Op::Kind::remove_server;
    } else {
      out.errors.push_back(service + "/" + server + ": unknown action " + what);
      continue;
    }
    out.ops.push_back(op);
  }
  return out;
}

std::optional<std::uint32_t> configured_weight(const config::Config& cfg, const ServiceConfig& svc,
                                               const RealServerConfig& server) {
  for (const auto& s : cfg.services) {
    if (!same_key(key_of(s), svc)) continue;
    for (const auto& rs : s.real_servers) {
      if (rs.address == server.address && rs.port == server.port) return rs.weight;
    }
    if (s.fallback && s.fallback->address == server.address && s.fallback->port == server.port)
      return 1;
  }
  return std::nullopt;
}

}  // namespace tandem::director::control
