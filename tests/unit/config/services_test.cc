// Virtual services and real servers: each rule with its exact position.

#include "tests/unit/config/test_util.h"

namespace tandem::config {
namespace {

using test::has_error;
using test::load;
using test::load_ok;
using test::only_error;

TEST(ConfigServices, ZeroPortNeedsPersistence) {
  LoadResult r = load(R"(
services:
  - name: web
    address: 198.18.0.100
    port: 0
)");
  EXPECT_TRUE(
      only_error(r, 4, 11, "services[0].port", "Zero port specified for non-persistent service"));
  load_ok(R"(
services:
  - name: web
    address: 198.18.0.100
    port: 0
    persistence: true
)");
}

TEST(ConfigServices, DirectRoutingRealPortMustEqualVirtualPort) {
  LoadResult r = load(R"(
services:
  - name: web
    address: 198.18.0.100
    port: 80
    real_servers:
      - address: 198.18.1.11
        port: 8080
      - address: 198.18.1.12
        port: 8080
        forwarding: tun
      - address: 198.18.1.13
        port: 8080
        forwarding: nat
      - address: 198.18.1.14
        port: 80
)");
  ASSERT_EQ(r.errors.size(), 2u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 7, 15, "services[0].real_servers[0].port",
                        "real port must equal virtual port (80) for dr forwarding"));
  EXPECT_TRUE(has_error(r, 9, 15, "services[0].real_servers[1].port",
                        "real port must equal virtual port (80) for tun forwarding"));
}

TEST(ConfigServices, MultiPortDirectRoutingKeepsThePort) {
  LoadResult r = load(R"(
services:
  - name: web
    address: 198.18.0.100
    ports: [80, 443]
    real_servers:
      - address: 198.18.1.11
        port: 80
)");
  EXPECT_TRUE(only_error(r, 7, 15, "services[0].real_servers[0].port",
                         "real port must be omitted for dr forwarding on a multi-port service"));
}

TEST(ConfigServices, PortOrPortsExactlyOnce) {
  LoadResult both = load(R"(
services:
  - name: web
    address: 198.18.0.100
    port: 80
    ports: [81]
)");
  EXPECT_TRUE(only_error(both, 5, 12, "services[0].ports", "either `port` or `ports`, not both"));
  LoadResult neither = load(R"(
services:
  - name: web
    address: 198.18.0.100
)");
  EXPECT_TRUE(only_error(neither, 2, 5, "services[0].port", "missing required key 'port'"));
}

TEST(ConfigServices, PortListItems) {
  LoadResult r = load(R"(
services:
  - name: web
    address: 198.18.0.100
    ports: [8000-8010, "8005", 10-5, 0, 70000, x]
)");
  ASSERT_EQ(r.errors.size(), 5u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 4, 24, "services[0].ports[1]", "ports 8005 overlap 8000-8010"));
  EXPECT_TRUE(has_error(r, 4, 32, "services[0].ports[2]",
                        "expected a port from 1 to 65535 or a range such as \"8000-8010\", got "
                        "'10-5'"));
  EXPECT_TRUE(has_error(r, 4, 38, "services[0].ports[3]", "got '0'"));
  EXPECT_TRUE(has_error(r, 4, 41, "services[0].ports[4]", "got '70000'"));
  EXPECT_TRUE(has_error(r, 4, 48, "services[0].ports[5]", "got 'x'"));
}

TEST(ConfigServices, WeightRange) {
  LoadResult r = load(R"(
services:
  - name: web
    address: 198.18.0.100
    port: 80
    real_servers:
      - address: 198.18.1.11
        weight: 70000
      - address: 198.18.1.12
        weight: -1
      - address: 198.18.1.13
        weight: heavy
)");
  ASSERT_EQ(r.errors.size(), 3u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 7, 17, "services[0].real_servers[0].weight",
                        "70000 is out of range: expected an integer in 0..65535"));
  EXPECT_TRUE(has_error(r, 9, 17, "services[0].real_servers[1].weight", "-1 is out of range"));
  EXPECT_TRUE(has_error(r, 11, 17, "services[0].real_servers[2].weight",
                        "expected an integer in 0..65535, got 'heavy'"));
}

TEST(ConfigServices, DuplicateVirtualService) {
  LoadResult r = load(R"(
services:
  - {name: a, address: 198.18.0.100, port: 80}
  - {name: b, address: 198.18.0.100, port: 80, protocol: udp}
  - {name: c, address: 198.18.0.100, port: 80}
  - {name: d, address: 198.18.0.100, ports: ["70-90"]}
  - {name: a, address: 198.18.0.101, port: 80}
)");
  ASSERT_EQ(r.errors.size(), 4u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 4, 44, "services[2].port",
                        "Service already exists: tcp 198.18.0.100:80 overlaps service 'a'"));
  EXPECT_TRUE(has_error(r, 5, 45, "services[3].ports",
                        "Service already exists: tcp 198.18.0.100:70-90 overlaps service 'a'"));
  EXPECT_TRUE(has_error(r, 5, 45, "services[3].ports", "overlaps service 'c'"));
  EXPECT_TRUE(has_error(r, 6, 12, "services[4].name", "service name 'a' is already used"));
}

TEST(ConfigServices, DuplicateDestination) {
  LoadResult r = load(R"(
services:
  - name: web
    address: 198.18.0.100
    port: 80
    real_servers:
      - {name: one, address: 198.18.1.11}
      - {name: two, address: 198.18.1.11}
      - {name: one, address: 198.18.1.12}
)");
  ASSERT_EQ(r.errors.size(), 2u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 7, 30, "services[0].real_servers[1].address",
                        "Destination already exists: 198.18.1.11:80 is real server 'one'"));
  EXPECT_TRUE(has_error(r, 8, 16, "services[0].real_servers[2].name",
                        "real server name 'one' is already used in this service"));
}

TEST(ConfigServices, SchedulerAndFlags) {
  LoadResult r = load(R"(
services:
  - name: a
    address: 198.18.0.100
    port: 80
    scheduler: wcl
  - name: b
    address: 198.18.0.100
    port: 81
    scheduler: mh
    scheduler_flags: [mh-port, sh-fallback, sh-prot]
)");
  ASSERT_EQ(r.errors.size(), 3u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 5, 16, "services[0].scheduler",
                        "unknown value 'wcl' (did you mean 'wlc'?); expected one of: rr, wrr, lc, "
                        "wlc, sed, nq, dh, sh, mh, lblc, lblcr, fo, ovf, twos"));
  EXPECT_TRUE(has_error(r, 10, 32, "services[1].scheduler_flags[1]",
                        "flag 'sh-fallback' applies only to the sh scheduler, not mh"));
  EXPECT_TRUE(has_error(r, 10, 45, "services[1].scheduler_flags[2]",
                        "unknown value 'sh-prot' (did you mean 'sh-port'?)"));
}

TEST(ConfigServices, OnePacketIsForUdp) {
  LoadResult r = load(R"(
services:
  - name: a
    address: 198.18.0.100
    port: 80
    one_packet: true
)");
  EXPECT_TRUE(only_error(r, 5, 17, "services[0].one_packet", "one_packet applies only to udp"));
}

TEST(ConfigServices, Persistence) {
  LoadResult r = load(R"(
services:
  - name: a
    address: 198.18.0.100
    port: 80
    persistence: {timeout: 2678401, netmask: 255.0.255.0}
  - name: b
    address: 198.18.0.100
    port: 81
    persistence: {netmask: 33, timout: 5}
  - name: c
    address: 198.18.0.100
    port: 82
    persistence: sometimes
)");
  ASSERT_EQ(r.errors.size(), 5u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 5, 28, "services[0].persistence.timeout",
                        "'2678401' is out of range: expected a duration from 1s to 31d"));
  EXPECT_TRUE(has_error(r, 5, 46, "services[0].persistence.netmask",
                        "netmask '255.0.255.0' is not contiguous"));
  EXPECT_TRUE(has_error(r, 9, 28, "services[1].persistence.netmask",
                        "33 is out of range: expected an integer in 0..32"));
  EXPECT_TRUE(has_error(r, 9, 32, "services[1].persistence.timout",
                        "unknown key 'timout' (did you mean 'timeout'?)"));
  EXPECT_TRUE(has_error(r, 13, 18, "services[2].persistence", "expected true or false"));
}

TEST(ConfigServices, Thresholds) {
  LoadResult r = load(R"(
services:
  - name: a
    address: 198.18.0.100
    port: 80
    real_servers:
      - {address: 198.18.1.11, lower_threshold: 5}
      - {address: 198.18.1.12, upper_threshold: 10, lower_threshold: 10}
      - {address: 198.18.1.13, upper_threshold: 10, lower_threshold: 9}
)");
  ASSERT_EQ(r.errors.size(), 2u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 6, 49, "services[0].real_servers[0].lower_threshold",
                        "lower_threshold needs upper_threshold"));
  EXPECT_TRUE(has_error(r, 7, 70, "services[0].real_servers[1].lower_threshold",
                        "lower_threshold must be below upper_threshold (10)"));
}

TEST(ConfigServices, Quorum) {
  LoadResult r = load(R"(
services:
  - name: a
    address: 198.18.0.100
    port: 80
    quorum: {min_up: 2}
    real_servers:
      - {address: 198.18.1.11}
  - name: b
    address: 198.18.0.100
    port: 81
    quorum: {min_up: 1, hysteresis: 2}
    real_servers:
      - {address: 198.18.1.11}
      - {address: 198.18.1.12}
      - {address: 198.18.1.13}
)");
  ASSERT_EQ(r.errors.size(), 2u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 5, 13, "services[0].quorum",
                        "quorum needs 2 live real servers but the service has 1"));
  EXPECT_TRUE(has_error(r, 11, 37, "services[1].quorum.hysteresis",
                        "hysteresis must not exceed min_up (1)"));
}

TEST(ConfigServices, RequiredKeysAndAddresses) {
  LoadResult r = load(R"(
services:
  - protocol: tcp
    address: 198.18.0.256
    port: 80
    real_servers:
      - name: x
)");
  ASSERT_EQ(r.errors.size(), 3u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 2, 5, "services[0].name", "missing required key 'name'"));
  EXPECT_TRUE(has_error(r, 3, 14, "services[0].address",
                        "expected an IPv4 address such as 198.18.0.1, got '198.18.0.256'"));
  EXPECT_TRUE(
      has_error(r, 6, 9, "services[0].real_servers[0].address", "missing required key 'address'"));
}

TEST(ConfigServices, FallbackFollowsTheForwardingRules) {
  LoadResult r = load(R"(
services:
  - name: a
    address: 198.18.0.100
    port: 80
    fallback: {address: 198.18.1.99, port: 8080}
)");
  EXPECT_TRUE(only_error(r, 5, 44, "services[0].fallback.port",
                         "real port must equal virtual port (80) for dr forwarding"));
}

TEST(ConfigServices, PersistenceWithoutValue) {
  LoadResult r = load(R"(
services:
  - name: a
    address: 198.18.0.100
    port: 80
    persistence:
)");
  EXPECT_TRUE(only_error(r, 5, 5, "services[0].persistence",
                         "expected true, false or a mapping with timeout and netmask"));
}

TEST(ConfigServices, InvalidNames) {
  LoadResult r = load(R"(
services:
  - name: "web server"
    address: 198.18.0.100
    port: 80
)");
  EXPECT_TRUE(only_error(r, 2, 11, "services[0].name", "invalid name 'web server'"));
}

TEST(ConfigServices, NatMayMapAPortGroupToOnePort) {
  Config c = load_ok(R"(
services:
  - name: a
    address: 198.18.0.100
    ports: ["8000-8009"]
    forwarding: nat
    real_servers:
      - {address: 198.18.1.11, port: 80}
)");
  EXPECT_EQ(c.services[0].real_servers[0].port, 80);
}

}  // namespace
}  // namespace tandem::config
