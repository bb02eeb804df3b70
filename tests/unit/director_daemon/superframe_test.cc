// GRO/LRO super-frames (an IPv4 datagram longer than the egress MTU, as the
// kernel hands AF_PACKET after merging segments) are never forwarded: with
// DF the client gets ICMP fragmentation needed with the egress MTU, without
// DF the frame is dropped; both are counted too_big. The director turns
// GRO/LRO off (links.h) so that this stays the exception.
#include <gtest/gtest.h>

#include <atomic>

#include "director/daemon/forwarder.h"
#include "frames.h"

namespace tandem::director::daemon {
namespace {

net::Ipv4 ip(const char* s) {
  return *net::Ipv4::parse(s);
}
net::Mac mac(const char* s) {
  return *net::Mac::parse(s);
}

const net::Mac kClientMac = mac("02:00:00:00:00:0a");
const net::Mac kOutMac = mac("02:00:00:00:00:01");
const net::Mac kInMac = mac("02:00:00:00:00:02");
const net::Mac kRsMac = mac("02:00:00:00:00:11");

struct RxFrame {
  explicit RxFrame(std::vector<std::uint8_t> bytes, int ifindex) : buf(64 + bytes.size()) {
    std::copy(bytes.begin(), bytes.end(), buf.begin() + 64);
    f.data = {buf.data() + 64, bytes.size()};
    f.headroom = 64;
    f.wire_length = static_cast<std::uint32_t>(bytes.size());
    f.ifindex = ifindex;
  }
  std::vector<std::uint8_t> out() const { return {f.out.begin(), f.out.end()}; }
  std::vector<std::uint8_t> buf;
  io::Frame f;
};

class SuperFrame : public ::testing::TestWithParam<Forwarding> {
 protected:
  SuperFrame()
      : fwd_(DirectorConfig{},
             {Link{10, "out0", kOutMac, ip("198.18.0.2"), 1500},
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

  static std::vector<std::uint8_t> with_df(std::vector<std::uint8_t> f) {
    f[20] |= 0x40;
    f[24] = f[25] = 0;
    testing::put16(f, 24, net::internet_checksum({f.data() + 14, 20}));
    return f;
  }

  std::uint64_t too_big() const {
    return fwd_.counters().drops[static_cast<std::size_t>(FwdDrop::too_big)].get();
  }

  std::atomic<bool> active_{true};
  FakeClock clock_{TimePoint{} + std::chrono::seconds(100)};
  Forwarder fwd_;
};

TEST_P(SuperFrame, WithDfTheClientIsToldTheMtu) {
  RxFrame syn(testing::tcp_frame(spec(0x02, 0)), 10);
  fwd_.handle({&syn.f, 1});
  ASSERT_EQ(syn.f.action, io::Action::kTransmit);
  // Two 1460-byte segments merged by GRO: 2960 bytes of IPv4.
  RxFrame big(with_df(testing::tcp_frame(spec(0x10, 2920))), 10);
  fwd_.handle({&big.f, 1});
  EXPECT_EQ(too_big(), 1u);
  ASSERT_EQ(big.f.action, io::Action::kTransmit);
  EXPECT_EQ(big.f.egress, 0);  // back out of the client's link
  const auto out = big.out();
  ASSERT_GE(out.size(), 14u + 20 + 8);
  EXPECT_EQ(out[14 + 9], 1);  // ICMP
  EXPECT_EQ(out[34], 3);      // destination unreachable
  EXPECT_EQ(out[35], 4);      // fragmentation needed
  const int mtu = (out[40] << 8) | out[41];
  // DR and NAT tell the link MTU; TUN the room left inside its outer header.
  EXPECT_EQ(mtu, GetParam() == Forwarding::tun ? 1480 : 1500);
  EXPECT_TRUE(testing::icmp_checksum_ok(out));
}

TEST_P(SuperFrame, WithoutDfItIsDroppedAndCounted) {
  RxFrame syn(testing::tcp_frame(spec(0x02, 0)), 10);
  fwd_.handle({&syn.f, 1});
  RxFrame big(testing::tcp_frame(spec(0x10, 2920)), 10);
  fwd_.handle({&big.f, 1});
  EXPECT_EQ(too_big(), 1u);
  EXPECT_NE(big.f.action, io::Action::kTransmit);
  // A segment that fits still goes through on the same connection.
  RxFrame ok(testing::tcp_frame(spec(0x10, 1400)), 10);
  fwd_.handle({&ok.f, 1});
  EXPECT_EQ(ok.f.action, io::Action::kTransmit);
  EXPECT_EQ(too_big(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Methods, SuperFrame,
                         ::testing::Values(Forwarding::dr, Forwarding::nat, Forwarding::tun));

}  // namespace
}  // namespace tandem::director::daemon
