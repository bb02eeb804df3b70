#pragma once
// Ring sizes as the kernel will accept them. The kernel refuses a bad
// tpacket_req with a bare EINVAL; checking here first turns that into a
// message that names the field, and the arithmetic is testable without root.

#include <cstddef>
#include <cstdint>

#include "director/io/result.h"

namespace tandem::director::io {

// Receive ring, TPACKET_V3: the kernel packs variable-length frames into
// blocks and hands a whole block over when it is full or its timer fires.
struct RxRingConfig {
  std::uint32_t block_size = 1U << 20;  // power of two, multiple of the page size
  std::uint32_t block_count = 16;
  // V3 packs frames by their real length; frame_size only has to divide the
  // block for the kernel's bookkeeping. The largest frame is a block minus
  // its descriptor.
  std::uint32_t frame_size = 2048;
  std::uint32_t block_timeout_ms = 4;  // retire a partly filled block; 0 = kernel default
  // Bytes the kernel leaves free before each frame (PACKET_RESERVE), so a
  // rewrite can prepend an outer header (TUN) in place.
  std::uint32_t headroom = 64;
};

struct RxGeometry {
  std::uint32_t block_size = 0;
  std::uint32_t block_count = 0;
  std::uint32_t frame_size = 0;
  std::uint32_t frame_count = 0;  // tp_frame_nr the kernel insists on
  std::uint32_t block_timeout_ms = 0;
  std::uint32_t headroom = 0;
  std::size_t mapped_bytes = 0;
  // Upper bound on frames one block can hold: sizing for the per-batch
  // Frame array so a block never needs an allocation.
  std::uint32_t max_frames_per_block = 0;
};

Expected<RxGeometry> plan_rx_ring(const RxRingConfig& config, std::size_t page_size);

// Transmit ring, TPACKET_V2: fixed slots, each a header then the frame.
struct TxRingConfig {
  std::uint32_t frame_size = 2048;  // slot size; a frame must fit after the slot header
  std::uint32_t frame_count = 512;
  std::uint32_t block_size = 1U << 16;
};

struct TxGeometry {
  std::uint32_t block_size = 0;
  std::uint32_t block_count = 0;
  std::uint32_t frame_size = 0;
  std::uint32_t frame_count = 0;
  std::uint32_t frames_per_block = 0;
  std::uint32_t data_offset = 0;  // where the kernel reads the frame within a slot
  std::uint32_t max_frame_len = 0;
  std::size_t mapped_bytes = 0;

  // Byte offset of slot `index` in the mapping; slots never straddle blocks.
  std::size_t slot_offset(std::uint32_t index) const {
    return static_cast<std::size_t>(index / frames_per_block) * block_size +
           static_cast<std::size_t>(index % frames_per_block) * frame_size;
  }
};

Expected<TxGeometry> plan_tx_ring(const TxRingConfig& config, std::size_t page_size);

}  // namespace tandem::director::io
