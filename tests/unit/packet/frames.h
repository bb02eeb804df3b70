#pragma once
// Hand-checked frames shared by the packet tests, and a reference checksum
// written independently of common/net/checksum so that rewrites are judged
// against a second implementation, not against themselves.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tandem::packet_test {

using Bytes = std::vector<std::uint8_t>;

// Plain RFC 1071: 16-bit big-endian words summed in 64 bits, odd byte padded
// on the right, carries folded at the end.
inline std::uint16_t ref_sum_fold(const std::uint8_t* p, std::size_t n, std::uint64_t sum = 0) {
  for (std::size_t i = 0; i < n; ++i) {
    sum += (i % 2 == 0) ? std::uint64_t{p[i]} << 8 : std::uint64_t{p[i]};
  }
  while (sum > 0xffff) sum = (sum >> 16) + (sum & 0xffff);
  return static_cast<std::uint16_t>(sum);
}

// The checksum a sender would store (field zeroed first by the caller).
inline std::uint16_t ref_checksum(const std::uint8_t* p, std::size_t n, std::uint64_t pre = 0) {
  return static_cast<std::uint16_t>(~ref_sum_fold(p, n, pre));
}

inline std::uint16_t be16(const Bytes& b, std::size_t off) {
  return static_cast<std::uint16_t>(b[off] << 8 | b[off + 1]);
}

inline std::uint32_t be32(const Bytes& b, std::size_t off) {
  return std::uint32_t{be16(b, off)} << 16 | be16(b, off + 2);
}

inline void put16(Bytes& b, std::size_t off, std::uint16_t v) {
  b[off] = static_cast<std::uint8_t>(v >> 8);
  b[off + 1] = static_cast<std::uint8_t>(v);
}

// Recomputes, from scratch, the IPv4 header checksum at ip_off.
inline std::uint16_t ref_ip_checksum(Bytes b, std::size_t ip_off) {
  const std::size_t ihl = std::size_t{b[ip_off]} % 16 * 4;
  put16(b, ip_off + 10, 0);
  return ref_checksum(b.data() + ip_off, ihl);
}

// Recomputes, from scratch, the TCP (csum at +16) or UDP (+6) checksum of the
// datagram at ip_off, over the pseudo-header and `l4_len` bytes.
inline std::uint16_t ref_l4_checksum(Bytes b, std::size_t ip_off, std::size_t l4_len) {
  const std::size_t ihl = std::size_t{b[ip_off]} % 16 * 4;
  const std::uint8_t proto = b[ip_off + 9];
  const std::size_t l4 = ip_off + ihl;
  put16(b, l4 + (proto == 6 ? 16 : 6), 0);
  std::uint64_t pre = 0;
  for (std::size_t i = 12; i < 20; i += 2) pre += be16(b, ip_off + i);
  pre += proto;
  pre += l4_len;
  const std::uint16_t c = ref_checksum(b.data() + l4, l4_len, pre);
  return (proto == 17 && c == 0) ? 0xffff : c;
}

// Recomputes, from scratch, the ICMP checksum of `len` bytes at icmp_off.
inline std::uint16_t ref_icmp_checksum(Bytes b, std::size_t icmp_off, std::size_t len) {
  put16(b, icmp_off + 2, 0);
  return ref_checksum(b.data() + icmp_off, len);
}

// Client 198.18.0.10:50000 -> VIP 198.18.0.100:80, SYN, DF, TTL 64.
//
// IPv4 checksum, by hand: 4500+0028+1234+4000+4006+c612+000a+c612+0064
//   = 0x263f4 -> 0x63f4+0x2 = 0x63f6 -> ~ = 0x9c09.
// TCP checksum: pseudo c612+000a+c612+0064+0006+0014 = 0x18cac;
//   + c350+0050+0000+0001+0000+0000+5002+7210+0000+0000 = 0x3125f
//   -> 0x125f+0x3 = 0x1262 -> ~ = 0xed9d.
inline Bytes tcp_syn_frame() {
  return {
      0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // dst: director
      0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  // src: client-side router
      0x08, 0x00,                          // IPv4
      0x45, 0x00, 0x00, 0x28,              // v4 IHL 5, TOS 0, total 40
      0x12, 0x34, 0x40, 0x00,              // id 0x1234, DF
      0x40, 0x06, 0x9c, 0x09,              // TTL 64, TCP, checksum
      0xc6, 0x12, 0x00, 0x0a,              // 198.18.0.10
      0xc6, 0x12, 0x00, 0x64,              // 198.18.0.100
      0xc3, 0x50, 0x00, 0x50,              // 50000 -> 80
      0x00, 0x00, 0x00, 0x01,              // seq 1
      0x00, 0x00, 0x00, 0x00,              // ack 0
      0x50, 0x02, 0x72, 0x10,              // data offset 5, SYN, window 29200
      0xed, 0x9d, 0x00, 0x00,              // checksum, urgent 0
  };
}

// Client 198.18.0.10:5353 -> VIP 198.18.0.100:53, 4 bytes "abcd", no DF.
//
// IPv4 checksum: 4500+0020+0001+0000+4011+c612+000a+c612+0064 = 0x211c4
//   -> 0x11c4+0x2 = 0x11c6 -> ~ = 0xee39.
// UDP checksum: pseudo 0x18c92+0011+000c = 0x18caf; + 14e9+0035+000c+0000
//   +6162+6364 = 0x2669f -> 0x669f+0x2 = 0x66a1 -> ~ = 0x995e.
inline Bytes udp_frame() {
  return {
      0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
      0x08, 0x00, 0x45, 0x00, 0x00, 0x20,                                      // total 32
      0x00, 0x01, 0x00, 0x00,                                                  // id 1, no flags
      0x40, 0x11, 0xee, 0x39,                                                  // TTL 64, UDP
      0xc6, 0x12, 0x00, 0x0a, 0xc6, 0x12, 0x00, 0x64, 0x14, 0xe9, 0x00, 0x35,  // 5353 -> 53
      0x00, 0x0c, 0x99, 0x5e,  // length 12, checksum
      0x61, 0x62, 0x63, 0x64,  // "abcd"
  };
}

// Fixes up the IPv4 and L4 checksums with the reference code after a test
// has edited header fields of a frame without VLAN tag. L4 checksums are
// left alone where the lengths point past the buffer.
inline void refresh_checksums(Bytes& f) {
  const std::size_t ip = 14;
  put16(f, ip + 10, ref_ip_checksum(f, ip));
  const std::size_t ihl = std::size_t{f[ip]} % 16 * 4;
  const std::size_t total = be16(f, ip + 2);
  const std::uint8_t proto = f[ip + 9];
  if (ip + total > f.size() || total < ihl) return;  // a deliberately short frame
  if (proto == 6) put16(f, ip + ihl + 16, ref_l4_checksum(f, ip, total - ihl));
  if (proto == 17 && be16(f, ip + ihl + 4) <= total - ihl) {
    put16(f, ip + ihl + 6, ref_l4_checksum(f, ip, be16(f, ip + ihl + 4)));
  }
  if (proto == 1) put16(f, ip + ihl + 2, ref_icmp_checksum(f, ip + ihl, total - ihl));
}

}  // namespace tandem::packet_test
