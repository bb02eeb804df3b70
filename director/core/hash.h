#pragma once
// The hash functions IPVS schedulers use, so that dh/sh/mh map clients to
// servers the same way a kernel director would.

#include <cstdint>

namespace tandem::director {

// Linux hash_32(): multiply by the 32-bit golden ratio and keep the top bits.
constexpr std::uint32_t hash_32(std::uint32_t value, unsigned bits) {
  return static_cast<std::uint32_t>(value * 0x61C88647u) >> (32 - bits);
}

// SipHash with c compression and d finalisation rounds over 64-bit words.
// IPVS mh uses hsiphash(), which on 64-bit kernels is SipHash-1-3 truncated
// to 32 bits; 2-4 is exposed so the implementation can be checked against
// the published SipHash test vectors.
std::uint64_t siphash(const std::uint8_t* data, std::uint32_t len, std::uint64_t k0,
                      std::uint64_t k1, int c_rounds, int d_rounds);

// hsiphash() of one 32-bit value (stored little-endian, as the kernel hashes
// the bytes of a u32 on x86/arm64) with the key {k, k}.
std::uint32_t hsiphash_u32(std::uint32_t value, std::uint64_t k);

}  // namespace tandem::director
