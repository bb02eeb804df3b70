#pragma once
// A classic BPF program (SO_ATTACH_FILTER) that lets through only what the
// director forwards or answers: IPv4 and ARP frames for our VIPs, or any
// IPv4/ARP frame sent to one of our MACs (NAT replies, the VRRP virtual
// MAC). Everything else is dropped in the kernel before it costs a ring slot.

#include <linux/filter.h>

#include <vector>

#include "common/net/address.h"
#include "director/io/result.h"

namespace tandem::director::io {

struct FilterSpec {
  std::vector<net::Ipv4> vips;  // IPv4 destination / ARP target address
  std::vector<net::Mac> macs;   // Ethernet destination
};

// The snap length the program returns for an accepted frame (whole frame).
inline constexpr std::uint32_t kFilterAccept = 0x40000;

// With no VIPs and no MACs every IPv4 and ARP frame passes. Frames with an
// in-band VLAN tag do not match (the ethertype at offset 12 is 0x8100); a tag
// the NIC strips is invisible to the program. Fails only when the program
// would exceed the kernel's instruction limit.
Expected<std::vector<sock_filter>> build_filter(const FilterSpec& spec);

}  // namespace tandem::director::io
