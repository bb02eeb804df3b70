#pragma once
// What every Forwarder test starts from: the lab's addresses and MACs, and a
// frame as the receive ring hands it over (headroom in front, writable).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/net/address.h"
#include "director/io/frame.h"

namespace tandem::director::daemon::testing {

inline net::Ipv4 ip(const char* s) {
  return *net::Ipv4::parse(s);
}
inline net::Mac mac(const char* s) {
  return *net::Mac::parse(s);
}

inline const net::Mac kClientMac = mac("02:00:00:00:00:0a");
inline const net::Mac kOutMac = mac("02:00:00:00:00:01");
inline const net::Mac kInMac = mac("02:00:00:00:00:02");
inline const net::Mac kRsMac = mac("02:00:00:00:00:11");

struct RxFrame {
  explicit RxFrame(std::vector<std::uint8_t> bytes, int ifindex, bool partial = false)
      : buf(64 + bytes.size()) {
    std::copy(bytes.begin(), bytes.end(), buf.begin() + 64);
    f.data = {buf.data() + 64, bytes.size()};
    f.headroom = 64;
    f.wire_length = static_cast<std::uint32_t>(bytes.size());
    f.ifindex = ifindex;
    f.checksum_not_ready = partial;
  }
  std::vector<std::uint8_t> out() const { return {f.out.begin(), f.out.end()}; }
  // What a super-frame became: one entry per segment sent.
  std::vector<std::vector<std::uint8_t>> segments() const {
    std::vector<std::vector<std::uint8_t>> s;
    for (const auto seg : f.burst) s.emplace_back(seg.begin(), seg.end());
    return s;
  }
  std::vector<std::uint8_t> buf;
  io::Frame f;
};

}  // namespace tandem::director::daemon::testing
