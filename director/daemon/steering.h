#pragma once
// Which worker a frame goes to. A client's connections, its persistence
// templates and the NAT replies addressed to it must all meet in one shard
// (director/core/director.h), so the index is shard_of(client & mask): the
// client is the source of a frame to a VIP and the destination of anything
// else (a NAT reply); for an ICMP error to a VIP (from a router on the way
// to the client) it is the destination of the packet the error quotes. The kernel computes it per
// frame with a classic BPF program (PACKET_FANOUT_CBPF); steer() is the same function in C++.

#include <linux/filter.h>

#include <cstdint>
#include <span>
#include <vector>

#include "common/net/address.h"

namespace tandem::director::daemon {

struct SteeringSpec {
  std::vector<net::Ipv4> vips;
  std::uint32_t mask = 0xFFFFFFFFu;  // widest persistence netmask of all services
  std::uint32_t workers = 1;
};

// The program returns shard_of(client & mask, workers) for untagged IPv4
// frames and 0 for everything else (ARP, tagged frames).
std::vector<sock_filter> build_steering(const SteeringSpec& spec);

// What the program computes, for tests and for placing synced entries.
std::uint32_t steer(std::span<const std::uint8_t> frame, const SteeringSpec& spec);

// The widest mask over the services (a /24 persistence beats /32).
std::uint32_t widest_mask(std::span<const std::uint32_t> masks);

}  // namespace tandem::director::daemon
