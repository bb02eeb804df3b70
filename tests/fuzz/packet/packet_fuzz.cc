// Parser and every rewrite over arbitrary bytes. Besides memory safety
// (ASan/UBSan), it checks the promises the director relies on: a declined
// rewrite leaves the frame untouched, and a forwarded one still parses under
// the same checks, so incremental checksum updates kept every checksum that
// was valid valid.
//
// Input layout: 9 control bytes (new address, new port, MTU, outer TTL,
// fix-up flags), then the frame. The fix-ups repair the IPv4 and L4
// checksums before parsing, so that mutations of header fields get past the
// checksum checks and reach the deeper code.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "common/net/arp.h"
#include "common/net/checksum.h"
#include "common/net/packet.h"
#include "common/net/wire_bytes.h"
#include "director/packet/dr.h"
#include "director/packet/icmp_error.h"
#include "director/packet/nat.h"
#include "director/packet/tun.h"

namespace {

using namespace tandem;
using net::DropReason;
using net::ParsedFrame;

constexpr std::size_t kControl = 9;
constexpr std::size_t kMaxFrame = 4096;

void check(bool ok) {
  if (!ok) std::abort();
}

struct Control {
  net::Endpoint to;
  director::Egress egress;
  director::TunParams tun;
};

Control control(const std::uint8_t* c) {
  Control k;
  k.to = net::Endpoint{net::Ipv4{net::load_be32(c)}, net::load_be16(c + 4)};
  k.egress.src_mac = net::Mac{{0x02, 0, 0, 0, 0, 1}};
  k.egress.dst_mac = net::Mac{{0x02, 0, 0, 0, 1, 0x0b}};
  // Small MTUs exercise the fragmentation-needed paths; 0xff means "plenty".
  k.egress.mtu = c[6] == 0xff ? std::uint16_t{9000} : static_cast<std::uint16_t>(c[6] * 8);
  k.tun.local = net::Ipv4{0xc6120001};
  k.tun.remote = k.to.address;
  k.tun.ttl = c[7];
  k.tun.ip_id = 0x1234;
  return k;
}

// Best effort, bounds-checked: the parser still sees whatever is malformed.
void fix_checksums(std::span<std::uint8_t> f, std::uint8_t flags) {
  std::size_t l3 = net::kEthernetHeaderLen;
  if (f.size() < l3) return;
  if (net::load_be16(f.data() + 12) == net::kEtherTypeVlan) l3 += net::kVlanTagLen;
  if (f.size() < l3 + net::kIpv4MinHeaderLen || net::load_be16(f.data() + l3 - 2) != 0x0800) return;
  std::uint8_t* ip = f.data() + l3;
  const std::size_t ihl = std::size_t{ip[0]} % 16 * 4;
  const std::size_t total = net::load_be16(ip + 2);
  if ((flags & 1) != 0 && ihl >= 20 && l3 + ihl <= f.size()) {
    net::store_be16(ip + 10, 0);
    net::store_be16(ip + 10, net::internet_checksum({ip, ihl}));
  }
  if ((flags & 2) == 0 || ihl < 20 || total < ihl || l3 + total > f.size()) return;
  std::uint8_t* l4 = ip + ihl;
  const auto len = static_cast<std::uint16_t>(total - ihl);
  std::size_t at = 0;
  bool pseudo = true;
  if (ip[9] == net::kProtoTcp && len >= 20) {
    at = 16;
  } else if (ip[9] == net::kProtoUdp && len >= 8) {
    at = 6;
  } else if (ip[9] == net::kProtoIcmp && len >= 8) {
    at = 2;
    pseudo = false;
  } else {
    return;
  }
  net::store_be16(l4 + at, 0);
  net::ChecksumAccumulator acc;
  if (pseudo) {
    net::add_ipv4_pseudo_header(acc, net::load_be32(ip + 12), net::load_be32(ip + 16), ip[9], len);
  }
  acc.add({l4, len});
  net::store_be16(l4 + at, acc.finish());
  if ((flags & 1) != 0) {  // the L4 fix did not touch the IP header
    net::store_be16(ip + 10, 0);
    net::store_be16(ip + 10, net::internet_checksum({ip, ihl}));
  }
}

// A forwarded frame must parse again with the options the original passed.
void expect_reparses(std::span<const std::uint8_t> out, const net::ParseOptions& options) {
  ParsedFrame again;
  check(net::parse_frame(out, options, again) == DropReason::kNone);
}

template <typename Fn>
void in_place(std::span<const std::uint8_t> frame, const ParsedFrame& v,
              const net::ParseOptions& options, Fn&& rewrite) {
  std::array<std::uint8_t, kMaxFrame> buf;
  std::memcpy(buf.data(), frame.data(), frame.size());
  std::span<std::uint8_t> f(buf.data(), frame.size());
  const director::Rewrite r = rewrite(f, v);
  if (r.verdict != director::RewriteVerdict::kForward) {
    check(std::memcmp(buf.data(), frame.data(), frame.size()) == 0);
    return;
  }
  check(r.offset == 0 && r.length <= frame.size());
  expect_reparses(f.first(r.length), options);
}

void tunnel(std::span<const std::uint8_t> frame, const ParsedFrame& v,
            const net::ParseOptions& options, const Control& k) {
  std::array<std::uint8_t, director::kTunHeadroom + kMaxFrame> buf;
  std::memcpy(buf.data() + director::kTunHeadroom, frame.data(), frame.size());
  std::span<std::uint8_t> b(buf.data(), director::kTunHeadroom + frame.size());
  const director::Rewrite r =
      director::tun_encapsulate(b, director::kTunHeadroom, v, k.tun, k.egress);
  if (r.verdict != director::RewriteVerdict::kForward) return;
  check(r.offset + r.length <= b.size());
  const auto out = std::span<const std::uint8_t>(b).subspan(r.offset, r.length);
  ParsedFrame outer;
  check(net::parse_frame(out, options, outer) == DropReason::kUnsupportedProtocol);
  check(outer.ip.protocol == net::kProtoIpip && outer.ip.total_len == v.ip.total_len + 20);
  ParsedFrame inner;
  check(net::parse_ipv4(out, outer.l4.offset, options, inner) == DropReason::kNone);
}

void icmp_errors(std::span<const std::uint8_t> frame, const ParsedFrame& v) {
  const director::IcmpErrorParams p{net::Ipv4{0xc6120001}, net::Mac{{0x02, 0, 0, 0, 0, 1}}, 7};
  std::array<std::uint8_t, director::kIcmpErrorMaxFrame> out;
  const net::ParseOptions strict{.verify_ip_checksum = true, .verify_l4_checksum = true};
  std::size_t n = director::build_time_exceeded(out, frame, v, p);
  if (n != 0) expect_reparses(std::span<const std::uint8_t>(out.data(), n), strict);
  n = director::build_frag_needed(out, frame, v, 576, p);
  if (n != 0) expect_reparses(std::span<const std::uint8_t>(out.data(), n), strict);
}

void arp(const ParsedFrame& v, net::Ipv4 vip) {
  std::array<std::uint8_t, net::kArpFrameLen> out;
  const net::Mac mac{{0x00, 0x00, 0x5e, 0x00, 0x01, 0x01}};
  if (v.l3 == net::L3Kind::kArp && net::build_arp_reply(out, v, v.arp.target_ip, mac) != 0) {
    expect_reparses(out, {});
  }
  check(net::build_gratuitous_arp(out, vip, mac) == net::kArpFrameLen);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < kControl || size - kControl > kMaxFrame) return 0;
  const Control k = control(data);
  std::array<std::uint8_t, kMaxFrame> fixed;
  std::memcpy(fixed.data(), data + kControl, size - kControl);
  fix_checksums(std::span<std::uint8_t>(fixed.data(), size - kControl), data[8]);
  const std::span<const std::uint8_t> frame(fixed.data(), size - kControl);

  for (const bool verify_l4 : {false, true}) {
    const net::ParseOptions options{.verify_ip_checksum = true, .verify_l4_checksum = verify_l4};
    ParsedFrame v;
    const DropReason reason = net::parse_frame(frame, options, v);
    check(!net::drop_reason_name(reason).empty());
    if (reason != DropReason::kNone) continue;
    check(v.frame_len() <= frame.size());
    in_place(frame, v, options, [&](std::span<std::uint8_t> f, const ParsedFrame& pv) {
      return director::dr_forward(f, pv, k.egress);
    });
    in_place(frame, v, options, [&](std::span<std::uint8_t> f, const ParsedFrame& pv) {
      return director::nat_inbound(f, pv, k.to, k.egress);
    });
    in_place(frame, v, options, [&](std::span<std::uint8_t> f, const ParsedFrame& pv) {
      return director::nat_outbound(f, pv, k.to, k.egress);
    });
    in_place(frame, v, options, [&](std::span<std::uint8_t> f, const ParsedFrame& pv) {
      return director::nat_icmp_inbound(f, pv, k.to, k.egress);
    });
    in_place(frame, v, options, [&](std::span<std::uint8_t> f, const ParsedFrame& pv) {
      return director::nat_icmp_outbound(f, pv, k.to, k.egress);
    });
    tunnel(frame, v, options, k);
    icmp_errors(frame, v);
    arp(v, k.to.address);
  }
  // The bare-IP entry point, at every small offset.
  for (std::uint32_t off = 0; off < 24 && off <= frame.size(); ++off) {
    ParsedFrame v;
    (void)net::parse_ipv4(frame, off, {}, v);
  }
  return 0;
}
