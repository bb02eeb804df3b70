// Every key left out takes the documented default (values from
// /work/shared/spec/lvs-reference.md where it gives them).

#include "common/config/dump.h"
#include "tests/unit/config/test_util.h"

namespace tandem::config {
namespace {

using namespace std::chrono_literals;
using test::load_ok;

TEST(ConfigDefaults, GlobalFollowsIpvs) {
  Config c = load_ok("global: {}\n");
  const Global& g = c.global;
  EXPECT_EQ(g.log_level, LogLevel::info);
  EXPECT_EQ(g.run_dir, "/run/tandem");
  EXPECT_EQ(g.max_connections, 1048576u);
  const TcpTimeouts& t = g.tcp_timeouts;
  EXPECT_EQ(t.none, 2s);
  EXPECT_EQ(t.established, 900s);
  EXPECT_EQ(t.syn_sent, 120s);
  EXPECT_EQ(t.syn_recv, 60s);
  EXPECT_EQ(t.fin_wait, 120s);
  EXPECT_EQ(t.time_wait, 120s);
  EXPECT_EQ(t.close, 10s);
  EXPECT_EQ(t.close_wait, 60s);
  EXPECT_EQ(t.last_ack, 30s);
  EXPECT_EQ(t.listen, 120s);
  EXPECT_EQ(t.synack, 120s);
  EXPECT_EQ(g.udp_timeout, 300s);
  EXPECT_FALSE(g.expire_nodest_conn);
  EXPECT_FALSE(g.expire_quiescent_template);
  EXPECT_EQ(g.conn_reuse_mode, 1);
  EXPECT_FALSE(g.sloppy_tcp);
  EXPECT_EQ(g.workers, 0u);  // auto
  EXPECT_TRUE(g.manage_offloads);
}

TEST(ConfigDefaults, ControlAndAlertsAndNodes) {
  Config c = load_ok("control: {}\nalerts: {}\n");
  EXPECT_EQ(c.control.socket_group, "tandem");
  EXPECT_EQ(c.control.socket_mode, 0660u);
  EXPECT_EQ(c.control.max_message_size, 1048576u);
  EXPECT_EQ(c.alerts.spool_dir, "/var/spool/tandem");
  EXPECT_FALSE(c.alerts.backup_alerts);
  EXPECT_TRUE(c.nodes.empty());
  EXPECT_EQ(resolve_node(c, "anything"), nullptr);
}

TEST(ConfigDefaults, ServiceAndRealServer) {
  Config c = load_ok(R"(
services:
  - name: web
    address: 198.18.0.100
    port: 80
    real_servers:
      - address: 198.18.1.11
)");
  ASSERT_EQ(c.services.size(), 1u);
  const Service& s = c.services[0];
  EXPECT_EQ(s.protocol, Protocol::tcp);
  EXPECT_EQ(s.scheduler, Scheduler::wlc);
  EXPECT_EQ(s.scheduler_flags, SchedulerFlags{});
  EXPECT_FALSE(s.persistence.enabled);
  EXPECT_FALSE(s.one_packet);
  EXPECT_EQ(s.forwarding, Forwarding::dr);
  EXPECT_EQ(s.on_failure, OnFailure::remove);
  EXPECT_EQ(s.quorum.min_up, 1);
  EXPECT_EQ(s.quorum.hysteresis, 0);
  EXPECT_FALSE(s.fallback.has_value());
  EXPECT_FALSE(s.maintenance);
  EXPECT_TRUE(s.single_port());
  EXPECT_EQ(s.port(), 80);
  const RealServer& rs = s.real_servers.at(0);
  EXPECT_EQ(rs.name, "198.18.1.11");  // the address when no name is given
  EXPECT_EQ(rs.port, 80);             // the service port
  EXPECT_EQ(rs.weight, 1u);
  EXPECT_EQ(rs.forwarding, Forwarding::dr);  // the service's method
  EXPECT_EQ(rs.upper_threshold, 0u);
  EXPECT_EQ(rs.lower_threshold, 0u);
  EXPECT_FALSE(rs.maintenance);
  EXPECT_TRUE(rs.monitors.empty());
}

TEST(ConfigDefaults, PersistenceTrueMeans360SecondsPerClientAddress) {
  Config c = load_ok(R"(
services:
  - name: web
    address: 198.18.0.100
    port: 80
    persistence: true
)");
  const Persistence& p = c.services.at(0).persistence;
  EXPECT_TRUE(p.enabled);
  EXPECT_EQ(p.timeout, 360s);
  EXPECT_EQ(p.netmask, 32);
}

TEST(ConfigDefaults, RealServerNameIncludesAGivenPort) {
  Config c = load_ok(R"(
services:
  - name: web
    address: 198.18.0.100
    port: 80
    forwarding: nat
    real_servers:
      - address: 198.18.1.11
        port: 8080
)");
  EXPECT_EQ(c.services.at(0).real_servers.at(0).name, "198.18.1.11:8080");
  // The default name is a valid name: the effective dump reads back.
  LoadResult again = load_string(dump(c), "dump");
  ASSERT_TRUE(again.ok()) << format_diagnostics(again.errors);
  EXPECT_TRUE(*again.config == c);
}

TEST(ConfigDefaults, FallbackTakesServicePortAndForwarding) {
  Config c = load_ok(R"(
services:
  - name: web
    address: 198.18.0.100
    port: 80
    forwarding: nat
    fallback:
      address: 198.18.1.99
)");
  const auto& fb = c.services.at(0).fallback;
  ASSERT_TRUE(fb.has_value());
  EXPECT_EQ(fb->address.to_string(), "198.18.1.99");
  EXPECT_EQ(fb->port, 80);
  EXPECT_EQ(fb->forwarding, Forwarding::nat);
}

TEST(ConfigDefaults, MonitorLikeLdirectord) {
  Config c = load_ok(R"(
monitors:
  h:
    type: https
  d:
    type: dns
    query: example.test
  t:
    type: telnet
  x:
    type: exec
    path: /bin/true
)");
  ASSERT_EQ(c.monitors.size(), 4u);
  const Monitor& h = c.monitors[0];
  EXPECT_EQ(h.name, "h");
  EXPECT_EQ(h.template_name, "");
  EXPECT_EQ(h.interval, 10s);
  EXPECT_EQ(h.timeout, 5s);
  EXPECT_EQ(h.rise, 1);
  EXPECT_EQ(h.fall, 1);
  EXPECT_EQ(h.retry_delay, 1s);
  EXPECT_EQ(h.start_jitter, 1s);
  EXPECT_FALSE(h.address.has_value());
  EXPECT_EQ(h.port, 0);
  EXPECT_EQ(h.http.method, HttpMethod::get);
  EXPECT_EQ(h.http.path, "/");
  EXPECT_EQ(h.http.host, "");
  EXPECT_EQ(h.http.expect_status, (std::vector<StatusRange>{{200, 299}}));
  EXPECT_EQ(h.http.expect_body, "");
  EXPECT_EQ(h.http.expect_body_regex, "");
  EXPECT_EQ(h.http.sni, "");
  EXPECT_TRUE(h.http.verify_certificate);
  EXPECT_EQ(h.http.ca_file, "");
  EXPECT_EQ(h.http.cert_expiry_warning, std::chrono::hours(24 * 14));
  const DnsCheck& d = c.monitors[1].dns;
  EXPECT_EQ(d.query_type, DnsType::a);
  EXPECT_EQ(d.expect_rcode, DnsRcode::noerror);
  EXPECT_FALSE(d.require_answer);
  EXPECT_EQ(d.expect_answer, "");
  EXPECT_EQ(d.transport, DnsTransport::udp);
  EXPECT_EQ(c.monitors[2].telnet.send, "");
  EXPECT_EQ(c.monitors[2].telnet.expect, "");
  EXPECT_TRUE(c.monitors[3].exec.args.empty());
  EXPECT_FALSE(c.monitors[3].exec.mon_compatible);
}

TEST(ConfigDefaults, VrrpFollowsRfc5798) {
  Config c = load_ok(R"(
interfaces:
  outside: {device: eth0, role: outside}
vrrp:
  instances:
    - name: vip
      interface: outside
      vrid: 51
      virtual_addresses: [198.18.0.100]
)");
  const VrrpInstance& i = c.vrrp.instances.at(0);
  EXPECT_EQ(i.version, 3);
  EXPECT_FALSE(i.priority.has_value());
  EXPECT_EQ(vrrp_priority(i, nullptr), 100);
  EXPECT_EQ(i.advert_interval, 1s);
  EXPECT_EQ(i.virtual_addresses.at(0).length, 32);
  EXPECT_TRUE(i.preempt);
  EXPECT_EQ(i.preempt_delay, 0s);
  EXPECT_TRUE(i.use_vmac);
  EXPECT_TRUE(i.unicast_peers.empty());
  EXPECT_EQ(i.authentication.type, VrrpAuthType::none);
  EXPECT_EQ(i.track, Track{});
  EXPECT_EQ(i.garp.count, 5);
  EXPECT_EQ(i.garp.interval, 200ms);
  EXPECT_EQ(i.garp.refresh, 0s);
  EXPECT_EQ(i.notify, "");
  EXPECT_TRUE(c.vrrp.sync_groups.empty());
}

TEST(ConfigDefaults, SyncFollowsIpvs) {
  Config c = load_ok(R"(
interfaces:
  inside: {device: eth1, role: inside}
sync:
  enabled: true
  interface: inside
)");
  const Sync& s = c.sync;
  EXPECT_EQ(s.transport, SyncTransport::multicast);
  EXPECT_EQ(s.group.to_string(), "224.0.0.81");
  EXPECT_EQ(s.port, 8848);
  EXPECT_EQ(s.ttl, 1);
  EXPECT_FALSE(s.peer.has_value());
  EXPECT_EQ(s.syncid, 0);
  EXPECT_TRUE(s.authentication.keys.empty());
  EXPECT_TRUE(s.resync.enabled);
  EXPECT_EQ(s.resync.timeout, 30s);
  EXPECT_EQ(s.resync.max_rate, 0u);
  EXPECT_EQ(s.flush_interval, 20ms);
  EXPECT_EQ(s.refresh_interval, 120s);
  EXPECT_FALSE(Config{}.sync.enabled);
}

TEST(ConfigDefaults, SendersAndRoutesFollowMon) {
  Config c = load_ok(R"(
alerts:
  senders:
    m: {type: mail, server: localhost, from: a@b.test, to: c@d.test}
    p: {type: page, url: "https://pager.test/x"}
    x: {type: exec, path: /usr/bin/logger}
  routes:
    - name: all
      senders: [m]
)");
  const auto& s = c.alerts.senders;
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].mail.port, 25);
  EXPECT_TRUE(s[0].mail.starttls);
  EXPECT_EQ(s[0].mail.user, "");
  EXPECT_EQ(s[0].mail.timeout, 30s);
  EXPECT_EQ(s[0].mail.to, (std::vector<std::string>{"c@d.test"}));
  EXPECT_TRUE(s[1].page.headers.empty());
  EXPECT_EQ(s[1].page.timeout, 10s);
  EXPECT_TRUE(s[2].exec.args.empty());
  EXPECT_EQ(s[2].exec.timeout, 30s);
  const Route& r = c.alerts.routes.at(0);
  EXPECT_EQ(r.match, RouteMatch{});
  EXPECT_TRUE(r.alert);
  EXPECT_FALSE(r.upalert);
  EXPECT_EQ(r.alertafter, (AlertAfter{1, 0s}));
  EXPECT_EQ(r.alertevery, 0s);
  EXPECT_EQ(r.numalerts, 0);
  EXPECT_EQ(r.upalertafter, 0s);
  EXPECT_FALSE(r.observe_detail);
  EXPECT_TRUE(r.quiet.empty());
}

}  // namespace
}  // namespace tandem::config
