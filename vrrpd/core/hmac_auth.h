#pragma once
// Optional advert authentication between Tandem peers (off by default, beyond
// the RFCs): HMAC-SHA256 truncated to 128 bits, a 64-bit sequence number
// against replay and a key id for rotation.
//
// It travels as an IPv4 option so the VRRP message itself stays byte-for-byte
// RFC: keepalived sizes a received packet as IHL + VRRP length and ignores
// options, and Linux passes unknown options through on receive. Option 30 is
// the RFC 4727 experimental number (copy=0, class=0).
//
// IPv4 option layout (28 bytes, keeps IHL a whole number of words):
//   0  type = 30
//   1  length = 28
//   2  key id
//   3  reserved, 0 on send, ignored on receive
//   4  sequence number, 64 bits, network order
//  12  MAC: first 16 bytes of HMAC-SHA256(key,
//          IPv4 src (4) | IPv4 dst (4) | option bytes 0..11 | VRRP message)
//
// The sender's sequence must grow across its restarts (vrrpd seeds it from
// wall-clock microseconds); each receiver keeps a 64-entry sliding window per
// sender address, updated only by adverts whose MAC verified.

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "common/net/address.h"

namespace tandem::vrrp {

inline constexpr std::uint8_t kAuthOptionType = 30;
inline constexpr std::size_t kAuthOptionSize = 28;
inline constexpr std::size_t kAuthMacSize = 16;

struct AuthKey {
  std::uint8_t id = 0;
  std::vector<std::uint8_t> secret;
};

// Every key in the ring is accepted on receive; one of them signs. Rotation:
// add the new key everywhere, then switch each sender, then remove the old.
class AuthKeyRing {
 public:
  void add(AuthKey key);  // replaces a key with the same id
  void remove(std::uint8_t id);
  bool set_send_key(std::uint8_t id);  // false when the id is unknown
  const AuthKey* find(std::uint8_t id) const;
  const AuthKey* send_key() const { return find_send(); }

 private:
  const AuthKey* find_send() const;
  std::vector<AuthKey> keys_;
  int send_id_ = -1;
};

using AuthOption = std::array<std::uint8_t, kAuthOptionSize>;

// Builds the option for one outgoing advert.
AuthOption sign_advert(const AuthKey& key, std::uint64_t sequence, net::Ipv4 src, net::Ipv4 dst,
                       std::span<const std::uint8_t> vrrp_message);

// Sliding anti-replay window (RFC 4303 3.4.3 style) over 64 sequence numbers.
class ReplayWindow {
 public:
  bool acceptable(std::uint64_t seq) const;
  void record(std::uint64_t seq);  // call only for acceptable, authenticated seq

 private:
  bool started_ = false;
  std::uint64_t highest_ = 0;
  std::uint64_t seen_ = 0;  // bit i: highest_ - i was seen
};

enum class AuthError : std::uint8_t {
  kOk = 0,
  kMissing,     // no option 30 in the IPv4 options
  kMalformed,   // options list or option 30 badly formed, or present twice
  kUnknownKey,  // key id not in the ring
  kBadMac,
  kReplay,  // sequence already seen or older than the window
};

class AuthVerifier {
 public:
  explicit AuthVerifier(const AuthKeyRing& keys) : keys_(&keys) {}
  // On kOk the sender's replay window has advanced.
  AuthError verify(net::Ipv4 src, net::Ipv4 dst, std::span<const std::uint8_t> ip_options,
                   std::span<const std::uint8_t> vrrp_message);

 private:
  const AuthKeyRing* keys_;
  std::map<std::uint32_t, ReplayWindow> windows_;  // by sender; only MAC-verified senders
};

// Finds option `type` in an IPv4 options list. Returns an empty span when
// absent; sets malformed when the list cannot be walked or holds it twice.
std::span<const std::uint8_t> find_ipv4_option(std::span<const std::uint8_t> options,
                                               std::uint8_t type, bool& malformed);

const char* to_string(AuthError e);

}  // namespace tandem::vrrp
