// One file that sets every documented key to a non-default value, and a
// check that each one reaches the typed struct. The effective dump of it
// must read back equal, which also proves every key the dump writes is one
// the loader accepts.

#include <fstream>
#include <set>
#include <sstream>

#include "common/config/dump.h"
#include "tests/unit/config/test_util.h"

namespace tandem::config {
namespace {

using namespace std::chrono_literals;

constexpr const char* kEveryKey = R"(
nodes:
  dir1:
    address: 198.18.1.2
    priority: 150
    devices: {outside: out0, inside: in0}
  dir2:
    address: 198.18.1.3
    priority: 90
global:
  log_level: debug
  run_dir: /tmp/tandem-run
  max_connections: 4096
  tcp_timeouts:
    none: 3s
    established: 1h
    syn_sent: 121s
    syn_recv: 61s
    fin_wait: 122s
    time_wait: 123s
    close: 11s
    close_wait: 62s
    last_ack: 31s
    listen: 124s
    synack: 125s
  udp_timeout: 301s
  expire_nodest_conn: true
  expire_quiescent_template: yes
  conn_reuse_mode: 0
  sloppy_tcp: on
  workers: 3
  manage_offloads: false
interfaces:
  outside: {device: eth0, role: outside}
  inside: {device: eth1, role: inside}
monitors:
  web:
    type: http
    interval: 2s
    timeout: 1500ms
    rise: 3
    fall: 4
    retry_delay: 500ms
    start_jitter: 0s
    address: 198.18.1.50
    port: 8080
    method: HEAD
    path: /status
    host: www.example.test
    expect_status: [200, "301-302"]
    expect_body: healthy
    expect_body_regex: "^ok( [0-9]+)?$"
  tls:
    type: https
    sni: api.example.test
    verify_certificate: false
    ca_file: /etc/tandem/ca.pem
    cert_expiry_warning: 30d
  tn:
    type: telnet
    send: "HELO\r\n"
    expect: "220 "
  dn:
    type: dns
    query: www.example.test
    query_type: AAAA
    expect_rcode: NXDOMAIN
    require_answer: false
    transport: tcp
  dn4:
    type: dns
    query: www.example.test
    expect_answer: 198.18.0.100
  tc:
    type: tcp
  pg:
    type: ping
  ex:
    type: exec
    path: /usr/lib/mon/mon.d/http.monitor
    args: ["-p", "80"]
    mon_compatible: true
services:
  - name: multi
    protocol: udp
    address: 198.18.0.100
    ports: [5000, "6000-6010"]
    scheduler: sh
    scheduler_flags: [sh-fallback, sh-port]
    persistence:
      timeout: 2678400
      netmask: 255.255.255.0
    one_packet: true
    forwarding: nat
    on_failure: quiesce
    quorum: {min_up: 1, hysteresis: 1}
    fallback: {address: 198.18.1.99, port: 8000, forwarding: nat}
    maintenance: true
    monitors: [pg]
    real_servers:
      - name: a
        address: 198.18.1.11
        port: 7000
        weight: 65535
        forwarding: nat
        upper_threshold: 100
        lower_threshold: 50
        maintenance: true
        monitors:
          - web
          - use: tls
            name: tls-fast
            interval: 1s
            timeout: 1s
            path: /fast
          - type: exec
            name: script
            path: /bin/true
      - name: b
        address: 198.18.1.12
        weight: 0
  - name: mh
    address: 198.18.0.101
    port: 0
    scheduler: mh
    scheduler_flags: mh-fallback
    persistence: {netmask: 24}
    forwarding: tun
vrrp:
  instances:
    - name: vip
      interface: outside
      vrid: 51
      version: 2
      priority: 200
      advert_interval: 3
      virtual_addresses: [198.18.0.100/24, 198.18.0.101]
      preempt: false
      preempt_delay: 30s
      use_vmac: false
      unicast_peers: [198.18.0.3]
      authentication: {type: hmac-sha256, key: "0123456789abcdef0123"}
      track:
        interfaces: [inside, {name: outside, weight: -20}]
        daemons: [director, {name: healthd, weight: -10}]
        services: [{name: multi, weight: 5}]
      garp: {count: 3, interval: 1s, refresh: 60s}
      notify: /usr/local/bin/vrrp-notify
    - name: gw
      interface: inside
      vrid: 52
      advert_interval: 0.5s
      virtual_addresses: [198.18.1.1/24]
      authentication: {type: hmac-sha256, key_file: /etc/tandem/vrrp.key}
  sync_groups:
    - name: director
      instances: [vip, gw]
sync:
  enabled: true
  interface: inside
  transport: unicast
  group: 239.1.2.3
  port: 9000
  ttl: 2
  peer: 198.18.1.3
  syncid: 7
  authentication:
    keys:
      - {id: 1, key: "sync-key-one-0123456"}
      - {id: 2, key_file: /etc/tandem/sync2.key}
    active_key: 2
  resync: {enabled: false, timeout: 10s, max_rate: 50000}
  flush_interval: 50ms
  refresh_interval: 5m
alerts:
  spool_dir: /var/tmp/tandem-spool
  backup_alerts: true
  senders:
    mail:
      type: mail
      server: smtp.example.test
      port: 587
      starttls: false
      user: tandem
      password_file: /etc/tandem/smtp.pass
      from: tandem@example.test
      to: [ops@example.test, oncall@example.test]
      timeout: 20s
    pager:
      type: page
      url: https://pager.example.test/hook
      headers: {Authorization: "Bearer abc", X-Team: ops}
      timeout: 5s
    hook:
      type: exec
      path: /usr/local/bin/alert
      args: [--loud]
      timeout: 15s
  routes:
    - name: ops
      match:
        severity: [warning, critical]
        services: [multi]
        events: [server_down, quorum_lost, vrrp_master]
      senders: [mail, pager, hook]
      alert: false
      upalert: true
      alertafter: "3 10m"
      alertevery: 1h
      numalerts: 5
      upalertafter: 2m
      observe_detail: true
      quiet:
        - {days: [sat, sun], from: "22:00", to: "06:30"}
        - {from: "12:00", to: "24:00"}
control:
  socket_group: tandem-ops
  socket_mode: "0640"
  max_message_size: 65536
)";

TEST(ConfigEveryKey, NodesGlobalInterfacesControl) {
  Config c = test::load_ok(kEveryKey);
  ASSERT_EQ(c.nodes.size(), 2u);
  EXPECT_EQ(c.nodes[0].name, "dir1");
  EXPECT_EQ(c.nodes[0].address.to_string(), "198.18.1.2");
  EXPECT_EQ(c.nodes[0].priority, 150);
  EXPECT_EQ(c.nodes[0].devices,
            (std::map<std::string, std::string>{{"outside", "out0"}, {"inside", "in0"}}));
  EXPECT_EQ(device_of(c, &c.nodes[0], "inside"), "in0");
  EXPECT_EQ(device_of(c, &c.nodes[1], "inside"), "eth1");
  EXPECT_EQ(device_of(c, nullptr, "outside"), "eth0");
  EXPECT_EQ(device_of(c, nullptr, "nowhere"), "");

  const Global& g = c.global;
  EXPECT_EQ(g.log_level, LogLevel::debug);
  EXPECT_EQ(g.run_dir, "/tmp/tandem-run");
  EXPECT_EQ(g.max_connections, 4096u);
  EXPECT_EQ(g.workers, 3u);
  EXPECT_FALSE(g.manage_offloads);
  const TcpTimeouts& t = g.tcp_timeouts;
  EXPECT_EQ(t.none, 3s);
  EXPECT_EQ(t.established, 1h);
  EXPECT_EQ(t.syn_sent, 121s);
  EXPECT_EQ(t.syn_recv, 61s);
  EXPECT_EQ(t.fin_wait, 122s);
  EXPECT_EQ(t.time_wait, 123s);
  EXPECT_EQ(t.close, 11s);
  EXPECT_EQ(t.close_wait, 62s);
  EXPECT_EQ(t.last_ack, 31s);
  EXPECT_EQ(t.listen, 124s);
  EXPECT_EQ(t.synack, 125s);
  EXPECT_EQ(g.udp_timeout, 301s);
  EXPECT_TRUE(g.expire_nodest_conn);
  EXPECT_TRUE(g.expire_quiescent_template);
  EXPECT_EQ(g.conn_reuse_mode, 0);
  EXPECT_TRUE(g.sloppy_tcp);

  ASSERT_EQ(c.interfaces.size(), 2u);
  EXPECT_EQ(c.interfaces[1].name, "inside");
  EXPECT_EQ(c.interfaces[1].device, "eth1");
  EXPECT_EQ(c.interfaces[1].role, InterfaceRole::inside);

  EXPECT_EQ(c.control.socket_group, "tandem-ops");
  EXPECT_EQ(c.control.socket_mode, 0640u);
  EXPECT_EQ(c.control.max_message_size, 65536u);
}

TEST(ConfigEveryKey, MonitorTemplates) {
  Config c = test::load_ok(kEveryKey);
  ASSERT_EQ(c.monitors.size(), 8u);
  const Monitor& web = c.monitors[0];
  EXPECT_EQ(web.type, MonitorType::http);
  EXPECT_EQ(web.interval, 2s);
  EXPECT_EQ(web.timeout, 1500ms);
  EXPECT_EQ(web.rise, 3);
  EXPECT_EQ(web.fall, 4);
  EXPECT_EQ(web.retry_delay, 500ms);
  EXPECT_EQ(web.start_jitter, 0s);
  EXPECT_EQ(web.address->to_string(), "198.18.1.50");
  EXPECT_EQ(web.port, 8080);
  EXPECT_EQ(web.http.method, HttpMethod::head);
  EXPECT_EQ(web.http.path, "/status");
  EXPECT_EQ(web.http.host, "www.example.test");
  EXPECT_EQ(web.http.expect_status, (std::vector<StatusRange>{{200, 200}, {301, 302}}));
  EXPECT_EQ(web.http.expect_body, "healthy");
  EXPECT_EQ(web.http.expect_body_regex, "^ok( [0-9]+)?$");
  const HttpCheck& tls = c.monitors[1].http;
  EXPECT_EQ(c.monitors[1].type, MonitorType::https);
  EXPECT_EQ(tls.sni, "api.example.test");
  EXPECT_FALSE(tls.verify_certificate);
  EXPECT_EQ(tls.ca_file, "/etc/tandem/ca.pem");
  EXPECT_EQ(tls.cert_expiry_warning, std::chrono::hours(24 * 30));
  EXPECT_EQ(c.monitors[2].telnet.send, "HELO\r\n");
  EXPECT_EQ(c.monitors[2].telnet.expect, "220 ");
  const DnsCheck& dn = c.monitors[3].dns;
  EXPECT_EQ(dn.query, "www.example.test");
  EXPECT_EQ(dn.query_type, DnsType::aaaa);
  EXPECT_EQ(dn.expect_rcode, DnsRcode::nxdomain);
  EXPECT_FALSE(dn.require_answer);
  EXPECT_EQ(dn.transport, DnsTransport::tcp);
  EXPECT_EQ(c.monitors[4].dns.expect_answer, "198.18.0.100");
  EXPECT_TRUE(c.monitors[4].dns.require_answer);  // implied by expect_answer
  EXPECT_EQ(c.monitors[5].type, MonitorType::tcp);
  EXPECT_EQ(c.monitors[6].type, MonitorType::ping);
  const ExecCheck& ex = c.monitors[7].exec;
  EXPECT_EQ(ex.path, "/usr/lib/mon/mon.d/http.monitor");
  EXPECT_EQ(ex.args, (std::vector<std::string>{"-p", "80"}));
  EXPECT_TRUE(ex.mon_compatible);
}

TEST(ConfigEveryKey, Services) {
  Config c = test::load_ok(kEveryKey);
  ASSERT_EQ(c.services.size(), 2u);
  const Service& s = c.services[0];
  EXPECT_EQ(s.name, "multi");
  EXPECT_EQ(s.protocol, Protocol::udp);
  EXPECT_EQ(s.address.to_string(), "198.18.0.100");
  EXPECT_EQ(s.ports, (std::vector<PortRange>{{5000, 5000}, {6000, 6010}}));
  EXPECT_FALSE(s.single_port());
  EXPECT_EQ(s.port(), 0);
  EXPECT_EQ(s.scheduler, Scheduler::sh);
  EXPECT_TRUE(s.scheduler_flags.sh_fallback);
  EXPECT_TRUE(s.scheduler_flags.sh_port);
  EXPECT_FALSE(s.scheduler_flags.mh_fallback);
  EXPECT_TRUE(s.persistence.enabled);
  EXPECT_EQ(s.persistence.timeout, 2678400s);
  EXPECT_EQ(s.persistence.netmask, 24);
  EXPECT_TRUE(s.one_packet);
  EXPECT_EQ(s.forwarding, Forwarding::nat);
  EXPECT_EQ(s.on_failure, OnFailure::quiesce);
  EXPECT_EQ(s.quorum.min_up, 1);
  EXPECT_EQ(s.quorum.hysteresis, 1);
  ASSERT_TRUE(s.fallback.has_value());
  EXPECT_EQ(s.fallback->address.to_string(), "198.18.1.99");
  EXPECT_EQ(s.fallback->port, 8000);
  EXPECT_EQ(s.fallback->forwarding, Forwarding::nat);
  EXPECT_TRUE(s.maintenance);

  ASSERT_EQ(s.real_servers.size(), 2u);
  const RealServer& a = s.real_servers[0];
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(a.address.to_string(), "198.18.1.11");
  EXPECT_EQ(a.port, 7000);
  EXPECT_EQ(a.weight, 65535u);
  EXPECT_EQ(a.forwarding, Forwarding::nat);
  EXPECT_EQ(a.upper_threshold, 100u);
  EXPECT_EQ(a.lower_threshold, 50u);
  EXPECT_TRUE(a.maintenance);
  ASSERT_EQ(a.monitors.size(), 3u);
  EXPECT_EQ(a.monitors[0], [&] {
    Monitor m = c.monitors[0];
    m.template_name = "web";
    return m;
  }());
  const Monitor& fast = a.monitors[1];
  EXPECT_EQ(fast.name, "tls-fast");
  EXPECT_EQ(fast.template_name, "tls");
  EXPECT_EQ(fast.type, MonitorType::https);
  EXPECT_EQ(fast.interval, 1s);
  EXPECT_EQ(fast.timeout, 1s);
  EXPECT_EQ(fast.http.path, "/fast");
  EXPECT_EQ(fast.http.sni, "api.example.test");  // kept from the template
  EXPECT_EQ(a.monitors[2].name, "script");
  EXPECT_EQ(a.monitors[2].template_name, "");
  EXPECT_EQ(a.monitors[2].exec.path, "/bin/true");

  const RealServer& b = s.real_servers[1];
  EXPECT_EQ(b.port, 0);  // multi-port: the connection keeps its port
  EXPECT_EQ(b.weight, 0u);
  ASSERT_EQ(b.monitors.size(), 1u);  // inherited from the service
  EXPECT_EQ(b.monitors[0].name, "pg");
  EXPECT_EQ(b.monitors[0].template_name, "pg");

  const Service& mh = c.services[1];
  EXPECT_EQ(mh.port(), 0);
  EXPECT_TRUE(mh.single_port());
  EXPECT_TRUE(mh.scheduler_flags.mh_fallback);
  EXPECT_EQ(mh.persistence.timeout, 360s);
  EXPECT_EQ(mh.persistence.netmask, 24);
  EXPECT_EQ(mh.forwarding, Forwarding::tun);
}

TEST(ConfigEveryKey, Vrrp) {
  Config c = test::load_ok(kEveryKey);
  ASSERT_EQ(c.vrrp.instances.size(), 2u);
  const VrrpInstance& v = c.vrrp.instances[0];
  EXPECT_EQ(v.name, "vip");
  EXPECT_EQ(v.interface, "outside");
  EXPECT_EQ(v.vrid, 51);
  EXPECT_EQ(v.version, 2);
  EXPECT_EQ(v.priority, 200);
  EXPECT_EQ(vrrp_priority(v, &c.nodes[0]), 200);
  EXPECT_EQ(v.advert_interval, 3s);
  ASSERT_EQ(v.virtual_addresses.size(), 2u);
  EXPECT_EQ(v.virtual_addresses[0].to_string(), "198.18.0.100/24");
  EXPECT_EQ(v.virtual_addresses[1].to_string(), "198.18.0.101/32");
  EXPECT_FALSE(v.preempt);
  EXPECT_EQ(v.preempt_delay, 30s);
  EXPECT_FALSE(v.use_vmac);
  ASSERT_EQ(v.unicast_peers.size(), 1u);
  EXPECT_EQ(v.unicast_peers[0].to_string(), "198.18.0.3");
  EXPECT_EQ(v.authentication.type, VrrpAuthType::hmac_sha256);
  EXPECT_EQ(v.authentication.key, "0123456789abcdef0123");
  EXPECT_EQ(v.track.interfaces, (std::vector<TrackEntry>{{"inside", 0}, {"outside", -20}}));
  EXPECT_EQ(v.track.daemons, (std::vector<TrackDaemonEntry>{{TrackDaemon::director, 0},
                                                            {TrackDaemon::healthd, -10}}));
  EXPECT_EQ(v.track.services, (std::vector<TrackEntry>{{"multi", 5}}));
  EXPECT_EQ(v.garp.count, 3);
  EXPECT_EQ(v.garp.interval, 1s);
  EXPECT_EQ(v.garp.refresh, 60s);
  EXPECT_EQ(v.notify, "/usr/local/bin/vrrp-notify");
  const VrrpInstance& gw = c.vrrp.instances[1];
  EXPECT_EQ(gw.advert_interval, 500ms);
  EXPECT_EQ(gw.authentication.key_file, "/etc/tandem/vrrp.key");
  EXPECT_EQ(vrrp_priority(gw, &c.nodes[1]), 90);
  ASSERT_EQ(c.vrrp.sync_groups.size(), 1u);
  EXPECT_EQ(c.vrrp.sync_groups[0].instances, (std::vector<std::string>{"vip", "gw"}));
}

TEST(ConfigEveryKey, Sync) {
  Config c = test::load_ok(kEveryKey);
  const Sync& s = c.sync;
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.interface, "inside");
  EXPECT_EQ(s.transport, SyncTransport::unicast);
  EXPECT_EQ(s.group.to_string(), "239.1.2.3");
  EXPECT_EQ(s.port, 9000);
  EXPECT_EQ(s.ttl, 2);
  EXPECT_EQ(s.peer->to_string(), "198.18.1.3");
  EXPECT_EQ(sync_peer(c, &c.nodes[1])->to_string(), "198.18.1.3");  // explicit peer wins
  EXPECT_EQ(s.syncid, 7);
  ASSERT_EQ(s.authentication.keys.size(), 2u);
  EXPECT_EQ(s.authentication.keys[0].id, 1);
  EXPECT_EQ(s.authentication.keys[0].key, "sync-key-one-0123456");
  EXPECT_EQ(s.authentication.keys[1].key_file, "/etc/tandem/sync2.key");
  EXPECT_EQ(s.authentication.active_key, 2);
  EXPECT_FALSE(s.resync.enabled);
  EXPECT_EQ(s.resync.timeout, 10s);
  EXPECT_EQ(s.resync.max_rate, 50000u);
  EXPECT_EQ(s.flush_interval, 50ms);
  EXPECT_EQ(s.refresh_interval, 5min);
}

TEST(ConfigEveryKey, Alerts) {
  Config c = test::load_ok(kEveryKey);
  const Alerts& a = c.alerts;
  EXPECT_EQ(a.spool_dir, "/var/tmp/tandem-spool");
  EXPECT_TRUE(a.backup_alerts);
  ASSERT_EQ(a.senders.size(), 3u);
  const MailSender& m = a.senders[0].mail;
  EXPECT_EQ(a.senders[0].name, "mail");
  EXPECT_EQ(m.server, "smtp.example.test");
  EXPECT_EQ(m.port, 587);
  EXPECT_FALSE(m.starttls);
  EXPECT_EQ(m.user, "tandem");
  EXPECT_EQ(m.password_file, "/etc/tandem/smtp.pass");
  EXPECT_EQ(m.from, "tandem@example.test");
  EXPECT_EQ(m.to, (std::vector<std::string>{"ops@example.test", "oncall@example.test"}));
  EXPECT_EQ(m.timeout, 20s);
  const PageSender& p = a.senders[1].page;
  EXPECT_EQ(a.senders[1].type, SenderType::page);
  EXPECT_EQ(p.url, "https://pager.example.test/hook");
  EXPECT_EQ(p.headers, (std::map<std::string, std::string>{{"Authorization", "Bearer abc"},
                                                           {"X-Team", "ops"}}));
  EXPECT_EQ(p.timeout, 5s);
  const ExecSender& x = a.senders[2].exec;
  EXPECT_EQ(a.senders[2].type, SenderType::exec);
  EXPECT_EQ(x.path, "/usr/local/bin/alert");
  EXPECT_EQ(x.args, (std::vector<std::string>{"--loud"}));
  EXPECT_EQ(x.timeout, 15s);

  ASSERT_EQ(a.routes.size(), 1u);
  const Route& r = a.routes[0];
  EXPECT_EQ(r.match.severities, (std::vector<Severity>{Severity::warning, Severity::critical}));
  EXPECT_EQ(r.match.services, (std::vector<std::string>{"multi"}));
  EXPECT_EQ(r.match.events, (std::vector<EventKind>{EventKind::server_down, EventKind::quorum_lost,
                                                    EventKind::vrrp_master}));
  EXPECT_EQ(r.senders, (std::vector<std::string>{"mail", "pager", "hook"}));
  EXPECT_FALSE(r.alert);
  EXPECT_TRUE(r.upalert);
  EXPECT_EQ(r.alertafter, (AlertAfter{3, 10min}));
  EXPECT_EQ(r.alertevery, 1h);
  EXPECT_EQ(r.numalerts, 5);
  EXPECT_EQ(r.upalertafter, 2min);
  EXPECT_TRUE(r.observe_detail);
  ASSERT_EQ(r.quiet.size(), 2u);
  EXPECT_EQ(r.quiet[0].days, (std::vector<Weekday>{Weekday::sat, Weekday::sun}));
  EXPECT_EQ(r.quiet[0].start_minute, 22 * 60);
  EXPECT_EQ(r.quiet[0].end_minute, 6 * 60 + 30);
  EXPECT_TRUE(r.quiet[1].days.empty());
  EXPECT_EQ(r.quiet[1].end_minute, 24 * 60);
}

TEST(ConfigEveryKey, DumpReadsBackEqual) {
  Config c = test::load_ok(kEveryKey);
  std::string text = dump(c);
  LoadResult again = load_string(text, "dump");
  ASSERT_TRUE(again.ok()) << format_diagnostics(again.errors) << text;
  EXPECT_TRUE(*again.config == c) << text;
  EXPECT_EQ(dump(*again.config), text);
}

// Every key in a table of docs/configuration.md is one the effective dump of
// kEveryKey writes, i.e. one the loader reads into the struct.
TEST(ConfigEveryKey, EveryDocumentedKeyIsInTheSchema) {
  std::ifstream in(std::string(TANDEM_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in.good());
  Config c = test::load_ok(kEveryKey);
  std::set<std::string> dumped;
  std::istringstream lines(dump(c));
  for (std::string line; std::getline(lines, line);) {
    auto start = line.find_first_not_of(" -");
    auto colon = line.find(':', start);
    if (start != std::string::npos && colon != std::string::npos) {
      dumped.insert(line.substr(start, colon - start));
    }
  }
  int documented = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    std::string key = line.substr(3, line.find('`', 3) - 3);
    key = key.substr(key.rfind('.') + 1);  // "persistence.timeout" -> "timeout"
    ++documented;
    EXPECT_TRUE(dumped.count(key)) << "documented key '" << key << "' is not in the schema";
  }
  EXPECT_GT(documented, 140);  // the tables were found at all
}

}  // namespace
}  // namespace tandem::config
