// ICMP through the worker's handler: errors relayed to the connection's real
// server (translated for NAT), NAT errors back to the client, echo answered
// for an active VIP, and hostile ICMP counted, never forwarded.
#include <gtest/gtest.h>

#include <atomic>

#include "director/daemon/forwarder.h"
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
const net::Ipv4 kVip = ip("198.18.0.100");
const net::Ipv4 kClient = ip("198.18.0.10");
const net::Ipv4 kRouter = ip("198.18.0.1");
const net::Ipv4 kRip = ip("198.18.1.11");

std::uint16_t be16(const std::vector<std::uint8_t>& b, std::size_t o) {
  return static_cast<std::uint16_t>((b[o] << 8) | b[o + 1]);
}
std::uint32_t be32(const std::vector<std::uint8_t>& b, std::size_t o) {
  return (std::uint32_t{be16(b, o)} << 16) | be16(b, o + 2);
}

class ForwarderIcmpTest : public ::testing::Test {
 protected:
  ForwarderIcmpTest()
      : fwd_(DirectorConfig{},
             {Link{10, "out0", kOutMac, ip("198.18.0.2"), 1500},
              Link{11, "in0", kInMac, ip("198.18.1.2"), 1500}},
             active_, clock_) {
    fwd_.post([](Forwarder& f) {
      f.set_vips({kVip.value}, {kVip.value});
      f.set_neighbours({{kRip.value, NextHop{kRsMac, 1}}});
    });
    fwd_.run_posted();
  }

  void add_service(Forwarding method, std::uint16_t vport, std::uint16_t rport) {
    ServiceConfig s;
    s.vip = kVip;
    s.port = vport;
    const auto r = fwd_.shard().add_service(s);
    ASSERT_EQ(r.error, ControlError::ok);
    RealServerConfig rs;
    rs.address = kRip;
    rs.port = rport;
    rs.method = method;
    ASSERT_EQ(fwd_.shard().add_server(r.id, rs).error, ControlError::ok);
  }

  // The client's SYN client:40000 -> VIP:vport, forwarded.
  void open(std::uint16_t vport) {
    TcpSpec t;
    t.dst_mac = kOutMac;
    t.src_mac = kClientMac;
    t.src = kClient;
    t.dst = kVip;
    t.dport = vport;
    RxFrame rx(testing::tcp_frame(t), 10);
    fwd_.handle({&rx.f, 1});
    ASSERT_EQ(rx.f.action, io::Action::kTransmit);
  }

  // Our reply VIP:vport -> client:40000 as the client side saw it.
  static std::vector<std::uint8_t> our_reply(std::uint16_t vport) {
    TcpSpec t;
    t.src = kVip;
    t.dst = kClient;
    t.sport = vport;
    t.dport = 40000;
    t.flags = 0x12;
    return testing::datagram(testing::tcp_frame(t));
  }

  // Frag needed (MTU 1280) from `from` to the VIP about `quote`.
  static std::vector<std::uint8_t> frag_needed_to_vip(const std::vector<std::uint8_t>& quote,
                                                      net::Ipv4 from = kRouter) {
    return testing::icmp_frame(kOutMac, kClientMac, from, kVip, 3, 4, 1280, quote);
  }

  static std::vector<std::uint8_t> echo(net::Ipv4 to, std::size_t payload = 56) {
    std::vector<std::uint8_t> body(payload);
    for (std::size_t i = 0; i < payload; ++i) body[i] = static_cast<std::uint8_t>(i);
    return testing::icmp_frame(kOutMac, kClientMac, kClient, to, 8, 0, 0x00070001, body);
  }

  io::Frame& run(RxFrame& rx) {
    fwd_.handle({&rx.f, 1});
    return rx.f;
  }
  std::uint64_t icmp(IcmpCount c) const {
    return fwd_.counters().icmp[static_cast<std::size_t>(c)].get();
  }

  std::atomic<bool> active_{true};
  FakeClock clock_{TimePoint{} + std::chrono::seconds(100)};
  Forwarder fwd_;
};

TEST_F(ForwarderIcmpTest, NatErrorToTheVipReachesTheRealServerTranslated) {
  add_service(Forwarding::nat, 8080, 80);
  open(8080);
  RxFrame rx(frag_needed_to_vip(our_reply(8080)), 10);
  ASSERT_EQ(run(rx).action, io::Action::kTransmit);
  EXPECT_EQ(rx.f.egress, 1);
  const auto out = rx.out();
  EXPECT_TRUE(std::equal(kRsMac.bytes.begin(), kRsMac.bytes.end(), out.begin()));
  EXPECT_EQ(be32(out, 26), kRouter.value);  // the reporter
  EXPECT_EQ(be32(out, 30), kRip.value);     // outer destination: the real server
  EXPECT_EQ(out[34], 3);
  EXPECT_EQ(out[35], 4);
  EXPECT_EQ(be16(out, 40), 1280);
  EXPECT_EQ(be32(out, 42 + 12), kRip.value);  // quoted source: RIP:80
  EXPECT_EQ(be16(out, 42 + 20), 80);
  EXPECT_EQ(be32(out, 42 + 16), kClient.value);
  EXPECT_EQ(net::internet_checksum({out.data() + 14, 20}), 0);
  EXPECT_TRUE(testing::icmp_checksum_ok(out));
  EXPECT_TRUE(testing::tcp_checksum_ok(out, 42));  // the quoted segment, now the server's own
  EXPECT_EQ(icmp(IcmpCount::errors_in), 1u);
  // The connection is still the SYN's: the error changed nothing.
  const EntryId id =
      fwd_.shard().table().find(ConnKey{Protocol::tcp, false, kClient, 40000, kVip, 8080});
  ASSERT_NE(id, kNone);
  EXPECT_EQ(fwd_.shard().table().at(id).state, TcpState::syn_recv);
}

TEST_F(ForwarderIcmpTest, DrErrorKeepsTheVipAndChangesOnlyTheMacs) {
  add_service(Forwarding::dr, 80, 80);
  open(80);
  const auto in = frag_needed_to_vip(our_reply(80));
  RxFrame rx(in, 10);
  ASSERT_EQ(run(rx).action, io::Action::kTransmit);
  const auto out = rx.out();
  EXPECT_TRUE(std::equal(kRsMac.bytes.begin(), kRsMac.bytes.end(), out.begin()));
  EXPECT_EQ(be32(out, 30), kVip.value);
  EXPECT_EQ(out[22], 63);
  EXPECT_EQ(std::vector<std::uint8_t>(out.begin() + 34, out.end()),
            std::vector<std::uint8_t>(in.begin() + 34, in.end()));
  EXPECT_EQ(icmp(IcmpCount::errors_in), 1u);
}

TEST_F(ForwarderIcmpTest, TunErrorIsEncapsulated) {
  add_service(Forwarding::tun, 80, 80);
  open(80);
  RxFrame rx(frag_needed_to_vip(our_reply(80)), 10);
  ASSERT_EQ(run(rx).action, io::Action::kTransmit);
  const auto out = rx.out();
  EXPECT_EQ(out[14 + 9], 4);  // IPIP
  EXPECT_EQ(be32(out, 14 + 16), kRip.value);
  EXPECT_EQ(out[34 + 9], 1);  // ICMP inside, to the VIP
  EXPECT_EQ(be32(out, 34 + 16), kVip.value);
}

TEST_F(ForwarderIcmpTest, NatErrorFromTheRealServerReachesTheClientTranslated) {
  add_service(Forwarding::nat, 8080, 80);
  open(8080);  // also teaches the shard the client's MAC
  // What the real server received: client:40000 -> RIP:80.
  TcpSpec t;
  t.src = kClient;
  t.dst = kRip;
  t.dport = 80;
  const auto received = testing::datagram(testing::tcp_frame(t));
  RxFrame rx(testing::icmp_frame(kInMac, kRsMac, kRip, kClient, 3, 3, 0, received), 11);
  ASSERT_EQ(run(rx).action, io::Action::kTransmit);
  EXPECT_EQ(rx.f.egress, 0);
  const auto out = rx.out();
  EXPECT_TRUE(std::equal(kClientMac.bytes.begin(), kClientMac.bytes.end(), out.begin()));
  EXPECT_EQ(be32(out, 26), kVip.value);  // outer source: the VIP
  EXPECT_EQ(be32(out, 30), kClient.value);
  EXPECT_EQ(be32(out, 42 + 16), kVip.value);  // quoted destination: VIP:8080
  EXPECT_EQ(be16(out, 42 + 22), 8080);
  EXPECT_TRUE(testing::icmp_checksum_ok(out));
  EXPECT_TRUE(testing::tcp_checksum_ok(out, 42));
  EXPECT_EQ(icmp(IcmpCount::errors_out), 1u);
}

TEST_F(ForwarderIcmpTest, ErrorsAboutNoConnectionAreNotRelayed) {
  add_service(Forwarding::nat, 8080, 80);
  RxFrame rx(frag_needed_to_vip(our_reply(8080)), 10);  // no SYN came first
  EXPECT_EQ(run(rx).action, io::Action::kDrop);
  EXPECT_EQ(icmp(IcmpCount::no_connection), 1u);
  EXPECT_EQ(fwd_.shard().table_stats().connections, 0u);
}

TEST_F(ForwarderIcmpTest, EchoToTheVipIsAnsweredWhileActive) {
  const auto req = echo(kVip);
  RxFrame rx(req, 10);
  ASSERT_EQ(run(rx).action, io::Action::kTransmit);
  EXPECT_EQ(rx.f.egress, 0);
  const auto out = rx.out();
  ASSERT_EQ(out.size(), req.size());
  EXPECT_TRUE(std::equal(kClientMac.bytes.begin(), kClientMac.bytes.end(), out.begin()));
  EXPECT_TRUE(std::equal(kOutMac.bytes.begin(), kOutMac.bytes.end(), out.begin() + 6));
  EXPECT_EQ(be32(out, 26), kVip.value);
  EXPECT_EQ(be32(out, 30), kClient.value);
  EXPECT_EQ(out[34], 0);                  // echo reply
  EXPECT_EQ(be32(out, 38), 0x00070001u);  // id and sequence echoed
  EXPECT_TRUE(std::equal(req.begin() + 42, req.end(), out.begin() + 42));
  EXPECT_EQ(net::internet_checksum({out.data() + 14, 20}), 0);
  EXPECT_TRUE(testing::icmp_checksum_ok(out));
  EXPECT_EQ(icmp(IcmpCount::echo_replies), 1u);

  active_ = false;
  RxFrame standby(echo(kVip), 10);
  EXPECT_EQ(run(standby).action, io::Action::kDrop);
  EXPECT_EQ(icmp(IcmpCount::inactive), 1u);
  // Not a VIP: the host's own address is the kernel's to answer.
  active_ = true;
  RxFrame host(echo(ip("198.18.0.2")), 10);
  EXPECT_EQ(run(host).action, io::Action::kDrop);
  EXPECT_EQ(icmp(IcmpCount::not_ours), 1u);
}

TEST_F(ForwarderIcmpTest, EchoRepliesAreRateLimited) {
  for (std::uint32_t i = 0; i < kEchoBurst; ++i) {
    RxFrame rx(echo(kVip), 10);
    ASSERT_EQ(run(rx).action, io::Action::kTransmit) << i;
  }
  RxFrame over(echo(kVip), 10);
  EXPECT_EQ(run(over).action, io::Action::kDrop);
  EXPECT_EQ(icmp(IcmpCount::rate_limited), 1u);
  clock_.advance(Duration(std::chrono::seconds(1)) / kEchoPerSecond);  // one reply's worth
  RxFrame next(echo(kVip), 10);
  EXPECT_EQ(run(next).action, io::Action::kTransmit);
  RxFrame again(echo(kVip), 10);
  EXPECT_EQ(run(again).action, io::Action::kDrop);
  EXPECT_EQ(icmp(IcmpCount::echo_replies), kEchoBurst + 1);
  EXPECT_EQ(icmp(IcmpCount::rate_limited), 2u);
}

TEST_F(ForwarderIcmpTest, HostileIcmpIsCountedNeverForwarded) {
  add_service(Forwarding::nat, 8080, 80);
  open(8080);
  const auto good = frag_needed_to_vip(our_reply(8080));

  auto bad_sum = good;
  bad_sum[42 + 24] ^= 0x01;  // the quoted sequence number: only the ICMP checksum sees it

  // An error about an ICMP message (here an echo request from the VIP).
  const auto about_icmp = frag_needed_to_vip(testing::datagram(echo(kClient)));

  // An error quoting a non-first fragment of our reply: no ports in it.
  auto frag_quote = our_reply(8080);
  frag_quote[6] = 0x00;
  frag_quote[7] = 0x10;  // offset 128
  const auto about_fragment = frag_needed_to_vip(frag_quote);

  // An error to the VIP quoting somebody else's datagram.
  auto other = our_reply(8080);
  other[15] = 99;  // quoted source 198.18.0.99
  const auto mismatch = frag_needed_to_vip(other);

  // A fragment of an error (MF set): the whole message cannot be checked.
  auto frag_outer = good;
  frag_outer[20] = 0x20;
  frag_outer[24] = frag_outer[25] = 0;
  testing::put16(frag_outer, 24, net::internet_checksum({frag_outer.data() + 14, 20}));

  // A truncated quote (the parser's bad_icmp_quote).
  const auto reply = our_reply(8080);
  const auto short_quote = testing::icmp_frame(kOutMac, kClientMac, kRouter, kVip, 3, 4, 1280,
                                               {reply.begin(), reply.begin() + 24});
  // A redirect and a timestamp request to the VIP.
  const auto redirect =
      testing::icmp_frame(kOutMac, kClientMac, kRouter, kVip, 5, 1, 0, our_reply(8080));
  const auto timestamp = testing::icmp_frame(kOutMac, kClientMac, kClient, kVip, 13, 0, 0,
                                             std::vector<std::uint8_t>(12, 0));

  RxFrame a(bad_sum, 10), b(about_icmp, 10), c(about_fragment, 10), d(mismatch, 10),
      e(frag_outer, 10), g(short_quote, 10), h(redirect, 10), i(timestamp, 10);
  io::Frame batch[] = {a.f, b.f, c.f, d.f, e.f, g.f, h.f, i.f};
  fwd_.handle(batch);
  for (const auto& f : batch) EXPECT_EQ(f.action, io::Action::kDrop);
  EXPECT_EQ(icmp(IcmpCount::bad_checksum), 1u);
  EXPECT_EQ(icmp(IcmpCount::quote_not_tcp_udp), 1u);
  EXPECT_EQ(icmp(IcmpCount::quote_fragment), 1u);
  EXPECT_EQ(icmp(IcmpCount::quote_mismatch), 1u);
  EXPECT_EQ(icmp(IcmpCount::fragment), 1u);
  EXPECT_EQ(icmp(IcmpCount::other_to_vip), 2u);
  EXPECT_EQ(fwd_.counters().parse[static_cast<std::size_t>(net::DropReason::kBadIcmpQuote)].get(),
            1u);
  EXPECT_EQ(icmp(IcmpCount::errors_in), 0u);
  // The valid one still goes through afterwards.
  RxFrame ok(good, 10);
  EXPECT_EQ(run(ok).action, io::Action::kTransmit);
}

TEST_F(ForwarderIcmpTest, ErrorWithTtlOneIsDroppedWithoutAnError) {
  add_service(Forwarding::nat, 8080, 80);
  open(8080);
  auto f = frag_needed_to_vip(our_reply(8080));
  f[22] = 1;
  f[24] = f[25] = 0;
  testing::put16(f, 24, net::internet_checksum({f.data() + 14, 20}));
  RxFrame rx(f, 10);
  EXPECT_EQ(run(rx).action, io::Action::kDrop);  // no ICMP error about an ICMP error
  EXPECT_EQ(fwd_.counters().drops[static_cast<std::size_t>(FwdDrop::ttl_exceeded)].get(), 1u);
  EXPECT_EQ(fwd_.counters().icmp_sent.get(), 0u);
}

TEST(IcmpCountNames, EveryCounterHasItsOwnName) {
  std::vector<std::string_view> seen;
  for (std::size_t i = 0; i < static_cast<std::size_t>(IcmpCount::kCount); ++i) {
    const auto n = icmp_count_name(static_cast<IcmpCount>(i));
    EXPECT_NE(n, "unknown");
    EXPECT_EQ(std::count(seen.begin(), seen.end(), n), 0) << n;
    seen.push_back(n);
  }
  EXPECT_EQ(icmp_count_name(IcmpCount::errors_in), "errors_in");
}

}  // namespace
}  // namespace tandem::director::daemon
