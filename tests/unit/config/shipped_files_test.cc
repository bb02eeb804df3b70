// The files we install and the lab's config must load clean and say what
// the lab topology needs.

#include <gtest/gtest.h>

#include "common/config/config.h"
#include "common/config/dump.h"
#include "common/config/names.h"

namespace tandem::config {
namespace {

std::string path(const char* name) {
  return std::string(TANDEM_SOURCE_DIR) + "/etc/tandem/" + name;
}

TEST(ConfigShippedFiles, DefaultConfigLoadsClean) {
  LoadResult r = load_file(path("tandem.yaml"));
  ASSERT_TRUE(r.ok()) << format_diagnostics(r.errors);
  EXPECT_EQ(r.config->services.size(), 2u);
  bool dr = false, nat = false;
  for (const Service& s : r.config->services) {
    dr = dr || s.forwarding == Forwarding::dr;
    nat = nat || s.forwarding == Forwarding::nat;
  }
  EXPECT_TRUE(dr);
  EXPECT_TRUE(nat);
}

TEST(ConfigShippedFiles, LabConfigLoadsCleanAndMatchesTopology) {
  LoadResult r = load_file(path("lab.yaml"));
  ASSERT_TRUE(r.ok()) << format_diagnostics(r.errors);
  const Config& c = *r.config;

  const Node* dir1 = resolve_node(c, "dir1");
  const Node* dir2 = resolve_node(c, "dir2");
  ASSERT_NE(dir1, nullptr);
  ASSERT_NE(dir2, nullptr);
  EXPECT_EQ(dir1->address.to_string(), "198.18.1.2");
  EXPECT_EQ(dir1->priority, 150);
  EXPECT_EQ(dir2->address.to_string(), "198.18.1.3");
  EXPECT_EQ(dir2->priority, 100);
  EXPECT_EQ(device_of(c, dir1, "outside"), "out0");
  EXPECT_EQ(device_of(c, dir2, "inside"), "in0");

  ASSERT_EQ(c.vrrp.instances.size(), 2u);
  const VrrpInstance& vip = c.vrrp.instances[0];
  EXPECT_EQ(vip.name, "vip");
  EXPECT_EQ(vip.interface, "outside");
  EXPECT_EQ(vip.vrid, 51);
  EXPECT_EQ(vip.virtual_addresses.at(0).to_string(), "198.18.0.100/24");
  EXPECT_EQ(vrrp_priority(vip, dir1), 150);
  EXPECT_EQ(vrrp_priority(vip, dir2), 100);
  const VrrpInstance& dip = c.vrrp.instances[1];
  EXPECT_EQ(dip.name, "dip");
  EXPECT_EQ(dip.interface, "inside");
  EXPECT_EQ(dip.vrid, 52);
  EXPECT_EQ(dip.virtual_addresses.at(0).to_string(), "198.18.1.1/24");
  for (const VrrpInstance& i : c.vrrp.instances) {
    EXPECT_EQ(i.version, 3);
    EXPECT_EQ(i.advert_interval, std::chrono::seconds(1));
    EXPECT_TRUE(i.use_vmac);
  }
  ASSERT_EQ(c.vrrp.sync_groups.size(), 1u);
  EXPECT_EQ(c.vrrp.sync_groups[0].name, "director");
  EXPECT_EQ(c.vrrp.sync_groups[0].instances, (std::vector<std::string>{"vip", "dip"}));

  ASSERT_EQ(c.services.size(), 4u);
  struct Want {
    const char* name;
    Protocol proto;
    std::uint16_t port;
    Forwarding fwd;
    Scheduler sched;
    MonitorType monitor;
  } want[] = {{"web", Protocol::tcp, 80, Forwarding::nat, Scheduler::wlc, MonitorType::http},
              {"web-tls", Protocol::tcp, 443, Forwarding::dr, Scheduler::rr, MonitorType::https},
              {"dns", Protocol::udp, 53, Forwarding::nat, Scheduler::rr, MonitorType::dns},
              {"shell", Protocol::tcp, 23, Forwarding::nat, Scheduler::wlc, MonitorType::telnet}};
  for (std::size_t i = 0; i < 4; ++i) {
    const Service& s = c.services[i];
    SCOPED_TRACE(want[i].name);
    EXPECT_EQ(s.name, want[i].name);
    EXPECT_EQ(s.protocol, want[i].proto);
    EXPECT_EQ(s.address.to_string(), "198.18.0.100");
    EXPECT_EQ(s.port(), want[i].port);
    EXPECT_EQ(s.forwarding, want[i].fwd);
    EXPECT_EQ(s.scheduler, want[i].sched);
    ASSERT_EQ(s.real_servers.size(), 3u);
    const char* rips[] = {"198.18.1.11", "198.18.1.12", "198.18.1.13"};
    for (std::size_t j = 0; j < 3; ++j) {
      const RealServer& rs = s.real_servers[j];
      EXPECT_EQ(rs.name, "rs" + std::to_string(j + 1));
      EXPECT_EQ(rs.address.to_string(), rips[j]);
      EXPECT_EQ(rs.port, want[i].port);
      EXPECT_EQ(rs.forwarding, want[i].fwd);
      ASSERT_EQ(rs.monitors.size(), 1u);
      EXPECT_EQ(rs.monitors[0].type, want[i].monitor);
    }
  }
  const Monitor& http = c.services[0].real_servers[0].monitors[0];
  EXPECT_EQ(http.http.method, HttpMethod::get);
  EXPECT_EQ(http.http.path, "/health");
  EXPECT_EQ(http.http.expect_status, (std::vector<StatusRange>{{200, 200}}));
  EXPECT_EQ(http.http.expect_body, "ok");
  EXPECT_TRUE(c.services[1].persistence.enabled);
  EXPECT_EQ(c.services[1].persistence.timeout, std::chrono::seconds(300));
  EXPECT_FALSE(c.services[1].real_servers[0].monitors[0].http.verify_certificate);
  const DnsCheck& dns = c.services[2].real_servers[0].monitors[0].dns;
  EXPECT_EQ(dns.query, "lab.tandem.test");
  EXPECT_EQ(dns.query_type, DnsType::a);
  EXPECT_EQ(dns.expect_rcode, DnsRcode::noerror);
  EXPECT_TRUE(dns.require_answer);
  EXPECT_EQ(c.services[3].real_servers[0].monitors[0].telnet.expect, "login:");

  EXPECT_TRUE(c.sync.enabled);
  EXPECT_EQ(c.sync.interface, "inside");
  EXPECT_EQ(c.sync.transport, SyncTransport::unicast);
  EXPECT_EQ(c.sync.syncid, 7);
  EXPECT_EQ(sync_peer(c, dir1)->to_string(), "198.18.1.3");
  EXPECT_EQ(sync_peer(c, dir2)->to_string(), "198.18.1.2");

  ASSERT_EQ(c.alerts.senders.size(), 2u);
  const Sender& mail = c.alerts.senders[0];
  EXPECT_EQ(mail.type, SenderType::mail);
  EXPECT_EQ(mail.mail.server, "198.18.1.25");
  EXPECT_EQ(mail.mail.port, 25);
  EXPECT_EQ(mail.mail.from, "tandem@lab.tandem.test");
  EXPECT_EQ(mail.mail.to, (std::vector<std::string>{"ops@lab.tandem.test"}));
  const Sender& page = c.alerts.senders[1];
  EXPECT_EQ(page.type, SenderType::page);
  EXPECT_EQ(page.page.url, "http://198.18.1.25:8080/page");
  ASSERT_EQ(c.alerts.routes.size(), 1u);
  const Route& ops = c.alerts.routes[0];
  EXPECT_EQ(ops.name, "ops");
  EXPECT_TRUE(ops.match.services.empty());
  EXPECT_TRUE(ops.match.events.empty());
  EXPECT_TRUE(ops.match.severities.empty());
  EXPECT_EQ(ops.senders, (std::vector<std::string>{"mail", "page"}));
  EXPECT_EQ(ops.alertafter, (AlertAfter{1, Duration::zero()}));
  EXPECT_EQ(ops.alertevery, std::chrono::minutes(10));
  EXPECT_TRUE(ops.upalert);
}

// The effective dump of each shipped file reads back as the same config.
TEST(ConfigShippedFiles, DumpRoundTrips) {
  for (const char* name : {"tandem.yaml", "lab.yaml"}) {
    SCOPED_TRACE(name);
    LoadResult r = load_file(path(name));
    ASSERT_TRUE(r.ok()) << format_diagnostics(r.errors);
    std::string text = dump(*r.config);
    LoadResult again = load_string(text, "dump");
    ASSERT_TRUE(again.ok()) << format_diagnostics(again.errors) << text;
    EXPECT_TRUE(*again.config == *r.config) << text;
    EXPECT_EQ(fingerprint(*again.config), fingerprint(*r.config));
  }
}

}  // namespace
}  // namespace tandem::config
