#pragma once
// A Director with a fake clock and helpers to send packets and to check
// that ActiveConn/InActConn always match what is in the table.

#include <gtest/gtest.h>

#include <map>

#include "director/core/director.h"

namespace tandem::director::testing {

using namespace std::chrono_literals;

inline constexpr net::Ipv4 kVip{0xC6120A01u};  // 198.18.10.1
inline net::Ipv4 client(std::uint32_t n) {
  return net::Ipv4{0xC6120000u + n};
}  // 198.18.0.n
inline net::Ipv4 real(std::uint32_t n) {
  return net::Ipv4{0xC6120B00u + n};
}  // 198.18.11.n

class DirectorTest : public ::testing::Test {
 protected:
  explicit DirectorTest(DirectorConfig cfg = {}) : d(cfg) {}

  ServiceId add_service(SchedulerKind s = SchedulerKind::rr, std::uint16_t port = 80,
                        Protocol p = Protocol::tcp) {
    ServiceConfig c;
    c.protocol = p;
    c.vip = kVip;
    c.port = port;
    c.scheduler = s;
    const ControlResult r = d.add_service(c);
    EXPECT_EQ(r.error, ControlError::ok);
    return r.id;
  }

  DestId add_server(ServiceId svc, std::uint32_t n, std::uint32_t weight = 1,
                    Forwarding m = Forwarding::dr, std::uint16_t port = 80) {
    RealServerConfig c;
    c.address = real(n);
    c.port = port;
    c.weight = weight;
    c.method = m;
    const ControlResult r = d.add_server(svc, c);
    EXPECT_EQ(r.error, ControlError::ok);
    return r.id;
  }

  Decision in(std::uint32_t cl, std::uint16_t cport, std::uint8_t flags, std::uint16_t vport = 80,
              Protocol p = Protocol::tcp, std::uint32_t len = 60) {
    PacketMeta m;
    m.protocol = p;
    m.direction = Direction::in;
    m.src = client(cl);
    m.sport = cport;
    m.dst = kVip;
    m.dport = vport;
    m.tcp_flags = flags;
    m.length = len;
    Decision r = d.on_packet(m, now);
    check_accounting();
    return r;
  }

  Decision out(std::uint32_t rs, std::uint16_t rport, std::uint32_t cl, std::uint16_t cport,
               std::uint8_t flags, Protocol p = Protocol::tcp, std::uint32_t len = 60) {
    PacketMeta m;
    m.protocol = p;
    m.direction = Direction::out;
    m.src = real(rs);
    m.sport = rport;
    m.dst = client(cl);
    m.dport = cport;
    m.tcp_flags = flags;
    m.length = len;
    Decision r = d.on_packet(m, now);
    check_accounting();
    return r;
  }

  void advance(Duration dt) {
    now += dt;
    d.tick(now);
    check_accounting();
  }

  const ConnEntry* conn(std::uint32_t cl, std::uint16_t cport, std::uint16_t vport = 80,
                        Protocol p = Protocol::tcp) {
    const EntryId id = d.table().find(ConnKey{p, false, client(cl), cport, kVip, vport});
    return id == kNone ? nullptr : &d.table().at(id);
  }

  // Recount every server's connections from the table and compare.
  void check_accounting() {
    EXPECT_EQ(d.audit(), "");
    std::map<DestId, std::pair<int, int>> seen;
    std::map<DestId, int> templates;
    d.table().for_each([&](EntryId, const ConnEntry& e) {
      if (e.is_template()) {
        ++templates[e.dest];
      } else if (e.flags & entry_flag::kInactive) {
        ++seen[e.dest].second;
      } else {
        ++seen[e.dest].first;
      }
    });
    for (ServiceId s : d.services()) {
      for (const RealServer* r : d.service(s)->servers) {
        EXPECT_EQ(r->active, seen[r->id].first) << "server " << r->id;
        EXPECT_EQ(r->inactive, seen[r->id].second) << "server " << r->id;
        EXPECT_EQ(r->persistent, templates[r->id]) << "server " << r->id;
        if (r->config.upper_threshold == 0) {
          EXPECT_FALSE(r->overloaded);
        }
      }
    }
  }

  Director d;
  TimePoint now = TimePoint{} + 1000s;
};

inline constexpr std::uint8_t kSyn = tcp_flag::syn;
inline constexpr std::uint8_t kSynAck = tcp_flag::syn | tcp_flag::ack;
inline constexpr std::uint8_t kAck = tcp_flag::ack;
inline constexpr std::uint8_t kFin = tcp_flag::fin | tcp_flag::ack;
inline constexpr std::uint8_t kRst = tcp_flag::rst;

}  // namespace tandem::director::testing
