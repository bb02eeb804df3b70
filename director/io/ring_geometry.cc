#include "director/io/ring_geometry.h"

#include <linux/if_packet.h>

#include <limits>
#include <optional>
#include <string>

namespace tandem::director::io {
namespace {

constexpr std::uint32_t kAlign = TPACKET_ALIGNMENT;
// The block descriptor rounded to 8 bytes; frames start after it (we ask for
// no private area).
constexpr std::uint32_t kBlockHeaderLen = 48;
constexpr std::uint32_t kV3HeaderLen = TPACKET3_HDRLEN;
constexpr std::uint32_t kV2DataOffset = TPACKET_ALIGN(sizeof(tpacket2_hdr));
constexpr std::uint32_t kV2HeaderLen = TPACKET2_HDRLEN;
// The kernel allocates each block as 2^order pages; above this a single
// allocation is unlikely to succeed on a fragmented host.
constexpr std::uint32_t kMaxBlockSize = 1U << 26;
constexpr std::size_t kMaxMapped = std::size_t{1} << 32;

bool power_of_two(std::size_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}

Error bad(const std::string& field, const std::string& why) {
  return Error{field + ": " + why};
}

std::optional<Error> check_block(const char* name, std::uint32_t block_size, std::size_t page) {
  if (!power_of_two(page)) return bad("page size", "not a power of two");
  if (block_size < page || block_size % page != 0)
    return bad(name, "must be a multiple of the page size (" + std::to_string(page) + ")");
  // A non-power-of-two block still costs the next power of two in pages.
  if (!power_of_two(block_size)) return bad(name, "must be a power of two");
  if (block_size > kMaxBlockSize) return bad(name, "larger than 64 MiB");
  return std::nullopt;
}

}  // namespace

Expected<RxGeometry> plan_rx_ring(const RxRingConfig& c, std::size_t page_size) {
  if (auto e = check_block("block_size", c.block_size, page_size)) return *e;
  if (c.block_count == 0) return bad("block_count", "must be at least 1");
  if (c.headroom > 1024) return bad("headroom", "at most 1024 bytes");
  const std::uint32_t min_frame = kV3HeaderLen + c.headroom;
  if (c.frame_size < min_frame)
    return bad("frame_size",
               "must be at least " + std::to_string(min_frame) + " (frame header plus headroom)");
  if (c.frame_size % kAlign != 0) return bad("frame_size", "must be a multiple of 16");
  if (c.frame_size > c.block_size - kBlockHeaderLen)
    return bad("frame_size", "does not fit in a block after its descriptor");
  const std::uint32_t per_block = c.block_size / c.frame_size;
  if (per_block > std::numeric_limits<std::uint32_t>::max() / c.block_count)
    return bad("block_count", "frame count overflows");
  const std::size_t mapped = std::size_t{c.block_size} * c.block_count;
  if (mapped > kMaxMapped) return bad("block_count", "ring larger than 4 GiB");

  RxGeometry g;
  g.block_size = c.block_size;
  g.block_count = c.block_count;
  g.frame_size = c.frame_size;
  g.frame_count = per_block * c.block_count;
  g.block_timeout_ms = c.block_timeout_ms;
  g.headroom = c.headroom;
  g.mapped_bytes = mapped;
  // Every frame occupies at least its header and sockaddr_ll.
  g.max_frames_per_block = (c.block_size - kBlockHeaderLen) / kV3HeaderLen + 1;
  return g;
}

Expected<TxGeometry> plan_tx_ring(const TxRingConfig& c, std::size_t page_size) {
  if (auto e = check_block("tx block_size", c.block_size, page_size)) return *e;
  if (c.frame_size < kV2HeaderLen + 60)
    return bad("tx frame_size", "must hold the slot header and a minimum frame");
  if (c.frame_size % kAlign != 0) return bad("tx frame_size", "must be a multiple of 16");
  if (c.frame_size > c.block_size) return bad("tx frame_size", "larger than tx block_size");
  if (c.frame_count == 0) return bad("tx frame_count", "must be at least 1");
  const std::uint32_t per_block = c.block_size / c.frame_size;
  // Round up to whole blocks: the kernel wants frame_nr == blocks * per_block.
  const std::uint32_t blocks = (c.frame_count + per_block - 1) / per_block;
  const std::size_t mapped = std::size_t{c.block_size} * blocks;
  if (mapped > kMaxMapped) return bad("tx frame_count", "ring larger than 4 GiB");

  TxGeometry g;
  g.block_size = c.block_size;
  g.block_count = blocks;
  g.frame_size = c.frame_size;
  g.frames_per_block = per_block;
  g.frame_count = blocks * per_block;
  g.data_offset = kV2DataOffset;
  g.max_frame_len = c.frame_size - kV2DataOffset;
  g.mapped_bytes = mapped;
  return g;
}

}  // namespace tandem::director::io
