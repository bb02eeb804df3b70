#pragma once
// Builds valid Ethernet/IPv4/TCP frames and ARP requests for the adapter's tests.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/net/address.h"
#include "common/net/checksum.h"

namespace tandem::director::daemon::testing {

inline void put16(std::vector<std::uint8_t>& f, std::size_t o, std::uint16_t v) {
  f[o] = static_cast<std::uint8_t>(v >> 8);
  f[o + 1] = static_cast<std::uint8_t>(v);
}
inline void put32(std::vector<std::uint8_t>& f, std::size_t o, std::uint32_t v) {
  put16(f, o, static_cast<std::uint16_t>(v >> 16));
  put16(f, o + 2, static_cast<std::uint16_t>(v));
}

struct TcpSpec {
  net::Mac dst_mac, src_mac;
  net::Ipv4 src, dst;
  std::uint16_t sport = 40000, dport = 80;
  std::uint8_t flags = 0x02;  // SYN
  std::uint8_t ttl = 64;
  std::size_t payload = 0;
  bool partial_checksum = false;  // leave only the pseudo-header sum, as offload does
};

inline std::vector<std::uint8_t> tcp_frame(const TcpSpec& s) {
  const std::size_t ip_len = 20 + 20 + s.payload;
  std::vector<std::uint8_t> f(14 + ip_len, 0);
  for (int i = 0; i < 6; ++i) {
    f[static_cast<std::size_t>(i)] = s.dst_mac.bytes[static_cast<std::size_t>(i)];
    f[static_cast<std::size_t>(6 + i)] = s.src_mac.bytes[static_cast<std::size_t>(i)];
  }
  put16(f, 12, 0x0800);
  f[14] = 0x45;
  put16(f, 16, static_cast<std::uint16_t>(ip_len));
  put16(f, 18, 0x1234);
  f[22] = s.ttl;
  f[23] = 6;
  put32(f, 26, s.src.value);
  put32(f, 30, s.dst.value);
  put16(f, 24, net::internet_checksum({f.data() + 14, 20}));
  put16(f, 34, s.sport);
  put16(f, 36, s.dport);
  put32(f, 38, 1000);
  f[46] = 5 << 4;
  f[47] = s.flags;
  put16(f, 48, 65535);
  for (std::size_t i = 0; i < s.payload; ++i) f[54 + i] = static_cast<std::uint8_t>(i * 7 + 1);
  net::ChecksumAccumulator acc;
  net::add_ipv4_pseudo_header(acc, s.src.value, s.dst.value, 6, static_cast<std::uint16_t>(20 + s.payload));
  if (s.partial_checksum) {
    // The field holds the folded, uncomplemented pseudo-header sum.
    put16(f, 50, static_cast<std::uint16_t>(~acc.finish()));
  } else {
    acc.add({f.data() + 34, 20 + s.payload});
    put16(f, 50, acc.finish());
  }
  return f;
}

// True when the TCP checksum of a frame verifies.
inline bool tcp_checksum_ok(const std::vector<std::uint8_t>& f, std::size_t ip_off = 14) {
  const std::size_t ihl = (f[ip_off] & 0x0F) * 4u;
  const std::size_t total = (std::size_t{f[ip_off + 2]} << 8) | f[ip_off + 3];
  auto get32 = [&](std::size_t o) {
    return (std::uint32_t{f[o]} << 24) | (std::uint32_t{f[o + 1]} << 16) |
           (std::uint32_t{f[o + 2]} << 8) | f[o + 3];
  };
  net::ChecksumAccumulator acc;
  net::add_ipv4_pseudo_header(acc, get32(ip_off + 12), get32(ip_off + 16), 6,
                              static_cast<std::uint16_t>(total - ihl));
  acc.add({f.data() + ip_off + ihl, total - ihl});
  return acc.finish() == 0;
}

inline std::vector<std::uint8_t> arp_who_has(const net::Mac& src_mac, net::Ipv4 src, net::Ipv4 target) {
  std::vector<std::uint8_t> f(60, 0);
  for (int i = 0; i < 6; ++i) {
    f[static_cast<std::size_t>(i)] = 0xff;
    f[static_cast<std::size_t>(6 + i)] = src_mac.bytes[static_cast<std::size_t>(i)];
    f[static_cast<std::size_t>(22 + i)] = src_mac.bytes[static_cast<std::size_t>(i)];
  }
  put16(f, 12, 0x0806);
  put16(f, 14, 1);
  put16(f, 16, 0x0800);
  f[18] = 6;
  f[19] = 4;
  put16(f, 20, 1);
  put32(f, 28, src.value);
  put32(f, 38, target.value);
  return f;
}

// An ICMP message in an Ethernet frame: `rest` is the 4 bytes after the
// checksum (echo id/seq, or the next-hop MTU), `body` what follows (for an
// error, the quoted datagram). Checksums computed.
inline std::vector<std::uint8_t> icmp_frame(const net::Mac& dst_mac, const net::Mac& src_mac,
                                            net::Ipv4 src, net::Ipv4 dst, std::uint8_t type,
                                            std::uint8_t code, std::uint32_t rest,
                                            const std::vector<std::uint8_t>& body) {
  const std::size_t ip_len = 20 + 8 + body.size();
  std::vector<std::uint8_t> f(14 + ip_len, 0);
  for (int i = 0; i < 6; ++i) {
    f[static_cast<std::size_t>(i)] = dst_mac.bytes[static_cast<std::size_t>(i)];
    f[static_cast<std::size_t>(6 + i)] = src_mac.bytes[static_cast<std::size_t>(i)];
  }
  put16(f, 12, 0x0800);
  f[14] = 0x45;
  put16(f, 16, static_cast<std::uint16_t>(ip_len));
  put16(f, 18, 0x4321);
  f[22] = 64;
  f[23] = 1;
  put32(f, 26, src.value);
  put32(f, 30, dst.value);
  put16(f, 24, net::internet_checksum({f.data() + 14, 20}));
  f[34] = type;
  f[35] = code;
  put32(f, 38, rest);
  std::copy(body.begin(), body.end(), f.begin() + 42);
  put16(f, 36, net::internet_checksum({f.data() + 34, 8 + body.size()}));
  return f;
}

// The IP datagram of a frame (what an ICMP error quotes).
inline std::vector<std::uint8_t> datagram(const std::vector<std::uint8_t>& frame) {
  return {frame.begin() + 14, frame.end()};
}

// True when the ICMP message of a frame (no options) verifies.
inline bool icmp_checksum_ok(const std::vector<std::uint8_t>& f) {
  const std::size_t total = (std::size_t{f[16]} << 8) | f[17];
  return net::internet_checksum({f.data() + 34, total - 20}) == 0;
}

}  // namespace tandem::director::daemon::testing
