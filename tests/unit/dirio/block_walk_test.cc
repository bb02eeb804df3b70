#include "director/io/block_walk.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

namespace tandem::director::io {
namespace {

// Field offsets written out by hand from <linux/if_packet.h>, not taken from
// the structs, so a wrong assumption in the walker about the layout fails
// here.
//   tpacket_block_desc: version 0, offset_to_priv 4, block_status 8,
//     num_pkts 12, offset_to_first_pkt 16, blk_len 20, seq_num 24 (u64),
//     ts_first_pkt 32, ts_last_pkt 40; 48 bytes.
//   tpacket3_hdr: tp_next_offset 0, tp_sec 4, tp_nsec 8, tp_snaplen 12,
//     tp_len 16, tp_status 20, tp_mac 24 (u16), tp_net 26 (u16),
//     hv1.tp_rxhash 28, hv1.tp_vlan_tci 32, hv1.tp_vlan_tpid 36 (u16); 48 bytes.
//   sockaddr_ll follows at 48 (TPACKET_ALIGN(48)); sll_pkttype is its byte 10.
// The kernel puts the MAC header at TPACKET_ALIGN(68 + 16) - 14 + reserve =
// 82 + reserve, and the next frame at TPACKET_ALIGN(tp_mac + snaplen).
void put32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) {
  std::memcpy(b.data() + at, &v, 4);
}
void put16(std::vector<std::uint8_t>& b, std::size_t at, std::uint16_t v) {
  std::memcpy(b.data() + at, &v, 2);
}

struct SyntheticFrame {
  std::vector<std::uint8_t> bytes;
  std::uint32_t wire_len = 0;
  std::uint32_t status = 0;
  std::uint32_t rxhash = 0;
  std::uint16_t tci = 0;
  std::uint8_t pkttype = 0;
};

class BlockBuilder {
 public:
  explicit BlockBuilder(std::size_t size, std::uint32_t reserve = 0)
      : block_(size, 0xEE), reserve_(reserve) {
    std::memset(block_.data(), 0, 48);
  }

  std::size_t add(const SyntheticFrame& f) {
    const std::uint32_t mac = 82 + reserve_;
    const std::size_t at = end_;
    std::memset(block_.data() + at, 0, mac);
    put32(block_, at + 0, 0);
    put32(block_, at + 4, 1700000000);
    put32(block_, at + 8, 123456789);
    put32(block_, at + 12, static_cast<std::uint32_t>(f.bytes.size()));
    put32(block_, at + 16,
          f.wire_len != 0 ? f.wire_len : static_cast<std::uint32_t>(f.bytes.size()));
    put32(block_, at + 20, f.status);
    put16(block_, at + 24, static_cast<std::uint16_t>(mac));
    put16(block_, at + 26, static_cast<std::uint16_t>(mac + 14));
    put32(block_, at + 28, f.rxhash);
    put32(block_, at + 32, f.tci);
    block_[at + 48 + 10] = f.pkttype;
    std::memcpy(block_.data() + at + mac, f.bytes.data(), f.bytes.size());
    const std::size_t next = (mac + f.bytes.size() + 15) & ~std::size_t{15};
    if (last_ != 0 || count_ > 0) put32(block_, last_, static_cast<std::uint32_t>(at - last_));
    last_ = at;
    end_ = at + next;
    ++count_;
    return at;
  }

  std::vector<std::uint8_t> finish() {
    put32(block_, 0, 3);
    put32(block_, 8, 1);  // TP_STATUS_USER
    put32(block_, 12, count_);
    put32(block_, 16, 48);
    put32(block_, 20, static_cast<std::uint32_t>(end_));
    const std::uint64_t seq = 7;
    std::memcpy(block_.data() + 24, &seq, 8);
    return block_;
  }

 private:
  std::vector<std::uint8_t> block_;
  std::uint32_t reserve_;
  std::size_t end_ = 48;
  std::size_t last_ = 0;
  std::uint32_t count_ = 0;
};

std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 7);
  return v;
}

std::vector<Frame> walk_all(std::span<std::uint8_t> block, BlockFault* fault = nullptr) {
  BlockWalker w(block);
  std::vector<Frame> out;
  Frame f;
  while (w.next(f)) out.push_back(f);
  if (fault != nullptr) *fault = w.fault();
  return out;
}

TEST(BlockWalk, HandLaidOutBlockWithTwoFrames) {
  BlockBuilder b(4096, 16);
  SyntheticFrame a{pattern(60, 1), 60, 0x8 /*CSUMNOTREADY*/, 0xA1B2C3D4, 0, 0 /*HOST*/};
  SyntheticFrame c{pattern(100, 9), 1514, 0x10 /*VLAN_VALID*/, 42, 0x0123, 3 /*OTHERHOST*/};
  const std::size_t first_at = b.add(a);
  const std::size_t second_at = b.add(c);
  // First frame at 48, MAC at 48 + 98 = 146, ends at 206 -> next at 48 + 160.
  EXPECT_EQ(first_at, 48U);
  EXPECT_EQ(second_at, 208U);
  auto block = b.finish();

  BlockWalker w(block);
  EXPECT_EQ(w.info().num_frames, 2U);
  EXPECT_EQ(w.info().first_offset, 48U);
  EXPECT_EQ(w.info().length, 208U + 208U);  // TPACKET_ALIGN(98 + 100) = 208
  EXPECT_EQ(w.info().sequence, 7U);

  Frame f;
  ASSERT_TRUE(w.next(f));
  EXPECT_EQ(f.data.data(), block.data() + 146);
  EXPECT_EQ(std::vector<std::uint8_t>(f.data.begin(), f.data.end()), a.bytes);
  EXPECT_EQ(f.headroom, 98U - 48U);
  EXPECT_EQ(f.wire_length, 60U);
  EXPECT_TRUE(f.checksum_not_ready);
  EXPECT_FALSE(f.vlan_valid);
  EXPECT_EQ(f.rx_hash, 0xA1B2C3D4U);
  EXPECT_EQ(f.kernel_time_ns, 1700000000ULL * 1000000000ULL + 123456789ULL);
  EXPECT_EQ(f.action, Action::kDrop);

  ASSERT_TRUE(w.next(f));
  EXPECT_EQ(f.data.data(), block.data() + 208 + 98);
  EXPECT_EQ(std::vector<std::uint8_t>(f.data.begin(), f.data.end()), c.bytes);
  EXPECT_EQ(f.wire_length, 1514U);
  EXPECT_TRUE(f.vlan_valid);
  EXPECT_EQ(f.vlan_tci, 0x0123);
  EXPECT_EQ(f.pkt_type, 3);
  EXPECT_FALSE(w.next(f));
  EXPECT_EQ(w.fault(), BlockFault::kNone);
  EXPECT_EQ(w.frames_read(), 2U);
}

TEST(BlockWalk, HeadroomLetsAFramePrependInPlace) {
  BlockBuilder b(4096, 32);
  b.add({pattern(60, 1)});
  auto block = b.finish();
  auto frames = walk_all(block);
  ASSERT_EQ(frames.size(), 1U);
  // 20 bytes of an outer IPv4 header plus 14 of Ethernet fit before the frame.
  ASSERT_GE(frames[0].headroom, 34U);
  auto all = frames[0].with_headroom();
  EXPECT_EQ(all.data() + frames[0].headroom, frames[0].data.data());
  EXPECT_EQ(all.size(), frames[0].headroom + 60U);
  EXPECT_GE(all.data(), block.data() + 48 + 48);  // never into the frame header
}

TEST(BlockWalk, EmptyBlockHasNoFramesAndNoFault) {
  BlockBuilder b(4096);
  auto block = b.finish();
  BlockFault fault{};
  EXPECT_TRUE(walk_all(block, &fault).empty());
  EXPECT_EQ(fault, BlockFault::kNone);
}

TEST(BlockWalk, BlockShorterThanDescriptor) {
  std::vector<std::uint8_t> block(40, 0);
  BlockFault fault{};
  EXPECT_TRUE(walk_all(block, &fault).empty());
  EXPECT_EQ(fault, BlockFault::kShortBlock);
}

TEST(BlockWalk, FirstOffsetInsideDescriptorOrPastBlock) {
  BlockBuilder b(4096);
  b.add({pattern(60, 1)});
  auto block = b.finish();
  for (std::uint32_t bad : {0U, 47U, 4096U, 0xFFFFFFFFU}) {
    put32(block, 16, bad);
    BlockFault fault{};
    EXPECT_TRUE(walk_all(block, &fault).empty()) << bad;
    EXPECT_EQ(fault, BlockFault::kBadFirstOffset) << bad;
  }
}

TEST(BlockWalk, BlockLengthPastBlockOrBeforeFirstFrame) {
  BlockBuilder b(4096);
  b.add({pattern(60, 1)});
  auto block = b.finish();
  put32(block, 20, 4097);
  BlockFault fault{};
  EXPECT_TRUE(walk_all(block, &fault).empty());
  EXPECT_EQ(fault, BlockFault::kBadBlockLength);
  put32(block, 20, 40);
  EXPECT_TRUE(walk_all(block, &fault).empty());
  EXPECT_EQ(fault, BlockFault::kBadBlockLength);
}

TEST(BlockWalk, SnapLengthRunningPastTheBlockIsRefused) {
  BlockBuilder b(4096);
  const std::size_t at = b.add({pattern(60, 1)});
  auto block = b.finish();
  for (std::uint32_t snap : {61U + 16U, 4096U, 0xFFFFFFFFU}) {
    put32(block, at + 12, snap);
    BlockFault fault{};
    EXPECT_TRUE(walk_all(block, &fault).empty()) << snap;
    EXPECT_EQ(fault, BlockFault::kFrameDataOutside) << snap;
  }
}

TEST(BlockWalk, MacOffsetIntoTheFrameHeaderIsRefused) {
  BlockBuilder b(4096);
  const std::size_t at = b.add({pattern(60, 1)});
  auto block = b.finish();
  put16(block, at + 24, 20);
  BlockFault fault{};
  EXPECT_TRUE(walk_all(block, &fault).empty());
  EXPECT_EQ(fault, BlockFault::kFrameDataOutside);
  put16(block, at + 24, 0xFFFF);
  EXPECT_TRUE(walk_all(block, &fault).empty());
  EXPECT_EQ(fault, BlockFault::kFrameDataOutside);
}

TEST(BlockWalk, ZeroNextOffsetBeforeTheLastFrameStopsTheWalk) {
  BlockBuilder b(4096);
  const std::size_t at = b.add({pattern(60, 1)});
  b.add({pattern(60, 2)});
  auto block = b.finish();
  put32(block, at, 0);  // would revisit the same frame forever
  BlockFault fault{};
  EXPECT_EQ(walk_all(block, &fault).size(), 1U);
  EXPECT_EQ(fault, BlockFault::kBadNextOffset);
}

TEST(BlockWalk, NextOffsetOverlappingTheFrameOrPastTheEnd) {
  BlockBuilder b(4096);
  const std::size_t at = b.add({pattern(60, 1)});
  b.add({pattern(60, 2)});
  auto block = b.finish();
  for (std::uint32_t bad : {100U, 141U, 4096U, 0xFFFFFFF0U}) {
    put32(block, at, bad);
    BlockFault fault{};
    EXPECT_EQ(walk_all(block, &fault).size(), 1U) << bad;
    EXPECT_EQ(fault, BlockFault::kBadNextOffset) << bad;
  }
}

TEST(BlockWalk, MoreFramesClaimedThanPresent) {
  BlockBuilder b(4096);
  b.add({pattern(60, 1)});
  b.add({pattern(60, 2)});
  auto block = b.finish();
  put32(block, 12, 1000000);
  BlockFault fault{};
  // The last real frame has next offset 0, which is invalid for a frame that
  // is not last: the walk stops after it.
  EXPECT_EQ(walk_all(block, &fault).size(), 2U);
  EXPECT_EQ(fault, BlockFault::kBadNextOffset);
}

TEST(BlockWalk, TruncatedBlockBuffer) {
  BlockBuilder b(4096);
  b.add({pattern(60, 1)});
  b.add({pattern(200, 2)});
  auto block = b.finish();
  // Hand the walker only part of the block: blk_len now lies past the end.
  std::vector<std::uint8_t> cut(block.begin(), block.begin() + 300);
  BlockFault fault{};
  EXPECT_TRUE(walk_all(cut, &fault).empty());
  EXPECT_EQ(fault, BlockFault::kBadBlockLength);
}

// Random damage to a valid block must never make the walker hand out a span
// outside the block (ASan builds also catch any stray read).
TEST(BlockWalk, RandomCorruptionStaysInBounds) {
  BlockBuilder b(2048);
  for (int i = 0; i < 6; ++i) b.add({pattern(60 + 37 * i, static_cast<std::uint8_t>(i))});
  const auto good = b.finish();
  std::mt19937 rng(12345);
  int faults = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<std::uint8_t> block = good;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      // Mostly header bytes, where offsets live.
      const std::size_t at = rng() % 3 == 0 ? rng() % block.size() : rng() % 400;
      if (rng() % 2 == 0)
        block[at] = static_cast<std::uint8_t>(rng());
      else if (at + 4 <= block.size())
        put32(block, at, rng() % 2 == 0 ? 0xFFFFFFFFU : static_cast<std::uint32_t>(rng()));
    }
    std::vector<std::uint8_t> exact(block.begin(), block.end());
    BlockWalker w(exact);
    Frame f;
    int n = 0;
    while (w.next(f)) {
      ASSERT_GE(f.data.data(), exact.data());
      ASSERT_LE(f.data.data() + f.data.size(), exact.data() + exact.size());
      ASSERT_GE(f.data.data() - f.headroom, exact.data());
      ASSERT_LT(n++, 2048);
    }
    faults += w.fault() != BlockFault::kNone ? 1 : 0;
  }
  EXPECT_GT(faults, 0);
}

}  // namespace
}  // namespace tandem::director::io
