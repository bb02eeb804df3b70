#pragma once
// One AF_PACKET socket with a TPACKET_V3 receive ring, bound to one
// interface. A worker owns one; with fanout, N rings on the same interface
// share the traffic and nothing else.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "common/net/address.h"
#include "director/io/bpf_filter.h"
#include "director/io/ring_geometry.h"
#include "director/io/socket_util.h"

namespace tandem::director::io {

enum class FanoutMode : std::uint8_t {
  kNone,
  kHash,  // by flow hash: one flow always lands on the same worker
  kCpu,   // by the CPU that received the packet (pairs with RSS/RPS)
  kCbpf,  // by a classic BPF program returning the worker index (fanout_program)
};

struct RxConfig {
  InterfaceRef interface;
  // Bind to every interface of the namespace (ifindex 0) instead: one ring
  // then sees both sides of a NAT flow. Memberships need an interface and
  // are refused with it.
  bool any_interface = false;
  RxRingConfig ring;
  bool promiscuous = false;
  // Extra destination MACs the NIC must accept (e.g. the VRRP virtual MAC)
  // without going promiscuous.
  std::vector<net::Mac> unicast_macs;
  std::vector<net::Mac> multicast_macs;
  // Do not deliver frames this host sends on the interface (our own
  // transmissions included). Needs Linux 4.20.
  bool ignore_outgoing = true;
  std::optional<FilterSpec> filter;
  FanoutMode fanout = FanoutMode::kNone;
  std::uint16_t fanout_group = 0;
  // Reassemble fragments before hashing so all fragments of a datagram reach
  // the same worker (only with kHash).
  bool fanout_defrag = true;
  // kCbpf: the program the kernel runs per frame; its return value modulo
  // the group size picks the socket.
  std::vector<sock_filter> fanout_program;
};

struct KernelRxStats {
  std::uint64_t packets = 0;
  std::uint64_t drops = 0;
  std::uint64_t freezes = 0;
};

class RxRing {
 public:
  static Expected<std::unique_ptr<RxRing>> open(const RxConfig& config);

  int fd() const { return fd_.get(); }
  int ifindex() const { return ifindex_; }
  const RxGeometry& geometry() const { return geometry_; }

  // The block the kernel has handed over at the current position, or an
  // empty span when the kernel still owns it.
  std::span<std::uint8_t> current_block();
  // Gives the current block back to the kernel and moves on.
  void release_block();

  // Counters since the previous call (the kernel resets them on read).
  Expected<KernelRxStats> read_kernel_stats();

 private:
  RxRing() = default;

  UniqueFd fd_;
  Mapping map_;
  RxGeometry geometry_;
  int ifindex_ = 0;
  std::uint32_t next_block_ = 0;
};

}  // namespace tandem::director::io
