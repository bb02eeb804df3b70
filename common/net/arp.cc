#include "common/net/arp.h"

#include <algorithm>
#include <cstring>

#include "common/net/wire_bytes.h"

namespace tandem::net {
namespace {

constexpr Mac kBroadcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

std::size_t write_arp(std::span<std::uint8_t> out, const Mac& eth_dst, const Mac& eth_src,
                      std::optional<std::uint16_t> vlan_tci, std::uint16_t op,
                      const Mac& sender_mac, Ipv4 sender_ip, const Mac& target_mac,
                      Ipv4 target_ip) {
  if (out.size() < kArpFrameLen) return 0;
  std::uint8_t* p = out.data();
  std::fill_n(p, kArpFrameLen, std::uint8_t{0});
  std::memcpy(p, eth_dst.bytes.data(), 6);
  std::memcpy(p + 6, eth_src.bytes.data(), 6);
  std::size_t off = 12;
  if (vlan_tci) {
    store_be16(p + off, kEtherTypeVlan);
    store_be16(p + off + 2, *vlan_tci);
    off += kVlanTagLen;
  }
  store_be16(p + off, kEtherTypeArp);
  std::uint8_t* a = p + off + 2;
  store_be16(a, 1);  // hardware type: Ethernet
  store_be16(a + 2, kEtherTypeIpv4);
  a[4] = 6;
  a[5] = 4;
  store_be16(a + 6, op);
  std::memcpy(a + 8, sender_mac.bytes.data(), 6);
  store_be32(a + 14, sender_ip.value);
  std::memcpy(a + 18, target_mac.bytes.data(), 6);
  store_be32(a + 24, target_ip.value);
  return kArpFrameLen;
}

}  // namespace

std::size_t build_arp_reply(std::span<std::uint8_t> out, const ParsedFrame& request, Ipv4 vip,
                            const Mac& mac) noexcept {
  if (request.l3 != L3Kind::kArp || request.arp.op != kArpOpRequest ||
      request.arp.target_ip != vip) {
    return 0;
  }
  std::optional<std::uint16_t> vlan;
  if (request.eth.has_vlan) vlan = request.eth.vlan_tci;
  return write_arp(out, request.arp.sender_mac, mac, vlan, kArpOpReply, mac, vip,
                   request.arp.sender_mac, request.arp.sender_ip);
}

std::size_t build_gratuitous_arp(std::span<std::uint8_t> out, Ipv4 vip, const Mac& mac,
                                 std::optional<std::uint16_t> vlan_tci) noexcept {
  return write_arp(out, kBroadcast, mac, vlan_tci, kArpOpRequest, mac, vip, Mac{}, vip);
}

}  // namespace tandem::net
