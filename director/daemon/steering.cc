#include "director/daemon/steering.h"

#include <algorithm>

#include "director/core/director.h"

namespace tandem::director::daemon {
namespace {

constexpr std::uint32_t kOffEtherType = 12;
constexpr std::uint32_t kOffSrc = 14 + 12;
constexpr std::uint32_t kOffDst = 14 + 16;
// The fanout program runs before the packet socket pushes the Ethernet
// header back (skb->data is at the network header), so it loads through
// the ancillary offsets, which mean the same whatever data points at.
constexpr std::uint32_t kAdProtocol = static_cast<std::uint32_t>(SKF_AD_OFF + SKF_AD_PROTOCOL);
constexpr std::uint32_t kNetSrc = static_cast<std::uint32_t>(SKF_NET_OFF + 12);
constexpr std::uint32_t kNetDst = static_cast<std::uint32_t>(SKF_NET_OFF + 16);
constexpr std::uint32_t kNetIhl = static_cast<std::uint32_t>(SKF_NET_OFF + 0);
constexpr std::uint32_t kNetProto = static_cast<std::uint32_t>(SKF_NET_OFF + 9);
constexpr std::uint32_t kNetL4 = static_cast<std::uint32_t>(SKF_NET_OFF);  // + X (IHL bytes)
constexpr std::uint32_t kHashMul = 0x9E3779B1u;                            // shard_of's multiplier

sock_filter stmt(std::uint16_t code, std::uint32_t k) {
  return sock_filter{code, 0, 0, k};
}
sock_filter jump(std::uint16_t code, std::uint32_t k, std::uint8_t jt, std::uint8_t jf) {
  return sock_filter{code, jt, jf, k};
}

}  // namespace

std::vector<sock_filter> build_steering(const SteeringSpec& s) {
  const std::uint32_t n = std::max<std::uint32_t>(1, s.workers);
  std::vector<sock_filter> p;
  p.push_back(stmt(BPF_LD | BPF_H | BPF_ABS, kAdProtocol));
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 1, 0));
  p.push_back(stmt(BPF_RET | BPF_K, 0));
  // Client = destination unless the destination is a VIP. Each VIP test is
  // "jeq vip,0,1 ; ja use_src": ja takes a 32-bit offset, so any number of
  // VIPs fits in 8-bit conditional jumps.
  p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kNetDst));
  std::vector<std::size_t> to_src;
  for (const auto& vip : s.vips) {
    p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, vip.value, 0, 1));
    to_src.push_back(p.size());
    p.push_back(stmt(BPF_JMP | BPF_JA, 0));
  }
  // A holds the destination: skip to the hash.
  const std::size_t skip_to_hash = p.size();
  p.push_back(stmt(BPF_JMP | BPF_JA, 0));
  // To a VIP: the client is the source, except for an ICMP error, which a
  // router on the path sends about a packet we sent to the client: the
  // client is the quoted packet's destination (IHL + 8 + 16). A load past
  // the end ends the program with 0: worker 0, where it is counted.
  const std::size_t use_src = p.size();
  p.push_back(stmt(BPF_LD | BPF_B | BPF_ABS, kNetProto));
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 8));
  p.push_back(stmt(BPF_LDX | BPF_B | BPF_MSH, kNetIhl));
  p.push_back(stmt(BPF_LD | BPF_B | BPF_IND, kNetL4));  // ICMP type
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, 3, 3, 0));
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, 11, 2, 0));
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, 12, 1, 0));
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, 4, 0, 2));
  p.push_back(stmt(BPF_LD | BPF_W | BPF_IND, kNetL4 + 8 + 16));  // quoted destination
  p.push_back(stmt(BPF_JMP | BPF_JA, 1));
  p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kNetSrc));
  for (std::size_t at : to_src) p[at].k = static_cast<std::uint32_t>(use_src - at - 1);
  p[skip_to_hash].k = static_cast<std::uint32_t>(p.size() - skip_to_hash - 1);
  // shard_of: h = (client & mask) * K (mod 2^32); index = (h * n) >> 32,
  // done in 32-bit halves since classic BPF has no 64-bit product:
  // ((h >> 16) * n + (((h & 0xffff) * n) >> 16)) >> 16.
  p.push_back(stmt(BPF_ALU | BPF_AND | BPF_K, s.mask));
  p.push_back(stmt(BPF_ALU | BPF_MUL | BPF_K, kHashMul));
  p.push_back(stmt(BPF_ST, 0));
  p.push_back(stmt(BPF_ALU | BPF_RSH | BPF_K, 16));
  p.push_back(stmt(BPF_ALU | BPF_MUL | BPF_K, n));
  p.push_back(stmt(BPF_ST, 1));
  p.push_back(stmt(BPF_LD | BPF_MEM, 0));
  p.push_back(stmt(BPF_ALU | BPF_AND | BPF_K, 0xffff));
  p.push_back(stmt(BPF_ALU | BPF_MUL | BPF_K, n));
  p.push_back(stmt(BPF_ALU | BPF_RSH | BPF_K, 16));
  p.push_back(stmt(BPF_LDX | BPF_MEM, 1));
  p.push_back(stmt(BPF_ALU | BPF_ADD | BPF_X, 0));
  p.push_back(stmt(BPF_ALU | BPF_RSH | BPF_K, 16));
  p.push_back(stmt(BPF_RET | BPF_A, 0));
  return p;
}

std::uint32_t steer(std::span<const std::uint8_t> f, const SteeringSpec& s) {
  if (f.size() < kOffDst + 4) return 0;
  auto be32 = [&](std::size_t o) {
    return (std::uint32_t{f[o]} << 24) | (std::uint32_t{f[o + 1]} << 16) |
           (std::uint32_t{f[o + 2]} << 8) | f[o + 3];
  };
  if (((std::uint32_t{f[kOffEtherType]} << 8) | f[kOffEtherType + 1]) != 0x0800) return 0;
  const std::uint32_t dst = be32(kOffDst);
  const bool to_vip =
      std::any_of(s.vips.begin(), s.vips.end(), [&](net::Ipv4 v) { return v.value == dst; });
  net::Ipv4 client{to_vip ? be32(kOffSrc) : dst};
  if (to_vip && f[14 + 9] == 1) {
    const std::size_t l4 = 14 + std::size_t{4} * (f[14] & 0x0f);
    if (l4 >= f.size()) return 0;
    const std::uint8_t type = f[l4];
    if (type == 3 || type == 4 || type == 11 || type == 12) {
      if (l4 + 8 + 16 + 4 > f.size()) return 0;
      client = net::Ipv4{be32(l4 + 8 + 16)};
    }
  }
  return shard_of(client, s.mask, std::max<std::uint32_t>(1, s.workers));
}

std::uint32_t widest_mask(std::span<const std::uint32_t> masks) {
  std::uint32_t m = 0xFFFFFFFFu;
  for (std::uint32_t x : masks) m &= x;
  return m;
}

}  // namespace tandem::director::daemon
