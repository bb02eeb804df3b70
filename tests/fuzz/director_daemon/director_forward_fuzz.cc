// The worker's whole per-frame path (parse, steering, shard decision,
// rewrite, ICMP/ARP answers) over arbitrary frames, one Forwarder kept
// across inputs so connection state accumulates. Checks, besides ASan/UBSan:
// a transmitted frame lies inside the frame's buffer (with headroom) or the
// handler's scratch and fits the egress link (so does every segment of a
// super-frame, and each parses), and the shard's accounting
// stays consistent (Director::audit).
//
// Input: byte 0 picks the ingress link and flags (checksum offload, active,
// 0x20: first open client 198.18.0.10:40000's connections to VIP:80/81/82 so
// ICMP errors quoting them reach the relay paths), byte 1 the fake clock's
// advance in 100 ms steps, the rest is the frame.

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "director/daemon/forwarder.h"
#include "director/daemon/steering.h"
#include "tests/unit/director_daemon/frames.h"

namespace {

using namespace tandem;
using namespace tandem::director;
using namespace tandem::director::daemon;

net::Ipv4 ip(const char* s) {
  return *net::Ipv4::parse(s);
}

struct World {
  std::atomic<bool> active{true};
  FakeClock clock;
  std::unique_ptr<Forwarder> fwd;

  World() {
    DirectorConfig cfg;
    cfg.table.max_entries = 4096;
    fwd = std::make_unique<Forwarder>(
        cfg,
        std::vector<Link>{Link{1, "out0", *net::Mac::parse("02:00:00:00:00:01"), ip("198.18.0.2"), 1500},
                          Link{2, "in0", *net::Mac::parse("02:00:00:00:00:02"), ip("198.18.1.2"), 1400}},
        active, clock);
    const Forwarding methods[] = {Forwarding::dr, Forwarding::nat, Forwarding::tun};
    std::uint16_t port = 80;
    for (Forwarding m : methods) {
      ServiceConfig s;
      s.vip = ip("198.18.0.100");
      s.port = port;
      s.scheduler = SchedulerKind::rr;
      const auto r = fwd->shard().add_service(s);
      for (int i = 0; i < 2; ++i) {
        RealServerConfig rs;
        rs.address = net::Ipv4{ip("198.18.1.11").value + static_cast<std::uint32_t>(i)};
        rs.port = m == Forwarding::nat ? 8080 : port;
        rs.method = m;
        fwd->shard().add_server(r.id, rs);
      }
      ++port;
    }
    ServiceConfig u;
    u.protocol = Protocol::udp;
    u.vip = ip("198.18.0.100");
    u.port = 0;
    u.persistence_timeout = std::chrono::seconds(30);
    const auto r = fwd->shard().add_service(u);
    RealServerConfig rs;
    rs.address = ip("198.18.1.13");
    rs.method = Forwarding::nat;
    fwd->shard().add_server(r.id, rs);
    fwd->post([](Forwarder& f) {
      f.set_vips({ip("198.18.0.100").value}, {ip("198.18.0.100").value});
      f.set_neighbours({{ip("198.18.1.11").value, NextHop{*net::Mac::parse("02:00:00:00:00:11"), 1}},
                        {ip("198.18.1.12").value, NextHop{*net::Mac::parse("02:00:00:00:00:12"), 1}},
                        {ip("198.18.1.13").value, NextHop{*net::Mac::parse("02:00:00:00:00:13"), 7}}});
    });
    fwd->run_posted();
  }
};

// A SYN from the client every ICMP seed quotes, to each TCP service.
void open_connections(World& w) {
  for (std::uint16_t port : {80, 81, 82}) {
    testing::TcpSpec t;
    t.dst_mac = *net::Mac::parse("02:00:00:00:00:01");
    t.src_mac = *net::Mac::parse("02:00:00:00:00:0a");
    t.src = ip("198.18.0.10");
    t.dst = ip("198.18.0.100");
    t.sport = 40000;
    t.dport = port;
    auto bytes = testing::tcp_frame(t);
    io::Frame f;
    f.data = {bytes.data(), bytes.size()};
    f.wire_length = static_cast<std::uint32_t>(bytes.size());
    f.ifindex = 1;
    w.fwd->handle({&f, 1});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World w;
  if (size < 2) return 0;
  const std::uint8_t ctl = data[0];
  w.clock.advance(std::chrono::milliseconds(100) * data[1]);
  w.active = (ctl & 0x80) == 0;
  if ((ctl & 0x20) != 0) open_connections(w);
  constexpr std::size_t kHead = 64;
  std::vector<std::uint8_t> buf(kHead + size - 2);
  std::memcpy(buf.data() + kHead, data + 2, size - 2);
  io::Frame f;
  f.data = {buf.data() + kHead, size - 2};
  f.headroom = kHead;
  f.wire_length = static_cast<std::uint32_t>(size - 2) + ((ctl & 0x40) != 0 ? 1 : 0);
  f.ifindex = (ctl & 0x03);
  f.checksum_not_ready = (ctl & 0x04) != 0;
  w.fwd->handle({&f, 1});
  if (f.action == io::Action::kTransmit) {
    const auto* lo = buf.data();
    const auto* hi = buf.data() + buf.size();
    const bool in_frame = f.out.data() >= lo && f.out.data() + f.out.size() <= hi;
    if (!in_frame && f.out.size() > 640) std::abort();  // scratch slots are 640 bytes
    if (f.egress > 1) std::abort();
    if (f.out.size() > 14u + 4u + 1500u) std::abort();
    // Segments of a super-frame live in the handler's storage; each one
    // must be exactly one IPv4 datagram (TCP, or IPIP for TUN) no longer
    // than its egress link's MTU (in0 takes 1400).
    const std::size_t mtu = f.egress == 0 ? 1500 : 1400;
    if (!f.burst.empty() && !f.out.empty()) std::abort();
    for (const auto seg : f.burst) {
      net::ParsedFrame sv;
      const auto bad = net::parse_frame(seg, net::ParseOptions{}, sv);
      const bool ipip = bad == net::DropReason::kUnsupportedProtocol && sv.ip.protocol == 4;
      if (bad != net::DropReason::kNone && !ipip) std::abort();
      if (sv.ip.total_len > mtu || sv.ip.offset + sv.ip.total_len != seg.size()) std::abort();
    }
  }
  (void)steer(f.data, SteeringSpec{{ip("198.18.0.100")}, 0xFFFFFFFFu, 3});
  if (!w.fwd->shard().audit().empty()) std::abort();
  return 0;
}
