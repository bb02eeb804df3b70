#include "common/config/dump.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>

#include "common/config/duration.h"
#include "common/config/names.h"

namespace tandem::config {
namespace {

// Emits in the loader's schema. Free-form strings are always double-quoted
// so that "yes", "080" or "" read back as the same strings.
class Out {
 public:
  YAML::Emitter e;

  void begin_map(const char* key = nullptr) {
    if (key) e << YAML::Key << key << YAML::Value;
    e << YAML::BeginMap;
  }
  void end_map() { e << YAML::EndMap; }
  void begin_seq(const char* key) { e << YAML::Key << key << YAML::Value << YAML::BeginSeq; }
  void end_seq() { e << YAML::EndSeq; }

  void str(const char* key, const std::string& v) {
    e << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << v;
  }
  void str_if(const char* key, const std::string& v) {
    if (!v.empty()) str(key, v);
  }
  void num(const char* key, long long v) { e << YAML::Key << key << YAML::Value << v; }
  void flag(const char* key, bool v) {
    e << YAML::Key << key << YAML::Value << (v ? "true" : "false");
  }
  void dur(const char* key, Duration d) {
    e << YAML::Key << key << YAML::Value << format_duration(d);
  }
  void ip(const char* key, net::Ipv4 a) { e << YAML::Key << key << YAML::Value << a.to_string(); }
  template <class E>
  void name(const char* key, E v) {
    e << YAML::Key << key << YAML::Value << std::string(to_string(v));
  }
  template <class E>
  void names(const char* key, const std::vector<E>& vs) {
    begin_seq(key);
    for (E v : vs) e << std::string(to_string(v));
    end_seq();
  }
  void strs(const char* key, const std::vector<std::string>& vs) {
    begin_seq(key);
    for (const auto& v : vs) e << YAML::DoubleQuoted << v;
    end_seq();
  }
};

std::string hhmm(int minutes) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60 % 100, minutes % 60);
  return buf;
}

void monitor_fields(Out& o, const Monitor& m) {
  o.name("type", m.type);
  o.dur("interval", m.interval);
  o.dur("timeout", m.timeout);
  o.num("rise", m.rise);
  o.num("fall", m.fall);
  o.dur("retry_delay", m.retry_delay);
  o.dur("start_jitter", m.start_jitter);
  if (m.address) o.ip("address", *m.address);
  if (m.port != 0) o.num("port", m.port);
  switch (m.type) {
    case MonitorType::http:
    case MonitorType::https: {
      const HttpCheck& h = m.http;
      o.name("method", h.method);
      o.str("path", h.path);
      o.str("host", h.host);
      o.begin_seq("expect_status");
      for (const StatusRange& r : h.expect_status) {
        o.e << YAML::DoubleQuoted
            << (std::to_string(r.first) + (r.first == r.last ? "" : "-" + std::to_string(r.last)));
      }
      o.end_seq();
      o.str("expect_body", h.expect_body);
      o.str("expect_body_regex", h.expect_body_regex);
      if (m.type == MonitorType::https) {
        o.str("sni", h.sni);
        o.flag("verify_certificate", h.verify_certificate);
        o.str_if("ca_file", h.ca_file);
        o.dur("cert_expiry_warning", h.cert_expiry_warning);
      }
      break;
    }
    case MonitorType::telnet:
      o.str("send", m.telnet.send);
      o.str("expect", m.telnet.expect);
      break;
    case MonitorType::dns:
      o.str("query", m.dns.query);
      o.name("query_type", m.dns.query_type);
      o.name("expect_rcode", m.dns.expect_rcode);
      o.flag("require_answer", m.dns.require_answer);
      o.str_if("expect_answer", m.dns.expect_answer);
      o.name("transport", m.dns.transport);
      break;
    case MonitorType::exec:
      o.str("path", m.exec.path);
      o.strs("args", m.exec.args);
      o.flag("mon_compatible", m.exec.mon_compatible);
      break;
    case MonitorType::tcp:
    case MonitorType::ping:
      break;
  }
}

void dump_service(Out& o, const Service& s) {
  o.begin_map();
  o.str("name", s.name);
  o.name("protocol", s.protocol);
  o.ip("address", s.address);
  if (s.single_port()) {
    o.num("port", s.port());
  } else {
    o.begin_seq("ports");
    for (const PortRange& r : s.ports) {
      o.e << YAML::DoubleQuoted
          << (std::to_string(r.first) + (r.first == r.last ? "" : "-" + std::to_string(r.last)));
    }
    o.end_seq();
  }
  o.name("scheduler", s.scheduler);
  o.begin_seq("scheduler_flags");
  if (s.scheduler_flags.sh_fallback) o.e << "sh-fallback";
  if (s.scheduler_flags.sh_port) o.e << "sh-port";
  if (s.scheduler_flags.mh_fallback) o.e << "mh-fallback";
  if (s.scheduler_flags.mh_port) o.e << "mh-port";
  o.end_seq();
  if (s.persistence.enabled) {
    o.begin_map("persistence");
    o.dur("timeout", s.persistence.timeout);
    o.num("netmask", s.persistence.netmask);
    o.end_map();
  } else {
    o.flag("persistence", false);
  }
  o.flag("one_packet", s.one_packet);
  o.name("forwarding", s.forwarding);
  o.name("on_failure", s.on_failure);
  // Stated only when it differs: a stated quorum must be reachable.
  if (!(s.quorum == Quorum{})) {
    o.begin_map("quorum");
    o.num("min_up", s.quorum.min_up);
    o.num("hysteresis", s.quorum.hysteresis);
    o.end_map();
  }
  if (s.fallback) {
    o.begin_map("fallback");
    o.ip("address", s.fallback->address);
    if (s.fallback->port != 0) o.num("port", s.fallback->port);
    o.name("forwarding", s.fallback->forwarding);
    o.end_map();
  }
  o.flag("maintenance", s.maintenance);
  o.begin_seq("real_servers");
  for (const RealServer& rs : s.real_servers) {
    o.begin_map();
    o.str("name", rs.name);
    o.ip("address", rs.address);
    if (rs.port != 0) o.num("port", rs.port);
    o.num("weight", rs.weight);
    o.name("forwarding", rs.forwarding);
    o.num("upper_threshold", rs.upper_threshold);
    o.num("lower_threshold", rs.lower_threshold);
    o.flag("maintenance", rs.maintenance);
    o.begin_seq("monitors");
    for (const Monitor& m : rs.monitors) {
      o.begin_map();
      if (!m.template_name.empty()) o.str("use", m.template_name);
      o.str("name", m.name);
      monitor_fields(o, m);
      o.end_map();
    }
    o.end_seq();
    o.end_map();
  }
  o.end_seq();
  o.end_map();
}

void dump_track(Out& o, const Track& t) {
  o.begin_map("track");
  o.begin_seq("interfaces");
  for (const TrackEntry& e : t.interfaces) {
    o.begin_map();
    o.str("name", e.name);
    o.num("weight", e.weight);
    o.end_map();
  }
  o.end_seq();
  o.begin_seq("daemons");
  for (const TrackDaemonEntry& e : t.daemons) {
    o.begin_map();
    o.name("name", e.daemon);
    o.num("weight", e.weight);
    o.end_map();
  }
  o.end_seq();
  o.begin_seq("services");
  for (const TrackEntry& e : t.services) {
    o.begin_map();
    o.str("name", e.name);
    o.num("weight", e.weight);
    o.end_map();
  }
  o.end_seq();
  o.end_map();
}

void dump_vrrp(Out& o, const Vrrp& v) {
  o.begin_map("vrrp");
  o.begin_seq("instances");
  for (const VrrpInstance& i : v.instances) {
    o.begin_map();
    o.str("name", i.name);
    o.str("interface", i.interface);
    o.num("vrid", i.vrid);
    o.num("version", i.version);
    if (i.priority) o.num("priority", *i.priority);
    o.dur("advert_interval", i.advert_interval);
    o.begin_seq("virtual_addresses");
    for (const net::Ipv4Prefix& p : i.virtual_addresses) o.e << p.to_string();
    o.end_seq();
    o.flag("preempt", i.preempt);
    o.dur("preempt_delay", i.preempt_delay);
    o.flag("use_vmac", i.use_vmac);
    o.begin_seq("unicast_peers");
    for (const net::Ipv4& p : i.unicast_peers) o.e << p.to_string();
    o.end_seq();
    o.begin_map("authentication");
    o.name("type", i.authentication.type);
    o.str_if("key", i.authentication.key);
    o.str_if("key_file", i.authentication.key_file);
    o.end_map();
    dump_track(o, i.track);
    o.begin_map("garp");
    o.num("count", i.garp.count);
    o.dur("interval", i.garp.interval);
    o.dur("refresh", i.garp.refresh);
    o.end_map();
    o.str_if("notify", i.notify);
    o.end_map();
  }
  o.end_seq();
  o.begin_seq("sync_groups");
  for (const SyncGroup& g : v.sync_groups) {
    o.begin_map();
    o.str("name", g.name);
    o.strs("instances", g.instances);
    o.end_map();
  }
  o.end_seq();
  o.end_map();
}

void dump_sync(Out& o, const Sync& s) {
  o.begin_map("sync");
  o.flag("enabled", s.enabled);
  o.str_if("interface", s.interface);
  o.name("transport", s.transport);
  o.ip("group", s.group);
  o.num("port", s.port);
  o.num("ttl", s.ttl);
  if (s.peer) o.ip("peer", *s.peer);
  o.num("syncid", s.syncid);
  if (!s.authentication.keys.empty()) {
    o.begin_map("authentication");
    o.begin_seq("keys");
    for (const SyncKey& k : s.authentication.keys) {
      o.begin_map();
      o.num("id", k.id);
      o.str_if("key", k.key);
      o.str_if("key_file", k.key_file);
      o.end_map();
    }
    o.end_seq();
    o.num("active_key", s.authentication.active_key);
    o.end_map();
  }
  o.begin_map("resync");
  o.flag("enabled", s.resync.enabled);
  o.dur("timeout", s.resync.timeout);
  o.num("max_rate", s.resync.max_rate);
  o.end_map();
  o.dur("flush_interval", s.flush_interval);
  o.dur("refresh_interval", s.refresh_interval);
  o.end_map();
}

void dump_alerts(Out& o, const Alerts& a) {
  o.begin_map("alerts");
  o.str("spool_dir", a.spool_dir);
  o.flag("backup_alerts", a.backup_alerts);
  o.begin_map("senders");
  for (const Sender& s : a.senders) {
    o.begin_map(s.name.c_str());
    o.name("type", s.type);
    switch (s.type) {
      case SenderType::mail:
        o.str("server", s.mail.server);
        o.num("port", s.mail.port);
        o.flag("starttls", s.mail.starttls);
        if (!s.mail.user.empty()) {
          o.str("user", s.mail.user);
          o.str("password_file", s.mail.password_file);
        }
        if (!s.mail.ca_file.empty()) o.str("ca_file", s.mail.ca_file);
        o.str("from", s.mail.from);
        o.strs("to", s.mail.to);
        o.dur("timeout", s.mail.timeout);
        break;
      case SenderType::page:
        o.str("url", s.page.url);
        o.begin_map("headers");
        for (const auto& [k, v] : s.page.headers) o.str(k.c_str(), v);
        o.end_map();
        o.dur("timeout", s.page.timeout);
        break;
      case SenderType::exec:
        o.str("path", s.exec.path);
        o.strs("args", s.exec.args);
        o.flag("mon_compatible", s.exec.mon_compatible);
        o.dur("timeout", s.exec.timeout);
        break;
    }
    o.end_map();
  }
  o.end_map();
  o.begin_seq("routes");
  for (const Route& r : a.routes) {
    o.begin_map();
    o.str("name", r.name);
    o.begin_map("match");
    o.names("severity", r.match.severities);
    o.strs("services", r.match.services);
    o.names("events", r.match.events);
    o.end_map();
    o.strs("senders", r.senders);
    o.flag("alert", r.alert);
    o.flag("upalert", r.upalert);
    std::string after;
    if (r.alertafter.count > 0) after = std::to_string(r.alertafter.count);
    if (r.alertafter.period > Duration::zero()) {
      after += (after.empty() ? "" : " ") + format_duration(r.alertafter.period);
    }
    o.e << YAML::Key << "alertafter" << YAML::Value << YAML::DoubleQuoted << after;
    o.dur("alertevery", r.alertevery);
    o.num("numalerts", r.numalerts);
    o.dur("upalertafter", r.upalertafter);
    o.flag("observe_detail", r.observe_detail);
    o.begin_seq("quiet");
    for (const QuietPeriod& q : r.quiet) {
      o.begin_map();
      o.names("days", q.days);
      o.str("from", hhmm(q.start_minute));
      o.str("to", hhmm(q.end_minute));
      o.end_map();
    }
    o.end_seq();
    o.end_map();
  }
  o.end_seq();
  o.end_map();
}

}  // namespace

std::string dump(const Config& cfg) {
  Out o;
  o.begin_map();

  o.begin_map("nodes");
  for (const Node& n : cfg.nodes) {
    o.begin_map(n.name.c_str());
    o.ip("address", n.address);
    o.num("priority", n.priority);
    o.begin_map("devices");
    for (const auto& [iface, dev] : n.devices) o.str(iface.c_str(), dev);
    o.end_map();
    o.end_map();
  }
  o.end_map();

  const Global& g = cfg.global;
  o.begin_map("global");
  o.name("log_level", g.log_level);
  o.str("run_dir", g.run_dir);
  o.num("max_connections", g.max_connections);
  if (g.workers == 0) {
    o.str("workers", "auto");
  } else {
    o.num("workers", g.workers);
  }
  o.flag("manage_offloads", g.manage_offloads);
  o.begin_map("tcp_timeouts");
  const TcpTimeouts& t = g.tcp_timeouts;
  o.dur("none", t.none);
  o.dur("established", t.established);
  o.dur("syn_sent", t.syn_sent);
  o.dur("syn_recv", t.syn_recv);
  o.dur("fin_wait", t.fin_wait);
  o.dur("time_wait", t.time_wait);
  o.dur("close", t.close);
  o.dur("close_wait", t.close_wait);
  o.dur("last_ack", t.last_ack);
  o.dur("listen", t.listen);
  o.dur("synack", t.synack);
  o.end_map();
  o.dur("udp_timeout", g.udp_timeout);
  o.flag("expire_nodest_conn", g.expire_nodest_conn);
  o.flag("expire_quiescent_template", g.expire_quiescent_template);
  o.num("conn_reuse_mode", g.conn_reuse_mode);
  o.flag("sloppy_tcp", g.sloppy_tcp);
  o.end_map();

  o.begin_map("interfaces");
  for (const Interface& i : cfg.interfaces) {
    o.begin_map(i.name.c_str());
    o.str("device", i.device);
    o.name("role", i.role);
    o.end_map();
  }
  o.end_map();

  o.begin_map("monitors");
  for (const Monitor& m : cfg.monitors) {
    o.begin_map(m.name.c_str());
    monitor_fields(o, m);
    o.end_map();
  }
  o.end_map();

  o.begin_seq("services");
  for (const Service& s : cfg.services) dump_service(o, s);
  o.end_seq();

  dump_vrrp(o, cfg.vrrp);
  dump_sync(o, cfg.sync);
  dump_alerts(o, cfg.alerts);

  o.begin_map("control");
  o.str("socket_group", cfg.control.socket_group);
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", cfg.control.socket_mode & 0777U);
  o.str("socket_mode", mode);
  o.num("max_message_size", cfg.control.max_message_size);
  o.end_map();

  o.end_map();
  return std::string(o.e.c_str()) + "\n";
}

std::string fingerprint(const Config& cfg) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : dump(cfg)) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace tandem::config
