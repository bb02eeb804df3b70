// vrrpd's engine against a fake host: what it asks of the OS (vmac, addresses,
// adverts, gratuitous ARP) for each role, the receive path from raw IPv4
// bytes to the state machine with its drop counters, sync groups, link
// tracking, reloads and the published vrrp.state events. No sockets: packets
// go in through receive(), and the io_context never runs, so no timer fires.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <map>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "vrrpd/core/advert.h"
#include "vrrpd/daemon/engine.h"

namespace tandem::vrrp {
namespace {

struct Sent {
  int ifindex;
  net::Ipv4 dst;
  std::vector<std::uint8_t> bytes;
};

class FakeHost final : public Host {
 public:
  std::map<std::string, LinkInfo> links;
  std::vector<std::string> calls;
  std::vector<Sent> ip;
  std::vector<std::pair<int, std::vector<std::uint8_t>>> frames;
  int next_index = 100;

  std::optional<LinkInfo> link(const std::string& d) override {
    auto it = links.find(d);
    if (it == links.end()) return std::nullopt;
    return it->second;
  }
  std::string create_vmac(const std::string& base, const std::string& name,
                          const net::Mac& mac) override {
    calls.push_back("create " + name + " on " + base + " " + mac.to_string());
    LinkInfo l;
    l.ifindex = next_index++;
    l.mac = mac;
    links[name] = l;
    return "";
  }
  std::string delete_link(const std::string& d) override {
    calls.push_back("delete " + d);
    links.erase(d);
    return "";
  }
  std::string set_up(const std::string& d, bool up) override {
    calls.push_back(std::string(up ? "up " : "down ") + d);
    return "";
  }
  std::string set_address(const std::string& d, const net::Ipv4Prefix& a, bool add) override {
    calls.push_back(std::string(add ? "add " : "del ") + a.to_string() + " " + d);
    return "";
  }
  std::string tune_arp(const std::string& d) override {
    calls.push_back("arp " + d);
    return "";
  }
  std::string send_ip(int ifindex, net::Ipv4 dst, std::span<const std::uint8_t> p) override {
    ip.push_back({ifindex, dst, {p.begin(), p.end()}});
    return "";
  }
  std::string send_frame(int ifindex, std::span<const std::uint8_t> f) override {
    frames.emplace_back(ifindex, std::vector<std::uint8_t>(f.begin(), f.end()));
    return "";
  }
  void spawn(const std::vector<std::string>& argv) override {
    calls.push_back("spawn " + argv.at(0) + " " + argv.at(2) + " " + argv.at(3));
  }
};

net::Ipv4 ip4(const char* s) {
  return *net::Ipv4::parse(s);
}

std::string yaml(const std::string& instances, const std::string& groups = "") {
  return "interfaces:\n  outside:\n    device: eth0\n    role: outside\n  inside:\n    device: eth1\n    role: inside\n"
         "vrrp:\n  instances:\n" +
         instances + groups;
}

const char* kVip =
    "    - name: vip\n      interface: outside\n      vrid: 51\n      advert_interval: 100ms\n"
    "      virtual_addresses: [198.18.40.100/24]\n      garp: {count: 2, interval: 10ms}\n";

std::string with_priority(int p) {
  return std::string(kVip) + "      priority: " + std::to_string(p) + "\n";
}

// A complete IPv4 packet carrying an advert, as the raw socket delivers it.
std::vector<std::uint8_t> packet(std::uint8_t vrid, std::uint8_t priority, const char* src,
                                 std::uint8_t ttl = 255, const char* vip = "198.18.40.100") {
  Advert a;
  a.vrid = vrid;
  a.priority = priority;
  a.interval = 10;
  a.addresses.push_back(ip4(vip));
  std::vector<std::uint8_t> out(20 + 64);
  const std::size_t n =
      encode(a, ip4(src), net::Ipv4{kMulticastGroup}, std::span(out).subspan(20));
  out.resize(20 + n);
  out[0] = 0x45;
  out[2] = 0;
  out[3] = static_cast<std::uint8_t>(out.size());
  out[8] = ttl;
  out[9] = kProtocol;
  const std::uint32_t s = ip4(src).value;
  for (int i = 0; i < 4; ++i) out[12 + i] = static_cast<std::uint8_t>(s >> (24 - 8 * i));
  out[16] = 224;
  out[19] = 18;
  return out;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host.links["eth0"] = {2, true, ip4("198.18.40.2"), *net::Mac::parse("02:00:00:00:00:02")};
    host.links["eth1"] = {3, true, ip4("198.18.41.2"), *net::Mac::parse("02:00:00:00:00:03")};
  }
  void apply(const std::string& text) {
    auto r = config::load_string(text, "test.yaml");
    ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].message);
    cfg = *r.config;
    engine.apply(cfg, nullptr);
  }
  ipc::Json inst(const std::string& name) {
    const ipc::Json all = engine.instances();
    for (const auto& i : all["instances"])
      if (i["instance"] == name) return i;
    return {};
  }
  bool called(const std::string& c) const {
    return std::find(host.calls.begin(), host.calls.end(), c) != host.calls.end();
  }

  boost::asio::io_context io;
  FakeHost host;
  FakeClock clock;
  std::vector<std::pair<std::string, ipc::Json>> events;
  Engine engine{io, host, clock,
                [this](std::string_view t, const ipc::Json& d) { events.emplace_back(t, d); },
                "/nonexistent", false};
  config::Config cfg;
};

TEST_F(EngineTest, OwnerTakesOverAtOnceThroughTheVmacAndResignsOnStop) {
  apply(yaml(with_priority(255)));
  EXPECT_TRUE(called("create vrrp.51 on eth0 00:00:5e:00:01:33"));
  EXPECT_TRUE(called("arp vrrp.51"));
  EXPECT_TRUE(called("arp eth0"));
  EXPECT_TRUE(called("up vrrp.51"));
  EXPECT_TRUE(called("add 198.18.40.100/24 vrrp.51"));
  EXPECT_EQ(inst("vip")["state"], "master");
  EXPECT_EQ(inst("vip")["master"], "198.18.40.2");

  ASSERT_EQ(host.ip.size(), 1U);
  const auto& adv = host.ip[0].bytes;
  EXPECT_EQ(host.ip[0].dst, net::Ipv4{kMulticastGroup});
  ASSERT_GE(adv.size(), 20U + 12U);
  EXPECT_EQ(adv[0], 0x45);
  EXPECT_EQ(adv[8], 255);  // TTL
  EXPECT_EQ(adv[9], 112);  // protocol
  EXPECT_EQ(adv[20 + 1], 51);   // VRID
  EXPECT_EQ(adv[20 + 2], 255);  // priority
  const std::span<const std::uint8_t> msg(adv.data() + 20, adv.size() - 20);
  EXPECT_TRUE(verify_checksum(Version::kV3, msg, ip4("198.18.40.2"), net::Ipv4{kMulticastGroup}));

  // The first of garp.count gratuitous ARPs, from the virtual MAC on the vmac.
  ASSERT_EQ(host.frames.size(), 1U);
  const int vmac_index = host.links.at("vrrp.51").ifindex;
  EXPECT_EQ(host.frames[0].first, vmac_index);
  EXPECT_EQ(std::vector<std::uint8_t>(host.frames[0].second.begin() + 6,
                                      host.frames[0].second.begin() + 12),
            (std::vector<std::uint8_t>{0, 0, 0x5e, 0, 1, 0x33}));

  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().first, "vrrp.state");
  EXPECT_EQ(events.back().second["state"], "master");
  EXPECT_EQ(events.back().second["previous"], "init");
  EXPECT_EQ(events.back().second["vips"], ipc::Json::array({"198.18.40.100/24"}));

  engine.stop();
  ASSERT_EQ(host.ip.size(), 2U);
  EXPECT_EQ(host.ip[1].bytes[20 + 2], 0);  // priority 0: backups take over after Skew_Time
  EXPECT_EQ(host.ip[1].ifindex, vmac_index);
  EXPECT_TRUE(called("down vrrp.51"));
  EXPECT_TRUE(called("delete vrrp.51"));
  EXPECT_EQ(events.back().second["state"], "init");
}

TEST_F(EngineTest, BackupFollowsTheMasterAndCountsEveryDrop) {
  apply(yaml(with_priority(100)));
  EXPECT_EQ(inst("vip")["state"], "backup");
  EXPECT_FALSE(called("up vrrp.51"));

  auto good = packet(51, 200, "198.18.40.1");
  engine.receive("eth0", good);
  EXPECT_EQ(inst("vip")["counters"]["adverts_received"], 1);
  EXPECT_EQ(inst("vip")["master"], "198.18.40.1");

  engine.receive("eth0", packet(51, 200, "198.18.40.1", 64));
  EXPECT_EQ(inst("vip")["counters"]["rx_errors"]["bad-ttl"], 1);
  engine.receive("eth0", packet(51, 200, "198.18.40.1", 255, "198.18.40.99"));
  EXPECT_EQ(inst("vip")["counters"]["rx_errors"]["address-mismatch"], 1);
  EXPECT_EQ(inst("vip")["counters"]["rx_dropped"], 2);

  engine.receive("eth0", packet(77, 200, "198.18.40.1"));
  EXPECT_EQ(engine.instances()["counters"]["rx_unmatched_errors"]["unknown-vrid"], 1);

  auto bad = good;
  bad[3] = 200;  // total length beyond the bytes read
  engine.receive("eth0", bad);
  engine.receive("eth0", std::vector<std::uint8_t>{0x45, 0});
  EXPECT_EQ(engine.instances()["counters"]["rx_malformed_ip"], 2);
  auto flipped = good;
  flipped.back() ^= 1;
  engine.receive("eth0", flipped);
  EXPECT_EQ(inst("vip")["counters"]["rx_errors"]["bad-checksum"], 1);
  EXPECT_EQ(inst("vip")["state"], "backup");
  EXPECT_TRUE(host.ip.empty());  // a backup never speaks
}

TEST_F(EngineTest, SyncGroupMembersMoveTogether) {
  const std::string dip =
      "    - name: dip\n      interface: inside\n      vrid: 52\n      priority: 100\n"
      "      virtual_addresses: [198.18.41.1/24]\n";
  apply(yaml(with_priority(255) + dip, "  sync_groups:\n    - name: g\n      instances: [vip, dip]\n"));
  EXPECT_EQ(inst("vip")["state"], "master");
  EXPECT_EQ(inst("dip")["state"], "master");
  EXPECT_EQ(inst("dip")["group"], "g");
  EXPECT_TRUE(called("add 198.18.41.1/24 vrrp.52"));

  // The DIP's link goes: it faults, and the VIP follows it out of master.
  host.links["eth1"].up = false;
  engine.poll_links();
  EXPECT_EQ(inst("dip")["state"], "fault");
  EXPECT_EQ(inst("vip")["state"], "fault");
  EXPECT_TRUE(called("del 198.18.40.100/24 vrrp.51"));
  EXPECT_TRUE(called("down vrrp.51"));
  host.links["eth1"].up = true;
  engine.poll_links();
  EXPECT_NE(inst("vip")["state"], "fault");
  EXPECT_NE(inst("dip")["state"], "fault");
}

TEST_F(EngineTest, ReloadKeepsUnchangedInstancesAndRestartsChangedOnes) {
  apply(yaml(with_priority(255)));
  const auto creates = std::count_if(host.calls.begin(), host.calls.end(),
                                     [](const auto& c) { return c.rfind("create", 0) == 0; });
  host.calls.clear();
  engine.apply(cfg, nullptr);
  EXPECT_TRUE(host.calls.empty());
  EXPECT_EQ(inst("vip")["state"], "master");

  apply(yaml(with_priority(200)));
  EXPECT_TRUE(called("delete vrrp.51"));
  EXPECT_EQ(creates, 1);
  EXPECT_TRUE(called("create vrrp.51 on eth0 00:00:5e:00:01:33"));
  EXPECT_EQ(inst("vip")["state"], "backup");
  EXPECT_EQ(inst("vip")["config_priority"], 200);
}

TEST_F(EngineTest, NotifyScriptAndDaemonTrackingForceFault) {
  apply(yaml(with_priority(255) +
             "      notify: /usr/local/bin/notify\n      track:\n        daemons: [director]\n"));
  // The director has not been seen yet: fault, never master.
  EXPECT_EQ(inst("vip")["state"], "fault");
  EXPECT_TRUE(called("spawn /usr/local/bin/notify vip FAULT"));
  engine.set_daemon_alive("director", true);
  EXPECT_EQ(inst("vip")["state"], "master");
  EXPECT_TRUE(called("spawn /usr/local/bin/notify vip MASTER"));
  engine.set_daemon_alive("director", false);
  EXPECT_EQ(inst("vip")["state"], "fault");
  EXPECT_EQ(inst("vip")["reason"], "daemon director down");
}

TEST_F(EngineTest, UnicastPeersGetTheAdvertFromTheLowerDevice) {
  apply(yaml(with_priority(255) + "      unicast_peers: [198.18.40.9, 198.18.40.10]\n"));
  ASSERT_EQ(host.ip.size(), 2U);
  EXPECT_EQ(host.ip[0].dst, ip4("198.18.40.9"));
  EXPECT_EQ(host.ip[1].dst, ip4("198.18.40.10"));
  EXPECT_EQ(host.ip[0].ifindex, 2);
  // A multicast advert is not from a configured peer's address: dropped.
  engine.receive("eth0", packet(51, 100, "198.18.40.1"));
  EXPECT_EQ(inst("vip")["counters"]["adverts_received"], 0);
}

TEST_F(EngineTest, HmacSignsEveryAdvertAndRefusesUnsignedOnes) {
  const std::string auth =
      "      authentication:\n        type: hmac-sha256\n        key: 0123456789abcdef0123\n";
  apply(yaml(with_priority(255) + auth));
  ASSERT_EQ(host.ip.size(), 1U);
  const auto& p = host.ip[0].bytes;
  ASSERT_GE(p.size(), 48U + 12U);
  EXPECT_EQ(p[0], 0x4c);  // IHL 12: the 28-byte option follows the header
  EXPECT_EQ(p[20], kAuthOptionType);
  EXPECT_EQ(p[21], kAuthOptionSize);
  EXPECT_EQ(p[48 + 1], 51);
  apply(yaml(with_priority(100) + auth));  // an owner would refuse any advert first
  engine.receive("eth0", packet(51, 100, "198.18.40.1"));
  EXPECT_EQ(inst("vip")["counters"]["rx_errors"]["hmac-missing"], 1);
}

}  // namespace
}  // namespace tandem::vrrp
