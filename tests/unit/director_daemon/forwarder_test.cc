// The worker's handler on frames built in memory: no sockets, a FakeClock.
#include "director/daemon/forwarder.h"

#include <gtest/gtest.h>

#include <atomic>

#include "forwarder_bed.h"
#include "frames.h"

namespace tandem::director::daemon {
namespace {

using testing::TcpSpec;

using testing::ip;
using testing::kClientMac;
using testing::kInMac;
using testing::kOutMac;
using testing::kRsMac;
using testing::mac;
using testing::RxFrame;

class ForwarderTest : public ::testing::Test {
 protected:
  ForwarderTest()
      : fwd_(DirectorConfig{},
             {Link{10, "out0", kOutMac, ip("198.18.0.2"), 1500},
              Link{11, "in0", kInMac, ip("198.18.1.2"), 1500}},
             active_, clock_) {
    fwd_.post([](Forwarder& f) {
      f.set_vips({ip("198.18.0.100").value}, {ip("198.18.0.100").value});
      f.set_neighbours({{ip("198.18.1.11").value, NextHop{kRsMac, 1}}});
    });
    fwd_.run_posted();
  }

  void add_service(Forwarding method, std::uint16_t vport, std::uint16_t rport) {
    ServiceConfig s;
    s.vip = ip("198.18.0.100");
    s.port = vport;
    s.scheduler = SchedulerKind::rr;
    const auto r = fwd_.shard().add_service(s);
    ASSERT_EQ(r.error, ControlError::ok);
    RealServerConfig rs;
    rs.address = ip("198.18.1.11");
    rs.port = rport;
    rs.method = method;
    ASSERT_EQ(fwd_.shard().add_server(r.id, rs).error, ControlError::ok);
  }

  io::Frame& run(RxFrame& rx) {
    fwd_.handle({&rx.f, 1});
    return rx.f;
  }

  TcpSpec syn() {
    TcpSpec t;
    t.dst_mac = kOutMac;
    t.src_mac = kClientMac;
    t.src = ip("198.18.0.10");
    t.dst = ip("198.18.0.100");
    return t;
  }

  std::uint64_t drops(FwdDrop d) const {
    return fwd_.counters().drops[static_cast<std::size_t>(d)].get();
  }

  std::atomic<bool> active_{true};
  FakeClock clock_{TimePoint{} + std::chrono::seconds(100)};
  Forwarder fwd_;
};

TEST_F(ForwarderTest, DrRewritesMacsAndLeavesByTheInsideLink) {
  add_service(Forwarding::dr, 80, 80);
  RxFrame rx(testing::tcp_frame(syn()), 10);
  const io::Frame& f = run(rx);
  ASSERT_EQ(f.action, io::Action::kTransmit);
  EXPECT_EQ(f.egress, 1);
  const auto out = rx.out();
  EXPECT_TRUE(std::equal(kRsMac.bytes.begin(), kRsMac.bytes.end(), out.begin()));
  EXPECT_TRUE(std::equal(kInMac.bytes.begin(), kInMac.bytes.end(), out.begin() + 6));
  EXPECT_EQ(out[14 + 8], 63);  // TTL decremented
  EXPECT_EQ(out[30], 198);     // destination still the VIP
  EXPECT_EQ(out[33], 100);
  EXPECT_TRUE(testing::tcp_checksum_ok(out));
  EXPECT_EQ(fwd_.counters().forwarded_in.get(), 1u);
}

TEST_F(ForwarderTest, NatBothWaysWithTheClientsMacLearned) {
  add_service(Forwarding::nat, 8080, 80);
  TcpSpec t = syn();
  t.dport = 8080;
  RxFrame in(testing::tcp_frame(t), 10);
  ASSERT_EQ(run(in).action, io::Action::kTransmit);
  auto out = in.out();
  EXPECT_EQ(out[33], 11);  // daddr 198.18.1.11
  EXPECT_EQ((out[36] << 8) | out[37], 80);
  EXPECT_TRUE(testing::tcp_checksum_ok(out));

  TcpSpec r;
  r.dst_mac = kInMac;
  r.src_mac = kRsMac;
  r.src = ip("198.18.1.11");
  r.dst = ip("198.18.0.10");
  r.sport = 80;
  r.dport = t.sport;
  r.flags = 0x12;  // SYN|ACK
  RxFrame reply(testing::tcp_frame(r), 11);
  const io::Frame& f = run(reply);
  ASSERT_EQ(f.action, io::Action::kTransmit);
  EXPECT_EQ(f.egress, 0);
  out = reply.out();
  EXPECT_TRUE(std::equal(kClientMac.bytes.begin(), kClientMac.bytes.end(), out.begin()));
  EXPECT_EQ(out[29], 100);  // saddr back to the VIP
  EXPECT_EQ((out[34] << 8) | out[35], 8080);
  EXPECT_TRUE(testing::tcp_checksum_ok(out));
  EXPECT_EQ(fwd_.counters().forwarded_out.get(), 1u);
}

TEST_F(ForwarderTest, OffloadedChecksumIsCompletedBeforeNat) {
  add_service(Forwarding::nat, 8080, 80);
  TcpSpec t = syn();
  t.dport = 8080;
  t.payload = 33;
  t.flags = 0x02;
  t.partial_checksum = true;
  auto bytes = testing::tcp_frame(t);
  ASSERT_FALSE(testing::tcp_checksum_ok(bytes));
  RxFrame in(bytes, 10, true);
  ASSERT_EQ(run(in).action, io::Action::kTransmit);
  EXPECT_TRUE(testing::tcp_checksum_ok(in.out()));
  EXPECT_EQ(fwd_.counters().checksum_completed.get(), 1u);
}

TEST_F(ForwarderTest, TunEncapsulatesIntoTheHeadroom) {
  add_service(Forwarding::tun, 80, 80);
  RxFrame rx(testing::tcp_frame(syn()), 10);
  ASSERT_EQ(run(rx).action, io::Action::kTransmit);
  const auto out = rx.out();
  ASSERT_EQ(out.size(), 14u + 20u + 40u);
  EXPECT_EQ(out[14 + 9], 4);     // IPIP
  EXPECT_EQ(out[14 + 15], 2);    // outer source 198.18.1.2
  EXPECT_EQ(out[14 + 19], 11);   // outer destination 198.18.1.11
  EXPECT_EQ(out[34 + 19], 100);  // inner destination still the VIP
}

TEST_F(ForwarderTest, AnswersArpForItsVipOnlyWhileActive) {
  RxFrame rx(testing::arp_who_has(kClientMac, ip("198.18.0.10"), ip("198.18.0.100")), 10);
  ASSERT_EQ(run(rx).action, io::Action::kTransmit);
  EXPECT_EQ(rx.f.egress, 0);
  const auto out = rx.out();
  EXPECT_EQ((out[20] << 8) | out[21], 2);  // reply
  EXPECT_TRUE(std::equal(kOutMac.bytes.begin(), kOutMac.bytes.end(), out.begin() + 22));

  active_ = false;
  RxFrame again(testing::arp_who_has(kClientMac, ip("198.18.0.10"), ip("198.18.0.100")), 10);
  EXPECT_EQ(run(again).action, io::Action::kDrop);
  RxFrame other(testing::arp_who_has(kClientMac, ip("198.18.0.10"), ip("198.18.0.2")), 10);
  active_ = true;
  EXPECT_EQ(run(other).action, io::Action::kDrop);  // the host's own address: the kernel answers
  EXPECT_EQ(drops(FwdDrop::arp_ignored), 2u);
}

TEST_F(ForwarderTest, StandbyForwardsNothing) {
  add_service(Forwarding::dr, 80, 80);
  active_ = false;
  RxFrame rx(testing::tcp_frame(syn()), 10);
  EXPECT_EQ(run(rx).action, io::Action::kDrop);
  EXPECT_EQ(drops(FwdDrop::no_service), 1u);
}

TEST_F(ForwarderTest, TtlOneGetsTimeExceededBackToTheSender) {
  add_service(Forwarding::dr, 80, 80);
  TcpSpec t = syn();
  t.ttl = 1;
  RxFrame rx(testing::tcp_frame(t), 10);
  ASSERT_EQ(run(rx).action, io::Action::kTransmit);
  EXPECT_EQ(rx.f.egress, 0);
  const auto out = rx.out();
  EXPECT_TRUE(std::equal(kClientMac.bytes.begin(), kClientMac.bytes.end(), out.begin()));
  EXPECT_EQ(out[14 + 9], 1);   // ICMP
  EXPECT_EQ(out[34], 11);      // time exceeded
  EXPECT_EQ(out[14 + 15], 2);  // from 198.18.0.2, the outside address
  EXPECT_EQ(drops(FwdDrop::ttl_exceeded), 1u);
}

TEST_F(ForwarderTest, HostileFramesAreCountedNotForwarded) {
  add_service(Forwarding::dr, 80, 80);
  auto bad_ihl = testing::tcp_frame(syn());
  bad_ihl[14] = 0x44;
  auto bad_sum = testing::tcp_frame(syn());
  bad_sum[24] ^= 0x55;
  auto frag = testing::tcp_frame(syn());
  frag[14 + 7] = 100;  // fragment offset 800, header checksum fixed up
  frag[24] = frag[25] = 0;
  testing::put16(frag, 24, net::internet_checksum({frag.data() + 14, 20}));
  auto cut = testing::tcp_frame(syn());
  RxFrame a(bad_ihl, 10), b(bad_sum, 10), c(frag, 10), d(cut, 10);
  d.f.wire_length += 100;                    // capture shorter than the wire
  RxFrame e(testing::tcp_frame(syn()), 99);  // not one of our links
  io::Frame batch[] = {a.f, b.f, c.f, d.f, e.f};
  fwd_.handle(batch);
  for (const auto& f : batch) EXPECT_EQ(f.action, io::Action::kDrop);
  const auto& p = fwd_.counters().parse;
  EXPECT_EQ(p[static_cast<std::size_t>(net::DropReason::kBadIhl)].get(), 1u);
  EXPECT_EQ(p[static_cast<std::size_t>(net::DropReason::kBadIpChecksum)].get(), 1u);
  EXPECT_EQ(p[static_cast<std::size_t>(net::DropReason::kNonFirstFragment)].get(), 1u);
  EXPECT_EQ(drops(FwdDrop::truncated), 1u);
  EXPECT_EQ(drops(FwdDrop::no_link), 1u);
  EXPECT_EQ(fwd_.shard().table_stats().connections, 0u);
}

TEST_F(ForwarderTest, UnknownNeighbourIsCountedAndControlRunsInOrder) {
  add_service(Forwarding::dr, 80, 80);
  fwd_.post([](Forwarder& f) { f.set_neighbours({}); });
  RxFrame rx(testing::tcp_frame(syn()), 10);
  EXPECT_EQ(run(rx).action, io::Action::kDrop);  // handle() ran the posted closure first
  EXPECT_EQ(drops(FwdDrop::no_neighbour), 1u);
  fwd_.post([](Forwarder& f) {
    f.set_neighbours({{ip("198.18.1.11").value, NextHop{kRsMac, 1}}});
  });
  TcpSpec t = syn();
  t.flags = 0x10;  // the client's ACK on the connection the SYN created
  RxFrame ack(testing::tcp_frame(t), 10);
  EXPECT_EQ(run(ack).action, io::Action::kTransmit);
}

TEST_F(ForwarderTest, SnapshotFollowsTheShard) {
  add_service(Forwarding::dr, 80, 80);
  RxFrame rx(testing::tcp_frame(syn()), 10);
  run(rx);
  EXPECT_EQ(fwd_.snapshot().table.connections, 1u);
}

}  // namespace
}  // namespace tandem::director::daemon
