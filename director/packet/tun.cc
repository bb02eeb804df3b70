#include "director/packet/tun.h"

#include <cstring>

#include "common/net/checksum.h"
#include "director/packet/field_ops.h"

namespace tandem::director {

Rewrite tun_encapsulate(std::span<std::uint8_t> buffer, std::uint32_t frame_offset,
                        const net::ParsedFrame& v, const TunParams& params,
                        const Egress& egress) noexcept {
  if (v.l3 != net::L3Kind::kIpv4 || v.eth.header_len == 0 || frame_offset > buffer.size() ||
      buffer.size() - frame_offset != v.buffer_len) {
    return Rewrite{};
  }
  if (frame_offset < kTunHeadroom) return Rewrite{RewriteVerdict::kNoRoom, 0, 0, 0};
  Rewrite r = detail::gate(v, egress.mtu, kTunHeadroom);
  if (r.verdict != RewriteVerdict::kForward) return r;

  std::uint8_t* inner = buffer.data() + frame_offset + v.ip.offset;
  std::uint8_t* outer = inner - kTunHeadroom;
  std::uint8_t* eth = outer - v.eth.header_len;
  detail::Delta inner_delta;
  detail::decrement_ttl(inner, inner_delta);
  inner_delta.apply(inner + 10);

  std::memmove(eth, buffer.data() + frame_offset, v.eth.header_len);
  detail::set_macs(eth, egress);

  const bool df = v.ip.dont_fragment;
  outer[0] = 0x45;
  outer[1] = v.ip.tos;
  net::store_be16(outer + 2, static_cast<std::uint16_t>(v.ip.total_len + kTunHeadroom));
  // With DF set the datagram is atomic and its ID is never used (RFC 6864).
  net::store_be16(outer + 4, df ? std::uint16_t{0} : params.ip_id);
  net::store_be16(outer + 6, df ? std::uint16_t{0x4000} : std::uint16_t{0});
  outer[8] = params.ttl != 0 ? params.ttl : static_cast<std::uint8_t>(v.ip.ttl - 1);
  outer[9] = net::kProtoIpip;
  net::store_be16(outer + 10, 0);
  net::store_be32(outer + 12, params.local.value);
  net::store_be32(outer + 16, params.remote.value);
  net::store_be16(outer + 10, net::internet_checksum({outer, kTunHeadroom}));

  r.offset = static_cast<std::uint32_t>(eth - buffer.data());
  r.length = v.eth.header_len + static_cast<std::uint32_t>(kTunHeadroom) + v.ip.total_len;
  return r;
}

}  // namespace tandem::director
