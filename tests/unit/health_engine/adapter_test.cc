#include "healthd/engine/adapter.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "common/config/config.h"

namespace tandem::health {
namespace {

const char* const kBase = R"(
monitors:
  web:
    type: https
    path: /health
    host: www.example.test
    expect_status: [200, 301-302]
    expect_body: ok
    verify_certificate: false
    interval: 3s
    timeout: 2s
    rise: 2
    fall: 3
  names:
    type: dns
    query: lab.tandem.test
    query_type: AAAA
    expect_rcode: NXDOMAIN
services:
  - name: web
    protocol: tcp
    address: 198.18.0.100
    port: 443
    on_failure: quiesce
    quorum: { min_up: 1, hysteresis: 0 }
    monitors: [web]
    real_servers:
      - { name: rs1, address: 198.18.1.11 }
      - { name: rs2, address: 198.18.1.12, weight: 5, maintenance: true }
  - name: dns
    protocol: udp
    address: 198.18.0.100
    port: 53
    monitors: [names]
    real_servers:
      - { name: rs1, address: 198.18.1.11 }
  - name: plain
    protocol: tcp
    address: 198.18.0.101
    port: 25
    real_servers:
      - { name: rs9, address: 198.18.1.19 }
)";

config::Config load(const std::string& yaml) {
  auto r = config::load_string(yaml, "test.yaml");
  EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors.front().message);
  return r.config.value_or(config::Config{});
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(HealthAdapter, OneCheckPerMonitoredServerKeyedByServiceAndName) {
  const auto setup = adapt(load(kBase));
  ASSERT_EQ(setup.checks.size(), 3u);
  EXPECT_EQ(setup.checks[0].key, "web/rs1/web");
  EXPECT_EQ(setup.checks[1].key, "web/rs2/web");
  EXPECT_EQ(setup.checks[2].key, "dns/rs1/names");
  EXPECT_EQ(setup.checks[2].monitor, "names");
  EXPECT_EQ(setup.checks[2].type, "dns");
  EXPECT_EQ(setup.checks[1].target.to_string(), "198.18.1.12:443");
  EXPECT_EQ(setup.checks[2].target.to_string(), "198.18.1.11:53");
  ASSERT_EQ(setup.maintenance.size(), 1u);
  EXPECT_EQ(setup.maintenance[0], "web/rs2");
}

TEST(HealthAdapter, ServiceSpecCarriesPolicyWeightQuorumAndFailureMode) {
  const auto setup = adapt(load(kBase));
  ASSERT_EQ(setup.services.size(), 3u);
  const auto& web = setup.services[0];
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.min_up, 1);
  EXPECT_EQ(web.quorum_hysteresis, 0);
  EXPECT_EQ(web.on_failure, OnFailure::kQuiesce);
  ASSERT_EQ(web.servers.size(), 2u);
  EXPECT_EQ(web.servers[1].id, "rs2");
  EXPECT_EQ(web.servers[1].weight, 5);
  ASSERT_EQ(web.servers[0].monitors.size(), 1u);
  EXPECT_EQ(web.servers[0].monitors[0].name, "web");
  EXPECT_EQ(web.servers[0].monitors[0].policy.rise, 2);
  EXPECT_EQ(web.servers[0].monitors[0].policy.fall, 3);
  EXPECT_EQ(web.servers[0].monitors[0].check_signature, setup.checks[0].signature);
  // A server nothing checks is trusted rather than left down forever.
  ASSERT_EQ(setup.services[2].servers.size(), 1u);
  EXPECT_EQ(setup.services[2].servers[0].policy.initial, InitialState::kUp);
}

TEST(HealthAdapter, HttpsParamsAndTiming) {
  const auto setup = adapt(load(kBase));
  const auto* http = std::get_if<HttpParams>(&setup.checks[0].params);
  ASSERT_NE(http, nullptr);
  EXPECT_EQ(http->method, "GET");
  EXPECT_EQ(http->path, "/health");
  EXPECT_EQ(http->host, "www.example.test");
  ASSERT_EQ(http->expect_status.size(), 2u);
  EXPECT_EQ(http->expect_status[1].low, 301);
  EXPECT_EQ(http->expect_status[1].high, 302);
  EXPECT_EQ(http->expect_body, "ok");
  ASSERT_TRUE(http->tls.has_value());
  EXPECT_FALSE(http->tls->verify);
  EXPECT_EQ(http->tls->sni, "www.example.test");  // empty sni in config = the Host name
  EXPECT_EQ(http->tls->expiry_warning_days, 14);
  EXPECT_EQ(setup.checks[0].timing.interval, std::chrono::seconds(3));
  EXPECT_EQ(setup.checks[0].timing.timeout, std::chrono::seconds(2));
}

TEST(HealthAdapter, DnsParams) {
  const auto setup = adapt(load(kBase));
  const auto* dns = std::get_if<DnsParams>(&setup.checks[2].params);
  ASSERT_NE(dns, nullptr);
  EXPECT_EQ(dns->name, "lab.tandem.test");
  EXPECT_EQ(dns->type, "AAAA");
  EXPECT_EQ(dns->expect_rcode, 3);  // NXDOMAIN
}

TEST(HealthAdapter, SignatureIgnoresTimingAndPolicy) {
  const auto a = adapt(load(kBase));
  const auto b =
      adapt(load(replace(replace(kBase, "interval: 3s", "interval: 30s"), "fall: 3", "fall: 4")));
  EXPECT_EQ(a.checks[0].signature, b.checks[0].signature);
  EXPECT_NE(a.checks[0].timing, b.checks[0].timing);
}

TEST(HealthAdapter, SignatureChangesWithWhatTheCheckDoes) {
  const auto a = adapt(load(kBase));
  const auto path = adapt(load(replace(kBase, "path: /health", "path: /ready")));
  const auto body = adapt(load(replace(kBase, "expect_body: ok", "expect_body: fine")));
  const auto target =
      adapt(load(replace(kBase, "{ name: rs1, address: 198.18.1.11 }\n      - { name: rs2",
                         "{ name: rs1, address: 198.18.1.21 }\n      - { name: rs2")));
  EXPECT_NE(a.checks[0].signature, path.checks[0].signature);
  EXPECT_NE(a.checks[0].signature, body.checks[0].signature);
  EXPECT_NE(a.checks[0].signature, target.checks[0].signature);
  // The other service's check is untouched by the web template's edit.
  EXPECT_EQ(a.checks[2].signature, path.checks[2].signature);
}

TEST(HealthAdapter, MonitorDefsFeedTheReloadPlan) {
  const auto a = adapt(load(kBase));
  const auto b = adapt(load(replace(kBase, "query: lab.tandem.test", "query: other.test")));
  const auto plan = plan_reload(monitor_defs(a.checks), monitor_defs(b.checks));
  EXPECT_EQ(plan.restarted, std::vector<std::string>{"dns/rs1/names"});
  EXPECT_EQ(plan.kept, (std::vector<std::string>{"web/rs1/web", "web/rs2/web"}));
  EXPECT_TRUE(plan.added.empty());
  EXPECT_TRUE(plan.removed.empty());
}

TEST(HealthAdapter, EveryMonitorOfAServerIsACheckOfItsOwn) {
  const auto setup = adapt(load(replace(
      kBase, "{ name: rs1, address: 198.18.1.11 }\n      - { name: rs2",
      "{ name: rs1, address: 198.18.1.11, monitors: [web, {type: tcp, port: 8080, fall: 4}] }"
      "\n      - { name: rs2")));
  ASSERT_EQ(setup.checks.size(), 4u);
  EXPECT_EQ(setup.checks[0].key, "web/rs1/web");
  EXPECT_EQ(setup.checks[1].key, "web/rs1/tcp");
  EXPECT_EQ(setup.checks[1].target.to_string(), "198.18.1.11:8080");
  const auto& rs1 = setup.services[0].servers[0];
  ASSERT_EQ(rs1.monitors.size(), 2u);
  EXPECT_EQ(rs1.monitors[1].name, "tcp");
  EXPECT_EQ(rs1.monitors[1].policy.fall, 4);
  EXPECT_EQ(rs1.monitors[1].check_signature, setup.checks[1].signature);
  EXPECT_NE(rs1.monitors[0].check_signature, rs1.monitors[1].check_signature);
}

TEST(HealthAdapter, DnsAnswerAndTransportOptions) {
  auto dns_of = [](const EngineSetup& s) { return std::get<DnsParams>(s.checks[2].params); };
  const auto plain = dns_of(adapt(load(kBase)));
  EXPECT_FALSE(plain.require_answer);
  EXPECT_FALSE(plain.tcp);
  const auto tcp = dns_of(adapt(load(replace(
      kBase, "expect_rcode: NXDOMAIN", "expect_rcode: NOERROR\n    require_answer: true\n"
                                       "    transport: tcp"))));
  EXPECT_TRUE(tcp.require_answer);
  EXPECT_TRUE(tcp.tcp);
  // expect_answer implies an answer is required.
  const auto value = dns_of(adapt(load(replace(
      kBase, "expect_rcode: NXDOMAIN", "expect_rcode: NOERROR\n    expect_answer: 198.18.0.1"))));
  EXPECT_TRUE(value.require_answer);
  EXPECT_EQ(value.expect_value, "198.18.0.1");
}

TEST(HealthAdapter, ExecMonCompatibleAppendsTheHost) {
  const char* const exec = R"(
monitors:
  plain: { type: exec, path: /usr/lib/mon/check, args: ["-p", "{port}"] }
  mon: { type: exec, path: /usr/lib/mon/check, args: ["-p", "{port}"], mon_compatible: true }
services:
  - name: s
    protocol: tcp
    address: 198.18.0.100
    port: 80
    real_servers:
      - { name: a, address: 198.18.1.11, monitors: [plain, mon] }
)";
  const auto setup = adapt(load(exec));
  ASSERT_EQ(setup.checks.size(), 2u);
  const auto& plain = std::get<ExecParams>(setup.checks[0].params);
  const auto& mon = std::get<ExecParams>(setup.checks[1].params);
  EXPECT_EQ(plain.program, "/usr/lib/mon/check");
  EXPECT_EQ(plain.args, (std::vector<std::string>{"-p", "{port}"}));
  EXPECT_FALSE(plain.append_host);
  EXPECT_TRUE(mon.append_host);
  EXPECT_NE(setup.checks[0].signature, setup.checks[1].signature);
}

}  // namespace
}  // namespace tandem::health
