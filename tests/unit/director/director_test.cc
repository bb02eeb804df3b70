#include "director/core/director.h"

#include <gtest/gtest.h>

#include "tests/unit/director/director_fixture.h"

namespace tandem::director {
namespace {

using namespace testing;

// ------------------------------------------------------------- TCP flows

TEST_F(DirectorTest, DirectRoutingLifecycleUsesInputOnlyTable) {
  const ServiceId s = add_service();
  const DestId a = add_server(s, 1);
  Decision r = in(1, 1000, kSyn);
  ASSERT_EQ(r.verdict, Verdict::forward);
  EXPECT_EQ(r.server, a);
  EXPECT_EQ(r.method, Forwarding::dr);
  EXPECT_EQ(r.real_addr, real(1));
  EXPECT_EQ(r.real_port, 80);
  EXPECT_EQ(conn(1, 1000)->state, TcpState::syn_recv);
  EXPECT_EQ(d.server(a)->active, 1);
  in(1, 1000, kAck);
  EXPECT_EQ(conn(1, 1000)->state, TcpState::established);
  in(1, 1000, kFin);  // INPUT_ONLY fin from ES -> FIN_WAIT (INPUT would say CLOSE_WAIT)
  EXPECT_EQ(conn(1, 1000)->state, TcpState::fin_wait);
  EXPECT_EQ(d.server(a)->active, 0);
  EXPECT_EQ(d.server(a)->inactive, 1);
  in(1, 1000, kAck);
  EXPECT_EQ(conn(1, 1000)->state, TcpState::fin_wait);
  in(1, 1000, kRst);  // rst from FW -> CLOSE
  EXPECT_EQ(conn(1, 1000)->state, TcpState::close);
  EXPECT_EQ(conn(1, 1000)->expires(), now + 10s);
}

TEST_F(DirectorTest, NatUsesInputAndOutputTablesAndReverseLookup) {
  const ServiceId s = add_service();
  const DestId a = add_server(s, 1, 1, Forwarding::nat, 8080);
  Decision r = in(1, 1000, kSyn);
  ASSERT_EQ(r.verdict, Verdict::forward);
  EXPECT_EQ(r.method, Forwarding::nat);
  EXPECT_EQ(r.real_port, 8080);
  EXPECT_EQ(conn(1, 1000)->state, TcpState::syn_recv);
  r = out(1, 8080, 1, 1000, kSynAck);  // OUTPUT syn from SR -> SR
  ASSERT_EQ(r.verdict, Verdict::forward);
  EXPECT_EQ(r.vip, kVip);
  EXPECT_EQ(r.vport, 80);
  EXPECT_EQ(r.server, a);
  EXPECT_EQ(conn(1, 1000)->state, TcpState::syn_recv);
  in(1, 1000, kAck);
  EXPECT_EQ(conn(1, 1000)->state, TcpState::established);
  out(1, 8080, 1, 1000, kFin);  // OUTPUT fin from ES -> FIN_WAIT
  EXPECT_EQ(conn(1, 1000)->state, TcpState::fin_wait);
  in(1, 1000, kFin);  // INPUT fin from FW -> TIME_WAIT
  EXPECT_EQ(conn(1, 1000)->state, TcpState::time_wait);
  EXPECT_EQ(conn(1, 1000)->expires(), now + 120s);
  // A reply from the wrong port or to another client is not ours.
  EXPECT_EQ(out(1, 8081, 1, 1000, kAck).verdict, Verdict::pass);
  EXPECT_EQ(out(1, 8080, 2, 1000, kAck).reason, DropReason::no_connection);
}

TEST_F(DirectorTest, DirectRoutingRepliesAreNotLookedUp) {
  const ServiceId s = add_service();
  add_server(s, 1);
  in(1, 1000, kSyn);
  const Decision r = out(1, 80, 1, 1000, kSynAck);
  EXPECT_EQ(r.verdict, Verdict::pass);
  EXPECT_EQ(r.reason, DropReason::no_connection);
}

TEST_F(DirectorTest, OnlySynWithoutRstCreates) {
  const ServiceId s = add_service();
  add_server(s, 1);
  EXPECT_EQ(in(1, 1000, kAck).reason, DropReason::not_syn);
  EXPECT_EQ(in(1, 1000, kRst | kSyn).reason, DropReason::not_syn);
  EXPECT_EQ(in(1, 1000, kFin).reason, DropReason::not_syn);
  EXPECT_EQ(d.table().size(), 0u);
  EXPECT_EQ(d.counters().not_syn, 3u);
  EXPECT_EQ(in(1, 1000, kSynAck).verdict, Verdict::forward);  // SYN (with ACK) counts
}

TEST_F(DirectorTest, SloppyTcpCreatesOnAnyPacket) {
  const ServiceId s = add_service();
  add_server(s, 1);
  d.knobs().sloppy_tcp = true;
  EXPECT_EQ(in(1, 1000, kAck).verdict, Verdict::forward);
  EXPECT_EQ(conn(1, 1000)->state, TcpState::established);  // NONE + ack -> ES
}

TEST_F(DirectorTest, UnknownServicePasses) {
  const ServiceId s = add_service();
  add_server(s, 1);
  const Decision r = in(1, 1000, kSyn, 443);
  EXPECT_EQ(r.verdict, Verdict::pass);
  EXPECT_EQ(r.reason, DropReason::no_service);
  EXPECT_EQ(in(1, 1000, kSyn, 80, Protocol::udp).reason, DropReason::no_service);
}

TEST_F(DirectorTest, NoEligibleServerDrops) {
  const ServiceId s = add_service();
  const Decision r = in(1, 1000, kSyn);
  EXPECT_EQ(r.verdict, Verdict::drop);
  EXPECT_EQ(r.reason, DropReason::no_server);
  add_server(s, 1, 0);
  EXPECT_EQ(in(1, 1000, kSyn).reason, DropReason::no_server);
  EXPECT_EQ(d.counters().no_server, 2u);
}

// ---------------------------------------------------------------- timers

TEST_F(DirectorTest, EveryPacketReArmsWithTheCurrentStateTimeout) {
  const ServiceId s = add_service();
  add_server(s, 1);
  in(1, 1000, kSyn);
  EXPECT_EQ(conn(1, 1000)->expires(), now + 60s);  // SYN_RECV
  advance(59s);
  in(1, 1000, kAck);
  EXPECT_EQ(conn(1, 1000)->expires(), now + 900s);  // ESTABLISHED
  advance(899s);
  in(1, 1000, kAck);
  advance(899s);
  ASSERT_NE(conn(1, 1000), nullptr);
  EXPECT_EQ(in(1, 1000, kAck).verdict, Verdict::forward);
  advance(900s);
  EXPECT_EQ(conn(1, 1000), nullptr);
  EXPECT_EQ(in(1, 1000, kAck).reason, DropReason::not_syn);
}

TEST_F(DirectorTest, ExpiryIsExactEvenBeforeTheWheelRuns) {
  const ServiceId s = add_service();
  add_server(s, 1);
  in(1, 1000, kSyn);
  now += 60s - 1ns;  // no tick: lookups judge expiry themselves
  EXPECT_EQ(in(1, 1000, kAck).verdict, Verdict::forward);
  now += 900s;
  EXPECT_EQ(in(1, 1000, kAck).reason, DropReason::not_syn);
  EXPECT_EQ(d.table().size(), 0u);
}

TEST_F(DirectorTest, ConfigurableTimeouts) {
  const ServiceId s = add_service();
  add_server(s, 1);
  d.timeouts().tcp[static_cast<int>(TcpState::established)] = 5s;
  in(1, 1000, kSyn);
  in(1, 1000, kAck);
  EXPECT_EQ(conn(1, 1000)->expires(), now + 5s);
  advance(5s);
  EXPECT_EQ(conn(1, 1000), nullptr);
}

TEST_F(DirectorTest, UdpOneStateThreeHundredSecondsAllInactive) {
  const ServiceId s = add_service(SchedulerKind::rr, 53, Protocol::udp);
  const DestId a = add_server(s, 1, 1, Forwarding::dr, 53);
  EXPECT_EQ(in(1, 5000, 0, 53, Protocol::udp).verdict, Verdict::forward);
  EXPECT_EQ(conn(1, 5000, 53, Protocol::udp)->expires(), now + 300s);
  EXPECT_EQ(d.server(a)->inactive, 1);
  EXPECT_EQ(d.server(a)->active, 0);
  advance(299s);
  in(1, 5000, 0, 53, Protocol::udp);
  advance(299s);
  EXPECT_NE(conn(1, 5000, 53, Protocol::udp), nullptr);
  advance(1s);
  EXPECT_EQ(conn(1, 5000, 53, Protocol::udp), nullptr);
  EXPECT_EQ(d.server(a)->inactive, 0);
}

// ------------------------------------------------------------ accounting

TEST_F(DirectorTest, ActiveInactiveFollowStatesAndExpiry) {
  const ServiceId s = add_service();
  const DestId a = add_server(s, 1);
  in(1, 1, kSyn);  // SR: active
  in(1, 2, kSyn);
  in(1, 2, kAck);  // ES: active
  in(1, 3, kSyn);
  in(1, 3, kAck);
  in(1, 3, kRst);  // CL: inactive
  in(1, 4, kSyn);
  in(1, 4, kAck);
  in(1, 4, kFin);  // FW: inactive
  EXPECT_EQ(d.server(a)->active, 2);
  EXPECT_EQ(d.server(a)->inactive, 2);
  advance(10s);  // CLOSE (10 s) goes
  EXPECT_EQ(d.server(a)->inactive, 1);
  advance(50s);  // SYN_RECV (60 s) goes
  EXPECT_EQ(d.server(a)->active, 1);
  advance(60s);  // FIN_WAIT (120 s) goes
  EXPECT_EQ(d.server(a)->inactive, 0);
  advance(780s);  // ESTABLISHED (900 s) goes
  EXPECT_EQ(d.server(a)->active, 0);
  EXPECT_EQ(d.table().size(), 0u);
  EXPECT_EQ(d.counters().expired, 4u);
}

TEST_F(DirectorTest, ShorterTimeoutAfterStateChangeReclaimsOnTime) {
  const ServiceId s = add_service();
  const DestId a = add_server(s, 1);
  in(1, 1, kSyn);
  in(1, 1, kAck);  // 900 s
  in(1, 1, kRst);  // now 10 s: the wheel must not wait 900 s
  advance(11s);
  EXPECT_EQ(d.table().size(), 0u);
  EXPECT_EQ(d.server(a)->inactive, 0);
}

// ------------------------------------------------------------ table full

TEST(DirectorTableFull, RefusesNewKeepsExisting) {
  DirectorConfig cfg;
  cfg.table.max_entries = 2;
  Director d(cfg);
  ServiceConfig sc;
  sc.vip = kVip;
  sc.port = 80;
  const ServiceId s = d.add_service(sc).id;
  RealServerConfig rc;
  rc.address = real(1);
  d.add_server(s, rc);
  const TimePoint now = TimePoint{} + 10s;
  auto pkt = [&](std::uint16_t cport, std::uint8_t flags) {
    PacketMeta m;
    m.src = client(1);
    m.sport = cport;
    m.dst = kVip;
    m.dport = 80;
    m.tcp_flags = flags;
    return d.on_packet(m, now);
  };
  EXPECT_EQ(pkt(1, kSyn).verdict, Verdict::forward);
  EXPECT_EQ(pkt(2, kSyn).verdict, Verdict::forward);
  const Decision r = pkt(3, kSyn);
  EXPECT_EQ(r.verdict, Verdict::drop);
  EXPECT_EQ(r.reason, DropReason::table_full);
  EXPECT_EQ(d.counters().table_full, 1u);
  EXPECT_EQ(pkt(1, kAck).verdict, Verdict::forward);
  EXPECT_EQ(pkt(2, kAck).verdict, Verdict::forward);
  EXPECT_EQ(d.server(0)->active, 2);
  EXPECT_EQ(d.server(0)->stats.counters.conns, 2u);
  EXPECT_EQ(d.table_stats().connections, 2u);
}

// --------------------------------------------- quiescence, removal, knobs

TEST_F(DirectorTest, QuiescentServerKeepsExistingConnections) {
  const ServiceId s = add_service();
  const DestId a = add_server(s, 1);
  const DestId b = add_server(s, 2);
  ASSERT_EQ(in(1, 1, kSyn).server, a);
  ASSERT_EQ(d.set_weight(a, 0), ControlError::ok);
  EXPECT_EQ(in(1, 1, kAck).server, a);
  EXPECT_EQ(in(2, 1, kSyn).server, b);
  EXPECT_EQ(in(3, 1, kSyn).server, b);
  EXPECT_EQ(in(1, 1, kAck).server, a);
}

TEST_F(DirectorTest, ExpireNodestZeroDropsWithoutReArming) {
  const ServiceId s = add_service();
  const DestId a = add_server(s, 1);
  const DestId b = add_server(s, 2);
  in(1, 1, kSyn);
  in(1, 1, kAck);
  const TimePoint expires = conn(1, 1)->expires();
  ASSERT_EQ(d.delete_server(a), ControlError::ok);
  EXPECT_EQ(d.server(a)->available, false);  // kept while its entry lives
  advance(10s);
  const Decision r = in(1, 1, kAck);
  EXPECT_EQ(r.verdict, Verdict::drop);
  EXPECT_EQ(r.reason, DropReason::server_gone);
  EXPECT_EQ(conn(1, 1)->expires(), expires);
  EXPECT_EQ(d.counters().server_gone, 1u);
  advance(890s);
  EXPECT_EQ(conn(1, 1), nullptr);
  EXPECT_EQ(d.server(a), nullptr);  // freed with its last entry
  EXPECT_EQ(in(1, 1, kSyn).server, b);
}

TEST_F(DirectorTest, ExpireNodestOneExpiresAndReschedules) {
  const ServiceId s = add_service(SchedulerKind::rr, 53, Protocol::udp);
  const DestId a = add_server(s, 1, 1, Forwarding::dr, 53);
  const DestId b = add_server(s, 2, 1, Forwarding::dr, 53);
  d.knobs().expire_nodest_conn = true;
  ASSERT_EQ(in(1, 7, 0, 53, Protocol::udp).server, a);
  d.delete_server(a);
  const Decision r = in(1, 7, 0, 53, Protocol::udp);
  EXPECT_EQ(r.verdict, Verdict::forward);
  EXPECT_EQ(r.server, b);
  EXPECT_EQ(d.server(a), nullptr);
  EXPECT_EQ(d.counters().rescheduled, 1u);
}

TEST_F(DirectorTest, ExpireNodestOneTcpMidStreamCannotReschedule) {
  const ServiceId s = add_service();
  const DestId a = add_server(s, 1);
  add_server(s, 2);
  d.knobs().expire_nodest_conn = true;
  in(1, 1, kSyn);
  in(1, 1, kAck);
  d.delete_server(a);
  EXPECT_EQ(in(1, 1, kAck).reason, DropReason::not_syn);
  EXPECT_EQ(conn(1, 1), nullptr);
}

TEST_F(DirectorTest, ExpireNodestOneSendsSynToQuiescedServerElsewhere) {
  const ServiceId s = add_service();
  const DestId a = add_server(s, 1);
  const DestId b = add_server(s, 2);
  ASSERT_EQ(in(1, 1, kSyn).server, a);
  d.set_weight(a, 0);
  EXPECT_EQ(in(1, 1, kSyn).server, a);  // knob off: same entry (SR + syn -> SR)
  d.knobs().expire_nodest_conn = true;
  EXPECT_EQ(in(1, 1, kSyn).server, b);
}

TEST_F(DirectorTest, ConnReuseReschedulesSynOnTimeWaitOrClose) {
  const ServiceId s = add_service();
  const DestId a = add_server(s, 1, 1, Forwarding::nat);
  const DestId b = add_server(s, 2, 1, Forwarding::nat);
  ASSERT_EQ(in(1, 1, kSyn).server, a);
  in(1, 1, kAck);
  out(1, 80, 1, 1, kFin);
  in(1, 1, kFin);
  ASSERT_EQ(conn(1, 1)->state, TcpState::time_wait);
  const Decision r = in(1, 1, kSyn);
  EXPECT_EQ(r.server, b);  // rr moved on: a fresh entry
  EXPECT_EQ(conn(1, 1)->state, TcpState::syn_recv);
  EXPECT_EQ(d.counters().rescheduled, 1u);
  in(1, 1, kAck);
  in(1, 1, kRst);  // ES + rst -> CLOSE (from SYN_RECV rst would keep SYN_RECV)
  ASSERT_EQ(conn(1, 1)->state, TcpState::close);
  EXPECT_EQ(in(1, 1, kSyn).server, a);
}

TEST_F(DirectorTest, ConnReuseModeZeroKeepsTheEntry) {
  const ServiceId s = add_service();
  const DestId a = add_server(s, 1);
  add_server(s, 2);
  d.knobs().conn_reuse_mode = 0;
  ASSERT_EQ(in(1, 1, kSyn).server, a);
  in(1, 1, kAck);
  in(1, 1, kRst);
  ASSERT_EQ(conn(1, 1)->state, TcpState::close);
  EXPECT_EQ(in(1, 1, kSyn).server, a);  // INPUT_ONLY syn from CL -> SR, same entry
  EXPECT_EQ(conn(1, 1)->state, TcpState::syn_recv);
}

TEST_F(DirectorTest, ConnReuseModeTwoAlsoFinWaitOfDirectRouting) {
  const ServiceId s = add_service();
  const DestId a = add_server(s, 1);
  const DestId b = add_server(s, 2);
  ASSERT_EQ(in(1, 1, kSyn).server, a);
  in(1, 1, kAck);
  in(1, 1, kFin);
  ASSERT_EQ(conn(1, 1)->state, TcpState::fin_wait);
  EXPECT_EQ(in(1, 1, kSyn).server, a);  // mode 1: FW keeps the entry
  in(1, 1, kAck);
  in(1, 1, kFin);
  d.knobs().conn_reuse_mode = 3;
  ASSERT_EQ(conn(1, 1)->state, TcpState::fin_wait);
  EXPECT_EQ(in(1, 1, kSyn).server, b);
}

// ------------------------------------------------------------ thresholds

// fo always prefers the heavy server a unless it is overloaded. Closing a
// connection takes ACK then RST (RST in SYN_RECV keeps SYN_RECV).
TEST_F(DirectorTest, UpperThresholdOnlyClearsBelowThreeQuarters) {
  const ServiceId s = add_service(SchedulerKind::fo);
  RealServerConfig rc;
  rc.address = real(1);
  rc.port = 80;
  rc.weight = 100;
  rc.upper_threshold = 4;
  const DestId a = d.add_server(s, rc).id;
  const DestId b = add_server(s, 2);
  for (std::uint16_t p = 1; p <= 4; ++p) ASSERT_EQ(in(1, p, kSyn).server, a);
  EXPECT_TRUE(d.server(a)->overloaded);
  EXPECT_EQ(in(1, 5, kSyn).server, b);
  in(1, 1, kAck);
  in(1, 1, kRst);
  advance(10s);  // total 3: 3*4 = 12 is not < 4*3
  EXPECT_TRUE(d.server(a)->overloaded);
  EXPECT_EQ(in(1, 6, kSyn).server, b);
  in(1, 2, kAck);
  in(1, 2, kRst);
  advance(10s);  // total 2: 8 < 12 -> cleared
  EXPECT_FALSE(d.server(a)->overloaded);
  EXPECT_EQ(in(1, 7, kSyn).server, a);
}

TEST_F(DirectorTest, LowerThresholdHysteresis) {
  const ServiceId s = add_service(SchedulerKind::fo);
  RealServerConfig rc;
  rc.address = real(1);
  rc.port = 80;
  rc.weight = 100;
  rc.upper_threshold = 3;
  rc.lower_threshold = 2;
  const DestId a = d.add_server(s, rc).id;
  add_server(s, 2);
  for (std::uint16_t p = 1; p <= 3; ++p) in(1, p, kSyn);
  EXPECT_TRUE(d.server(a)->overloaded);
  in(1, 1, kAck);
  in(1, 1, kRst);
  advance(10s);  // total 2, not < 2
  EXPECT_TRUE(d.server(a)->overloaded);
  in(1, 2, kAck);
  in(1, 2, kRst);
  advance(10s);  // total 1 < 2
  EXPECT_FALSE(d.server(a)->overloaded);
}

TEST_F(DirectorTest, RaisingUpperThresholdClearsOverload) {
  const ServiceId s = add_service();
  RealServerConfig rc;
  rc.address = real(1);
  rc.port = 80;
  rc.upper_threshold = 1;
  const DestId a = d.add_server(s, rc).id;
  in(1, 1, kSyn);
  ASSERT_TRUE(d.server(a)->overloaded);
  EXPECT_EQ(in(1, 2, kSyn).reason, DropReason::no_server);
  rc.upper_threshold = 5;
  ASSERT_EQ(d.edit_server(a, rc), ControlError::ok);
  EXPECT_FALSE(d.server(a)->overloaded);
  EXPECT_EQ(in(1, 2, kSyn).server, a);
}

// -------------------------------------------------------- service lookup

TEST_F(DirectorTest, ExactPortThenGroupThenPortZero) {
  const ServiceId exact = add_service(SchedulerKind::rr, 80);
  ServiceConfig g;
  g.vip = kVip;
  g.port_group = {{8000, 8099}};
  g.scheduler = SchedulerKind::rr;
  const ServiceId group = d.add_service(g).id;
  ServiceConfig all;
  all.vip = kVip;
  all.port = 0;
  all.persistence_timeout = 300s;
  const ServiceId any = d.add_service(all).id;
  const DestId e = add_server(exact, 1);
  const DestId gr = add_server(group, 2, 1, Forwarding::dr, 0);
  const DestId an = add_server(any, 3, 1, Forwarding::dr, 0);
  EXPECT_EQ(in(1, 1, kSyn, 80).server, e);
  const Decision r = in(1, 2, kSyn, 8042);
  EXPECT_EQ(r.server, gr);
  EXPECT_EQ(r.real_port, 8042);  // port-0 server keeps the client's port
  EXPECT_EQ(in(1, 3, kSyn, 22).server, an);
  EXPECT_EQ(d.find_service(Protocol::tcp, kVip, 8050), group);
  EXPECT_EQ(d.find_service(Protocol::tcp, kVip, 0), any);
}

// --------------------------------------------------------------- control

TEST_F(DirectorTest, ControlValidation) {
  const ServiceId s = add_service();
  ServiceConfig c;
  c.vip = kVip;
  c.port = 80;
  EXPECT_EQ(d.add_service(c).error, ControlError::exists);
  c.port = 0;
  EXPECT_EQ(d.add_service(c).error, ControlError::invalid);  // port 0, not persistent
  c.port = 53;
  c.one_packet = true;
  EXPECT_EQ(d.add_service(c).error, ControlError::invalid);  // one-packet is UDP only
  c.one_packet = false;
  c.persistence_timeout = 2678401s;
  EXPECT_EQ(d.add_service(c).error, ControlError::invalid);
  ServiceConfig g1;
  g1.vip = kVip;
  g1.port_group = {{1000, 2000}};
  ServiceConfig g2 = g1;
  g2.port_group = {{2000, 3000}};
  EXPECT_EQ(d.add_service(g1).error, ControlError::ok);
  EXPECT_EQ(d.add_service(g2).error, ControlError::exists);  // overlapping groups

  add_server(s, 1);
  RealServerConfig rc;
  rc.address = real(1);
  rc.port = 80;
  EXPECT_EQ(d.add_server(s, rc).error, ControlError::exists);
  rc.port = 8080;  // DR: port forced to the service port, so still a duplicate
  EXPECT_EQ(d.add_server(s, rc).error, ControlError::exists);
  rc.weight = 65536;
  rc.address = real(9);
  EXPECT_EQ(d.add_server(s, rc).error, ControlError::invalid);
  EXPECT_EQ(d.add_server(999, rc).error, ControlError::no_service);
  EXPECT_EQ(d.delete_server(999), ControlError::no_destination);
  EXPECT_EQ(d.delete_service(999), ControlError::no_service);
  EXPECT_EQ(d.set_weight(999, 1), ControlError::no_destination);
}

TEST_F(DirectorTest, EditServiceChangesSchedulerKeepsConnections) {
  const ServiceId s = add_service(SchedulerKind::rr);
  const DestId a = add_server(s, 1);
  const DestId b = add_server(s, 2);
  ASSERT_EQ(in(1, 1, kSyn).server, a);
  ServiceConfig c = d.service(s)->config;
  c.scheduler = SchedulerKind::wlc;
  ASSERT_EQ(d.edit_service(s, c), ControlError::ok);
  EXPECT_EQ(in(1, 1, kAck).server, a);
  EXPECT_EQ(in(2, 1, kSyn).server, b);  // wlc: a has one active
  c.port = 81;
  EXPECT_EQ(d.edit_service(s, c), ControlError::invalid);  // identity is fixed
}

TEST_F(DirectorTest, AddingAndRemovingServersLeavesOtherEntriesAlone) {
  const ServiceId s = add_service();
  const DestId a = add_server(s, 1);
  const DestId b = add_server(s, 2);
  in(1, 1, kSyn);
  in(2, 1, kSyn);
  add_server(s, 3);
  d.delete_server(b);
  EXPECT_EQ(in(1, 1, kAck).server, a);
  EXPECT_EQ(conn(1, 1)->state, TcpState::established);
  EXPECT_EQ(d.server(a)->active, 1);
}

TEST_F(DirectorTest, ReaddedServerRevivesWithItsConnections) {
  const ServiceId s = add_service();
  const DestId a = add_server(s, 1);
  in(1, 1, kSyn);
  d.delete_server(a);
  EXPECT_EQ(in(1, 1, kAck).reason, DropReason::server_gone);
  EXPECT_EQ(add_server(s, 1), a);
  EXPECT_EQ(in(1, 1, kAck).server, a);
  EXPECT_EQ(d.server(a)->active, 1);
}

TEST_F(DirectorTest, DeleteServiceStopsNewAndOldTraffic) {
  const ServiceId s = add_service();
  add_server(s, 1);
  in(1, 1, kSyn);
  ASSERT_EQ(d.delete_service(s), ControlError::ok);
  EXPECT_EQ(in(1, 1, kAck).reason, DropReason::server_gone);
  EXPECT_EQ(in(2, 1, kSyn).reason, DropReason::no_service);
  advance(60s);
  EXPECT_EQ(d.table().size(), 0u);
  EXPECT_TRUE(d.services().empty());
}

// ------------------------------------------------------------ one-packet

TEST_F(DirectorTest, OnePacketSchedulesEveryDatagram) {
  ServiceConfig c;
  c.protocol = Protocol::udp;
  c.vip = kVip;
  c.port = 53;
  c.scheduler = SchedulerKind::rr;
  c.one_packet = true;
  const ServiceId s = d.add_service(c).id;
  const DestId a = add_server(s, 1, 1, Forwarding::dr, 53);
  const DestId b = add_server(s, 2, 1, Forwarding::dr, 53);
  EXPECT_EQ(in(1, 7, 0, 53, Protocol::udp).server, a);
  EXPECT_EQ(in(1, 7, 0, 53, Protocol::udp).server, b);
  EXPECT_EQ(in(1, 7, 0, 53, Protocol::udp).server, a);
  EXPECT_EQ(d.table().size(), 0u);
  EXPECT_EQ(d.service(s)->stats.counters.conns, 3u);
}

// ----------------------------------------------------------------- stats

TEST_F(DirectorTest, CountersPerServiceAndServer) {
  const ServiceId s = add_service();
  const DestId a = add_server(s, 1, 1, Forwarding::nat);
  const DestId b = add_server(s, 2);
  in(1, 1, kSyn, 80, Protocol::tcp, 60);
  out(1, 80, 1, 1, kSynAck, Protocol::tcp, 60);
  in(1, 1, kAck, 80, Protocol::tcp, 1500);
  in(2, 1, kSyn, 80, Protocol::tcp, 40);  // to b (DR)
  const Counters& sa = d.server(a)->stats.counters;
  EXPECT_EQ(sa.conns, 1u);
  EXPECT_EQ(sa.in_packets, 2u);
  EXPECT_EQ(sa.in_bytes, 1560u);
  EXPECT_EQ(sa.out_packets, 1u);
  EXPECT_EQ(sa.out_bytes, 60u);
  const Counters& sb = d.server(b)->stats.counters;
  EXPECT_EQ(sb.in_packets, 1u);
  EXPECT_EQ(sb.out_packets, 0u);  // DR replies bypass us
  const Counters& sv = d.service(s)->stats.counters;
  EXPECT_EQ(sv.conns, 2u);
  EXPECT_EQ(sv.in_packets, 3u);
  EXPECT_EQ(sv.in_bytes, 1600u);
  EXPECT_EQ(sv.out_bytes, 60u);
  d.zero_stats();
  EXPECT_EQ(d.service(s)->stats.counters.in_packets, 0u);
  EXPECT_EQ(d.server(a)->stats.counters.conns, 0u);
  EXPECT_EQ(d.server(a)->active, 1);  // zeroing leaves connections alone
}

TEST_F(DirectorTest, TickDrivesRateEstimators) {
  const ServiceId s = add_service();
  add_server(s, 1);
  advance(0s);
  for (std::uint16_t p = 1; p <= 200; ++p) in(1, p, kSyn);
  advance(2s);
  // 200 conns in 2 s: 100/s, first EWMA step a quarter of it.
  EXPECT_EQ(d.service(s)->stats.estimator.rates().cps, 25u);
  EXPECT_EQ(d.server(0)->stats.estimator.rates().cps, 25u);
}

TEST_F(DirectorTest, TableStatsReportsMemory) {
  const ServiceId s = add_service();
  add_server(s, 1);
  in(1, 1, kSyn);
  const TableStats t = d.table_stats();
  EXPECT_EQ(t.connections, 1u);
  EXPECT_EQ(t.templates, 0u);
  EXPECT_EQ(t.memory.entry_bytes, sizeof(ConnEntry));
  EXPECT_GT(t.memory.bytes_per_entry_at_max, static_cast<double>(sizeof(ConnEntry)));
}

TEST_F(DirectorTest, NatUdpRepliesFindTheirConnection) {
  const ServiceId s = add_service(SchedulerKind::rr, 53, Protocol::udp);
  const DestId a = add_server(s, 1, 1, Forwarding::nat, 5353);
  ASSERT_EQ(in(1, 7, 0, 53, Protocol::udp).real_port, 5353);
  const Decision r = out(1, 5353, 1, 7, 0, Protocol::udp, 100);
  EXPECT_EQ(r.verdict, Verdict::forward);
  EXPECT_EQ(r.vport, 53);
  EXPECT_EQ(r.server, a);
  EXPECT_EQ(d.server(a)->stats.counters.out_bytes, 100u);
  EXPECT_EQ(out(1, 5353, 1, 7, 0, Protocol::tcp).verdict, Verdict::pass);
}

TEST_F(DirectorTest, OnePacketWithPersistenceSticksWithoutEntries) {
  ServiceConfig c;
  c.protocol = Protocol::udp;
  c.vip = kVip;
  c.port = 53;
  c.scheduler = SchedulerKind::rr;
  c.one_packet = true;
  c.persistence_timeout = 60s;
  const ServiceId s = d.add_service(c).id;
  const DestId a = add_server(s, 1, 1, Forwarding::dr, 53);
  const DestId b = add_server(s, 2, 1, Forwarding::dr, 53);
  EXPECT_EQ(in(1, 7, 0, 53, Protocol::udp).server, a);
  EXPECT_EQ(in(1, 8, 0, 53, Protocol::udp).server, a);
  EXPECT_EQ(in(2, 7, 0, 53, Protocol::udp).server, b);
  EXPECT_EQ(d.table_stats().connections, 0u);
  EXPECT_EQ(d.table_stats().templates, 2u);
  advance(60s);
  EXPECT_EQ(d.table().size(), 0u);
}

TEST_F(DirectorTest, EditingPersistenceKeepsExistingTemplates) {
  ServiceConfig c;
  c.vip = kVip;
  c.port = 80;
  c.scheduler = SchedulerKind::rr;
  c.persistence_timeout = 300s;
  const ServiceId s = d.add_service(c).id;
  const DestId a = add_server(s, 1);
  add_server(s, 2);
  ASSERT_EQ(in(1, 1, kSyn).server, a);
  c.persistence_timeout = 600s;
  ASSERT_EQ(d.edit_service(s, c), ControlError::ok);
  EXPECT_EQ(in(1, 2, kSyn).server, a);
  const EntryId t = d.table().find(ConnKey{Protocol::tcp, true, client(1), 0, kVip, 80});
  ASSERT_NE(t, kNone);
  EXPECT_EQ(d.table().at(t).expires(), now + 600s);
}

TEST_F(DirectorTest, HostileFlagsNeverBreakAccounting) {
  const ServiceId s = add_service();
  add_server(s, 1, 1, Forwarding::nat);
  add_server(s, 2);
  d.knobs().sloppy_tcp = true;
  for (int f = 0; f < 256; ++f) {
    in(static_cast<std::uint32_t>(f % 7), static_cast<std::uint16_t>(f % 5),
       static_cast<std::uint8_t>(f));
    out(1, 80, static_cast<std::uint32_t>(f % 7), static_cast<std::uint16_t>(f % 5),
        static_cast<std::uint8_t>(255 - f));
  }
  advance(1000s);
  EXPECT_EQ(d.table().size(), 0u);
}

// --------------------------------------------------------------- sharding

TEST(Shard, SameClientSameShardAndSpread) {
  EXPECT_EQ(shard_of(client(1), 0xFFFFFFFFu, 1), 0u);
  EXPECT_EQ(shard_of(client(1), 0xFFFFFF00u, 4), shard_of(client(200), 0xFFFFFF00u, 4));
  std::vector<int> n(4);
  for (std::uint32_t i = 0; i < 4000; ++i) ++n[shard_of(net::Ipv4{0x0A000000u + i}, ~0u, 4)];
  for (int c : n) {
    EXPECT_GT(c, 800);
    EXPECT_LT(c, 1200);
  }
}

}  // namespace
}  // namespace tandem::director
