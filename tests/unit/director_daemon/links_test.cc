// Routed next hops (netlink route replies, Neighbours following the kernel's
// route to a server one router away) and GRO/LRO management, the last two
// on a veth pair in a private network namespace of a forked child.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "director/daemon/links.h"

namespace tandem::director::daemon {
namespace {

// One netlink message: header, rtmsg (or nlmsgerr), attributes.
class Msg {
 public:
  explicit Msg(std::uint16_t type) {
    bytes_.resize(NLMSG_HDRLEN);
    type_ = type;
  }
  Msg& rt(std::uint8_t rtm_type) {
    rtmsg r{};
    r.rtm_family = AF_INET;
    r.rtm_dst_len = 32;
    r.rtm_type = rtm_type;
    append(&r, sizeof(r));
    return *this;
  }
  Msg& err(int error) {
    nlmsgerr e{};
    e.error = error;
    append(&e, sizeof(e));
    return *this;
  }
  Msg& attr(std::uint16_t type, std::uint32_t v) {
    rtattr a{static_cast<unsigned short>(RTA_LENGTH(4)), type};
    append(&a, sizeof(a));
    append(&v, 4);
    return *this;
  }
  std::vector<std::uint8_t> done() const {
    auto out = bytes_;
    nlmsghdr nh{};
    nh.nlmsg_len = static_cast<std::uint32_t>(out.size());
    nh.nlmsg_type = type_;
    std::memcpy(out.data(), &nh, sizeof(nh));
    return out;
  }

 private:
  void append(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
    bytes_.resize(NLMSG_ALIGN(bytes_.size()));
  }
  std::vector<std::uint8_t> bytes_;
  std::uint16_t type_;
};

TEST(RouteReply, GatewayAndInterface) {
  const auto m = Msg(RTM_NEWROUTE).rt(RTN_UNICAST).attr(RTA_OIF, 7).attr(
      RTA_GATEWAY, htonl(0xc6120102)).done();
  std::string err;
  const auto r = parse_route_reply(m, err);
  ASSERT_TRUE(r) << err;
  EXPECT_EQ(r->oif, 7);
  EXPECT_EQ(r->gateway.to_string(), "198.18.1.2");
}

TEST(RouteReply, OnLinkHasNoGateway) {
  const auto m = Msg(RTM_NEWROUTE).rt(RTN_UNICAST).attr(RTA_OIF, 3).done();
  std::string err;
  const auto r = parse_route_reply(m, err);
  ASSERT_TRUE(r) << err;
  EXPECT_EQ(r->oif, 3);
  EXPECT_EQ(r->gateway.value, 0u);
}

TEST(RouteReply, ErrorsAndOddReplies) {
  std::string err;
  EXPECT_FALSE(parse_route_reply(Msg(NLMSG_ERROR).err(-ENETUNREACH).done(), err));
  EXPECT_EQ(err, std::strerror(ENETUNREACH));
  EXPECT_FALSE(parse_route_reply(Msg(RTM_NEWROUTE).rt(RTN_LOCAL).attr(RTA_OIF, 1).done(), err));
  EXPECT_EQ(err, "address is local");
  EXPECT_FALSE(parse_route_reply(Msg(RTM_NEWROUTE).rt(RTN_UNREACHABLE).done(), err));
  EXPECT_FALSE(parse_route_reply(Msg(RTM_NEWROUTE).rt(RTN_UNICAST).done(), err));
  EXPECT_EQ(err, "route has no output interface");
  // Truncated at every length: never read past the end, never succeed.
  const auto full = Msg(RTM_NEWROUTE).rt(RTN_UNICAST).attr(RTA_OIF, 7).done();
  for (std::size_t n = 0; n < full.size(); ++n)
    EXPECT_FALSE(parse_route_reply(std::span(full.data(), n), err)) << n;
  // An attribute claiming more than the message holds ends the walk.
  auto bad = Msg(RTM_NEWROUTE).rt(RTN_UNICAST).attr(RTA_OIF, 7).done();
  bad[NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(rtmsg))] = 200;
  EXPECT_FALSE(parse_route_reply(bad, err));
}

TEST(KernelRoute, LoopbackIsLocal) {
  std::string err;
  EXPECT_FALSE(kernel_route(net::Ipv4{0x7f000001}, err));
  EXPECT_EQ(err, "address is local");
}

// Runs body in a forked child inside a new network namespace; returns what
// the body reported ("" = all good), or skips when we may not unshare.
std::string in_netns(const std::function<std::string()>& body) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    if (::unshare(CLONE_NEWNET) != 0) {
      out = "SKIP";
    } else {
      out = body();
    }
    [[maybe_unused]] auto n = ::write(fds[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string got;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof(buf))) > 0;) got.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status)) return "child died";
  return got;
}

bool sh(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

#define CHECK_OR_SAY(cond, what) \
  if (!(cond)) return std::string(what)

TEST(Offloads, TurnedOffAndRestoredOnVeth) {
  const std::string r = in_netns([]() -> std::string {
    CHECK_OR_SAY(sh("ip link add d2a type veth peer name d2b"), "ip link add");
    std::string err;
    // GRO on first (restore sets what it is given), as a NIC would have it.
    CHECK_OR_SAY(!restore_offloads(Offloads{"d2a", true, false}), "set GRO on");
    auto now = read_offloads("d2a", err);
    CHECK_OR_SAY(now && now->gro, "GRO did not turn on: " + err);
    const auto before = disable_offloads("d2a", err);
    CHECK_OR_SAY(before, "disable: " + err);
    CHECK_OR_SAY(before->gro && !before->lro, "previous state misread");
    now = read_offloads("d2a", err);
    CHECK_OR_SAY(now && !now->gro && !now->lro, "GRO still on after disable");
    CHECK_OR_SAY(!restore_offloads(*before), "restore failed");
    now = read_offloads("d2a", err);
    CHECK_OR_SAY(now && now->gro, "GRO not restored");
    CHECK_OR_SAY(!disable_offloads("nosuchdev0", err), "a missing device succeeded");
    return "";
  });
  if (r == "SKIP") GTEST_SKIP() << "no CAP_SYS_ADMIN for a network namespace";
  EXPECT_EQ(r, "");
}

TEST(Neighbours, RoutedServerUsesTheGatewaysMacAndFollowsRouteChanges) {
  const std::string r = in_netns([]() -> std::string {
    CHECK_OR_SAY(sh("ip link add d2a type veth peer name d2b") &&
                     sh("ip addr add 198.18.90.1/24 dev d2a") && sh("ip link set d2a up") &&
                     sh("ip link set d2b up") &&
                     sh("ip route add 198.18.200.0/24 via 198.18.90.2") &&
                     sh("ip neigh add 198.18.90.2 lladdr 02:00:00:00:00:02 dev d2a nud permanent") &&
                     sh("ip neigh add 198.18.90.3 lladdr 02:00:00:00:00:03 dev d2a nud permanent"),
                 "setup");
    std::string err;
    auto li = read_link("d2a", err);
    CHECK_OR_SAY(li, "read_link: " + err);
    const auto route = kernel_route(net::Ipv4{0xc612c805}, err);  // 198.18.200.5
    CHECK_OR_SAY(route && route->oif == li->link.ifindex &&
                     route->gateway.to_string() == "198.18.90.2",
                 "kernel_route: " + err);
    Neighbours n({*li});
    const net::Ipv4 nat_server{0xc612c805};  // 198.18.200.5, one router away
    const net::Ipv4 dr_server{0xc612c806};   // 198.18.200.6, DR: never routed
    n.set_targets({{nat_server, true}, {dr_server, false}});
    CHECK_OR_SAY(!n.on_link(nat_server), "on_link");
    auto t = std::chrono::steady_clock::now();
    CHECK_OR_SAY(n.refresh(t), "first refresh changed nothing");
    auto it = n.table().find(nat_server.value);
    CHECK_OR_SAY(it != n.table().end(), "routed server not resolved");
    CHECK_OR_SAY(it->second.mac.to_string() == "02:00:00:00:00:02" && it->second.link == 0,
                 "wrong next hop " + it->second.mac.to_string());
    CHECK_OR_SAY(!n.table().contains(dr_server.value), "DR server routed");
    CHECK_OR_SAY(n.routed() == 1 && n.unreachable() == 1 && n.unresolved() == 1, "counts");
    // The route moves to another gateway: the next lookup follows it.
    CHECK_OR_SAY(sh("ip route replace 198.18.200.0/24 via 198.18.90.3"), "route replace");
    t += std::chrono::seconds(2);
    CHECK_OR_SAY(n.refresh(t), "route change not noticed");
    it = n.table().find(nat_server.value);
    CHECK_OR_SAY(it != n.table().end() && it->second.mac.to_string() == "02:00:00:00:00:03",
                 "new gateway not used");
    // No route at all: the server becomes unreachable and is forgotten.
    CHECK_OR_SAY(sh("ip route del 198.18.200.0/24"), "route del");
    t += std::chrono::seconds(2);
    CHECK_OR_SAY(n.refresh(t), "lost route not noticed");
    CHECK_OR_SAY(!n.table().contains(nat_server.value) && n.unreachable() == 2, "still routed");
    return "";
  });
  if (r == "SKIP") GTEST_SKIP() << "no CAP_SYS_ADMIN for a network namespace";
  EXPECT_EQ(r, "");
}

}  // namespace
}  // namespace tandem::director::daemon
