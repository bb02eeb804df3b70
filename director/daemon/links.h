#pragma once
// The director's links and their neighbours, learned on the control thread.
// Next hops of real servers come from the kernel's ARP table or, when it
// has none, from ARP requests we send ourselves on the link whose subnet
// holds the server (a director that never talked to a real server must
// still reach it). Workers get a copy of the table whenever it changes.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
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

class Neighbours {
 public:
  explicit Neighbours(std::vector<LinkInfo> links);
  ~Neighbours();
  Neighbours(const Neighbours&) = delete;
  Neighbours& operator=(const Neighbours&) = delete;

  void set_targets(const std::vector<net::Ipv4>& targets);
  // One round: reads replies and the kernel's table, asks for what is
  // missing (each at most once a second). True when the table changed.
  bool refresh(std::chrono::steady_clock::time_point now);
  const std::unordered_map<std::uint32_t, NextHop>& table() const { return table_; }
  std::size_t unresolved() const;

 private:
  std::vector<LinkInfo> links_;
  std::vector<int> fds_;  // one ARP socket per link
  std::vector<net::Ipv4> targets_;
  std::unordered_map<std::uint32_t, NextHop> table_;
  std::unordered_map<std::uint32_t, std::chrono::steady_clock::time_point> asked_;
};

}  // namespace tandem::director::daemon
