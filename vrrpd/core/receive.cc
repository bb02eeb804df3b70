#include "vrrpd/core/receive.h"

#include <openssl/crypto.h>

#include <algorithm>

namespace tandem::vrrp {
namespace {

RxError from_decode(DecodeError e) {
  switch (e) {
    case DecodeError::kOk:
      return RxError::kOk;
    case DecodeError::kTooShort:
      return RxError::kTooShort;
    case DecodeError::kTruncated:
      return RxError::kTruncated;
    case DecodeError::kTrailingBytes:
      return RxError::kTrailingBytes;
    case DecodeError::kBadVersion:
      return RxError::kBadVersion;
    case DecodeError::kBadType:
      return RxError::kBadType;
  }
  return RxError::kTooShort;
}

RxError from_auth(AuthError e) {
  switch (e) {
    case AuthError::kOk:
      return RxError::kOk;
    case AuthError::kMissing:
      return RxError::kHmacMissing;
    case AuthError::kMalformed:
      return RxError::kHmacMalformed;
    case AuthError::kUnknownKey:
      return RxError::kHmacUnknownKey;
    case AuthError::kBadMac:
      return RxError::kHmacBadMac;
    case AuthError::kReplay:
      return RxError::kHmacReplay;
  }
  return RxError::kHmacBadMac;
}

bool contains(std::span<const net::Ipv4> list, net::Ipv4 a) {
  return std::ranges::find(list, a) != list.end();
}

// Same addresses in any order; duplicates on either side make it a mismatch
// unless the other side has the same multiset size and members.
bool same_addresses(std::span<const net::Ipv4> got, std::span<const net::Ipv4> want) {
  if (got.size() != want.size()) return false;
  return std::ranges::all_of(want, [&](net::Ipv4 a) { return contains(got, a); }) &&
         std::ranges::all_of(got, [&](net::Ipv4 a) { return contains(want, a); });
}

}  // namespace

RxResult check_receive(const RxPacket& p, std::span<const RxInstance> instances) {
  RxResult r;
  auto fail = [&r](RxError e) {
    r.error = e;
    return r;
  };
  if (p.ttl != kTtl) return fail(RxError::kBadTtl);
  Decoded d = decode(p.payload);
  r.advert = d.advert;
  if (d.error != DecodeError::kOk) return fail(from_decode(d.error));
  const Advert& a = r.advert;
  if (!verify_checksum(a.version, p.payload, p.src, p.dst)) return fail(RxError::kBadChecksum);

  auto it = std::ranges::find_if(instances, [&](const RxInstance& i) { return i.vrid == a.vrid; });
  if (it == instances.end()) return fail(RxError::kUnknownVrid);
  r.instance = static_cast<int>(it - instances.begin());
  const RxInstance& cfg = *it;
  // The version check needs the VRID: a link may carry v2 and v3 routers.
  if (a.version != cfg.version) return fail(RxError::kBadVersion);

  if (cfg.unicast_peers.empty()) {
    if (p.dst.value != kMulticastGroup) return fail(RxError::kBadDestination);
  } else {
    if (p.dst != cfg.primary) return fail(RxError::kBadDestination);
    if (!contains(cfg.unicast_peers, p.src)) return fail(RxError::kUnknownPeer);
  }
  if (p.src == cfg.primary) return fail(RxError::kLoopedBack);
  if (cfg.priority == 255) return fail(RxError::kOwnerConflict);

  if (a.version == Version::kV2) {
    if (a.auth_type != static_cast<std::uint8_t>(cfg.v2_auth)) {
      return fail(RxError::kAuthTypeMismatch);
    }
    if (cfg.v2_auth == V2AuthType::kSimpleText &&
        CRYPTO_memcmp(a.auth_data.data(), cfg.v2_password.data(), kV2AuthSize) != 0) {
      return fail(RxError::kAuthDataMismatch);
    }
  }
  if (cfg.hmac != nullptr) {
    const RxError e = from_auth(cfg.hmac->verify(p.src, p.dst, p.ip_options, p.payload));
    if (e != RxError::kOk) return fail(e);
  }

  // A zero interval would make Master_Down_Interval just Skew_Time and the
  // master's next advert never come in time (RFC 9568 erratum 8301).
  if (a.interval == 0) return fail(RxError::kZeroInterval);

  if (cfg.check_addresses && !same_addresses(a.addresses.view(), cfg.addresses)) {
    if (a.priority != 255) return fail(RxError::kAddressMismatch);
    r.warnings |= kWarnAddressMismatchFromOwner;
  }
  if (a.interval != cfg.interval) {
    if (a.version == Version::kV2) return fail(RxError::kIntervalMismatch);
    r.warnings |= kWarnIntervalDiffers;
  }
  return r;
}

const char* to_string(RxError e) {
  switch (e) {
    case RxError::kOk:
      return "ok";
    case RxError::kBadTtl:
      return "bad-ttl";
    case RxError::kTooShort:
      return "too-short";
    case RxError::kTruncated:
      return "truncated";
    case RxError::kTrailingBytes:
      return "trailing-bytes";
    case RxError::kBadVersion:
      return "bad-version";
    case RxError::kBadType:
      return "bad-type";
    case RxError::kBadChecksum:
      return "bad-checksum";
    case RxError::kBadDestination:
      return "bad-destination";
    case RxError::kUnknownVrid:
      return "unknown-vrid";
    case RxError::kOwnerConflict:
      return "owner-conflict";
    case RxError::kLoopedBack:
      return "looped-back";
    case RxError::kUnknownPeer:
      return "unknown-peer";
    case RxError::kZeroInterval:
      return "zero-interval";
    case RxError::kIntervalMismatch:
      return "interval-mismatch";
    case RxError::kAuthTypeMismatch:
      return "auth-type-mismatch";
    case RxError::kAuthDataMismatch:
      return "auth-data-mismatch";
    case RxError::kHmacMissing:
      return "hmac-missing";
    case RxError::kHmacMalformed:
      return "hmac-malformed";
    case RxError::kHmacUnknownKey:
      return "hmac-unknown-key";
    case RxError::kHmacBadMac:
      return "hmac-bad-mac";
    case RxError::kHmacReplay:
      return "hmac-replay";
    case RxError::kAddressMismatch:
      return "address-mismatch";
    case RxError::kCount_:
      break;
  }
  return "unknown";
}

}  // namespace tandem::vrrp
