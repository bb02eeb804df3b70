#pragma once
// What every forwarding rewrite (DR, NAT, TUN) takes and returns. Rewrites
// work in place on a frame already parsed into a net::ParsedFrame, touch
// only the fields they own and fix checksums incrementally (RFC 1624), so a
// checksum that was wrong on arrival stays wrong: we never launder a corrupt
// packet into a valid one. When a rewrite declines (any verdict other than
// kForward) it has not changed a byte, so the caller can still quote the
// original in an ICMP error. Rewrites take Ethernet frames (net::parse_frame),
// not bare datagrams, and refuse a view of a different buffer.

#include <cstdint>
#include <string_view>

#include "common/net/address.h"

namespace tandem::director {

enum class RewriteVerdict : std::uint8_t {
  kForward,              // rewritten: send buffer[offset, offset + length)
  kTtlExceeded,          // TTL <= 1: answer with ICMP time exceeded
  kFragmentationNeeded,  // DF set and too big: answer with ICMP frag needed
  kTooBig,               // too big without DF; we do not fragment, so drop
  kNoRoom,               // the buffer lacks the headroom the method needs
  kNotApplicable,        // the frame is not something this rewrite handles
};

std::string_view verdict_name(RewriteVerdict verdict) noexcept;

// The link the rewritten frame leaves on.
struct Egress {
  net::Mac src_mac;          // the director's interface
  net::Mac dst_mac;          // next hop: the real server, or the gateway for NAT replies
  std::uint16_t mtu = 1500;  // IP MTU of the egress link
};

struct Rewrite {
  RewriteVerdict verdict = RewriteVerdict::kNotApplicable;
  std::uint16_t next_hop_mtu = 0;  // with kFragmentationNeeded: the value for the ICMP error
  std::uint32_t offset = 0;        // with kForward: where the frame to send starts
  std::uint32_t length = 0;        // with kForward: its length (link padding dropped)
};

}  // namespace tandem::director
