// Fuzzes the receive path: IPv4 header fields, IPv4 options and the VRRP
// message go through check_receive (v3, v2 with password, v3 with HMAC), and
// whatever passes drives a state machine.
//
// Input layout: [0] TTL  [1] flags (bit 0: sent to us rather than the group)
// [2..5] source address  [6] options length n (taken mod 41)  [7..7+n) IPv4
// options  [7+n..] the VRRP message.
//
// Invariants checked (a violation traps):
//  - an accepted message re-encodes to the same bytes (bar the v3 reserved
//    bits and the checksum they change), so decode and encode agree;
//  - with due timers fired first, the state machine never asks for a
//    deadline at or before now.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "vrrpd/core/instance.h"
#include "vrrpd/core/receive.h"

namespace {

using namespace tandem;
using namespace tandem::vrrp;

const net::Ipv4 kMe{0xC6120001};
const std::array<net::Ipv4, 1> kVips = {net::Ipv4{0xC6120064}};

AuthKeyRing& ring() {
  static AuthKeyRing r = [] {
    AuthKeyRing k;
    k.add({1, {'f', 'u', 'z', 'z'}});
    k.set_send_key(1);
    return k;
  }();
  return r;
}

Instance& machine() {
  static Instance i = [] {
    InstanceConfig c;
    c.vrid = 51;
    c.priority = 100;
    c.primary = kMe;
    c.addresses = {kVips[0]};
    return Instance(c);
  }();
  return i;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 7) return 0;
  static AuthVerifier verifier(ring());
  static TimePoint now{};
  static bool started = false;

  std::span<const std::uint8_t> in(data, size);
  RxPacket p;
  p.ttl = in[0];
  p.dst = (in[1] & 1) ? kMe : net::Ipv4{kMulticastGroup};
  p.src =
      net::Ipv4{static_cast<std::uint32_t>(in[2]) << 24 | static_cast<std::uint32_t>(in[3]) << 16 |
                static_cast<std::uint32_t>(in[4]) << 8 | in[5]};
  const std::size_t n = std::min<std::size_t>(in[6] % 41, size - 7);
  p.ip_options = in.subspan(7, n);
  p.payload = in.subspan(7 + n);

  std::array<RxInstance, 3> instances{};
  instances[0].vrid = 51;  // v3, multicast
  instances[0].addresses = kVips;
  instances[0].primary = kMe;
  instances[1] = instances[0];  // v2 with a password
  instances[1].vrid = 52;
  instances[1].version = Version::kV2;
  instances[1].interval = 1;
  instances[1].v2_auth = V2AuthType::kSimpleText;
  instances[1].v2_password = {'t', 'a', 'n', 'd', 'e', 'm', 0, 0};
  instances[2] = instances[0];  // v3 with HMAC
  instances[2].vrid = 53;
  instances[2].hmac = &verifier;

  RxResult r = check_receive(p, instances);
  if (r.error != RxError::kOk) return 0;

  std::array<std::uint8_t, kMaxMessageSize> again{};
  const std::size_t len = encode(r.advert, p.src, p.dst, again);
  if (len != p.payload.size()) __builtin_trap();
  // Set v3 reserved bits are dropped on re-encode, and with them the checksum
  // changes; everything else must come back as it was.
  const bool reserved = r.advert.version == Version::kV3 && (p.payload[4] & 0xf0) != 0;
  for (std::size_t i = 0; i < len; ++i) {
    std::uint8_t want = p.payload[i];
    if (i == 4 && r.advert.version == Version::kV3) want &= 0x0f;
    if (reserved && (i == 6 || i == 7)) continue;
    if (again[i] != want) __builtin_trap();
  }

  Instance& m = machine();
  if (!started) {
    m.startup(now);
    started = true;
  }
  // Some time passes between packets; like the adapter, fire what fell due.
  now += std::chrono::milliseconds(p.payload[2]);
  if (auto due = m.next_deadline(); due && *due <= now) {
    Output o = m.on_timer(now);
    if (o.next_deadline && *o.next_deadline <= now) __builtin_trap();
  }
  if (r.advert.vrid == 51) {
    Output o = m.advert_received(now, r.advert, p.src);
    if (o.next_deadline && *o.next_deadline <= now) __builtin_trap();
  }
  return 0;
}
