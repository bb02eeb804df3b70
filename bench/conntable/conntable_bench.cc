// Measures the director core's fast paths on one shard with N live
// connections. Wall-clock timing is fine here: this is a tool, not a test.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <vector>

#include "director/core/director.h"

namespace {

using namespace tandem;
using namespace tandem::director;
using namespace std::chrono_literals;

constexpr net::Ipv4 kVip{0xC6120A01u};

long rss_kib() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * 4;
}

PacketMeta packet(std::uint32_t i, std::uint8_t flags) {
  PacketMeta m;
  m.protocol = Protocol::tcp;
  m.src = net::Ipv4{0x0A000000u + i / 16};  // 16 connections per client address
  m.sport = static_cast<std::uint16_t>(20000 + i % 16);
  m.dst = kVip;
  m.dport = 80;
  m.tcp_flags = flags;
  m.length = 60;
  return m;
}

// One dependent load from a random line of a 64 MiB array: the floor for
// any lookup that must touch a cold entry, to read the other numbers by.
double random_load_ns() {
  constexpr std::uint32_t kLines = 1u << 20;
  struct alignas(64) Line {
    std::uint32_t next;
  };
  std::vector<Line> v(kLines);
  std::vector<std::uint32_t> perm(kLines);
  for (std::uint32_t i = 0; i < kLines; ++i) perm[i] = i;
  std::shuffle(perm.begin(), perm.end(), std::mt19937(1));
  for (std::uint32_t i = 0; i < kLines; ++i) v[perm[i]].next = perm[(i + 1) % kLines];
  std::uint32_t x = perm[0];
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint32_t i = 0; i < kLines; ++i) x = v[x].next;
  const auto t1 = std::chrono::steady_clock::now();
  if (x == kLines) std::puts("");  // keep the chain alive
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / kLines;
}

template <class F>
double ns_per(std::size_t n, F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(n);
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint32_t n = argc > 1 ? static_cast<std::uint32_t>(std::atol(argv[1])) : 1000000;
  const long rss0 = rss_kib();
  DirectorConfig cfg;
  cfg.table.max_entries = n;
  Director d(cfg);
  ServiceConfig sc;
  sc.vip = kVip;
  sc.port = 80;
  sc.scheduler = SchedulerKind::wlc;
  const ServiceId s = d.add_service(sc).id;
  for (std::uint32_t i = 0; i < 8; ++i) {
    RealServerConfig rc;
    rc.address = net::Ipv4{0xC6120B01u + i};
    rc.port = 8080;
    rc.method = Forwarding::nat;
    d.add_server(s, rc);
  }
  TimePoint now = TimePoint{} + 1000s;
  std::uint64_t forwarded = 0;

  const double create = ns_per(n, [&] {
    for (std::uint32_t i = 0; i < n; ++i) {
      forwarded += d.on_packet(packet(i, tcp_flag::syn), now).verdict == Verdict::forward;
    }
  });
  const long rss1 = rss_kib();

  std::vector<std::uint32_t> order(n);
  for (std::uint32_t i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  now += 1s;
  const double lookup_random = ns_per(n, [&] {
    for (std::uint32_t i : order) {
      forwarded += d.on_packet(packet(i, tcp_flag::ack), now).verdict == Verdict::forward;
    }
  });
  const double lookup_seq = ns_per(n, [&] {
    for (std::uint32_t i = 0; i < n; ++i) {
      forwarded += d.on_packet(packet(i, tcp_flag::ack), now).verdict == Verdict::forward;
    }
  });

  // NAT replies: reverse lookup by (real server, client).
  std::vector<PacketMeta> replies;
  replies.reserve(n);
  d.table().for_each([&](EntryId, const ConnEntry& e) {
    PacketMeta m;
    m.direction = Direction::out;
    m.src = e.daddr;
    m.sport = e.dport;
    m.dst = e.caddr;
    m.dport = e.cport;
    m.tcp_flags = tcp_flag::ack;
    replies.push_back(m);
  });
  std::shuffle(replies.begin(), replies.end(), std::mt19937(8));
  const double reverse = ns_per(replies.size(), [&] {
    for (const PacketMeta& m : replies) {
      forwarded += d.on_packet(m, now).verdict == Verdict::forward;
    }
  });

  const std::uint64_t expected = 3ull * n + replies.size();
  const TableStats ts = d.table_stats();
  // Everything is ESTABLISHED (900 s): expire it with 250 ms ticks.
  std::size_t ticks = 0;
  const double expire = ns_per(n, [&] {
    const TimePoint end = now + 902s;
    while (now < end) {
      now += 250ms;
      d.tick(now);
      ++ticks;
    }
  });

  std::printf("entries                      %u\n", n);
  std::printf("baseline: random DRAM load   %8.1f ns\n", random_load_ns());
  std::printf("forwarded                    %llu of %llu\n",
              static_cast<unsigned long long>(forwarded),
              static_cast<unsigned long long>(expected));
  std::printf("new connection (SYN)         %8.1f ns/packet\n", create);
  std::printf("existing, random order (ACK) %8.1f ns/packet\n", lookup_random);
  std::printf("existing, creation order     %8.1f ns/packet\n", lookup_seq);
  std::printf("NAT reply, random order      %8.1f ns/packet\n", reverse);
  std::printf("expiry over %zu ticks        %8.1f ns/entry\n", ticks, expire);
  std::printf("left after expiry            %zu\n", d.table().size());
  std::printf("sizeof(ConnEntry)            %zu B\n", ts.memory.entry_bytes);
  std::printf("bucket arrays                %zu KiB\n", ts.memory.bucket_bytes / 1024);
  std::printf("slabs                        %zu KiB\n", ts.memory.slab_bytes / 1024);
  std::printf("bytes/entry at max (report)  %.1f B\n", ts.memory.bytes_per_entry_at_max);
  std::printf("RSS growth / entry           %.1f B\n",
              static_cast<double>(rss1 - rss0) * 1024.0 / static_cast<double>(n));
  return forwarded == expected ? 0 : 1;
}
