#include "director/sync/convert.h"

namespace tandem::director::sync {
namespace ts = tandem::sync;

namespace {
// IP_VS_CONN_F_MASQ / _TUNNEL / _DROUTE.
constexpr std::uint32_t kFwdNat = 0, kFwdTunnel = 2, kFwdDr = 3;
}  // namespace

ts::ConnRecord to_record(const SyncConn& c) {
  ts::ConnRecord r;
  r.protocol = static_cast<std::uint8_t>(c.protocol);
  r.flags = c.method == Forwarding::nat   ? kFwdNat
            : c.method == Forwarding::tun ? kFwdTunnel
                                          : kFwdDr;
  if (c.method != Forwarding::nat) r.flags |= ts::kFlagNoOutput;
  if (c.inactive) r.flags |= ts::kFlagInactive;
  if (c.is_template) {
    r.flags |= ts::kFlagTemplate;
    if (c.cport == 0) r.flags |= ts::kFlagNoCport;
  }
  r.state = static_cast<std::uint16_t>(c.state);
  r.cport = c.cport;
  r.vport = c.vport;
  r.dport = c.dport;
  r.timeout_s = c.timeout_s;
  r.caddr = ts::SyncAddr::from_v4(c.caddr);
  r.vaddr = ts::SyncAddr::from_v4(c.vaddr);
  r.daddr = ts::SyncAddr::from_v4(c.daddr);
  return r;
}

std::optional<SyncConn> from_record(const ts::ConnRecord& r) {
  if (r.ipv6 || r.fwmark != 0) return std::nullopt;
  SyncConn c;
  if (r.protocol == static_cast<std::uint8_t>(Protocol::tcp)) {
    c.protocol = Protocol::tcp;
  } else if (r.protocol == static_cast<std::uint8_t>(Protocol::udp)) {
    c.protocol = Protocol::udp;
  } else {
    return std::nullopt;
  }
  switch (r.flags & ts::kFlagFwdMask) {
    case kFwdNat:
      c.method = Forwarding::nat;
      break;
    case kFwdTunnel:
      c.method = Forwarding::tun;
      break;
    case kFwdDr:
      c.method = Forwarding::dr;
      break;
    default:
      return std::nullopt;
  }
  // The applier must range-check the state (common/sync/README.md).
  if (r.state >= kTcpStateCount || (c.protocol == Protocol::udp && r.state != 0))
    return std::nullopt;
  c.is_template = (r.flags & ts::kFlagTemplate) != 0;
  c.state = static_cast<TcpState>(r.state);
  c.inactive = (r.flags & ts::kFlagInactive) != 0;
  c.cport = r.cport;
  c.vport = r.vport;
  c.dport = r.dport;
  c.timeout_s = r.timeout_s;
  c.caddr = r.caddr.to_v4();
  c.vaddr = r.vaddr.to_v4();
  c.daddr = r.daddr.to_v4();
  return c;
}

}  // namespace tandem::director::sync
