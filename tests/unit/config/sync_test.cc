// Connection-state sync.

#include "tests/unit/config/test_util.h"

namespace tandem::config {
namespace {

using namespace std::chrono_literals;
using test::has_error;
using test::load;
using test::load_ok;
using test::only_error;

TEST(ConfigSync, EnabledNeedsADeclaredInterface) {
  LoadResult r = load(R"(
interfaces:
  inside: {device: eth1, role: inside}
sync:
  enabled: true
)");
  EXPECT_TRUE(only_error(r, 4, 3, "sync.interface", "missing required key 'interface'"));
  LoadResult u = load(R"(
interfaces:
  inside: {device: eth1, role: inside}
sync:
  enabled: true
  interface: insde
)");
  EXPECT_TRUE(
      only_error(u, 5, 14, "sync.interface", "unknown interface 'insde' (did you mean 'inside'?)"));
  load_ok("sync:\n  enabled: false\n");  // nothing needed while disabled
}

TEST(ConfigSync, UnicastPeerComesFromTwoNodes) {
  Config c = load_ok(R"(
interfaces:
  inside: {device: eth1, role: inside}
nodes:
  a: {address: 198.18.1.2}
  b: {address: 198.18.1.3}
sync:
  enabled: true
  interface: inside
  transport: unicast
)");
  EXPECT_EQ(sync_peer(c, resolve_node(c, "a"))->to_string(), "198.18.1.3");
  EXPECT_EQ(sync_peer(c, resolve_node(c, "b"))->to_string(), "198.18.1.2");
  EXPECT_FALSE(sync_peer(c, nullptr).has_value());

  LoadResult r = load(R"(
interfaces:
  inside: {device: eth1, role: inside}
sync:
  enabled: true
  interface: inside
  transport: unicast
)");
  EXPECT_TRUE(only_error(r, 4, 3, "sync",
                         "unicast sync needs `peer`, or exactly two `nodes` to take the peer "
                         "from (found 0)"));
}

TEST(ConfigSync, PeerIsForUnicastOnly) {
  LoadResult r = load(R"(
sync:
  peer: 198.18.1.3
)");
  EXPECT_TRUE(only_error(r, 2, 9, "sync.peer", "peer applies only to unicast transport"));
}

TEST(ConfigSync, FieldRanges) {
  LoadResult r = load(R"(
sync:
  group: 198.18.0.1
  port: 0
  ttl: 0
  syncid: 256
  transport: broadcast
  flush_interval: 0s
)");
  ASSERT_EQ(r.errors.size(), 6u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 2, 10, "sync.group",
                        "group must be an IPv4 multicast address (224.0.0.0/4), got 198.18.0.1"));
  EXPECT_TRUE(
      has_error(r, 3, 9, "sync.port", "0 is out of range: expected an integer in 1..65535"));
  EXPECT_TRUE(has_error(r, 4, 8, "sync.ttl", "0 is out of range: expected an integer in 1..255"));
  EXPECT_TRUE(
      has_error(r, 5, 11, "sync.syncid", "256 is out of range: expected an integer in 0..255"));
  EXPECT_TRUE(has_error(r, 6, 14, "sync.transport",
                        "unknown value 'broadcast'; expected one of: multicast, unicast"));
  EXPECT_TRUE(has_error(r, 7, 19, "sync.flush_interval", "out of range"));
}

TEST(ConfigSync, RefreshMustBeShorterThanTheEstablishedTimeout) {
  LoadResult r = load(R"(
global:
  tcp_timeouts: {established: 60s}
interfaces:
  inside: {device: eth1, role: inside}
sync:
  enabled: true
  interface: inside
)");
  EXPECT_TRUE(only_error(r, 6, 3, "sync",
                         "refresh_interval (2m) must be shorter than "
                         "global.tcp_timeouts.established (1m)"));
  LoadResult e = load("sync:\n  refresh_interval: 15m\n");
  EXPECT_TRUE(only_error(e, 2, 21, "sync.refresh_interval", "must be shorter"));
}

TEST(ConfigSync, KeyRotation) {
  LoadResult r = load(R"(
sync:
  authentication:
    keys:
      - {id: 1, key: "0123456789abcdef"}
      - {id: 1, key_file: /etc/tandem/k}
      - {id: 2, key: short}
      - {id: 3}
      - {id: 4, key: "0123456789abcdef", key_file: /k}
    active_key: 9
)");
  ASSERT_EQ(r.errors.size(), 5u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 5, 14, "sync.authentication.keys[1].id", "key id 1 is listed twice"));
  EXPECT_TRUE(
      has_error(r, 6, 22, "sync.authentication.keys[2].key", "key must be at least 16 characters"));
  EXPECT_TRUE(
      has_error(r, 7, 9, "sync.authentication.keys[3]", "a sync key needs `key` or `key_file`"));
  EXPECT_TRUE(has_error(r, 8, 52, "sync.authentication.keys[4].key_file",
                        "give either `key` or `key_file`, not both"));
  EXPECT_TRUE(has_error(r, 9, 17, "sync.authentication.active_key",
                        "active_key 9 is not the id of a listed key"));
}

TEST(ConfigSync, ActiveKeyDefaultsToTheOnlyKey) {
  Config c = load_ok(R"(
sync:
  authentication:
    keys: [{id: 5, key: "0123456789abcdef"}]
)");
  EXPECT_EQ(c.sync.authentication.active_key, 5);
  LoadResult r = load(R"(
sync:
  authentication:
    keys: [{id: 5, key: "0123456789abcdef"}, {id: 6, key: "0123456789abcdef"}]
)");
  EXPECT_TRUE(only_error(r, 3, 5, "sync.authentication",
                         "active_key is required when more than one key is listed"));
}

TEST(ConfigSync, Resync) {
  LoadResult r = load(R"(
sync:
  resync: {enabled: perhaps, timeout: 2h, max_rate: -1}
)");
  ASSERT_EQ(r.errors.size(), 3u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 2, 21, "sync.resync.enabled", "expected true or false, got 'perhaps'"));
  EXPECT_TRUE(has_error(r, 2, 39, "sync.resync.timeout", "out of range"));
  EXPECT_TRUE(has_error(r, 2, 53, "sync.resync.max_rate", "-1 is out of range"));
}

}  // namespace
}  // namespace tandem::config
