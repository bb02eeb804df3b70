#pragma once
// The receive checks of RFC 5798 7.1 / RFC 3768 7.1 over one received packet:
// the IPv4 header fields the adapter saw plus the VRRP message. Each failure
// is its own RxError so vrrpd can count and log it.
//
// Drops (RFC MUST discard):  TTL != 255, wrong or unconfigured version, bad
// type, incomplete message, bad checksum, VRID not configured, we are the
// address owner (priority 255) ourselves, v2 auth type / password mismatch,
// v2 interval mismatch, address list mismatch from a non-owner sender.
// Beyond the RFCs (hostile input, keepalived behaviour): zero interval,
// trailing bytes, destination neither 224.0.0.18 nor (unicast mode) ours,
// unicast source not a configured peer, our own advert looped back, and the
// optional HMAC option failing.
// Log only (accepted, flagged in RxResult::warnings): address list mismatch
// from the owner (priority 255), v3 interval differing from ours (RFC 9568
// asks to log it; the backup adopts the master's interval).

#include <cstdint>
#include <span>

#include "common/net/address.h"
#include "vrrpd/core/advert.h"
#include "vrrpd/core/hmac_auth.h"

namespace tandem::vrrp {

struct RxPacket {
  net::Ipv4 src;
  net::Ipv4 dst;
  std::uint8_t ttl = 0;
  std::span<const std::uint8_t> ip_options;  // bytes between the 20-byte header and the payload
  std::span<const std::uint8_t> payload;     // the VRRP message
};

// What the checks need to know about one configured instance.
struct RxInstance {
  Version version = Version::kV3;
  std::uint8_t vrid = 0;
  std::uint8_t priority = 100;   // configured priority; 255 = we own the addresses
  std::uint16_t interval = 100;  // wire units: centiseconds (v3) or seconds (v2)
  std::span<const net::Ipv4> addresses;
  bool check_addresses = true;  // RFC "MAY verify"; on, as keepalived does
  V2AuthType v2_auth = V2AuthType::kNone;
  std::array<std::uint8_t, kV2AuthSize> v2_password{};
  net::Ipv4 primary;                         // our source address
  std::span<const net::Ipv4> unicast_peers;  // empty: multicast mode
  AuthVerifier* hmac = nullptr;              // optional Tandem-only authentication
};

enum class RxError : std::uint8_t {
  kOk = 0,
  kBadTtl,
  kTooShort,
  kTruncated,
  kTrailingBytes,
  kBadVersion,  // not 2/3, or not the version configured for the VRID
  kBadType,
  kBadChecksum,
  kBadDestination,
  kUnknownVrid,
  kOwnerConflict,  // we are priority 255 for this VRID
  kLoopedBack,     // source is our own primary address
  kUnknownPeer,    // unicast mode and source not configured
  kZeroInterval,
  kIntervalMismatch,  // v2 only
  kAuthTypeMismatch,  // v2 auth type differs from ours
  kAuthDataMismatch,  // v2 simple text password differs
  kHmacMissing,
  kHmacMalformed,
  kHmacUnknownKey,
  kHmacBadMac,
  kHmacReplay,
  kAddressMismatch,  // count/list differ and sender is not the owner
  kCount_,
};

enum RxWarning : std::uint32_t {
  kWarnNone = 0,
  kWarnAddressMismatchFromOwner = 1U << 0,
  kWarnIntervalDiffers = 1U << 1,
};

struct RxResult {
  RxError error = RxError::kOk;
  int instance = -1;  // index into the instances when the VRID matched
  std::uint32_t warnings = kWarnNone;
  Advert advert;  // complete only when error == kOk
};

// Checks in the RFC's order, so the first failing rule is the one counted.
// `instances` are those configured on the receiving interface.
RxResult check_receive(const RxPacket& packet, std::span<const RxInstance> instances);

const char* to_string(RxError e);

}  // namespace tandem::vrrp
