#pragma once
// The director's links and their neighbours, learned on the control thread.
// Next hops of real servers come from the kernel's ARP table or, when it
// has none, from ARP requests we send ourselves on the link whose subnet
// holds the server (a director that never talked to a real server must
// still reach it). A server on no connected subnet is reached through the
// kernel's route to it: the frame goes to the gateway's MAC (NAT and TUN;
// DR needs L2 adjacency, so DR targets are never routed). Routes are looked
// up again every second, so a changed gateway is followed. Workers get a
// copy of the table whenever it changes. Also here: GRO/LRO on the links.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/net/address.h"
#include "director/daemon/forwarder.h"

namespace tandem::director::daemon {

struct LinkInfo {
  Link link;
  net::Ipv4Prefix subnet;  // the primary IPv4 address and its prefix
};

// Reads ifindex, MAC, MTU and primary IPv4 address of `device`.
std::optional<LinkInfo> read_link(const std::string& device, std::string& error);

// "/proc/net/arp" text -> (ip -> mac) of complete entries on `device`.
std::map<std::uint32_t, net::Mac> parse_proc_arp(const std::string& text, const std::string& device);

// A 60-byte broadcast ARP request asking who has `target`.
std::vector<std::uint8_t> arp_request(const net::Mac& src_mac, net::Ipv4 src_ip, net::Ipv4 target);

// The kernel's answer to "how do I reach dst" (RTM_GETROUTE).
struct KernelRoute {
  int oif = 0;
  net::Ipv4 gateway;  // 0.0.0.0: dst is on-link through oif
};

// Parses a netlink reply to RTM_GETROUTE; nullopt (and `error`) for an
// NLMSG_ERROR, a non-unicast route or a malformed message.
std::optional<KernelRoute> parse_route_reply(std::span<const std::uint8_t> msg, std::string& error);
// Asks the kernel (netlink, blocking, answered at once) for its route to dst.
std::optional<KernelRoute> kernel_route(net::Ipv4 dst, std::string& error);

// GRO and LRO of one device as they were before we turned them off.
struct Offloads {
  std::string device;
  bool gro = false;  // was on
  bool lro = false;
};
// Reads GRO/LRO of `device` (ETHTOOL_GGRO, ETHTOOL_GFLAGS).
std::optional<Offloads> read_offloads(const std::string& device, std::string& error);
// Turns GRO and LRO off: AF_PACKET would otherwise see merged super-frames
// larger than the MTU, which cannot be forwarded. Returns the previous state.
std::optional<Offloads> disable_offloads(const std::string& device, std::string& error);
// Puts back what disable_offloads found (only what it changed).
std::optional<std::string> restore_offloads(const Offloads& before);

struct NeighbourTarget {
  net::Ipv4 address;
  bool may_route = true;  // false for DR servers: reachable on-link only
};

class Neighbours {
 public:
  explicit Neighbours(std::vector<LinkInfo> links);
  ~Neighbours();
  Neighbours(const Neighbours&) = delete;
  Neighbours& operator=(const Neighbours&) = delete;

  void set_targets(const std::vector<NeighbourTarget>& targets);
  // True when `ip` is on the subnet of one of our links.
  bool on_link(net::Ipv4 ip) const { return link_for(ip) >= 0; }
  // One round: reads replies and the kernel's table, asks for what is
  // missing (each at most once a second). True when the table changed.
  bool refresh(std::chrono::steady_clock::time_point now);
  const std::unordered_map<std::uint32_t, NextHop>& table() const { return table_; }
  std::size_t unresolved() const;
  // Targets reached through a gateway, and those with no usable path (no
  // route, or a route over an interface we do not forward on).
  std::size_t routed() const;
  std::size_t unreachable() const;

 private:
  // How a target is reached: which link, and whose MAC (the target's own,
  // or its gateway's).
  struct Path {
    int link = -1;
    std::uint32_t via = 0;
    bool routed = false;
    bool operator==(const Path&) const = default;
  };
  int link_for(net::Ipv4 ip) const;
  void update_paths(std::chrono::steady_clock::time_point now, bool& changed);

  std::vector<LinkInfo> links_;
  std::vector<int> fds_;  // one ARP socket per link
  std::vector<NeighbourTarget> targets_;
  std::unordered_map<std::uint32_t, Path> paths_;
  bool paths_stale_ = true;
  std::chrono::steady_clock::time_point paths_at_{};
  std::unordered_map<std::uint32_t, NextHop> table_;
  std::unordered_map<std::uint32_t, std::chrono::steady_clock::time_point> asked_;  // by via
};

}  // namespace tandem::director::daemon
