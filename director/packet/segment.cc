#include "director/packet/segment.h"

#include <algorithm>
#include <cstring>

#include "common/net/checksum.h"
#include "common/net/wire_bytes.h"

namespace tandem::director {
namespace {

constexpr std::uint8_t kTcpFin = 0x01;
constexpr std::uint8_t kTcpCwr = 0x80;

std::size_t headers_end(const net::ParsedFrame& v) {
  return std::size_t{v.l4.offset} + v.l4.tcp_header_len;
}

std::size_t payload_len(const net::ParsedFrame& v) {
  const std::size_t end = std::size_t{v.ip.offset} + v.ip.total_len;
  const std::size_t h = headers_end(v);
  return end > h ? end - h : 0;
}

}  // namespace

SegmentRefusal check_segmentable(const net::ParsedFrame& v, std::size_t mss) noexcept {
  if (v.l3 != net::L3Kind::kIpv4 || v.ip.protocol != net::kProtoTcp || v.l4.tcp_header_len < 20)
    return SegmentRefusal::kNotTcp;
  if (v.ip.more_fragments) return SegmentRefusal::kFragment;
  // The parser bounds the headers by the buffer and the total length; check
  // again here so the builder never trusts a view it did not make.
  if (headers_end(v) > v.buffer_len || std::size_t{v.ip.offset} + v.ip.total_len > v.buffer_len)
    return SegmentRefusal::kNotTcp;
  if (payload_len(v) == 0) return SegmentRefusal::kNoPayload;
  if (mss == 0) return SegmentRefusal::kMssTooSmall;
  return SegmentRefusal::kAccepted;
}

std::size_t segment_mss(const net::ParsedFrame& v, std::uint16_t mtu,
                        std::size_t overhead) noexcept {
  const std::size_t headers = std::size_t{v.ip.header_len} + v.l4.tcp_header_len + overhead;
  return mtu > headers ? mtu - headers : 0;
}

std::size_t segment_count(const net::ParsedFrame& v, std::size_t mss) noexcept {
  if (mss == 0) return 0;
  return (payload_len(v) + mss - 1) / mss;
}

std::size_t build_segment(std::span<std::uint8_t> out, std::span<const std::uint8_t> frame,
                          const net::ParsedFrame& v, std::size_t mss, std::size_t index) noexcept {
  if (check_segmentable(v, mss) != SegmentRefusal::kAccepted || frame.size() != v.buffer_len)
    return 0;
  const std::size_t payload = payload_len(v);
  const std::size_t start = index * mss;
  if (index >= segment_count(v, mss)) return 0;
  const std::size_t len = std::min(mss, payload - start);
  const std::size_t hdrs = headers_end(v);
  const std::size_t total = hdrs + len;
  if (out.size() < total) return 0;

  std::uint8_t* o = out.data();
  std::memcpy(o, frame.data(), hdrs);
  std::memcpy(o + hdrs, frame.data() + hdrs + start, len);

  std::uint8_t* ip = o + v.ip.offset;
  const std::size_t l4_len = total - v.l4.offset;
  net::store_be16(ip + 2, static_cast<std::uint16_t>(v.ip.header_len + l4_len));
  net::store_be16(ip + 4, static_cast<std::uint16_t>(v.ip.id + index));
  net::store_be16(ip + 10, 0);
  net::store_be16(ip + 10, net::internet_checksum({ip, v.ip.header_len}));

  std::uint8_t* tcp = o + v.l4.offset;
  net::store_be32(tcp + 4, static_cast<std::uint32_t>(net::load_be32(tcp + 4) + start));
  const bool last = start + len == payload;
  if (!last) tcp[13] = static_cast<std::uint8_t>(tcp[13] & ~(kTcpFin | net::kTcpPsh));
  if (index != 0) tcp[13] = static_cast<std::uint8_t>(tcp[13] & ~kTcpCwr);
  net::store_be16(tcp + 16, 0);
  net::ChecksumAccumulator acc;
  net::add_ipv4_pseudo_header(acc, v.ip.src.value, v.ip.dst.value, net::kProtoTcp,
                              static_cast<std::uint16_t>(l4_len));
  acc.add({tcp, l4_len});
  net::store_be16(tcp + 16, acc.finish());
  return total;
}

}  // namespace tandem::director
