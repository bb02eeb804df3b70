#pragma once
// What the director serves, as the rest of the host must see it: the VIPs
// (ring filter, fanout steering, ARP, nftables guard) and the real servers
// (next hops, NAT replies the kernel must leave alone). The shards are the
// truth, not the config file: tandemctl -A/-a change them at run time, and
// a VIP or server added that way must be answered, steered, guarded and
// resolved exactly like one from tandem.yaml.

#include <cstdint>
#include <vector>

#include "common/config/schema.h"
#include "common/net/address.h"
#include "director/core/director.h"

namespace tandem::director::daemon {

struct ServedServer {
  net::Ipv4 address;
  std::uint16_t port = 0;  // 0: port-0 or port-group service (client's port kept)
  Forwarding method = Forwarding::dr;
  bool operator==(const ServedServer&) const = default;
};

struct ServedService {
  Protocol protocol = Protocol::tcp;
  net::Ipv4 vip;
  std::uint16_t port = 0;
  std::uint32_t persistence_mask = 0xFFFFFFFFu;  // all ones when not persistent
  std::vector<ServedServer> servers;
  bool operator==(const ServedService&) const = default;
};

struct ServedView {
  std::vector<ServedService> services;  // sorted: comparisons ignore order
  bool operator==(const ServedView&) const = default;
};

// Read off one shard (every shard holds the same services and servers).
ServedView served_by(const Director& shard);
// What a configuration asks for (the guard before the shards exist, tests).
ServedView served_by(const config::Config& cfg);
// Union of both: a service the shards refused stays guarded and resolved.
ServedView merge(const ServedView& a, const ServedView& b);

std::vector<net::Ipv4> vips_of(const ServedView& v);
// The widest persistence netmask of all services (fanout steering).
std::uint32_t steering_mask(const ServedView& v);

}  // namespace tandem::director::daemon
