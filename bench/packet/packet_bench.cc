// Each case restores the original frame before rewriting it (a rewrite
// changes TTL and addresses), so the "restore only" line is the baseline to
// subtract from the rewrite lines.

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "common/net/packet.h"
#include "director/packet/dr.h"
#include "director/packet/nat.h"
#include "director/packet/tun.h"

namespace {

using namespace tandem;

// Client 198.18.0.10:50000 -> 198.18.0.100:80, SYN (see tests/unit/packet/frames.h).
constexpr std::array<std::uint8_t, 54> kSyn = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x9c, 0x09, 0xc6, 0x12,
    0x00, 0x0a, 0xc6, 0x12, 0x00, 0x64, 0xc3, 0x50, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0x72, 0x10, 0xed, 0x9d, 0x00, 0x00};

inline void escape(const void* p) {
  asm volatile("" : : "g"(p) : "memory");
}

template <typename Fn>
void run(std::string_view name, long iterations, Fn&& body) {
  for (long i = 0; i < iterations / 10; ++i) body();  // warm up
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < iterations; ++i) body();
  const auto ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start);
  std::printf("%-28.*s %7.2f ns/op\n", static_cast<int>(name.size()), name.data(),
              ns.count() / static_cast<double>(iterations));
}

}  // namespace

int main(int argc, char** argv) {
  const long iterations = argc > 1 ? std::atol(argv[1]) : 20'000'000;
  const director::Egress egress{net::Mac{{2, 0, 0, 0, 0, 1}}, net::Mac{{2, 0, 0, 0, 1, 11}}, 1500};
  const net::Endpoint real{net::Ipv4{0xc612010b}, 8080};
  const director::TunParams tun{net::Ipv4{0xc6120001}, net::Ipv4{0xc612010b}, 64, 0};

  std::array<std::uint8_t, director::kTunHeadroom + kSyn.size()> buf{};
  std::uint8_t* frame = buf.data() + director::kTunHeadroom;
  const std::span<std::uint8_t> f(frame, kSyn.size());
  net::ParsedFrame v;
  if (net::parse_frame(kSyn, {}, v) != net::DropReason::kNone) return 1;

  auto restore = [&] { std::memcpy(frame, kSyn.data(), kSyn.size()); };
  run("restore only", iterations, [&] {
    restore();
    escape(frame);
  });
  run("parse (ip csum)", iterations, [&] {
    escape(kSyn.data());
    net::ParsedFrame p;
    escape(&p);
    (void)net::parse_frame(kSyn, {}, p);
    escape(&p);
  });
  run("parse (ip + l4 csum)", iterations, [&] {
    escape(kSyn.data());
    net::ParsedFrame p;
    (void)net::parse_frame(kSyn, {.verify_ip_checksum = true, .verify_l4_checksum = true}, p);
    escape(&p);
  });
  run("restore + dr_forward", iterations, [&] {
    restore();
    escape(director::dr_forward(f, v, egress).length == 0 ? nullptr : frame);
  });
  run("restore + nat_inbound", iterations, [&] {
    restore();
    escape(director::nat_inbound(f, v, real, egress).length == 0 ? nullptr : frame);
  });
  run("restore + tun_encapsulate", iterations, [&] {
    restore();
    escape(director::tun_encapsulate(buf, director::kTunHeadroom, v, tun, egress).length == 0
               ? nullptr
               : frame);
  });
  return 0;
}
