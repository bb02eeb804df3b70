// Drives one Director with an arbitrary mix of packets (any flags, either
// direction, unknown tuples), clock jumps and control operations, and after
// every step requires the connection accounting to match the table exactly
// and every decision to name a live server.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "director/core/director.h"

namespace {

using namespace tandem;
using namespace tandem::director;
using namespace std::chrono_literals;

class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}
  bool more() const { return p_ < end_; }
  std::uint8_t byte() { return p_ < end_ ? *p_++ : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(byte() << 8 | byte()); }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

constexpr net::Ipv4 kVip{0xC6120A01u};
constexpr std::uint16_t kPorts[] = {80, 53, 8005, 22, 443, 9000};

[[noreturn]] void fail() {
  std::abort();
}

net::Ipv4 real(std::uint8_t n) {
  return net::Ipv4{0xC6120B00u + (n % 8u)};
}

void setup(Director& d, std::uint8_t variant) {
  ServiceConfig web;
  web.vip = kVip;
  web.port = 80;
  web.scheduler = static_cast<SchedulerKind>(variant % 14);
  web.flags = {.fallback = (variant & 0x10) != 0, .port = (variant & 0x20) != 0};
  ServiceConfig dns;
  dns.protocol = Protocol::udp;
  dns.vip = kVip;
  dns.port = 53;
  dns.scheduler = SchedulerKind::rr;
  dns.one_packet = (variant & 0x40) != 0;
  ServiceConfig group;
  group.vip = kVip;
  group.port_group = {{8000, 8010}, {9000, 9000}};
  // Maglev builds a 4093-slot table per change: the slowest setup, so only
  // half the inputs pay for it.
  group.scheduler = (variant & 0x80) ? SchedulerKind::mh : SchedulerKind::sh;
  group.persistence_timeout = 30s;
  group.persistence_mask = 0xFFFFFF00u;
  ServiceConfig any;
  any.vip = kVip;
  any.port = 0;
  any.scheduler = SchedulerKind::lblcr;
  any.persistence_timeout = 10s;
  for (const ServiceConfig& c : {web, dns, group, any}) {
    const ServiceId s = d.add_service(c).id;
    for (std::uint8_t i = 0; i < 3; ++i) {
      RealServerConfig r;
      r.address = real(i);
      r.port = c.port;
      r.weight = i + 1u;
      r.method = i == 0 ? Forwarding::nat : Forwarding::dr;
      r.upper_threshold = i == 2 ? 3 : 0;
      d.add_server(s, r);
    }
  }
}

void check(const Director& d, const Decision& r) {
  if (!d.audit().empty()) fail();
  if (r.verdict == Verdict::forward) {
    const RealServer* s = d.server(r.server);
    if (s == nullptr) fail();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader in(data, size);
  DirectorConfig cfg;
  cfg.table.max_entries = 48;
  cfg.table.buckets = 1024;
  Director d(cfg);
  setup(d, in.byte());
  TimePoint now = TimePoint{} + 1000s;
  int steps = 0;
  while (in.more() && steps++ < 2000) {
    const std::uint8_t op = in.byte();
    Decision r;
    switch (op % 8) {
      case 0:
      case 1: {
        PacketMeta m;
        m.protocol = (op & 0x10) ? Protocol::udp : Protocol::tcp;
        m.direction = Direction::in;
        m.src = net::Ipv4{0xC6120000u + in.byte() % 24u};
        m.sport = static_cast<std::uint16_t>(1000 + in.byte() % 6);
        m.dst = (op & 0x20) ? net::Ipv4{0xC6120A02u} : kVip;
        m.dport = kPorts[in.byte() % 6];
        m.tcp_flags = in.byte();
        m.length = in.u16();
        r = d.on_packet(m, now);
        break;
      }
      case 2: {
        PacketMeta m;
        m.protocol = (op & 0x10) ? Protocol::udp : Protocol::tcp;
        m.direction = Direction::out;
        m.src = real(in.byte());
        m.sport = kPorts[in.byte() % 6];
        m.dst = net::Ipv4{0xC6120000u + in.byte() % 24u};
        m.dport = static_cast<std::uint16_t>(1000 + in.byte() % 6);
        m.tcp_flags = in.byte();
        r = d.on_packet(m, now);
        break;
      }
      case 3:
        now += std::chrono::milliseconds(250) * (in.byte() + 1) * ((op & 0x80) ? 40 : 1);
        d.tick(now);
        break;
      case 4: {
        const std::vector<ServiceId> svcs = d.services();
        if (svcs.empty()) break;
        const ServiceId s = svcs[in.byte() % svcs.size()];
        RealServerConfig c;
        c.address = real(in.byte());
        c.port = d.service(s)->config.port;
        c.weight = in.byte() % 4;
        c.method = (op & 0x10) ? Forwarding::nat : Forwarding::dr;
        c.upper_threshold = in.byte() % 4;
        c.lower_threshold = c.upper_threshold / 2;
        d.add_server(s, c);
        break;
      }
      case 5:
        d.delete_server(in.byte() % 16);
        break;
      case 6:
        d.set_weight(in.byte() % 16, in.byte() % 3);
        break;
      case 7: {
        const std::uint8_t k = in.byte();
        d.knobs().expire_nodest_conn = k & 1;
        d.knobs().expire_quiescent_template = k & 2;
        d.knobs().conn_reuse_mode = (k >> 2) & 3;
        d.knobs().sloppy_tcp = k & 16;
        if (k & 32) {
          const std::vector<ServiceId> svcs = d.services();
          if (!svcs.empty()) {
            const ServiceId s = svcs[in.byte() % svcs.size()];
            ServiceConfig c = d.service(s)->config;
            c.scheduler = static_cast<SchedulerKind>(in.byte() % 14);
            d.edit_service(s, c);
          }
        }
        if (k & 64) d.delete_service(in.byte() % 4);
        break;
      }
    }
    // Drift never heals, so a periodic audit still catches it.
    if (steps % 8 == 0) check(d, r);
    if (r.verdict == Verdict::forward && d.server(r.server) == nullptr) fail();
  }
  // Everything must drain once time runs far enough (two passes: a
  // template visited before its last connection lingers once).
  for (int i = 0; i < 2; ++i) {
    now += std::chrono::hours(2);
    d.tick(now);
  }
  if (d.table().size() != 0 || !d.audit().empty()) fail();
  return 0;
}
