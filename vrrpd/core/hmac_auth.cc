#include "vrrpd/core/hmac_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "vrrpd/core/advert.h"

namespace tandem::vrrp {
namespace {

constexpr std::size_t kSignedHeader = 12;  // option bytes covered by the MAC

void put32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

// False only if OpenSSL itself fails; the caller then treats the MAC as bad.
bool compute_mac(const AuthKey& key, net::Ipv4 src, net::Ipv4 dst,
                 std::span<const std::uint8_t> header, std::span<const std::uint8_t> message,
                 std::array<std::uint8_t, kAuthMacSize>& mac) {
  // A bounded stack buffer: the message was already length-checked by decode.
  std::array<std::uint8_t, 8 + kSignedHeader + kMaxMessageSize> input{};
  if (message.size() > kMaxMessageSize || header.size() != kSignedHeader) return false;
  put32(input.data(), src.value);
  put32(input.data() + 4, dst.value);
  std::copy(header.begin(), header.end(), input.begin() + 8);
  std::copy(message.begin(), message.end(), input.begin() + 8 + kSignedHeader);
  const std::size_t len = 8 + kSignedHeader + message.size();
  std::array<unsigned char, EVP_MAX_MD_SIZE> full{};
  unsigned int full_len = 0;
  const unsigned char* ok =
      HMAC(EVP_sha256(), key.secret.data(), static_cast<int>(key.secret.size()), input.data(), len,
           full.data(), &full_len);
  if (ok == nullptr || full_len < kAuthMacSize) return false;
  std::copy_n(full.begin(), kAuthMacSize, mac.begin());
  return true;
}

}  // namespace

void AuthKeyRing::add(AuthKey key) {
  remove(key.id);
  keys_.push_back(std::move(key));
}

void AuthKeyRing::remove(std::uint8_t id) {
  std::erase_if(keys_, [id](const AuthKey& k) { return k.id == id; });
  if (send_id_ == id) send_id_ = -1;
}

bool AuthKeyRing::set_send_key(std::uint8_t id) {
  if (find(id) == nullptr) return false;
  send_id_ = id;
  return true;
}

const AuthKey* AuthKeyRing::find(std::uint8_t id) const {
  auto it = std::ranges::find_if(keys_, [id](const AuthKey& k) { return k.id == id; });
  return it == keys_.end() ? nullptr : &*it;
}

const AuthKey* AuthKeyRing::find_send() const {
  return send_id_ < 0 ? nullptr : find(static_cast<std::uint8_t>(send_id_));
}

AuthOption sign_advert(const AuthKey& key, std::uint64_t sequence, net::Ipv4 src, net::Ipv4 dst,
                       std::span<const std::uint8_t> vrrp_message) {
  AuthOption opt{};
  opt[0] = kAuthOptionType;
  opt[1] = kAuthOptionSize;
  opt[2] = key.id;
  opt[3] = 0;
  put32(opt.data() + 4, static_cast<std::uint32_t>(sequence >> 32));
  put32(opt.data() + 8, static_cast<std::uint32_t>(sequence));
  std::array<std::uint8_t, kAuthMacSize> mac{};
  compute_mac(key, src, dst, std::span(opt).first(kSignedHeader), vrrp_message, mac);
  std::copy(mac.begin(), mac.end(), opt.begin() + kSignedHeader);
  return opt;
}

bool ReplayWindow::acceptable(std::uint64_t seq) const {
  if (!started_ || seq > highest_) return true;
  const std::uint64_t age = highest_ - seq;
  if (age >= 64) return false;
  return (seen_ >> age & 1U) == 0;
}

void ReplayWindow::record(std::uint64_t seq) {
  if (!started_) {
    started_ = true;
    highest_ = seq;
    seen_ = 1;
    return;
  }
  if (seq > highest_) {
    const std::uint64_t shift = seq - highest_;
    seen_ = shift >= 64 ? 0 : seen_ << shift;
    seen_ |= 1;
    highest_ = seq;
  } else {
    seen_ |= std::uint64_t{1} << (highest_ - seq);
  }
}

std::span<const std::uint8_t> find_ipv4_option(std::span<const std::uint8_t> options,
                                               std::uint8_t type, bool& malformed) {
  malformed = false;
  std::span<const std::uint8_t> found;
  std::size_t i = 0;
  while (i < options.size()) {
    const std::uint8_t t = options[i];
    if (t == 0) break;  // end of option list
    if (t == 1) {       // no-operation
      ++i;
      continue;
    }
    if (i + 1 >= options.size() || options[i + 1] < 2 || i + options[i + 1] > options.size()) {
      malformed = true;
      return {};
    }
    const std::size_t len = options[i + 1];
    if (t == type) {
      if (!found.empty()) {
        malformed = true;
        return {};
      }
      found = options.subspan(i, len);
    }
    i += len;
  }
  return found;
}

AuthError AuthVerifier::verify(net::Ipv4 src, net::Ipv4 dst,
                               std::span<const std::uint8_t> ip_options,
                               std::span<const std::uint8_t> vrrp_message) {
  bool malformed = false;
  auto opt = find_ipv4_option(ip_options, kAuthOptionType, malformed);
  if (malformed) return AuthError::kMalformed;
  if (opt.empty()) return AuthError::kMissing;
  if (opt.size() != kAuthOptionSize) return AuthError::kMalformed;
  const AuthKey* key = keys_->find(opt[2]);
  if (key == nullptr) return AuthError::kUnknownKey;
  std::array<std::uint8_t, kAuthMacSize> mac{};
  if (!compute_mac(*key, src, dst, opt.first(kSignedHeader), vrrp_message, mac) ||
      CRYPTO_memcmp(mac.data(), opt.data() + kSignedHeader, kAuthMacSize) != 0) {
    return AuthError::kBadMac;
  }
  std::uint64_t seq = 0;
  for (std::size_t i = 4; i < 12; ++i) seq = seq << 8 | opt[i];
  ReplayWindow& w = windows_[src.value];
  if (!w.acceptable(seq)) return AuthError::kReplay;
  w.record(seq);
  return AuthError::kOk;
}

const char* to_string(AuthError e) {
  switch (e) {
    case AuthError::kOk:
      return "ok";
    case AuthError::kMissing:
      return "auth-missing";
    case AuthError::kMalformed:
      return "auth-malformed";
    case AuthError::kUnknownKey:
      return "auth-unknown-key";
    case AuthError::kBadMac:
      return "auth-bad-mac";
    case AuthError::kReplay:
      return "auth-replay";
  }
  return "unknown";
}

}  // namespace tandem::vrrp
