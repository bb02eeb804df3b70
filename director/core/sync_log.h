#pragma once
// What the director tells tandem-syncd about its table, as plain values: a
// snapshot of one connection or persistence template, taken when it is
// created, changes TCP state, or has lived refresh_interval since it was
// last reported (so the backup's copy of an idle long-lived connection does
// not expire). The core does not know the wire format; director/sync maps
// these to IPVS v1 records.

#include <cstddef>
#include <cstdint>

#include "common/net/address.h"
#include "common/util/clock.h"
#include "director/core/model.h"
#include "director/core/tcp_state.h"

namespace tandem::director {

struct SyncConn {
  Protocol protocol = Protocol::tcp;
  bool is_template = false;
  net::Ipv4 caddr;
  std::uint16_t cport = 0;
  net::Ipv4 vaddr;
  std::uint16_t vport = 0;
  net::Ipv4 daddr;
  std::uint16_t dport = 0;
  TcpState state = TcpState::none;
  Forwarding method = Forwarding::dr;
  bool inactive = false;
  std::uint32_t timeout_s = 0;  // time left until the entry expires
  bool operator==(const SyncConn&) const = default;
};

struct SyncLogConfig {
  bool enabled = false;
  Duration refresh = std::chrono::seconds(120);
  // Events kept between drains; beyond this they are dropped and counted,
  // and the adapter sends a full snapshot instead.
  std::size_t max_events = 65536;
};

enum class SyncInstall : std::uint8_t {
  created,
  updated,
  no_service,  // no virtual service for (protocol, vip, port) on this director
  no_server,   // the real server is not in that service here
  table_full,
};

}  // namespace tandem::director
