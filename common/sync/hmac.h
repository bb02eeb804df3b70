#pragma once
// HMAC-SHA256 (RFC 2104 / FIPS 198-1) through OpenSSL, as a pure function:
// no state, no I/O, usable from the sync core and its tests alike.

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace tandem::sync {

inline constexpr std::size_t kHmacSize = 32;
using HmacDigest = std::array<std::uint8_t, kHmacSize>;

// nullopt only if OpenSSL itself fails; callers must then refuse to sign or
// to accept, never fall back to a fixed value.
std::optional<HmacDigest> hmac_sha256(std::span<const std::uint8_t> key,
                                      std::span<const std::uint8_t> data);

// Constant-time comparison, so a forger learns nothing from reply timing.
bool digest_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

}  // namespace tandem::sync
