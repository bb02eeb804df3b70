// The director's sync hooks: the event log syncd drains, snapshots, installs
// of peer records (without scheduling, without echo), and the record mapping.

#include <gtest/gtest.h>

#include "common/sync/record.h"
#include "director/core/director.h"
#include "director/core/shards.h"
#include "director/sync/convert.h"
#include "tests/unit/director/director_fixture.h"

namespace tandem::director {
namespace {

using namespace testing;
constexpr std::uint8_t kSyn = tcp_flag::syn, kAck = tcp_flag::ack, kFin = tcp_flag::fin;

class DirectorSyncTest : public DirectorTest {
 protected:
  void enable(Duration refresh = 120s, std::size_t max_events = 65536) {
    SyncLogConfig c;
    c.enabled = true;
    c.refresh = refresh;
    c.max_events = max_events;
    d.set_sync_log(c);
  }
  std::vector<SyncConn> drain(std::size_t* dropped = nullptr) {
    std::vector<SyncConn> out;
    const std::size_t n = d.take_sync_events(out);
    if (dropped) *dropped = n;
    return out;
  }
  // A client packet to the VIP on another director (the backup).
  Decision in_on(Director& b, std::uint32_t cl, std::uint16_t cport, std::uint8_t flags) {
    PacketMeta m;
    m.src = client(cl);
    m.sport = cport;
    m.dst = kVip;
    m.dport = 80;
    m.tcp_flags = flags;
    return b.on_packet(m, now);
  }
  // Records as the peer sends them: a persistence template, a connection.
  static SyncConn template_record(std::uint32_t cl, std::uint32_t rs, std::uint32_t timeout_s) {
    SyncConn t;
    t.is_template = true;
    t.caddr = client(cl);
    t.vaddr = kVip;
    t.vport = 80;
    t.daddr = real(rs);
    t.dport = 80;
    t.timeout_s = timeout_s;
    return t;
  }
  static SyncConn conn_record(std::uint32_t cl, std::uint16_t cport, std::uint32_t rs) {
    SyncConn c;
    c.caddr = client(cl);
    c.cport = cport;
    c.vaddr = kVip;
    c.vport = 80;
    c.daddr = real(rs);
    c.dport = 80;
    c.state = TcpState::established;
    return c;
  }
  // A second director with the same service, as the backup would have.
  static void mirror_config(Director& b, std::uint32_t persistence_s = 0) {
    ServiceConfig sc;
    sc.vip = kVip;
    sc.port = 80;
    sc.scheduler = SchedulerKind::rr;
    sc.persistence_timeout = std::chrono::seconds(persistence_s);
    const auto s = b.add_service(sc).id;
    for (std::uint32_t n : {1u, 2u}) {
      RealServerConfig rc;
      rc.address = real(n);
      rc.port = 80;
      b.add_server(s, rc);
    }
  }
};

TEST_F(DirectorSyncTest, NothingIsLoggedWhileDisabled) {
  add_server(add_service(), 1);
  in(1, 1000, kSyn);
  EXPECT_TRUE(drain().empty());
}

TEST_F(DirectorSyncTest, NewConnectionsAndStateChangesAreLoggedOnce) {
  add_server(add_service(), 1);
  enable();
  in(1, 1000, kSyn);
  auto ev = drain();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].caddr, client(1));
  EXPECT_EQ(ev[0].cport, 1000);
  EXPECT_EQ(ev[0].daddr, real(1));
  EXPECT_EQ(ev[0].state, TcpState::syn_recv);
  EXPECT_EQ(ev[0].timeout_s, 60u);  // syn_recv timeout just armed
  in(1, 1000, kAck);
  ev = drain();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].state, TcpState::established);
  EXPECT_FALSE(ev[0].inactive);
  in(1, 1000, kAck);  // no change: nothing new
  EXPECT_TRUE(drain().empty());
  in(1, 1000, kFin);
  ev = drain();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].state, TcpState::fin_wait);
  EXPECT_TRUE(ev[0].inactive);
}

TEST_F(DirectorSyncTest, LongLivedConnectionsAreRefreshed) {
  add_server(add_service(), 1);
  enable(30s);
  in(1, 1000, kSyn);
  in(1, 1000, kAck);
  (void)drain();
  advance(20s);
  in(1, 1000, kAck);
  EXPECT_TRUE(drain().empty());
  advance(11s);
  in(1, 1000, kAck);
  auto ev = drain();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].state, TcpState::established);
  in(1, 1000, kAck);
  EXPECT_TRUE(drain().empty());
}

TEST_F(DirectorSyncTest, UdpAndTemplatesAreLogged) {
  ServiceConfig sc;
  sc.vip = kVip;
  sc.port = 80;
  sc.persistence_timeout = 300s;
  sc.persistence_mask = 0xFFFFFF00u;
  const auto s = d.add_service(sc).id;
  add_server(s, 1);
  const auto u = add_service(SchedulerKind::rr, 53, Protocol::udp);
  add_server(u, 2, 1, Forwarding::dr, 53);
  enable();
  in(1, 1000, kSyn);
  auto ev = drain();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_TRUE(ev[0].is_template);
  EXPECT_EQ(ev[0].caddr, net::Ipv4{client(1).value & 0xFFFFFF00u});
  EXPECT_EQ(ev[0].timeout_s, 300u);
  EXPECT_FALSE(ev[1].is_template);
  in(1, 5353, 0, 53, Protocol::udp);
  ev = drain();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].protocol, Protocol::udp);
  EXPECT_EQ(ev[0].daddr, real(2));
}

TEST_F(DirectorSyncTest, FullLogDropsAndCounts) {
  add_server(add_service(), 1);
  enable(120s, 3);
  for (std::uint16_t p = 1; p <= 5; ++p) in(1, p, kSyn);
  std::size_t dropped = 0;
  EXPECT_EQ(drain(&dropped).size(), 3u);
  EXPECT_EQ(dropped, 2u);
  EXPECT_EQ(d.sync_dropped(), 2u);
  // A snapshot still has all of them.
  std::vector<SyncConn> snap;
  d.sync_snapshot(snap, now);
  EXPECT_EQ(snap.size(), 5u);
}

TEST_F(DirectorSyncTest, InstalledConnectionForwardsWithoutSchedulingAndIsNotEchoed) {
  add_server(add_service(), 1);
  add_server(d.services()[0], 2);
  enable();
  in(1, 1000, kSyn);
  in(1, 1000, kAck);
  std::vector<SyncConn> snap;
  d.sync_snapshot(snap, now);
  ASSERT_EQ(snap.size(), 1u);

  Director b;
  mirror_config(b);
  SyncLogConfig on;
  on.enabled = true;
  b.set_sync_log(on);
  EXPECT_EQ(b.install_synced(snap[0], now), SyncInstall::created);
  EXPECT_EQ(b.audit(), "");
  std::vector<SyncConn> echo;
  b.take_sync_events(echo);
  EXPECT_TRUE(echo.empty());
  const DestId r1 = b.find_server(b.services()[0], real(1), 80);
  EXPECT_EQ(b.server(r1)->active, 1);

  // A mid-stream ACK (no SYN) is forwarded to the same real server.
  const Decision dec = in_on(b, 1, 1000, kAck);
  EXPECT_EQ(dec.verdict, Verdict::forward);
  EXPECT_EQ(dec.real_addr, real(1));
  EXPECT_EQ(b.counters().not_syn, 0u);

  // A later state change updates the entry and its accounting.
  SyncConn closing = snap[0];
  closing.state = TcpState::fin_wait;
  closing.inactive = true;
  EXPECT_EQ(b.install_synced(closing, now), SyncInstall::updated);
  EXPECT_EQ(b.server(r1)->active, 0);
  EXPECT_EQ(b.server(r1)->inactive, 1);
  EXPECT_EQ(b.audit(), "");
}

TEST_F(DirectorSyncTest, InstallRefusesUnknownServiceOrServer) {
  Director b;
  mirror_config(b);
  SyncConn c;
  c.caddr = client(1);
  c.cport = 1;
  c.vaddr = kVip;
  c.vport = 80;
  c.daddr = real(9);
  c.dport = 80;
  c.state = TcpState::established;
  EXPECT_EQ(b.install_synced(c, now), SyncInstall::no_server);
  c.vaddr = net::Ipv4{0xC6120A02u};
  EXPECT_EQ(b.install_synced(c, now), SyncInstall::no_service);
  EXPECT_EQ(b.table().size(), 0u);
}

TEST_F(DirectorSyncTest, InstalledTemplateSteersTheNextConnection) {
  Director b;
  mirror_config(b, 300);
  EXPECT_EQ(b.install_synced(template_record(1, 2, 300), now), SyncInstall::created);
  EXPECT_EQ(in_on(b, 1, 2000, kSyn).real_addr, real(2));
  EXPECT_EQ(b.audit(), "");
}

TEST_F(DirectorSyncTest, SyncedConnectionHoldsItsTemplateLikeOnTheMaster) {
  // Backup: template (client 1 -> real 2) then its connection, from the peer.
  Director b;
  mirror_config(b, 300);
  ASSERT_EQ(b.install_synced(template_record(1, 2, 300), now), SyncInstall::created);
  SyncConn c = conn_record(1, 2000, 2);
  c.timeout_s = 900;
  ASSERT_EQ(b.install_synced(c, now), SyncInstall::created);
  EXPECT_EQ(b.audit(), "");

  // The template's own 300 s pass while the connection lives on; after a
  // failover the client's next connection still goes to real 2 (rr alone
  // would pick real 1 first).
  now += 400s;
  b.tick(now);
  EXPECT_EQ(in_on(b, 1, 3000, kSyn).real_addr, real(2));
  EXPECT_EQ(b.audit(), "");
}

TEST_F(DirectorSyncTest, SyncedDrConnectionFollowsTheInputOnlyStates) {
  // The new master of a DR connection sees only client->VIP packets: a FIN
  // from the client takes ESTABLISHED to FIN_WAIT (input-only table), not to
  // CLOSE_WAIT as if the server's packets crossed us too.
  Director b;
  ServiceConfig sc;
  sc.vip = kVip;
  sc.port = 80;
  const auto s = b.add_service(sc).id;
  RealServerConfig rc;
  rc.address = real(1);
  rc.port = 80;
  rc.method = Forwarding::dr;
  b.add_server(s, rc);
  SyncConn c = conn_record(1, 2000, 1);
  c.method = Forwarding::dr;
  ASSERT_EQ(b.install_synced(c, now), SyncInstall::created);
  const Decision dec = in_on(b, 1, 2000, kAck | kFin);
  EXPECT_EQ(dec.verdict, Verdict::forward);
  EXPECT_EQ(dec.method, Forwarding::dr);
  EXPECT_EQ(dec.real_addr, real(1));
  std::vector<SyncConn> snap;
  b.sync_snapshot(snap, now);
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].state, TcpState::fin_wait);
  EXPECT_EQ(b.audit(), "");
}

TEST(DirectorSyncConvert, RecordRoundTripAndRejections) {
  SyncConn c;
  c.protocol = Protocol::tcp;
  c.caddr = client(7);
  c.cport = 4242;
  c.vaddr = kVip;
  c.vport = 443;
  c.daddr = real(3);
  c.dport = 8443;
  c.state = TcpState::established;
  c.method = Forwarding::nat;
  c.timeout_s = 900;
  const auto r = sync::to_record(c);
  EXPECT_EQ(r.flags & tandem::sync::kFlagFwdMask, 0u);  // IP_VS_CONN_F_MASQ
  EXPECT_EQ(r.state, 1);
  std::vector<std::uint8_t> bytes;
  ASSERT_EQ(tandem::sync::append_record(r, bytes), tandem::sync::SyncError::kOk);
  EXPECT_EQ(bytes.size(), tandem::sync::kIpv4RecordSize);
  tandem::sync::ConnRecord back;
  ASSERT_EQ(tandem::sync::decode_stream_record(bytes, back), tandem::sync::SyncError::kOk);
  EXPECT_EQ(sync::from_record(back), c);

  c.method = Forwarding::dr;
  c.is_template = true;
  c.cport = 0;
  c.state = TcpState::none;
  auto t = sync::to_record(c);
  EXPECT_EQ(t.flags & tandem::sync::kFlagFwdMask, 3u);
  EXPECT_TRUE(t.flags & tandem::sync::kFlagTemplate);
  EXPECT_TRUE(t.flags & tandem::sync::kFlagNoCport);
  EXPECT_EQ(sync::from_record(t), c);

  auto bad = r;
  bad.state = 11;
  EXPECT_FALSE(sync::from_record(bad));
  bad = r;
  bad.protocol = 132;
  EXPECT_FALSE(sync::from_record(bad));
  bad = r;
  bad.ipv6 = true;
  EXPECT_FALSE(sync::from_record(bad));
  bad = r;
  bad.flags = 1;  // local node
  EXPECT_FALSE(sync::from_record(bad));
  bad = r;
  bad.protocol = 17;  // UDP has no TCP state
  EXPECT_FALSE(sync::from_record(bad));
}

}  // namespace
}  // namespace tandem::director
