// Director::on_icmp_error: ICMP errors relayed to the connection they are
// about, found by the reversed quoted tuple, without touching the table.
#include "director_fixture.h"

namespace tandem::director::testing {
namespace {

class IcmpTest : public DirectorTest {
 protected:
  // The quote of our reply VIP:vport -> client:cport, arriving from the client side.
  Decision error_in(std::uint32_t cl, std::uint16_t cport, std::uint16_t vport = 80,
                    Protocol p = Protocol::tcp, std::uint32_t len = 576) {
    PacketMeta q;
    q.protocol = p;
    q.direction = Direction::in;
    q.src = kVip;
    q.sport = vport;
    q.dst = client(cl);
    q.dport = cport;
    q.tcp_flags = kRst;  // must be ignored: an error is not a segment
    q.length = len;
    Decision r = d.on_icmp_error(q, now);
    check_accounting();
    return r;
  }
  // The quote of a request client:cport -> RIP:rport, from the real-server side.
  Decision error_out(std::uint32_t rs, std::uint16_t rport, std::uint32_t cl, std::uint16_t cport,
                     Protocol p = Protocol::tcp, std::uint32_t len = 576) {
    PacketMeta q;
    q.protocol = p;
    q.direction = Direction::out;
    q.src = client(cl);
    q.sport = cport;
    q.dst = real(rs);
    q.dport = rport;
    q.tcp_flags = kRst;
    q.length = len;
    Decision r = d.on_icmp_error(q, now);
    check_accounting();
    return r;
  }
  const Counters& stats(DestId id) { return d.server(id)->stats.counters; }
};

TEST_F(IcmpTest, InboundErrorFindsTheConnectionAndChangesNothing) {
  const ServiceId s = add_service();
  add_server(s, 1, 1, Forwarding::nat, 8080);
  const DestId b = add_server(s, 2, 1, Forwarding::nat, 8081);
  in(1, 1000, kSyn);  // rs1
  in(2, 2000, kSyn);  // rs2
  in(2, 2000, kAck);
  const TimePoint expires = conn(2, 2000)->expires();
  const auto before = stats(b);
  now += 10s;  // the timer would move if the error re-armed it

  const Decision r = error_in(2, 2000);
  ASSERT_EQ(r.verdict, Verdict::forward);
  EXPECT_EQ(r.method, Forwarding::nat);
  EXPECT_EQ(r.server, b);
  EXPECT_EQ(r.real_addr, real(2));
  EXPECT_EQ(r.real_port, 8081);
  EXPECT_EQ(r.vip, kVip);
  EXPECT_EQ(r.vport, 80);
  // No state change (a RST would have closed it), no re-arm, one packet
  // counted in on the connection's server as IPVS's ip_vs_in_stats does.
  EXPECT_EQ(conn(2, 2000)->state, TcpState::established);
  EXPECT_EQ(conn(2, 2000)->expires(), expires);
  EXPECT_EQ(stats(b).in_packets, before.in_packets + 1);
  EXPECT_EQ(stats(b).in_bytes, before.in_bytes + 576);
  EXPECT_EQ(stats(b).out_packets, before.out_packets);
  EXPECT_EQ(d.table().size(), 2u);
  EXPECT_EQ(d.counters().icmp_related, 1u);
}

TEST_F(IcmpTest, InboundErrorWithoutConnectionCreatesNone) {
  const ServiceId s = add_service();
  add_server(s, 1, 1, Forwarding::dr);
  in(1, 1000, kSyn);
  // Another client port, another client, another service port, the other protocol.
  EXPECT_EQ(error_in(1, 1001).reason, DropReason::no_connection);
  EXPECT_EQ(error_in(2, 1000).verdict, Verdict::pass);
  EXPECT_EQ(error_in(1, 1000, 81).verdict, Verdict::pass);
  EXPECT_EQ(error_in(1, 1000, 80, Protocol::udp).verdict, Verdict::pass);
  EXPECT_EQ(d.table().size(), 1u);
  EXPECT_EQ(d.counters().icmp_unrelated, 4u);
  EXPECT_EQ(d.counters().no_service, 0u);  // not counted as packets
  // DR connections are found too: the error is relayed to the server.
  const Decision r = error_in(1, 1000);
  ASSERT_EQ(r.verdict, Verdict::forward);
  EXPECT_EQ(r.method, Forwarding::dr);
  EXPECT_EQ(r.real_addr, real(1));
}

TEST_F(IcmpTest, OutboundErrorOnlyForNatConnections) {
  const ServiceId s = add_service();
  const DestId a = add_server(s, 1, 1, Forwarding::nat, 8080);
  const ServiceId s2 = add_service(SchedulerKind::rr, 81);
  add_server(s2, 2, 1, Forwarding::dr, 81);
  in(1, 1000, kSyn);
  in(1, 1001, kSyn, 81);
  const auto before = stats(a);
  const Decision r = error_out(1, 8080, 1, 1000, Protocol::tcp, 100);
  ASSERT_EQ(r.verdict, Verdict::forward);
  EXPECT_EQ(r.vip, kVip);
  EXPECT_EQ(r.vport, 80);
  EXPECT_EQ(r.server, a);
  EXPECT_EQ(stats(a).out_packets, before.out_packets + 1);
  EXPECT_EQ(stats(a).out_bytes, before.out_bytes + 100);
  EXPECT_EQ(stats(a).in_packets, before.in_packets);
  EXPECT_EQ(conn(1, 1000)->state, TcpState::syn_recv);
  // The wrong real port, the wrong client, and a DR connection's tuple.
  EXPECT_EQ(error_out(1, 8081, 1, 1000).verdict, Verdict::pass);
  EXPECT_EQ(error_out(1, 8080, 2, 1000).verdict, Verdict::pass);
  EXPECT_EQ(error_out(2, 81, 1, 1001).verdict, Verdict::pass);
}

TEST_F(IcmpTest, ExpiredConnectionIsNotRelated) {
  const ServiceId s = add_service(SchedulerKind::rr, 53, Protocol::udp);
  add_server(s, 1, 1, Forwarding::nat, 5353);
  in(1, 1000, 0, 53, Protocol::udp);
  ASSERT_EQ(error_in(1, 1000, 53, Protocol::udp).verdict, Verdict::forward);
  now += 301s;  // past the UDP timeout; the error must not revive it
  EXPECT_EQ(error_in(1, 1000, 53, Protocol::udp).verdict, Verdict::pass);
  EXPECT_EQ(conn(1, 1000, 53, Protocol::udp), nullptr);
}

TEST_F(IcmpTest, TemplatesAreNeverMatched) {
  ServiceConfig c;
  c.vip = kVip;
  c.port = 80;
  c.persistence_timeout = 300s;
  const ServiceId s = d.add_service(c).id;
  add_server(s, 1, 1, Forwarding::nat, 80);
  in(1, 1000, kSyn);
  ASSERT_EQ(d.table_stats().templates, 1u);
  // A template is keyed (client, cport 0, VIP, vport); a quote with client port 0 finds nothing.
  EXPECT_EQ(error_in(1, 0).verdict, Verdict::pass);
  EXPECT_EQ(error_in(1, 1000).verdict, Verdict::forward);
}

}  // namespace
}  // namespace tandem::director::testing
