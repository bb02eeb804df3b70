#include <gtest/gtest.h>

#include "director/core/director.h"
#include "tests/unit/director/director_fixture.h"

namespace tandem::director {
namespace {

using namespace testing;

class Persistence : public DirectorTest {
 protected:
  // rr over a and b, so a non-persistent choice would alternate.
  ServiceId persistent(Duration timeout, std::uint32_t mask = 0xFFFFFFFFu, std::uint16_t port = 80,
                       Protocol p = Protocol::tcp) {
    ServiceConfig c;
    c.protocol = p;
    c.vip = kVip;
    c.port = port;
    c.scheduler = SchedulerKind::rr;
    c.persistence_timeout = timeout;
    c.persistence_mask = mask;
    const ControlResult r = d.add_service(c);
    EXPECT_EQ(r.error, ControlError::ok);
    a = add_server(r.id, 1, 1, Forwarding::dr, port);
    b = add_server(r.id, 2, 1, Forwarding::dr, port);
    return r.id;
  }

  const ConnEntry* find_template(std::uint32_t masked_client, std::uint16_t vport,
                                 Protocol p = Protocol::tcp) {
    const EntryId id = d.table().find(ConnKey{p, true, net::Ipv4{masked_client}, 0, kVip, vport});
    return id == kNone ? nullptr : &d.table().at(id);
  }

  DestId a = kNone;
  DestId b = kNone;
};

TEST_F(Persistence, SameClientSticksAcrossConnections) {
  persistent(300s);
  EXPECT_EQ(in(1, 1, kSyn).server, a);
  EXPECT_EQ(in(1, 2, kSyn).server, a);
  EXPECT_EQ(in(2, 1, kSyn).server, b);
  EXPECT_EQ(in(1, 3, kSyn).server, a);
  EXPECT_EQ(in(2, 2, kSyn).server, b);
  EXPECT_EQ(d.table_stats().templates, 2u);
  EXPECT_EQ(d.table_stats().connections, 5u);
  EXPECT_EQ(d.server(a)->persistent, 1);
  EXPECT_EQ(d.server(a)->active, 3);  // templates are not connections
  ASSERT_NE(find_template(client(1).value, 80), nullptr);
}

TEST_F(Persistence, NetmaskGroupsClients) {
  persistent(300s, 0xFFFFFF00u);
  EXPECT_EQ(in(1, 1, kSyn).server, a);        // 198.18.0.1
  EXPECT_EQ(in(200, 1, kSyn).server, a);      // 198.18.0.200: same /24
  EXPECT_EQ(in(256 + 1, 1, kSyn).server, b);  // 198.18.1.1: another /24
  ASSERT_NE(find_template(0xC6120000u, 80), nullptr);
  EXPECT_EQ(find_template(client(1).value, 80), nullptr);
}

TEST_F(Persistence, PortZeroServiceSharesOneTemplateAcrossPorts) {
  persistent(300s, 0xFFFFFFFFu, 0);
  const Decision web = in(1, 1, kSyn, 80);
  const Decision tls = in(1, 2, kSyn, 443);
  EXPECT_EQ(web.server, a);
  EXPECT_EQ(tls.server, a);
  EXPECT_EQ(tls.real_port, 443);
  const ConnEntry* t = find_template(client(1).value, 0);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->control, 2u);
  EXPECT_EQ(d.table_stats().templates, 1u);
}

TEST_F(Persistence, PortGroupTemplateUsesPortZero) {
  ServiceConfig c;
  c.vip = kVip;
  c.port_group = {{8000, 8010}, {9000, 9000}};
  c.scheduler = SchedulerKind::rr;
  c.persistence_timeout = 300s;
  const ServiceId s = d.add_service(c).id;
  a = add_server(s, 1, 1, Forwarding::dr, 0);
  b = add_server(s, 2, 1, Forwarding::dr, 0);
  EXPECT_EQ(in(1, 1, kSyn, 8005).server, a);
  EXPECT_EQ(in(1, 2, kSyn, 9000).server, a);
  EXPECT_EQ(in(2, 1, kSyn, 8000).server, b);
  EXPECT_NE(find_template(client(1).value, 0), nullptr);
}

TEST_F(Persistence, ReArmedOnEachUse) {
  persistent(100s, 0xFFFFFFFFu, 53, Protocol::udp);
  d.timeouts().udp = 10s;
  EXPECT_EQ(in(1, 1, 0, 53, Protocol::udp).server, a);
  advance(90s);                                         // conn gone, template has 10 s left
  EXPECT_EQ(in(1, 2, 0, 53, Protocol::udp).server, a);  // re-arms to +100 s
  EXPECT_EQ(find_template(client(1).value, 53, Protocol::udp)->expires(), now + 100s);
  advance(95s);
  EXPECT_EQ(in(1, 3, 0, 53, Protocol::udp).server, a);
  advance(100s);  // idle for the whole timeout, no live connection
  EXPECT_EQ(find_template(client(1).value, 53, Protocol::udp), nullptr);
  EXPECT_EQ(in(1, 4, 0, 53, Protocol::udp).server, b);  // rr moves on
}

TEST_F(Persistence, ExpiringTemplateWithLiveConnectionsLingersSixtySeconds) {
  persistent(100s);
  in(1, 1, kSyn);
  in(1, 1, kAck);  // ESTABLISHED, 900 s
  advance(100s);
  const ConnEntry* t = find_template(client(1).value, 80);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->expires(), now + 60s);
  advance(60s);
  t = find_template(client(1).value, 80);
  ASSERT_NE(t, nullptr);  // still controls the connection: another 60 s
  EXPECT_EQ(t->expires(), now + 60s);
  EXPECT_EQ(in(1, 2, kSyn).server, a);
  EXPECT_EQ(find_template(client(1).value, 80)->expires(), now + 100s);  // use re-arms fully
}

TEST_F(Persistence, LingerAlsoWhenFoundExpiredBeforeTheWheelRuns) {
  persistent(100s);
  in(1, 1, kSyn);
  in(1, 1, kAck);
  now += 150s;  // no tick
  EXPECT_EQ(in(1, 2, kSyn).server, a);
}

TEST_F(Persistence, TemplateGoesWithItsLastConnection) {
  persistent(100s);
  in(1, 1, kSyn);
  in(1, 1, kAck);
  in(1, 1, kRst);  // CLOSE, 10 s
  advance(10s);
  EXPECT_NE(find_template(client(1).value, 80), nullptr);  // own timer still runs
  advance(90s);
  EXPECT_EQ(find_template(client(1).value, 80), nullptr);
  EXPECT_EQ(d.table().size(), 0u);
  EXPECT_EQ(d.server(a)->persistent, 0);
}

TEST_F(Persistence, DiscardedWhenServerRemoved) {
  const ServiceId s = persistent(300s);
  EXPECT_EQ(in(1, 1, kSyn).server, a);
  d.delete_server(a);
  const Decision r = in(1, 2, kSyn);
  EXPECT_EQ(r.server, b);
  EXPECT_EQ(find_template(client(1).value, 80)->dest, b);
  // The old connection still references a (until it expires).
  EXPECT_EQ(in(1, 1, kAck).reason, DropReason::server_gone);
  EXPECT_EQ(d.service(s)->servers.size(), 1u);
  advance(60s);  // SYN_RECV runs out: the old template and server go too
  EXPECT_EQ(d.server(a), nullptr);
  EXPECT_EQ(d.table_stats().templates, 1u);
}

TEST_F(Persistence, QuiescentServerKeepsItsTemplatesByDefault) {
  persistent(300s);
  EXPECT_EQ(in(1, 1, kSyn).server, a);
  d.set_weight(a, 0);
  EXPECT_EQ(in(1, 2, kSyn).server, a);
  EXPECT_EQ(in(2, 1, kSyn).server, b);  // new clients avoid a
}

TEST_F(Persistence, ExpireQuiescentTemplate) {
  persistent(300s);
  d.knobs().expire_quiescent_template = true;
  EXPECT_EQ(in(1, 1, kSyn).server, a);
  d.set_weight(a, 0);
  EXPECT_EQ(in(1, 2, kSyn).server, b);
  EXPECT_EQ(find_template(client(1).value, 80)->dest, b);
  EXPECT_EQ(in(1, 1, kAck).server, a);  // the old connection carries on
}

TEST_F(Persistence, OverloadedServerStillHonoursTemplate) {
  ServiceConfig c;
  c.vip = kVip;
  c.port = 80;
  c.scheduler = SchedulerKind::rr;
  c.persistence_timeout = 300s;
  const ServiceId s = d.add_service(c).id;
  RealServerConfig rc;
  rc.address = real(1);
  rc.port = 80;
  rc.upper_threshold = 1;
  a = d.add_server(s, rc).id;
  b = add_server(s, 2);
  EXPECT_EQ(in(1, 1, kSyn).server, a);
  ASSERT_TRUE(d.server(a)->overloaded);
  EXPECT_EQ(in(1, 2, kSyn).server, a);
  EXPECT_EQ(in(2, 1, kSyn).server, b);
}

TEST_F(Persistence, ConnReuseDoesNotRescheduleControlledConnections) {
  persistent(300s);
  EXPECT_EQ(in(1, 1, kSyn).server, a);
  in(1, 1, kAck);
  in(1, 1, kRst);
  ASSERT_EQ(conn(1, 1)->state, TcpState::close);
  EXPECT_EQ(in(1, 1, kSyn).server, a);
  EXPECT_EQ(d.counters().rescheduled, 0u);
}

TEST_F(Persistence, TemplateCountsAgainstTableSize) {
  DirectorConfig cfg;
  cfg.table.max_entries = 3;
  Director small(cfg);
  ServiceConfig c;
  c.vip = kVip;
  c.port = 80;
  c.persistence_timeout = 300s;
  const ServiceId s = small.add_service(c).id;
  RealServerConfig rc;
  rc.address = real(1);
  rc.port = 80;
  small.add_server(s, rc);
  auto syn = [&](std::uint32_t cl, std::uint16_t cport) {
    PacketMeta m;
    m.src = client(cl);
    m.sport = cport;
    m.dst = kVip;
    m.dport = 80;
    m.tcp_flags = kSyn;
    return small.on_packet(m, now);
  };
  EXPECT_EQ(syn(1, 1).verdict, Verdict::forward);  // template + connection
  EXPECT_EQ(syn(1, 2).verdict, Verdict::forward);  // connection only
  EXPECT_EQ(syn(2, 1).reason, DropReason::table_full);
  EXPECT_EQ(small.table_stats().templates, 1u);
  EXPECT_EQ(small.table_stats().connections, 2u);
}

}  // namespace
}  // namespace tandem::director
