#pragma once
// Reads one TPACKET_V3 block as the kernel lays it out: a descriptor, then
// num_pkts frames chained by tp_next_offset. The block lives in memory the
// kernel writes, so every offset is checked against the block before use; a
// descriptor or frame header that does not add up ends the walk with a fault
// instead of a read out of bounds.

#include <cstdint>
#include <span>
#include <string_view>

#include "director/io/frame.h"

namespace tandem::director::io {

enum class BlockFault : std::uint8_t {
  kNone = 0,
  kShortBlock,          // smaller than the block descriptor
  kBadFirstOffset,      // first frame offset inside the descriptor or past the block
  kBadBlockLength,      // blk_len before the first frame or past the block
  kFrameHeaderOutside,  // a frame header does not fit before blk_len
  kFrameDataOutside,    // tp_mac/tp_snaplen point outside the block, or into the header
  kBadNextOffset,       // next offset zero, or overlapping the frame it follows
  kCount
};

std::string_view block_fault_name(BlockFault fault);

struct BlockInfo {
  std::uint32_t status = 0;
  std::uint32_t num_frames = 0;
  std::uint32_t first_offset = 0;
  std::uint32_t length = 0;
  std::uint64_t sequence = 0;
};

class BlockWalker {
 public:
  explicit BlockWalker(std::span<std::uint8_t> block);

  const BlockInfo& info() const { return info_; }
  BlockFault fault() const { return fault_; }
  std::uint32_t frames_read() const { return read_; }

  // Fills `frame` with the next frame (its answer fields reset) and returns
  // true; false at the end of the block or on a fault.
  bool next(Frame& frame);

 private:
  std::span<std::uint8_t> block_;
  BlockInfo info_;
  BlockFault fault_ = BlockFault::kNone;
  std::uint32_t offset_ = 0;
  std::uint32_t read_ = 0;
  bool broken_link_ = false;
};

}  // namespace tandem::director::io
