#include "director/io/bpf_filter.h"

#include <string>

namespace tandem::director::io {
namespace {

constexpr std::uint32_t kOffEtherType = 12;
constexpr std::uint32_t kOffIpv4Dst = 14 + 16;
constexpr std::uint32_t kOffArpTargetIp = 14 + 24;

sock_filter stmt(std::uint16_t code, std::uint32_t k) {
  return sock_filter{code, 0, 0, k};
}
sock_filter jeq(std::uint32_t k, std::uint8_t jt, std::uint8_t jf) {
  return sock_filter{BPF_JMP | BPF_JEQ | BPF_K, jt, jf, k};
}

// Every accept is inline (jeq k,0,1 ; ret accept) so no conditional jump
// ever needs more than the 8-bit offset, however many VIPs there are.
void match_vips(std::vector<sock_filter>& p, std::uint32_t offset, const FilterSpec& s) {
  p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, offset));
  for (const auto& vip : s.vips) {
    p.push_back(jeq(vip.value, 0, 1));
    p.push_back(stmt(BPF_RET | BPF_K, kFilterAccept));
  }
}

}  // namespace

Expected<std::vector<sock_filter>> build_filter(const FilterSpec& s) {
  const std::size_t size = 6 + 2 * (2 * s.vips.size() + 2) + 5 * s.macs.size() + 2;
  if (size > BPF_MAXINSNS)
    return Error{"filter: too many VIPs/MACs for one program (" + std::to_string(size) +
                 " instructions)"};
  std::vector<sock_filter> p;
  p.reserve(size);
  const bool match_all = s.vips.empty() && s.macs.empty();

  p.push_back(stmt(BPF_LD | BPF_H | BPF_ABS, kOffEtherType));
  p.push_back(jeq(0x0800, 2, 0));
  p.push_back(jeq(0x0806, 2, 0));
  p.push_back(stmt(BPF_RET | BPF_K, 0));
  // 4: IPv4. Patched below to jump to the IPv4 section.
  p.push_back(stmt(BPF_JMP | BPF_JA, 0));
  // 5: ARP. Patched below to jump to the ARP section.
  p.push_back(stmt(BPF_JMP | BPF_JA, 0));
  if (match_all) {
    p.push_back(stmt(BPF_RET | BPF_K, kFilterAccept));
    p[4].k = static_cast<std::uint32_t>(p.size() - 1 - 5);
    p[5].k = static_cast<std::uint32_t>(p.size() - 1 - 6);
    return p;
  }
  p[4].k = static_cast<std::uint32_t>(p.size() - 5);
  match_vips(p, kOffIpv4Dst, s);
  const std::size_t ip_to_mac = p.size();
  p.push_back(stmt(BPF_JMP | BPF_JA, 0));  // patched: to the MAC section
  p[5].k = static_cast<std::uint32_t>(p.size() - 6);
  match_vips(p, kOffArpTargetIp, s);
  p[ip_to_mac].k = static_cast<std::uint32_t>(p.size() - ip_to_mac - 1);
  for (const auto& mac : s.macs) {
    const auto& b = mac.bytes;
    const std::uint32_t low = (std::uint32_t{b[2]} << 24) | (std::uint32_t{b[3]} << 16) |
                              (std::uint32_t{b[4]} << 8) | b[5];
    const std::uint32_t high = (std::uint32_t{b[0]} << 8) | b[1];
    p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, 2));
    p.push_back(jeq(low, 0, 3));
    p.push_back(stmt(BPF_LD | BPF_H | BPF_ABS, 0));
    p.push_back(jeq(high, 0, 1));
    p.push_back(stmt(BPF_RET | BPF_K, kFilterAccept));
  }
  p.push_back(stmt(BPF_RET | BPF_K, 0));
  return p;
}

}  // namespace tandem::director::io
