#include "common/sync/hmac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace tandem::sync {

std::optional<HmacDigest> hmac_sha256(std::span<const std::uint8_t> key,
                                      std::span<const std::uint8_t> data) {
  HmacDigest out{};
  unsigned int len = 0;
  // OpenSSL wants non-null pointers even for empty inputs.
  static const std::uint8_t kEmpty = 0;
  const unsigned char* k = key.empty() ? &kEmpty : key.data();
  const unsigned char* d = data.empty() ? &kEmpty : data.data();
  if (HMAC(EVP_sha256(), k, static_cast<int>(key.size()), d, data.size(), out.data(), &len) ==
          nullptr ||
      len != kHmacSize) {
    return std::nullopt;
  }
  return out;
}

bool digest_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace tandem::sync
