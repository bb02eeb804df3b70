// nodes, interfaces, global and control.

#include "tests/unit/config/test_util.h"

namespace tandem::config {
namespace {

using namespace std::chrono_literals;
using test::has_error;
using test::load;
using test::load_ok;

TEST(ConfigNodes, ResolveByName) {
  Config c = load_ok(R"(
interfaces:
  outside: {device: eth0, role: outside}
nodes:
  dir1: {address: 198.18.1.2, priority: 150, devices: {outside: out0}}
  dir2: {address: 198.18.1.3}
)");
  const Node* n = resolve_node(c, "dir1");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->name, "dir1");
  EXPECT_EQ(resolve_node(c, "dir2")->priority, 100);
  EXPECT_EQ(resolve_node(c, "dir3"), nullptr);
  EXPECT_EQ(resolve_node(c, ""), nullptr);
  EXPECT_EQ(device_of(c, n, "outside"), "out0");
  EXPECT_EQ(device_of(c, resolve_node(c, "dir2"), "outside"), "eth0");
}

TEST(ConfigNodes, Errors) {
  LoadResult r = load(R"(
interfaces:
  outside: {device: eth0, role: outside}
nodes:
  dir1: {address: 198.18.1.2, priority: 256}
  dir2: {address: 198.18.1.2, devices: {outsde: out0, outside: "a/b"}}
  "bad name": {address: 198.18.1.4}
  dir4: {priority: 1}
)");
  ASSERT_EQ(r.errors.size(), 6u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 4, 41, "nodes.dir1.priority", "256 is out of range"));
  EXPECT_TRUE(has_error(r, 5, 19, "nodes.dir2.address",
                        "address 198.18.1.2 is already used by node 'dir1'"));
  EXPECT_TRUE(has_error(r, 5, 41, "nodes.dir2.devices.outsde",
                        "unknown interface 'outsde' (did you mean 'outside'?)"));
  EXPECT_TRUE(has_error(r, 5, 64, "nodes.dir2.devices.outside", "invalid device name 'a/b'"));
  EXPECT_TRUE(has_error(r, 6, 15, "nodes.bad name", "invalid name 'bad name'"));
  EXPECT_TRUE(has_error(r, 7, 9, "nodes.dir4.address", "missing required key 'address'"));
}

TEST(ConfigInterfaces, Errors) {
  LoadResult r = load(R"(
interfaces:
  outside: {device: averyveryverylongname, role: outside}
  inside: {device: eth1, role: middle}
  sync: {role: inside}
)");
  ASSERT_EQ(r.errors.size(), 3u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 2, 21, "interfaces.outside.device",
                        "invalid device name 'averyveryverylongname'"));
  EXPECT_TRUE(has_error(r, 3, 32, "interfaces.inside.role",
                        "unknown value 'middle'; expected one of: outside, inside"));
  EXPECT_TRUE(has_error(r, 4, 9, "interfaces.sync.device", "missing required key 'device'"));
}

TEST(ConfigGlobal, WorkersIsAutoOrOneToSixtyFour) {
  EXPECT_EQ(test::load_ok("global: {workers: auto}\n").global.workers, 0u);
  EXPECT_EQ(test::load_ok("global: {workers: 64}\n").global.workers, 64u);
  EXPECT_TRUE(test::only_error(load("global:\n  workers: 0\n"), 2, 12, "global.workers",
                         "expected \"auto\" or an integer in 1..64, got '0'"));
  EXPECT_TRUE(test::only_error(load("global:\n  workers: 65\n"), 2, 12, "global.workers", "got '65'"));
  EXPECT_TRUE(test::only_error(load("global:\n  workers: many\n"), 2, 12, "global.workers",
                         "got 'many'"));
  EXPECT_TRUE(test::only_error(load("global:\n  workers: [2]\n"), 2, 12, "global.workers",
                         "got a list"));
}

TEST(ConfigGlobal, Errors) {
  LoadResult r = load(R"(
global:
  run_dir: run
  max_connections: 100
  conn_reuse_mode: 2
  tcp_timeouts: {established: 0s, fin_wiat: 10s}
  udp_timeout: 32d
)");
  ASSERT_EQ(r.errors.size(), 6u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 2, 12, "global.run_dir", "expected an absolute path"));
  EXPECT_TRUE(has_error(r, 3, 20, "global.max_connections",
                        "100 is out of range: expected an integer in 1024..268435456"));
  EXPECT_TRUE(has_error(r, 4, 20, "global.conn_reuse_mode", "2 is out of range"));
  EXPECT_TRUE(has_error(r, 5, 31, "global.tcp_timeouts.established",
                        "'0s' is out of range: expected a duration from 1s to 31d"));
  EXPECT_TRUE(has_error(r, 5, 35, "global.tcp_timeouts.fin_wiat",
                        "unknown key 'fin_wiat' (did you mean 'fin_wait'?)"));
  EXPECT_TRUE(has_error(r, 6, 16, "global.udp_timeout", "out of range"));
}

TEST(ConfigControl, SocketModeIsOctal) {
  EXPECT_EQ(load_ok("control: {socket_mode: 0640}\n").control.socket_mode, 0640u);
  EXPECT_EQ(load_ok("control: {socket_mode: \"660\"}\n").control.socket_mode, 0660u);
  LoadResult r = load(R"(
control:
  socket_mode: 0680
  socket_group: ""
  max_message_size: 100
)");
  ASSERT_EQ(r.errors.size(), 3u) << format_diagnostics(r.errors);
  EXPECT_TRUE(
      has_error(r, 2, 16, "control.socket_mode",
                "expected an octal file mode from 0000 to 0777 such as \"0660\", got '0680'"));
  EXPECT_TRUE(has_error(r, 3, 17, "control.socket_group", "socket_group must not be empty"));
  EXPECT_TRUE(has_error(r, 4, 21, "control.max_message_size", "100 is out of range"));
}

}  // namespace
}  // namespace tandem::config
