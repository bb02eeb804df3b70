#pragma once
// The director's own model of virtual services and real servers. The config
// layer maps YAML onto these; nothing here knows about files or sockets.

#include <cstdint>
#include <vector>

#include "common/net/address.h"
#include "common/util/clock.h"
#include "director/core/stats.h"

namespace tandem::director {

enum class Protocol : std::uint8_t { tcp = 6, udp = 17 };

enum class Forwarding : std::uint8_t { dr, nat, tun };

enum class SchedulerKind : std::uint8_t {
  rr,
  wrr,
  lc,
  wlc,
  sed,
  nq,
  fo,
  ovf,
  twos,
  dh,
  sh,
  mh,
  lblc,
  lblcr
};

// ipvsadm -b: sh-fallback/mh-fallback and sh-port/mh-port share two bits.
struct SchedulerFlags {
  bool fallback = false;
  bool port = false;
};

struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
};

struct ServiceConfig {
  Protocol protocol = Protocol::tcp;
  net::Ipv4 vip;
  // 0 = every port of the VIP (only meaningful with persistence).
  std::uint16_t port = 0;
  // Non-empty: the service is a port group matching these ports (port must
  // be 0); persistence then spans the whole group.
  std::vector<PortRange> port_group;
  SchedulerKind scheduler = SchedulerKind::wlc;
  SchedulerFlags flags;
  Duration persistence_timeout{0};  // 0 = not persistent
  std::uint32_t persistence_mask = 0xFFFFFFFFu;
  bool one_packet = false;          // UDP only: schedule every datagram on its own
  std::uint64_t seed = 0x7a6e646d;  // twos' PRNG, fixed so runs are reproducible
};

struct RealServerConfig {
  net::Ipv4 address;
  std::uint16_t port = 0;    // 0 on port-0/group services: keep the client's port
  std::uint32_t weight = 1;  // 0..65535; 0 = quiescent
  Forwarding method = Forwarding::dr;
  std::uint32_t upper_threshold = 0;  // 0 = none
  std::uint32_t lower_threshold = 0;
};

using ServiceId = std::uint32_t;
using DestId = std::uint32_t;
inline constexpr std::uint32_t kNone = 0xFFFFFFFFu;

// Runtime state of one real server. Owned by a Director; schedulers only
// read it.
struct RealServer {
  RealServerConfig config;
  DestId id = kNone;
  ServiceId service = kNone;  // kNone once the service is gone
  // Weight mh builds its table from: follows config.weight except that
  // setting weight 0 keeps the old value, so quiesced servers keep slots.
  std::uint32_t last_weight = 0;
  std::int32_t active = 0;
  std::int32_t inactive = 0;
  std::int32_t persistent = 0;  // persistence templates bound here
  bool overloaded = false;
  // False once removed from its service (or the service deleted); entries
  // may still point here until they go.
  bool available = true;
  std::uint32_t refs = 0;  // connection entries and templates bound here
  Stats stats;

  std::uint32_t weight() const { return config.weight; }
  // ip_vs_dest_conn_overhead: active connections cost 256 inactive ones.
  std::uint64_t overhead() const {
    return (static_cast<std::uint64_t>(active) << 8) + static_cast<std::uint64_t>(inactive);
  }
  bool eligible() const { return config.weight > 0 && !overloaded; }
};

}  // namespace tandem::director
