#include "director/core/hash.h"

namespace tandem::director {
namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

struct SipState {
  std::uint64_t v0, v1, v2, v3;
  void round() {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  }
};

std::uint64_t load_le(const std::uint8_t* p, std::uint32_t n) {
  std::uint64_t v = 0;
  for (std::uint32_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

}  // namespace

std::uint64_t siphash(const std::uint8_t* data, std::uint32_t len, std::uint64_t k0,
                      std::uint64_t k1, int c_rounds, int d_rounds) {
  SipState s{0x736f6d6570736575ULL ^ k0, 0x646f72616e646f6dULL ^ k1, 0x6c7967656e657261ULL ^ k0,
             0x7465646279746573ULL ^ k1};
  const std::uint32_t full = len / 8;
  for (std::uint32_t i = 0; i < full; ++i) {
    const std::uint64_t m = load_le(data + 8 * i, 8);
    s.v3 ^= m;
    for (int r = 0; r < c_rounds; ++r) s.round();
    s.v0 ^= m;
  }
  const std::uint64_t b =
      (static_cast<std::uint64_t>(len) << 56) | load_le(data + 8 * full, len % 8);
  s.v3 ^= b;
  for (int r = 0; r < c_rounds; ++r) s.round();
  s.v0 ^= b;
  s.v2 ^= 0xff;
  for (int r = 0; r < d_rounds; ++r) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

std::uint32_t hsiphash_u32(std::uint32_t value, std::uint64_t k) {
  const std::uint8_t bytes[4] = {
      static_cast<std::uint8_t>(value), static_cast<std::uint8_t>(value >> 8),
      static_cast<std::uint8_t>(value >> 16), static_cast<std::uint8_t>(value >> 24)};
  return static_cast<std::uint32_t>(siphash(bytes, 4, k, k, 1, 3));
}

}  // namespace tandem::director
