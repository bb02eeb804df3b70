// Config -> core conversion and reload reconciliation on a real Director.
#include "director/daemon/convert.h"

#include <gtest/gtest.h>

#include "director/core/shards.h"
#include "director/daemon/links.h"
#include "director/daemon/served.h"
#include "director/daemon/vip_guard.h"

namespace tandem::director::daemon {
namespace {

using namespace std::chrono_literals;

net::Ipv4 ip(const char* s) {
  return *net::Ipv4::parse(s);
}

config::RealServer rs(const char* name, const char* addr, std::uint16_t port = 80,
                      std::uint32_t weight = 1, config::Forwarding f = config::Forwarding::dr) {
  config::RealServer r;
  r.name = name;
  r.address = ip(addr);
  r.port = port;
  r.weight = weight;
  r.forwarding = f;
  return r;
}

config::Config base() {
  config::Config c;
  config::Service web;
  web.name = "web";
  web.address = ip("198.18.0.100");
  web.ports = {{80, 80}};
  web.scheduler = config::Scheduler::rr;
  web.real_servers = {rs("a", "198.18.1.11"), rs("b", "198.18.1.12")};
  c.services.push_back(web);
  config::Service group;
  group.name = "group";
  group.protocol = config::Protocol::udp;
  group.address = ip("198.18.0.101");
  group.ports = {{1000, 1999}, {3000, 3000}};
  group.persistence.enabled = true;
  group.persistence.timeout = 120s;
  group.persistence.netmask = 24;
  group.real_servers = {rs("c", "198.18.1.13", 0, 1, config::Forwarding::nat)};
  c.services.push_back(group);
  return c;
}

TEST(Convert, ServiceFields) {
  const auto c = base();
  const ServiceConfig web = to_core(c.services[0]);
  EXPECT_EQ(web.port, 80);
  EXPECT_TRUE(web.port_group.empty());
  EXPECT_EQ(web.scheduler, SchedulerKind::rr);
  EXPECT_EQ(web.persistence_timeout, Duration{0});
  const ServiceConfig g = to_core(c.services[1]);
  EXPECT_EQ(g.protocol, Protocol::udp);
  EXPECT_EQ(g.port, 0);
  ASSERT_EQ(g.port_group.size(), 2u);
  EXPECT_EQ(g.port_group[0].first, 1000);
  EXPECT_EQ(g.port_group[1].last, 3000);
  EXPECT_EQ(g.persistence_timeout, Duration{120s});
  EXPECT_EQ(g.persistence_mask, 0xFFFFFF00u);
}

TEST(Convert, MaintenanceQuiesces) {
  auto c = base();
  c.services[0].real_servers[0].maintenance = true;
  EXPECT_EQ(to_core(c.services[0].real_servers[0], c.services[0]).weight, 0u);
  EXPECT_EQ(to_core(c.services[0].real_servers[1], c.services[0]).weight, 1u);
  c.services[0].maintenance = true;
  EXPECT_EQ(to_core(c.services[0].real_servers[1], c.services[0]).weight, 0u);
}

TEST(Convert, GlobalSplitsTableOverShards) {
  config::Global g;
  g.max_connections = 1 << 20;
  g.tcp_timeouts.established = 77s;
  g.expire_nodest_conn = true;
  const DirectorConfig d = to_core(g, 4);
  EXPECT_EQ(d.table.max_entries, std::size_t{1} << 18);
  EXPECT_EQ(d.timeouts.of(TcpState::established), Duration{77s});
  EXPECT_TRUE(d.knobs.expire_nodest_conn);
}

TEST(Reconcile, FreshConfigAddsEverythingOnEveryShard) {
  InlineShards shards(3);
  const auto c = base();
  shards.apply(
      [&](Director& d, std::size_t) {
        const auto r = reconcile(d, nullptr, c);
        EXPECT_TRUE(r.errors.empty());
        EXPECT_EQ(r.services_added, 2u);
        EXPECT_EQ(r.servers_added, 3u);
      },
      {});
  for (std::size_t i = 0; i < 3; ++i) {
    const Director& d = shards.shard(i);
    EXPECT_EQ(d.services().size(), 2u);
    EXPECT_NE(d.find_service(Protocol::udp, ip("198.18.0.101"), 1500), kNone);
    EXPECT_EQ(d.find_service(Protocol::udp, ip("198.18.0.101"), 2500), kNone);
  }
}

TEST(Reconcile, OnlyWhatChangedIsTouched) {
  Director d;
  const auto before = base();
  reconcile(d, nullptr, before);
  const ServiceId web = d.find_service(Protocol::tcp, ip("198.18.0.100"), 80);
  const DestId a = d.find_server(web, ip("198.18.1.11"), 80);
  const DestId b = d.find_server(web, ip("198.18.1.12"), 80);
  // healthd's runtime weight on a: an unrelated reload must keep it.
  ASSERT_EQ(d.set_weight(a, 5), ControlError::ok);

  auto after = before;
  after.services[0].real_servers[1].weight = 0;                      // b quiesced
  after.services[0].real_servers.push_back(rs("n", "198.18.1.14"));  // added
  after.services[1].real_servers.clear();                            // c removed
  const auto r = reconcile(d, &before, after);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(r.servers_edited, 1u);
  EXPECT_EQ(r.servers_added, 1u);
  EXPECT_EQ(r.servers_deleted, 1u);
  EXPECT_EQ(r.services_edited, 0u);
  EXPECT_EQ(d.server(a)->config.weight, 5u);
  EXPECT_EQ(d.server(b)->config.weight, 0u);
  EXPECT_NE(d.find_server(web, ip("198.18.1.14"), 80), kNone);

  auto sched = after;
  sched.services[0].scheduler = config::Scheduler::wlc;
  sched.services.pop_back();
  const auto r2 = reconcile(d, &after, sched);
  EXPECT_EQ(r2.services_edited, 1u);
  EXPECT_EQ(r2.services_deleted, 1u);
  EXPECT_EQ(d.service(web)->config.scheduler, SchedulerKind::wlc);
  EXPECT_EQ(d.services().size(), 1u);
}

TEST(Reconcile, ReportsRefusals) {
  Director d;
  auto c = base();
  c.services[0].real_servers[0].weight = 70000;  // the core allows 0..65535
  const auto r = reconcile(d, nullptr, c);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("service web: a add"), std::string::npos) << r.errors[0];
}

TEST(Guard, ScriptDropsVipsAndNatReplies) {
  const std::string s = guard_script(base());
  EXPECT_EQ(s.rfind("table inet tandem\ndelete table inet tandem\n", 0), 0u);
  EXPECT_NE(s.find("elements = { 198.18.0.100, 198.18.0.101 }"), std::string::npos) << s;
  // c is a NAT server on a port group (port 0): matched by address and protocol.
  EXPECT_NE(s.find("198.18.1.13 . udp"), std::string::npos) << s;
  EXPECT_EQ(s.find("198.18.1.11 . tcp"), std::string::npos) << s;  // DR: nothing comes back
  EXPECT_NE(s.find("ip daddr @vips drop"), std::string::npos);
  EXPECT_LT(s.find("fib daddr type local accept"), s.find("@nat_replies drop"));
}

TEST(Served, RuntimeAdditionsJoinTheConfiguredView) {
  Director d;
  const auto c = base();
  reconcile(d, nullptr, c);
  const std::uint64_t g0 = d.generation();
  EXPECT_EQ(served_by(d), served_by(c));  // the shard serves what the config asks
  // tandemctl -A / -a: a VIP and a NAT server the config never named.
  ServiceConfig sc;
  sc.vip = ip("198.18.0.102");
  sc.port = 80;
  const auto sid = d.add_service(sc).id;
  RealServerConfig rc;
  rc.address = ip("198.18.1.22");
  rc.port = 8080;
  rc.method = Forwarding::nat;
  ASSERT_EQ(d.add_server(sid, rc).error, ControlError::ok);
  EXPECT_GT(d.generation(), g0);

  const ServedView live = served_by(d);
  EXPECT_NE(live, served_by(c));
  const ServedView all = merge(served_by(c), live);
  EXPECT_EQ(all, merge(live, served_by(c)));  // order does not matter
  const auto vips = vips_of(all);
  ASSERT_EQ(vips.size(), 3u);
  EXPECT_EQ(vips[2].to_string(), "198.18.0.102");
  const std::string s = guard_script(all);
  EXPECT_NE(s.find("198.18.0.102"), std::string::npos) << s;
  EXPECT_NE(s.find("198.18.1.22 . tcp . 8080"), std::string::npos) << s;

  // Deleted at run time: gone from the live view, so from the guard too.
  ASSERT_EQ(d.delete_service(sid), ControlError::ok);
  EXPECT_EQ(guard_script(merge(served_by(c), served_by(d))), guard_script(c));
}

TEST(Served, SteeringMaskIsTheWidestPersistenceMask) {
  auto c = base();
  const std::uint32_t before = steering_mask(served_by(c));
  c.services[0].persistence.enabled = true;
  c.services[0].persistence.netmask = 16;
  EXPECT_EQ(steering_mask(served_by(c)), 0xFFFF0000u);
  EXPECT_NE(before, 0xFFFF0000u);
}

TEST(Links, ProcArpKeepsCompleteEntriesOfTheDevice) {
  const std::string text =
      "IP address       HW type     Flags       HW address            Mask     Device\n"
      "198.18.1.11      0x1         0x2         6a:ae:c2:65:9a:d7     *        in0\n"
      "198.18.1.12      0x1         0x0         00:00:00:00:00:00     *        in0\n"
      "198.18.0.10      0x1         0x2         02:00:00:00:00:0a     *        out0\n"
      "garbage\n";
  const auto m = parse_proc_arp(text, "in0");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m.at(ip("198.18.1.11").value).to_string(), "6a:ae:c2:65:9a:d7");
}

TEST(Links, ArpRequestLayout) {
  const auto mac = *net::Mac::parse("02:00:00:00:00:01");
  const auto f = arp_request(mac, ip("198.18.1.2"), ip("198.18.1.11"));
  net::ParsedFrame v;
  ASSERT_EQ(net::parse_frame(f, {}, v), net::DropReason::kNone);
  ASSERT_EQ(v.l3, net::L3Kind::kArp);
  EXPECT_EQ(v.arp.op, net::kArpOpRequest);
  EXPECT_EQ(v.arp.sender_ip, ip("198.18.1.2"));
  EXPECT_EQ(v.arp.target_ip, ip("198.18.1.11"));
  EXPECT_EQ(v.arp.sender_mac, mac);
  EXPECT_EQ(v.eth.dst.to_string(), "ff:ff:ff:ff:ff:ff");
}

}  // namespace
}  // namespace tandem::director::daemon
