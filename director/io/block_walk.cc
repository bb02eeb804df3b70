#include "director/io/block_walk.h"

#include <linux/if_packet.h>

#include <cstddef>
#include <cstring>

namespace tandem::director::io {
namespace {

// The descriptor as laid out by struct tpacket_block_desc with a
// tpacket_hdr_v1 (version, offset_to_priv, then the v1 header).
constexpr std::size_t kDescLen = sizeof(tpacket_block_desc);
constexpr std::size_t kFrameHeaderLen = sizeof(tpacket3_hdr);
// Where the kernel writes the sockaddr_ll after each frame header.
constexpr std::size_t kSllOffset = TPACKET_ALIGN(sizeof(tpacket3_hdr));
constexpr std::uint32_t kMinMacOffset = TPACKET3_HDRLEN;

}  // namespace

std::string_view block_fault_name(BlockFault fault) {
  switch (fault) {
    case BlockFault::kNone:
      return "none";
    case BlockFault::kShortBlock:
      return "short_block";
    case BlockFault::kBadFirstOffset:
      return "bad_first_offset";
    case BlockFault::kBadBlockLength:
      return "bad_block_length";
    case BlockFault::kFrameHeaderOutside:
      return "frame_header_outside";
    case BlockFault::kFrameDataOutside:
      return "frame_data_outside";
    case BlockFault::kBadNextOffset:
      return "bad_next_offset";
    case BlockFault::kCount:
      break;
  }
  return "unknown";
}

BlockWalker::BlockWalker(std::span<std::uint8_t> block) : block_(block) {
  if (block.size() < kDescLen) {
    fault_ = BlockFault::kShortBlock;
    return;
  }
  tpacket_block_desc desc;
  std::memcpy(&desc, block.data(), kDescLen);
  const tpacket_hdr_v1& h = desc.hdr.bh1;
  info_.status = h.block_status;
  info_.num_frames = h.num_pkts;
  info_.first_offset = h.offset_to_first_pkt;
  info_.length = h.blk_len;
  info_.sequence = h.seq_num;
  if (info_.num_frames == 0) return;
  if (info_.first_offset < kDescLen || info_.first_offset >= block.size()) {
    fault_ = BlockFault::kBadFirstOffset;
    return;
  }
  if (info_.length < info_.first_offset || info_.length > block.size()) {
    fault_ = BlockFault::kBadBlockLength;
    return;
  }
  offset_ = info_.first_offset;
}

bool BlockWalker::next(Frame& frame) {
  if (fault_ != BlockFault::kNone || read_ >= info_.num_frames) return false;
  if (broken_link_) {
    fault_ = BlockFault::kBadNextOffset;
    return false;
  }
  // Work in 64 bits so no sum of kernel-supplied u32 fields can wrap.
  const std::uint64_t limit = info_.length;
  const std::uint64_t at = offset_;
  if (at + kFrameHeaderLen > limit) {
    fault_ = BlockFault::kFrameHeaderOutside;
    return false;
  }
  tpacket3_hdr h;
  std::memcpy(&h, block_.data() + at, kFrameHeaderLen);
  const std::uint64_t data_end = std::uint64_t{h.tp_mac} + h.tp_snaplen;
  if (h.tp_mac < kMinMacOffset || at + data_end > limit) {
    fault_ = BlockFault::kFrameDataOutside;
    return false;
  }
  const bool last = read_ + 1 == info_.num_frames;
  // A bad link does not spoil this frame, only the ones after it.
  broken_link_ = !last && (h.tp_next_offset < data_end || at + h.tp_next_offset >= limit);

  sockaddr_ll sll;
  std::memcpy(&sll, block_.data() + at + kSllOffset, sizeof(sll));

  frame = Frame{};
  frame.data = block_.subspan(static_cast<std::size_t>(at + h.tp_mac), h.tp_snaplen);
  frame.headroom = h.tp_mac - static_cast<std::uint32_t>(kSllOffset);
  frame.wire_length = h.tp_len;
  frame.rx_hash = h.hv1.tp_rxhash;
  frame.vlan_valid = (h.tp_status & TP_STATUS_VLAN_VALID) != 0;
  frame.vlan_tci = frame.vlan_valid ? static_cast<std::uint16_t>(h.hv1.tp_vlan_tci) : 0;
  frame.checksum_not_ready = (h.tp_status & TP_STATUS_CSUMNOTREADY) != 0;
  frame.pkt_type = sll.sll_pkttype;
  frame.ifindex = sll.sll_ifindex;
  frame.kernel_time_ns = std::uint64_t{h.tp_sec} * 1'000'000'000U + h.tp_nsec;

  ++read_;
  if (!last && !broken_link_) offset_ = static_cast<std::uint32_t>(at + h.tp_next_offset);
  return true;
}

}  // namespace tandem::director::io
