#pragma once
// Software TCP segmentation of super-frames, as the kernel's GSO does it.
// A super-frame is one IPv4/TCP packet longer than the MTU of the link it
// arrived on: the sender's TSO/GSO (a local sender on veth) or GRO merged
// segments before AF_PACKET saw them. It never crossed a wire as it is, so
// the director cuts it back into segments that fit its egress instead of
// answering "fragmentation needed" for a packet the peer never sent.

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/net/packet.h"

namespace tandem::director {

// Why a super-frame cannot be segmented.
enum class SegmentRefusal : std::uint8_t {
  kAccepted,
  kNotTcp,       // UDP GSO and friends: no rule for cutting them, dropped
  kFragment,     // more-fragments set: the datagram is not whole
  kNoPayload,    // nothing past the headers to cut
  kMssTooSmall,  // the egress leaves no room for payload next to the headers
};

// Checks that `v` (parsed from an Ethernet frame) is a whole TCP segment with
// payload. mss is the largest payload per segment; 0 refuses.
SegmentRefusal check_segmentable(const net::ParsedFrame& v, std::size_t mss) noexcept;

// Payload bytes per segment for an egress IP MTU; `overhead` is what the
// forwarding method adds in front of the IP header (20 for IPIP). 0 when the
// headers alone fill the MTU.
std::size_t segment_mss(const net::ParsedFrame& v, std::uint16_t mtu,
                        std::size_t overhead) noexcept;

// Segments check_segmentable() accepted `v` for: ceil(payload / mss).
std::size_t segment_count(const net::ParsedFrame& v, std::size_t mss) noexcept;

// Writes segment `index` of the super-frame `frame` (which `v` was parsed
// from) into `out` as a complete Ethernet frame and returns its length, or 0
// when out is too small or index is past the last segment. Headers are
// copied with their options; the sequence number advances by index * mss,
// the IP id by index; FIN and PSH stay only on the last segment, CWR only
// on the first. Both checksums are computed from scratch: the super-frame's
// TCP checksum may be a partial (pseudo-header) sum left for offload.
std::size_t build_segment(std::span<std::uint8_t> out, std::span<const std::uint8_t> frame,
                          const net::ParsedFrame& v, std::size_t mss, std::size_t index) noexcept;

}  // namespace tandem::director
