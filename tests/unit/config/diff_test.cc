// Reload support: fingerprints name a generation, diffs say what changed.

#include "common/config/diff.h"

#include "common/config/dump.h"
#include "tests/unit/config/test_util.h"

namespace tandem::config {
namespace {

using test::load_ok;
using Names = std::vector<std::string>;

constexpr const char* kBase = R"(
monitors:
  web: {type: http, path: /health}
services:
  - name: a
    address: 198.18.0.100
    port: 80
    monitors: [web]
    real_servers:
      - {name: rs1, address: 198.18.1.11}
      - {name: rs2, address: 198.18.1.12}
  - name: b
    address: 198.18.0.100
    port: 443
    real_servers:
      - {name: rs1, address: 198.18.1.11, monitors: [{type: tcp}]}
)";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(ConfigFingerprint, IgnoresFormattingCommentsAndKeyOrder) {
  Config a = load_ok(kBase);
  Config b = load_ok(R"(
# the same services, written differently
services:
  - port: 80
    name: a
    address: 198.18.0.100      # VIP
    monitors: [web]
    real_servers:
      - name: rs1
        address: 198.18.1.11
      - {address: 198.18.1.12, name: rs2, weight: 1}
  - {name: b, address: 198.18.0.100, port: 443, real_servers: [{name: rs1, address: 198.18.1.11, monitors: [{type: tcp}]}]}
monitors:
  web:
    path: /health
    type: http
)");
  EXPECT_EQ(fingerprint(a), fingerprint(b));
  EXPECT_EQ(fingerprint(a).size(), 16u);
  EXPECT_FALSE(diff(a, b).any());
}

TEST(ConfigFingerprint, ChangesWithAnyValue) {
  Config a = load_ok(kBase);
  Config b = load_ok(replace(kBase, "{name: rs2, address: 198.18.1.12}",
                             "{name: rs2, address: 198.18.1.12, weight: 2}"));
  Config c = load_ok(std::string(kBase) + "global: {udp_timeout: 301s}\n");
  EXPECT_NE(fingerprint(a), fingerprint(b));
  EXPECT_NE(fingerprint(a), fingerprint(c));
  EXPECT_NE(fingerprint(b), fingerprint(c));
  EXPECT_EQ(fingerprint(Config{}), fingerprint(load_ok("")));
}

TEST(ConfigDiff, WeightChangeTouchesOneServiceAndOneRealServer) {
  Config a = load_ok(kBase);
  Config b = load_ok(replace(kBase, "{name: rs2, address: 198.18.1.12}",
                             "{name: rs2, address: 198.18.1.12, weight: 2}"));
  ConfigDiff d = diff(a, b);
  EXPECT_TRUE(d.any());
  EXPECT_EQ(d.services.changed, Names{"a"});
  EXPECT_EQ(d.services.unchanged, Names{"b"});
  EXPECT_TRUE(d.services.added.empty());
  EXPECT_TRUE(d.services.removed.empty());
  EXPECT_FALSE(d.monitors.any());
  EXPECT_FALSE(d.global);
  NamedChanges rs = diff_real_servers(a.services[0], b.services[0]);
  EXPECT_EQ(rs.changed, Names{"rs2"});
  EXPECT_EQ(rs.unchanged, Names{"rs1"});
}

TEST(ConfigDiff, TemplateChangeReachesItsUsersOnly) {
  Config a = load_ok(kBase);
  Config b = load_ok(replace(kBase, "path: /health}", "path: /healthz}"));
  ConfigDiff d = diff(a, b);
  EXPECT_EQ(d.monitors.changed, Names{"web"});
  EXPECT_EQ(d.services.changed, Names{"a"});
  EXPECT_EQ(d.services.unchanged, Names{"b"});
}

TEST(ConfigDiff, AddedAndRemoved) {
  Config a = load_ok(kBase);
  Config b = load_ok(replace(replace(kBase, "name: b", "name: c"), "port: 443", "port: 8443"));
  ConfigDiff d = diff(a, b);
  EXPECT_EQ(d.services.added, Names{"c"});
  EXPECT_EQ(d.services.removed, Names{"b"});
  EXPECT_EQ(d.services.unchanged, Names{"a"});
}

TEST(ConfigDiff, SectionFlags) {
  Config a = load_ok(kBase);
  Config b = a;
  b.global.sloppy_tcp = true;
  b.control.socket_group = "ops";
  b.sync.syncid = 3;
  ConfigDiff d = diff(a, b);
  EXPECT_TRUE(d.global);
  EXPECT_TRUE(d.control);
  EXPECT_TRUE(d.sync);
  EXPECT_FALSE(d.nodes);
  EXPECT_FALSE(d.interfaces);
  EXPECT_FALSE(d.alerts);
  EXPECT_FALSE(d.services.any());
}

// A line moved in the file changes no value: positions are not part of
// the config, so nothing is reloaded.
TEST(ConfigDiff, MovedLinesChangeNothing) {
  Config a = load_ok(kBase);
  Config b = load_ok(std::string("\n\n# moved down\n\n") + kBase);
  EXPECT_FALSE(diff(a, b).any());
  EXPECT_TRUE(a == b);
}

}  // namespace
}  // namespace tandem::config
