// VRRP instances and sync groups.

#include "tests/unit/config/test_util.h"

namespace tandem::config {
namespace {

using namespace std::chrono_literals;
using test::has_error;
using test::load;
using test::load_ok;
using test::only_error;

// Lines 1-4; instances follow from line 5.
constexpr const char* kHead = R"(
interfaces:
  outside: {device: eth0, role: outside}
  inside: {device: eth1, role: inside}
vrrp:
  instances:
)";

LoadResult load_vrrp(const std::string& rest) {
  return load(std::string(kHead) + rest);
}

TEST(ConfigVrrp, InterfaceMustBeDeclared) {
  LoadResult r = load_vrrp(R"(    - name: a
      interface: outsde
      vrid: 1
      virtual_addresses: [198.18.0.1]
)");
  EXPECT_TRUE(only_error(r, 7, 18, "vrrp.instances[0].interface",
                         "unknown interface 'outsde' (did you mean 'outside'?)"));
}

TEST(ConfigVrrp, VridRangeAndUniquenessPerInterface) {
  LoadResult r =
      load_vrrp(R"(    - {name: a, interface: outside, vrid: 0, virtual_addresses: [198.18.0.1]}
    - {name: b, interface: outside, vrid: 256, virtual_addresses: [198.18.0.2]}
    - {name: c, interface: outside, vrid: 7, virtual_addresses: [198.18.0.3]}
    - {name: d, interface: inside, vrid: 7, virtual_addresses: [198.18.1.3]}
    - {name: e, interface: outside, vrid: 7, virtual_addresses: [198.18.0.5]}
)");
  ASSERT_EQ(r.errors.size(), 3u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 6, 43, "vrrp.instances[0].vrid",
                        "0 is out of range: expected an integer in 1..255"));
  EXPECT_TRUE(has_error(r, 7, 43, "vrrp.instances[1].vrid", "256 is out of range"));
  EXPECT_TRUE(has_error(r, 10, 43, "vrrp.instances[4].vrid",
                        "vrid 7 is already used on interface 'outside' by instance 'c'"));
}

TEST(ConfigVrrp, AdvertIntervalDependsOnVersion) {
  LoadResult r = load_vrrp(
      R"(    - {name: a, interface: outside, vrid: 1, virtual_addresses: [198.18.0.1], version: 2, advert_interval: 1.5s}
    - {name: b, interface: outside, vrid: 2, virtual_addresses: [198.18.0.2], version: 3, advert_interval: 15ms}
    - {name: c, interface: outside, vrid: 3, virtual_addresses: [198.18.0.3], version: 3, advert_interval: 41s}
    - {name: d, interface: outside, vrid: 4, virtual_addresses: [198.18.0.4], version: 3, advert_interval: 0.01s}
    - {name: e, interface: outside, vrid: 5, virtual_addresses: [198.18.0.5], version: 2, advert_interval: 255}
    - {name: f, interface: outside, vrid: 6, virtual_addresses: [198.18.0.6], version: 4}
)");
  ASSERT_EQ(r.errors.size(), 4u) << format_diagnostics(r.errors);
  EXPECT_TRUE(
      has_error(r, 6, 108, "vrrp.instances[0].advert_interval",
                "VRRP version 2 advert intervals are whole seconds from 1s to 255s, got 1500ms"));
  EXPECT_TRUE(has_error(
      r, 7, 108, "vrrp.instances[1].advert_interval",
      "VRRP version 3 advert intervals are whole centiseconds from 0.01s to 40.95s, got 15ms"));
  EXPECT_TRUE(has_error(r, 8, 108, "vrrp.instances[2].advert_interval", "got 41s"));
  EXPECT_TRUE(has_error(r, 11, 88, "vrrp.instances[5].version",
                        "4 is out of range: expected an integer in 2..3"));
}

TEST(ConfigVrrp, PriorityRangeAndNodeDefault) {
  LoadResult r = load_vrrp(
      R"(    - {name: a, interface: outside, vrid: 1, virtual_addresses: [198.18.0.1], priority: 0}
)");
  EXPECT_TRUE(only_error(r, 6, 89, "vrrp.instances[0].priority",
                         "0 is out of range: expected an integer in 1..255"));
  Config c =
      load_ok(std::string("nodes:\n  n1: {address: 198.18.1.2, priority: 77}\n") +
              std::string(kHead).substr(1) +
              "    - {name: a, interface: outside, vrid: 1, virtual_addresses: [198.18.0.1]}\n");
  EXPECT_EQ(vrrp_priority(c.vrrp.instances[0], resolve_node(c, "n1")), 77);
  EXPECT_EQ(vrrp_priority(c.vrrp.instances[0], nullptr), 100);
}

TEST(ConfigVrrp, VirtualAddresses) {
  LoadResult r = load_vrrp(R"(    - name: a
      interface: outside
      vrid: 1
      virtual_addresses: [198.18.0.1/24, 198.18.0.1, 198.18.0.300]
    - name: b
      interface: inside
      vrid: 2
      virtual_addresses: [198.18.0.1/32]
    - name: c
      interface: inside
      vrid: 3
      virtual_addresses: []
    - name: d
      interface: inside
      vrid: 4
)");
  ASSERT_EQ(r.errors.size(), 5u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 9, 42, "vrrp.instances[0].virtual_addresses[1]",
                        "virtual address 198.18.0.1 is listed twice"));
  EXPECT_TRUE(
      has_error(r, 9, 54, "vrrp.instances[0].virtual_addresses[2]",
                "expected an IPv4 address or prefix such as 198.18.0.100/24, got '198.18.0.300'"));
  EXPECT_TRUE(has_error(r, 13, 27, "vrrp.instances[1].virtual_addresses[0]",
                        "virtual address 198.18.0.1 is already held by instance 'a'"));
  EXPECT_TRUE(has_error(r, 17, 26, "vrrp.instances[2].virtual_addresses",
                        "an instance needs at least one virtual address"));
  EXPECT_TRUE(has_error(r, 18, 7, "vrrp.instances[3].virtual_addresses",
                        "missing required key 'virtual_addresses'"));
}

TEST(ConfigVrrp, Authentication) {
  LoadResult r = load_vrrp(R"(    - name: a
      interface: outside
      vrid: 1
      virtual_addresses: [198.18.0.1]
      authentication: {type: hmac-sha256}
    - name: b
      interface: outside
      vrid: 2
      virtual_addresses: [198.18.0.2]
      authentication: {type: none, key: secretsecretsecret}
    - name: c
      interface: outside
      vrid: 3
      virtual_addresses: [198.18.0.3]
      authentication: {type: hmac-sha256, key: short}
    - name: d
      interface: outside
      vrid: 4
      virtual_addresses: [198.18.0.4]
      authentication: {type: hmac-sha256, key: secretsecretsecret, key_file: /k}
    - name: e
      interface: outside
      vrid: 5
      virtual_addresses: [198.18.0.5]
      authentication: {type: md5}
)");
  ASSERT_EQ(r.errors.size(), 5u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 10, 23, "vrrp.instances[0].authentication",
                        "hmac-sha256 authentication needs `key` or `key_file`"));
  EXPECT_TRUE(has_error(r, 15, 41, "vrrp.instances[1].authentication.key",
                        "authentication type none takes no key"));
  EXPECT_TRUE(has_error(r, 20, 48, "vrrp.instances[2].authentication.key",
                        "key must be at least 16 characters"));
  EXPECT_TRUE(has_error(r, 25, 78, "vrrp.instances[3].authentication.key_file",
                        "give either `key` or `key_file`, not both"));
  EXPECT_TRUE(has_error(r, 30, 30, "vrrp.instances[4].authentication.type",
                        "unknown value 'md5'; expected one of: none, hmac-sha256"));
}

TEST(ConfigVrrp, TrackReferences) {
  LoadResult r = load(R"(
interfaces:
  outside: {device: eth0, role: outside}
services:
  - {name: web, address: 198.18.0.100, port: 80}
vrrp:
  instances:
    - name: a
      interface: outside
      vrid: 1
      virtual_addresses: [198.18.0.100]
      track:
        interfaces: [inside]
        daemons: [directr, {name: healthd, weight: 300}]
        services: [{name: wbe, weight: -10}]
)");
  ASSERT_EQ(r.errors.size(), 4u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 12, 22, "vrrp.instances[0].track.interfaces[0]",
                        "unknown interface 'inside'; defined: outside"));
  EXPECT_TRUE(has_error(r, 13, 19, "vrrp.instances[0].track.daemons[0]",
                        "unknown value 'directr' (did you mean 'director'?)"));
  EXPECT_TRUE(has_error(r, 13, 52, "vrrp.instances[0].track.daemons[1].weight",
                        "300 is out of range: expected an integer in -254..254"));
  EXPECT_TRUE(has_error(r, 14, 27, "vrrp.instances[0].track.services[0].name",
                        "unknown service 'wbe' (did you mean 'web'?)"));
}

TEST(ConfigVrrp, SyncGroups) {
  LoadResult r =
      load_vrrp(R"(    - {name: a, interface: outside, vrid: 1, virtual_addresses: [198.18.0.1]}
    - {name: b, interface: inside, vrid: 2, virtual_addresses: [198.18.1.1]}
  sync_groups:
    - {name: g1, instances: [a, b, a]}
    - {name: g2, instances: [b, c]}
    - {name: g1, instances: []}
)");
  ASSERT_EQ(r.errors.size(), 5u) << format_diagnostics(r.errors);
  EXPECT_TRUE(
      has_error(r, 9, 36, "vrrp.sync_groups[0].instances[2]", "instance 'a' is listed twice"));
  EXPECT_TRUE(has_error(r, 10, 30, "vrrp.sync_groups[1].instances[0]",
                        "instance 'b' is already in sync group 'g1'"));
  EXPECT_TRUE(has_error(r, 10, 33, "vrrp.sync_groups[1].instances[1]",
                        "unknown vrrp instance 'c'; defined: a, b"));
  EXPECT_TRUE(
      has_error(r, 11, 14, "vrrp.sync_groups[2].name", "sync group name 'g1' is already used"));
  EXPECT_TRUE(has_error(r, 11, 29, "vrrp.sync_groups[2].instances",
                        "a sync group needs at least one instance"));
}

TEST(ConfigVrrp, DuplicateInstanceNamesAndPeers) {
  LoadResult r =
      load_vrrp(R"(    - {name: a, interface: outside, vrid: 1, virtual_addresses: [198.18.0.1]}
    - {name: a, interface: outside, vrid: 2, virtual_addresses: [198.18.0.2], unicast_peers: [198.18.0.3, 198.18.0.3]}
)");
  ASSERT_EQ(r.errors.size(), 2u) << format_diagnostics(r.errors);
  EXPECT_TRUE(
      has_error(r, 7, 14, "vrrp.instances[1].name", "vrrp instance name 'a' is already used"));
  EXPECT_TRUE(has_error(r, 7, 107, "vrrp.instances[1].unicast_peers[1]",
                        "unicast peer 198.18.0.3 is listed twice"));
}

TEST(ConfigVrrp, GarpAndDelays) {
  LoadResult r = load_vrrp(R"(    - name: a
      interface: outside
      vrid: 1
      virtual_addresses: [198.18.0.1]
      preempt_delay: 1001s
      garp: {count: 101, interval: 11s, refrsh: 1s}
      notify: notify.sh
)");
  ASSERT_EQ(r.errors.size(), 5u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 10, 22, "vrrp.instances[0].preempt_delay", "out of range"));
  EXPECT_TRUE(has_error(r, 11, 21, "vrrp.instances[0].garp.count", "101 is out of range"));
  EXPECT_TRUE(has_error(r, 11, 36, "vrrp.instances[0].garp.interval", "out of range"));
  EXPECT_TRUE(has_error(r, 11, 41, "vrrp.instances[0].garp.refrsh",
                        "unknown key 'refrsh' (did you mean 'refresh'?)"));
  EXPECT_TRUE(has_error(r, 12, 15, "vrrp.instances[0].notify", "expected an absolute path"));
}

}  // namespace
}  // namespace tandem::config
