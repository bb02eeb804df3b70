#pragma once
// Shared fixtures for the sync codec tests: the hand-checked reference record
// and a hex helper so expected bytes read like a packet dump.

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/net/address.h"
#include "common/sync/record.h"

namespace tandem::sync::testing {

// "00 05 00 2c" -> bytes; whitespace ignored.
inline std::vector<std::uint8_t> hex(std::string_view s) {
  std::vector<std::uint8_t> out;
  int hi = -1;
  for (char c : s) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      continue;
    }
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}

inline SyncAddr v4(const char* text) {
  return SyncAddr::from_v4(*net::Ipv4::parse(text));
}

// Client 198.18.0.10:40000 -> VIP 198.18.0.100:80 -> real 198.18.1.11:80,
// TCP ESTABLISHED, direct routing, timeout 900 s.
inline ConnRecord reference_record() {
  ConnRecord r;
  r.protocol = 6;
  r.flags = 0x0003;  // DR
  r.state = static_cast<std::uint16_t>(TcpState::kEstablished);
  r.cport = 40000;
  r.vport = 80;
  r.dport = 80;
  r.timeout_s = 900;
  r.caddr = v4("198.18.0.10");
  r.vaddr = v4("198.18.0.100");
  r.daddr = v4("198.18.1.11");
  return r;
}

// The same record byte by byte, checked by hand:
inline std::vector<std::uint8_t> reference_record_bytes() {
  return hex(
      "00"           // type 0: IPv4
      "06"           // protocol 6: TCP
      "00 24"        // ver_size: version 0, length 36 (0x24)
      "00 00 00 03"  // flags: forwarding method 3 = direct routing
      "00 01"        // state 1: ESTABLISHED
      "9c 40"        // cport 40000 = 0x9c40
      "00 50"        // vport 80
      "00 50"        // dport 80
      "00 00 00 00"  // fwmark 0
      "00 00 03 84"  // timeout 900 s = 0x384
      "c6 12 00 0a"  // caddr 198.18.0.10
      "c6 12 00 64"  // vaddr 198.18.0.100 (100 = 0x64)
      "c6 12 01 0b"  // daddr 198.18.1.11
  );
}

}  // namespace tandem::sync::testing
