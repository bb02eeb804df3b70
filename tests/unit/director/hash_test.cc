#include "director/core/hash.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace tandem::director {
namespace {

TEST(Hash32, GoldenRatioTopBits) {
  // 1 * 0x61C88647 = 0x61C88647; top 8 bits 0x61 = 97.
  EXPECT_EQ(hash_32(1, 8), 97u);
  EXPECT_EQ(hash_32(0, 8), 0u);
  // 198.18.0.1 = 0xC6120001; 0xC6120001 * 0x61C88647 mod 2^32 = 0xBC..., top byte 188.
  EXPECT_EQ(hash_32(0xC6120001u, 8), 188u);
  EXPECT_EQ(hash_32(0xC6120002u, 8), 30u);
  // Fewer bits keep the top of the same product.
  EXPECT_EQ(hash_32(1, 4), 6u);
}

// Published SipHash-2-4 vectors (Aumasson & Bernstein), key 00 01 .. 0f.
TEST(SipHash, ReferenceVectors24) {
  const std::uint64_t k0 = 0x0706050403020100ULL;
  const std::uint64_t k1 = 0x0f0e0d0c0b0a0908ULL;
  std::array<std::uint8_t, 15> msg{};
  for (std::uint8_t i = 0; i < msg.size(); ++i) msg[i] = i;
  EXPECT_EQ(siphash(msg.data(), 0, k0, k1, 2, 4), 0x726fdb47dd0e0e31ULL);
  EXPECT_EQ(siphash(msg.data(), 15, k0, k1, 2, 4), 0xa129ca6149be45e5ULL);
}

TEST(SipHash, HalfVariantIsDeterministicAndKeyed) {
  EXPECT_EQ(hsiphash_u32(42, 2654435761ULL), hsiphash_u32(42, 2654435761ULL));
  EXPECT_NE(hsiphash_u32(42, 2654435761ULL), hsiphash_u32(42, 2654446892ULL));
  EXPECT_NE(hsiphash_u32(42, 2654435761ULL), hsiphash_u32(43, 2654435761ULL));
}

}  // namespace
}  // namespace tandem::director
