// Hostile and damaged input: deterministic mutations of a full file must
// never throw, must either load or say why, and every diagnostic must carry
// a position (a bug in the walker shows up as a line-0 "internal error").

#include <cstdint>

#include "tests/unit/config/test_util.h"

namespace tandem::config {
namespace {

constexpr const char* kSeed = R"(nodes:
  dir1: {address: 198.18.1.2, priority: 150, devices: {outside: out0}}
  dir2: {address: 198.18.1.3}
global: {log_level: debug, tcp_timeouts: {established: 1h}, udp_timeout: 301s}
interfaces:
  outside: {device: eth0, role: outside}
  inside: {device: eth1, role: inside}
monitors:
  web: {type: http, path: /h, expect_status: [200, "301-302"], expect_body_regex: "^ok"}
  dn: {type: dns, query: a.test, expect_answer: 198.18.0.1}
services:
  - name: s
    address: 198.18.0.100
    ports: [80, "8000-8010"]
    persistence: {timeout: 300s, netmask: 24}
    forwarding: nat
    quorum: {min_up: 1}
    monitors: [web, {use: dn, interval: 20s}, {type: tcp, name: t}]
    real_servers:
      - {name: a, address: 198.18.1.11, port: 8080, upper_threshold: 10, lower_threshold: 5}
      - {address: 198.18.1.12, weight: 0}
vrrp:
  instances:
    - {name: v, interface: outside, vrid: 1, virtual_addresses: [198.18.0.100/24], track: {services: [s], daemons: [{name: director, weight: -5}]}}
  sync_groups: [{name: g, instances: [v]}]
sync: {enabled: true, interface: inside, transport: unicast, authentication: {keys: [{id: 1, key: "0123456789abcdef"}]}}
alerts:
  senders: {m: {type: mail, server: h, from: a@b.c, to: [c@d.e]}}
  routes: [{name: r, senders: [m], alertafter: "2 5m", quiet: [{from: "22:00", to: "06:00"}]}]
control: {socket_mode: "0660"}
)";

// A small fixed-seed generator: the same mutations on every run.
struct Rng {
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  std::uint64_t next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

std::string mutate(std::string s, Rng& rng) {
  static const char kBytes[] = "{}[]:,-'\"# \n\t0123456789./ab&*!|>%@\x01\xff";
  int edits = 1 + static_cast<int>(rng.below(4));
  for (int i = 0; i < edits && !s.empty(); ++i) {
    std::size_t at = rng.below(s.size());
    switch (rng.below(5)) {
      case 0:
        s.erase(at, 1 + rng.below(8));
        break;
      case 1:
        s.insert(at, 1, kBytes[rng.below(sizeof kBytes - 1)]);
        break;
      case 2:
        s[at] = kBytes[rng.below(sizeof kBytes - 1)];
        break;
      case 3: {  // duplicate a stretch: duplicate keys, names, list items
        std::size_t len = 1 + rng.below(60);
        s.insert(at, s.substr(at, len));
        break;
      }
      case 4:  // cut the file short
        s.resize(at);
        break;
    }
  }
  return s;
}

TEST(ConfigRobustness, SeedLoads) {
  test::load_ok(kSeed);
}

TEST(ConfigRobustness, MutationsNeverThrowAndAlwaysSayWhere) {
  Rng rng;
  int failed = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string input = mutate(kSeed, rng);
    LoadResult r;
    ASSERT_NO_THROW(r = load_string(input, "m.yaml")) << input;
    ASSERT_EQ(r.config.has_value(), r.errors.empty()) << input;
    for (const Diagnostic& d : r.errors) {
      ASSERT_GT(d.pos.line, 0) << d.to_string() << "\n" << input;
      ASSERT_GT(d.pos.column, 0) << d.to_string() << "\n" << input;
      ASSERT_FALSE(d.message.empty());
    }
    failed += r.ok() ? 0 : 1;
  }
  EXPECT_GT(failed, 1000);  // the mutations do break files
}

TEST(ConfigRobustness, DeepNestingIsRefusedNotACrash) {
  std::string deep = "global: " + std::string(100000, '[') + std::string(100000, ']');
  LoadResult r = load_string(deep, "deep.yaml");
  EXPECT_FALSE(r.ok());
  ASSERT_FALSE(r.errors.empty());
  EXPECT_EQ(r.errors[0].pos.line, 1);
}

// yaml-cpp 0.7's LoadAll never returns on these (a stray top-level ','
// makes its parser report empty documents forever); the loader must answer
// with a positioned error instead of hanging the daemon that reloads.
TEST(ConfigRobustness, StrayCommaIsAnErrorNotAHang) {
  for (const char* text : {",", ", [a 1:{b: 2\n", "global: {}\n,\n"}) {
    LoadResult r = load_string(text, "stray.yaml");
    EXPECT_FALSE(r.ok()) << text;
    ASSERT_FALSE(r.errors.empty()) << text;
    EXPECT_GT(r.errors[0].pos.line, 0) << text;
  }
}

}  // namespace
}  // namespace tandem::config
