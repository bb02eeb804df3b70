#include "director/io/ring_geometry.h"

#include <gtest/gtest.h>

namespace tandem::director::io {
namespace {

constexpr std::size_t kPage = 4096;

TEST(RxRingGeometry, DefaultsGiveTheKernelsFrameCount) {
  auto g = plan_rx_ring(RxRingConfig{}, kPage);
  ASSERT_TRUE(g.ok()) << g.error().message;
  // 1 MiB blocks of 2048-byte frames: 512 per block, 16 blocks.
  EXPECT_EQ(g->frame_count, 512U * 16U);
  EXPECT_EQ(g->mapped_bytes, std::size_t{16} << 20);
  // (1048576 - 48) / 68 + 1: each frame needs at least its 68-byte header+sll.
  EXPECT_EQ(g->max_frames_per_block, 15420U);
}

TEST(RxRingGeometry, RejectsBlockNotAMultipleOfThePage) {
  RxRingConfig c;
  c.block_size = 6000;
  auto g = plan_rx_ring(c, kPage);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message.find("block_size"), std::string::npos);
}

TEST(RxRingGeometry, RejectsNonPowerOfTwoBlock) {
  RxRingConfig c;
  c.block_size = 3 * 4096;
  EXPECT_FALSE(plan_rx_ring(c, kPage).ok());
}

TEST(RxRingGeometry, RejectsFrameSmallerThanHeaderPlusHeadroom) {
  RxRingConfig c;
  c.frame_size = 128;
  c.headroom = 64;  // 68 + 64 = 132 > 128
  auto g = plan_rx_ring(c, kPage);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message.find("frame_size"), std::string::npos);
  c.frame_size = 144;
  EXPECT_TRUE(plan_rx_ring(c, kPage).ok());
}

TEST(RxRingGeometry, RejectsUnalignedFrameAndFrameLargerThanBlock) {
  RxRingConfig c;
  c.frame_size = 2050;
  EXPECT_FALSE(plan_rx_ring(c, kPage).ok());
  c.frame_size = 4096;
  c.block_size = 4096;  // a frame must leave room for the 48-byte descriptor
  EXPECT_FALSE(plan_rx_ring(c, kPage).ok());
}

TEST(RxRingGeometry, RejectsZeroBlocksAndHugeRings) {
  RxRingConfig c;
  c.block_count = 0;
  EXPECT_FALSE(plan_rx_ring(c, kPage).ok());
  c.block_count = 8192;  // 8 GiB of 1 MiB blocks
  EXPECT_FALSE(plan_rx_ring(c, kPage).ok());
}

TEST(TxRingGeometry, RoundsFrameCountUpToWholeBlocks) {
  TxRingConfig c;
  c.block_size = 8192;
  c.frame_size = 2048;
  c.frame_count = 10;  // 4 per block -> 3 blocks, 12 slots
  auto g = plan_tx_ring(c, kPage);
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->frames_per_block, 4U);
  EXPECT_EQ(g->block_count, 3U);
  EXPECT_EQ(g->frame_count, 12U);
  EXPECT_EQ(g->mapped_bytes, 3U * 8192U);
  // The kernel reads the frame right after the 32-byte aligned tpacket2_hdr.
  EXPECT_EQ(g->data_offset, 32U);
  EXPECT_EQ(g->max_frame_len, 2016U);
}

TEST(TxRingGeometry, SlotsNeverStraddleBlocks) {
  TxRingConfig c;
  c.block_size = 8192;
  c.frame_size = 3008;  // 2 per block, 2176 bytes of slack at each block's end
  c.frame_count = 6;
  auto g = plan_tx_ring(c, kPage);
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->slot_offset(0), 0U);
  EXPECT_EQ(g->slot_offset(1), 3008U);
  EXPECT_EQ(g->slot_offset(2), 8192U);
  EXPECT_EQ(g->slot_offset(5), 2U * 8192U + 3008U);
  for (std::uint32_t i = 0; i < g->frame_count; ++i)
    EXPECT_LE(g->slot_offset(i) % c.block_size + c.frame_size, c.block_size);
}

TEST(TxRingGeometry, RejectsBadSlots) {
  TxRingConfig c;
  c.frame_size = 64;  // cannot hold the 52-byte header and a 60-byte frame
  EXPECT_FALSE(plan_tx_ring(c, kPage).ok());
  c.frame_size = 2056 + 1;
  EXPECT_FALSE(plan_tx_ring(c, kPage).ok());
  c.frame_size = 2048;
  c.frame_count = 0;
  EXPECT_FALSE(plan_tx_ring(c, kPage).ok());
  c.frame_count = 1;
  c.block_size = 1024;  // below a page
  EXPECT_FALSE(plan_tx_ring(c, kPage).ok());
}

}  // namespace
}  // namespace tandem::director::io
