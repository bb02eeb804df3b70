#include "healthd/engine/adapter.h"

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "common/config/names.h"

namespace tandem::health {
namespace {

std::string key_of(const std::string& service, const std::string& server) {
  return service + "/" + server;
}

// The loader names every monitor (template name, or the type for an inline
// one) and keeps names unique within a list; the index only covers a config
// built by hand.
std::string monitor_name(const config::Monitor& m, std::size_t index) {
  if (!m.name.empty()) return m.name;
  return std::string(config::to_string(m.type)) + "#" + std::to_string(index);
}

// The enum order of config::DnsRcode is the RFC 1035 numbering.
int rcode_value(config::DnsRcode r) {
  return static_cast<int>(r);
}

}  // namespace

MonitorParams monitor_params(const config::Monitor& m) {
  using config::MonitorType;
  switch (m.type) {
    case MonitorType::http:
    case MonitorType::https: {
      HttpParams p;
      p.method = m.http.method == config::HttpMethod::head ? "HEAD" : "GET";
      p.path = m.http.path;
      p.host = m.http.host;
      p.expect_status.clear();
      for (const auto& r : m.http.expect_status) p.expect_status.push_back({r.first, r.last});
      p.expect_body = m.http.expect_body;
      p.expect_regex = m.http.expect_body_regex;
      if (m.type == MonitorType::https) {
        TlsParams tls;
        // The config's empty sni means "the Host name"; the monitor never
        // sends an IP address as SNI itself.
        tls.sni = m.http.sni.empty() ? m.http.host : m.http.sni;
        tls.verify = m.http.verify_certificate;
        tls.ca_file = m.http.ca_file;
        tls.expiry_warning_days = static_cast<int>(
            std::chrono::duration_cast<std::chrono::hours>(m.http.cert_expiry_warning).count() /
            24);
        p.tls = tls;
      }
      return p;
    }
    case MonitorType::telnet: {
      TelnetParams p;
      p.send = m.telnet.send;
      p.expect = m.telnet.expect;
      return p;
    }
    case MonitorType::dns: {
      DnsParams p;
      p.name = m.dns.query;
      p.type = std::string(config::to_string(m.dns.query_type));
      p.expect_rcode = rcode_value(m.dns.expect_rcode);
      p.expect_value = m.dns.expect_answer;
      p.require_answer = m.dns.require_answer || !m.dns.expect_answer.empty();
      p.tcp = m.dns.transport == config::DnsTransport::tcp;
      return p;
    }
    case MonitorType::ping:
      return PingParams{};
    case MonitorType::exec: {
      ExecParams p;
      p.program = m.exec.path;
      p.args = m.exec.args;
      // Otherwise the program gets the host only where args say {host} (and
      // in TANDEM_CHECK_HOST).
      p.append_host = m.exec.mon_compatible;
      return p;
    }
    case MonitorType::tcp:
      break;
  }
  return TcpParams{};
}

CheckTiming check_timing(const config::Monitor& m) {
  CheckTiming t;
  t.interval = m.interval;
  t.retry_interval = m.retry_delay;
  t.timeout = m.timeout;
  t.start_jitter = m.start_jitter;
  return t;
}

HealthPolicy health_policy(const config::Monitor& m) {
  HealthPolicy p;
  p.rise = m.rise;
  p.fall = m.fall;
  return p;
}

std::string check_signature(const config::Monitor& m, const net::Endpoint& target) {
  // Every field that changes what a run does, in a fixed order; JSON keeps
  // the separators unambiguous whatever the strings contain.
  nlohmann::json status = nlohmann::json::array();
  for (const auto& r : m.http.expect_status) status.push_back({r.first, r.last});
  nlohmann::json j = {
      {"type", config::to_string(m.type)},
      {"target", target.to_string()},
      {"http",
       {config::to_string(m.http.method), m.http.path, m.http.host, status, m.http.expect_body,
        m.http.expect_body_regex, m.http.sni, m.http.verify_certificate, m.http.ca_file,
        m.http.cert_expiry_warning.count()}},
      {"telnet", {m.telnet.send, m.telnet.expect}},
      {"dns",
       {m.dns.query, config::to_string(m.dns.query_type), config::to_string(m.dns.expect_rcode),
        m.dns.require_answer, m.dns.expect_answer, config::to_string(m.dns.transport)}},
      {"exec", {m.exec.path, m.exec.args, m.exec.mon_compatible}},
  };
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

EngineSetup adapt(const config::Config& cfg) {
  EngineSetup out;
  for (const auto& svc : cfg.services) {
    ServiceSpec spec;
    spec.name = svc.name;
    spec.min_up = svc.quorum.min_up;
    spec.quorum_hysteresis = svc.quorum.hysteresis;
    spec.on_failure =
        svc.on_failure == config::OnFailure::quiesce ? OnFailure::kQuiesce : OnFailure::kRemove;
    if (svc.fallback) {
      spec.fallback =
          FallbackSpec{net::Endpoint{svc.fallback->address, svc.fallback->port}.to_string(), 1};
    }
    for (const auto& rs : svc.real_servers) {
      RealServerSpec server;
      server.id = rs.name;
      server.weight = static_cast<int>(rs.weight);
      if (rs.monitors.empty()) {
        // Unchecked servers are trusted: nothing will ever report on them.
        server.policy.initial = InitialState::kUp;
        server.check_signature = "unchecked";
      } else {
        for (std::size_t i = 0; i < rs.monitors.size(); ++i) {
          const auto& m = rs.monitors[i];
          CheckDef check;
          check.service = svc.name;
          check.server = rs.name;
          check.monitor = monitor_name(m, i);
          check.type = std::string(config::to_string(m.type));
          check.key = key_of(svc.name, rs.name) + "/" + check.monitor;
          TargetOverride over;
          over.address = m.address;
          if (m.port != 0) over.port = m.port;
          check.target = check_target(net::Endpoint{rs.address, rs.port}, over);
          check.params = monitor_params(m);
          check.timing = check_timing(m);
          check.signature = check_signature(m, check.target);
          server.monitors.push_back(MonitorSpec{check.monitor, health_policy(m), check.signature});
          out.checks.push_back(std::move(check));
        }
      }
      if (rs.maintenance || svc.maintenance) out.maintenance.push_back(key_of(svc.name, rs.name));
      spec.servers.push_back(std::move(server));
    }
    out.services.push_back(std::move(spec));
  }
  return out;
}

namespace {

std::optional<net::Endpoint> endpoint_of(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  const auto addr = j.find("address");
  const auto port = j.find("port");
  if (addr == j.end() || !addr->is_string() || port == j.end() || !port->is_number_integer()) {
    return std::nullopt;
  }
  const auto a = net::Ipv4::parse(addr->get<std::string>());
  const auto p = port->get<std::int64_t>();
  if (!a || p < 0 || p > 65535) return std::nullopt;
  return net::Endpoint{*a, static_cast<std::uint16_t>(p)};
}

}  // namespace

std::optional<DirectorTables> director_tables(const config::Config& cfg,
                                              const nlohmann::json& reply) {
  if (!reply.is_object()) return std::nullopt;
  const auto list = reply.find("services");
  if (list == reply.end() || !list->is_array()) return std::nullopt;
  DirectorTables out;
  for (const auto& d : *list) {
    const auto vip = endpoint_of(d);
    const auto proto = d.is_object() ? d.find("protocol") : d.end();
    if (!vip || proto == d.end() || !proto->is_string()) continue;
    const config::Service* svc = nullptr;
    for (const auto& s : cfg.services) {
      if (config::to_string(s.protocol) == proto->get<std::string>() &&
          s.address == vip->address && s.port() == vip->port) {
        svc = &s;
      }
    }
    if (svc == nullptr) continue;
    auto& table = out[svc->name];
    const auto servers = d.find("servers");
    if (servers == d.end() || !servers->is_array()) continue;
    for (const auto& r : *servers) {
      const auto ep = endpoint_of(r);
      const auto w = r.is_object() ? r.find("weight") : r.end();
      if (!ep || w == r.end() || !w->is_number_integer()) continue;
      const int weight = static_cast<int>(std::clamp<std::int64_t>(w->get<std::int64_t>(), 0,
                                                                   1 << 30));
      for (const auto& rs : svc->real_servers) {
        if (rs.address == ep->address && rs.port == ep->port) table[rs.name] = weight;
      }
      if (svc->fallback && svc->fallback->address == ep->address &&
          svc->fallback->port == ep->port) {
        table[ep->to_string()] = weight;
      }
    }
  }
  return out;
}

std::vector<MonitorDef> monitor_defs(const std::vector<CheckDef>& checks) {
  std::vector<MonitorDef> defs;
  defs.reserve(checks.size());
  for (const auto& c : checks) defs.push_back({c.key, c.signature, c.timing});
  return defs;
}

}  // namespace tandem::health
