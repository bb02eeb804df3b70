// TCP super-frames (an IPv4 datagram longer than the MTU of the link it
// arrived on: the sender's TSO/GSO on veth, or GRO) are cut into segments
// that fit the egress and forwarded by DR, NAT and TUN alike. A frame that
// fit its arrival link but not the egress keeps the PMTU behaviour: with DF
// the client gets ICMP fragmentation needed with the egress MTU, without DF
// it is dropped; both are counted too_big.
#include <gtest/gtest.h>

#include <atomic>

#include "director/daemon/forwarder.h"
#include "forwarder_bed.h"
#include "frames.h"

namespace tandem::director::daemon {
namespace {

using testing::ip;
using testing::kClientMac;
using testing::kInMac;
using testing::kOutMac;
using testing::kRsMac;
using testing::mac;
using testing::RxFrame;

using Bytes = std::vector<std::uint8_t>;

std::uint32_t get32(const Bytes& b, std::size_t o) {
  return (std::uint32_t{b[o]} << 24) | (std::uint32_t{b[o + 1]} << 16) |
         (std::uint32_t{b[o + 2]} << 8) | b[o + 3];
}
std::uint16_t get16(const Bytes& b, std::size_t o) {
  return static_cast<std::uint16_t>(b[o] << 8 | b[o + 1]);
}

// The client's link out0 (ifindex 10) and the real servers' in0 (11).
class Bed : public ::testing::TestWithParam<Forwarding> {
 protected:
  explicit Bed(std::uint16_t out_mtu)
      : fwd_(DirectorConfig{},
             {Link{10, "out0", kOutMac, ip("198.18.0.2"), out_mtu},
              Link{11, "in0", kInMac, ip("198.18.1.2"), 1500}},
             active_, clock_) {
    fwd_.post([](Forwarder& f) {
      f.set_vips({ip("198.18.0.100").value}, {ip("198.18.0.100").value});
      f.set_neighbours({{ip("198.18.1.11").value, NextHop{kRsMac, 1}}});
    });
    fwd_.run_posted();
    ServiceConfig s;
    s.vip = ip("198.18.0.100");
    s.port = 80;
    s.scheduler = SchedulerKind::rr;
    const auto r = fwd_.shard().add_service(s);
    RealServerConfig rs;
    rs.address = ip("198.18.1.11");
    rs.port = 80;
    rs.method = GetParam();
    EXPECT_EQ(fwd_.shard().add_server(r.id, rs).error, ControlError::ok);
  }

  testing::TcpSpec spec(std::uint8_t flags, std::size_t payload) {
    testing::TcpSpec t;
    t.dst_mac = kOutMac;
    t.src_mac = kClientMac;
    t.src = ip("198.18.0.10");
    t.dst = ip("198.18.0.100");
    t.flags = flags;
    t.payload = payload;
    return t;
  }

  static Bytes with_df(Bytes f) {
    f[20] |= 0x40;
    f[24] = f[25] = 0;
    testing::put16(f, 24, net::internet_checksum({f.data() + 14, 20}));
    return f;
  }

  void syn() {
    RxFrame s(testing::tcp_frame(spec(0x02, 0)), 10);
    fwd_.handle({&s.f, 1});
    ASSERT_EQ(s.f.action, io::Action::kTransmit);
  }

  std::uint64_t drop(FwdDrop d) const {
    return fwd_.counters().drops[static_cast<std::size_t>(d)].get();
  }
  std::uint64_t super_drop(SuperDrop d) const {
    return fwd_.counters().super_drops[static_cast<std::size_t>(d)].get();
  }

  std::atomic<bool> active_{true};
  FakeClock clock_{TimePoint{} + std::chrono::seconds(100)};
  Forwarder fwd_;
};

class SuperFrame : public Bed {
 protected:
  SuperFrame() : Bed(1500) {}
};

// Where the (inner) IPv4 header of what the method sends starts.
std::size_t inner_ip(Forwarding m) {
  return m == Forwarding::tun ? 34 : 14;
}

TEST_P(SuperFrame, IsCutIntoSegmentsThatFitTheEgress) {
  syn();
  // Two 1460-byte segments merged: 2960 bytes of IPv4 over a 1500 MTU, with
  // the TCP checksum left to offload (a pseudo-header sum), PSH and FIN.
  auto s = spec(0x19, 2920);
  s.partial_checksum = true;
  const Bytes in = with_df(testing::tcp_frame(s));
  RxFrame big(in, 10);
  big.f.checksum_not_ready = true;
  fwd_.handle({&big.f, 1});
  ASSERT_EQ(big.f.action, io::Action::kTransmit);
  EXPECT_EQ(big.f.egress, 1);
  const auto segs = big.segments();
  // MSS 1500 - 40 = 1460; TUN keeps 20 bytes for its outer header: 1440.
  const bool tun = GetParam() == Forwarding::tun;
  const std::vector<std::size_t> lens =
      tun ? std::vector<std::size_t>{1440, 1440, 40} : std::vector<std::size_t>{1460, 1460};
  ASSERT_EQ(segs.size(), lens.size());
  const std::size_t o = inner_ip(GetParam());
  std::size_t offset = 0;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    SCOPED_TRACE(i);
    const Bytes& g = segs[i];
    ASSERT_EQ(g.size(), o + 40 + lens[i]);
    EXPECT_LE(g.size(), 14u + 1500u);
    EXPECT_TRUE(std::equal(kRsMac.bytes.begin(), kRsMac.bytes.end(), g.begin()));
    if (tun) {
      EXPECT_EQ(get16(g, 16), 20 + 40 + lens[i]);  // outer total length
      EXPECT_EQ(g[23], 4);                         // IPIP
      EXPECT_EQ(net::internet_checksum({g.data() + 14, 20}), 0);
    }
    EXPECT_EQ(get16(g, o + 2), 40 + lens[i]);
    EXPECT_EQ(get16(g, o + 4), 0x1234 + i);
    EXPECT_EQ(g[o + 8], 63);  // TTL decremented once per segment
    EXPECT_EQ(net::internet_checksum({g.data() + o, 20}), 0);
    // NAT rewrote the destination; DR and TUN leave the VIP.
    EXPECT_EQ(get32(g, o + 16),
              GetParam() == Forwarding::nat ? ip("198.18.1.11").value : ip("198.18.0.100").value);
    EXPECT_EQ(get32(g, o + 24), 1000 + offset);  // sequence number
    const bool last = i + 1 == segs.size();
    EXPECT_EQ(g[o + 33], last ? 0x19 : 0x10);  // PSH and FIN only on the last
    EXPECT_TRUE(testing::tcp_checksum_ok(g, o));
    EXPECT_TRUE(std::equal(g.begin() + static_cast<std::ptrdiff_t>(o + 40), g.end(),
                           in.begin() + static_cast<std::ptrdiff_t>(54 + offset)));
    offset += lens[i];
  }
  EXPECT_EQ(offset, 2920u);
  const auto& c = fwd_.counters();
  EXPECT_EQ(c.superframes.get(), 1u);
  EXPECT_EQ(c.segments.get(), segs.size());
  EXPECT_EQ(c.forwarded_in.get(), 1 + segs.size());  // the SYN and the segments
  EXPECT_EQ(drop(FwdDrop::too_big), 0u);
  EXPECT_EQ(c.checksum_completed.get(), 0u);  // computed per segment instead
}

TEST_P(SuperFrame, WithoutDfToo) {
  syn();
  RxFrame big(testing::tcp_frame(spec(0x10, 2920)), 10);
  fwd_.handle({&big.f, 1});
  ASSERT_EQ(big.f.action, io::Action::kTransmit);
  EXPECT_EQ(big.segments().size(), GetParam() == Forwarding::tun ? 3u : 2u);
  EXPECT_EQ(drop(FwdDrop::too_big), 0u);
  // A segment that fits still goes through on the same connection, alone.
  RxFrame ok(testing::tcp_frame(spec(0x10, 1400)), 10);
  fwd_.handle({&ok.f, 1});
  EXPECT_EQ(ok.f.action, io::Action::kTransmit);
  EXPECT_TRUE(ok.f.burst.empty());
  EXPECT_EQ(fwd_.counters().superframes.get(), 1u);
}

// Only NAT replies pass through the director.
class NatReply : public SuperFrame {};

TEST_P(NatReply, IsCutToo) {
  syn();
  testing::TcpSpec r;
  r.dst_mac = kInMac;
  r.src_mac = kRsMac;
  r.src = ip("198.18.1.11");
  r.dst = ip("198.18.0.10");
  r.sport = 80;
  r.dport = 40000;
  r.flags = 0x10;
  r.payload = 4000;
  RxFrame reply(testing::tcp_frame(r), 11);
  fwd_.handle({&reply.f, 1});
  ASSERT_EQ(reply.f.action, io::Action::kTransmit);
  EXPECT_EQ(reply.f.egress, 0);
  const auto segs = reply.segments();
  ASSERT_EQ(segs.size(), 3u);  // 1460 + 1460 + 1080
  for (const Bytes& g : segs) {
    EXPECT_EQ(get32(g, 26), ip("198.18.0.100").value);  // from the VIP
    EXPECT_TRUE(std::equal(kClientMac.bytes.begin(), kClientMac.bytes.end(), g.begin()));
    EXPECT_TRUE(testing::tcp_checksum_ok(g));
  }
  EXPECT_EQ(fwd_.counters().forwarded_out.get(), 3u);
}

TEST_P(SuperFrame, TtlOneIsAnsweredOnceForTheWholeFrame) {
  syn();
  auto s = spec(0x10, 2920);
  s.ttl = 1;
  RxFrame big(testing::tcp_frame(s), 10);
  fwd_.handle({&big.f, 1});
  EXPECT_EQ(drop(FwdDrop::ttl_exceeded), 1u);
  ASSERT_EQ(big.f.action, io::Action::kTransmit);
  EXPECT_TRUE(big.f.burst.empty());
  const auto out = big.out();
  ASSERT_GE(out.size(), 14u + 20 + 8);
  EXPECT_EQ(out[34], 11);  // time exceeded, back to the client
  EXPECT_EQ(big.f.egress, 0);
  EXPECT_EQ(fwd_.counters().superframes.get(), 0u);
}

TEST_P(SuperFrame, UdpAndLyingFramesAreCountedAndDropped) {
  syn();
  // UDP GSO: the same bytes as UDP with a valid length.
  Bytes udp = testing::tcp_frame(spec(0x10, 2920));
  udp[23] = 17;
  udp[24] = udp[25] = 0;
  testing::put16(udp, 24, net::internet_checksum({udp.data() + 14, 20}));
  testing::put16(udp, 38, 2940);
  RxFrame u(udp, 10);
  fwd_.handle({&u.f, 1});
  EXPECT_NE(u.f.action, io::Action::kTransmit);
  EXPECT_EQ(super_drop(SuperDrop::not_tcp), 1u);
  // A fragment of a super-frame is no whole segment.
  Bytes frag = testing::tcp_frame(spec(0x10, 2920));
  frag[20] |= 0x20;
  frag[24] = frag[25] = 0;
  testing::put16(frag, 24, net::internet_checksum({frag.data() + 14, 20}));
  RxFrame fr(frag, 10);
  fwd_.handle({&fr.f, 1});
  EXPECT_NE(fr.f.action, io::Action::kTransmit);
  EXPECT_EQ(super_drop(SuperDrop::malformed), 1u);
  // An IP length claiming more than the frame holds never gets that far.
  Bytes lying = testing::tcp_frame(spec(0x10, 2920));
  testing::put16(lying, 16, 9000);
  lying[24] = lying[25] = 0;
  testing::put16(lying, 24, net::internet_checksum({lying.data() + 14, 20}));
  RxFrame l(lying, 10);
  fwd_.handle({&l.f, 1});
  EXPECT_NE(l.f.action, io::Action::kTransmit);
  EXPECT_EQ(
      fwd_.counters().parse[static_cast<std::size_t>(net::DropReason::kTotalLengthMismatch)].get(),
      1u);
  EXPECT_EQ(fwd_.counters().superframes.get(), 0u);
}

TEST_P(SuperFrame, ABatchBeyondTheSegmentStorageDropsOnlyWhatDoesNotFit) {
  syn();
  // Eight 64 KiB super-frames in one batch: twice a daemon ring block, more
  // than the per-batch storage holds. The ones that fit are sent whole.
  std::vector<RxFrame> frames;
  frames.reserve(8);
  for (int i = 0; i < 8; ++i) frames.emplace_back(testing::tcp_frame(spec(0x10, 65495)), 10);
  std::vector<io::Frame> batch;
  for (auto& f : frames) batch.push_back(f.f);
  fwd_.handle(batch);
  std::size_t sent = 0;
  for (const io::Frame& f : batch) {
    if (f.action != io::Action::kTransmit) continue;
    ++sent;
    for (const auto seg : f.burst) {
      const Bytes g(seg.begin(), seg.end());
      EXPECT_TRUE(testing::tcp_checksum_ok(g, inner_ip(GetParam())));
    }
  }
  EXPECT_GE(sent, 1u);
  EXPECT_LT(sent, 8u);
  EXPECT_EQ(super_drop(SuperDrop::no_room), 8 - sent);
  EXPECT_EQ(fwd_.counters().superframes.get(), sent);
}

INSTANTIATE_TEST_SUITE_P(Methods, SuperFrame,
                         ::testing::Values(Forwarding::dr, Forwarding::nat, Forwarding::tun));
INSTANTIATE_TEST_SUITE_P(Nat, NatReply, ::testing::Values(Forwarding::nat));

// The client's link takes 9000-byte frames, the real servers' only 1500: a
// 2960-byte datagram fits where it arrived, so it is a real packet, and the
// path MTU rules apply.
class JumboArrival : public Bed {
 protected:
  JumboArrival() : Bed(9000) {}
};

TEST_P(JumboArrival, WithDfTheClientIsToldTheMtu) {
  syn();
  RxFrame big(with_df(testing::tcp_frame(spec(0x10, 2920))), 10);
  fwd_.handle({&big.f, 1});
  EXPECT_EQ(drop(FwdDrop::too_big), 1u);
  ASSERT_EQ(big.f.action, io::Action::kTransmit);
  EXPECT_TRUE(big.f.burst.empty());
  EXPECT_EQ(big.f.egress, 0);  // back out of the client's link
  const auto out = big.out();
  ASSERT_GE(out.size(), 14u + 20 + 8);
  EXPECT_EQ(out[14 + 9], 1);  // ICMP
  EXPECT_EQ(out[34], 3);      // destination unreachable
  EXPECT_EQ(out[35], 4);      // fragmentation needed
  // DR and NAT tell the link MTU; TUN the room left inside its outer header.
  EXPECT_EQ(get16(out, 40), GetParam() == Forwarding::tun ? 1480 : 1500);
  EXPECT_TRUE(testing::icmp_checksum_ok(out));
  EXPECT_EQ(fwd_.counters().superframes.get(), 0u);
}

TEST_P(JumboArrival, WithoutDfItIsDroppedAndCounted) {
  syn();
  RxFrame big(testing::tcp_frame(spec(0x10, 2920)), 10);
  fwd_.handle({&big.f, 1});
  EXPECT_EQ(drop(FwdDrop::too_big), 1u);
  EXPECT_NE(big.f.action, io::Action::kTransmit);
  EXPECT_EQ(fwd_.counters().superframes.get(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Methods, JumboArrival,
                         ::testing::Values(Forwarding::dr, Forwarding::nat, Forwarding::tun));

}  // namespace
}  // namespace tandem::director::daemon
