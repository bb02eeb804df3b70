// The adapter against a real kernel: two namespaces joined by two veth
// pairs, A (a1, a2) <-> B (b1, b2). A plays the network with plain AF_PACKET
// sockets; B runs our rings. Addresses in the frames are 198.18.0.0/15 only.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "director/io/socket_util.h"
#include "director/io/worker.h"
#include "tests/integration/dirio/netns.h"

namespace tandem::director::io {
namespace {

using testing::InNetns;
using testing::Netns;
using Bytes = std::vector<std::uint8_t>;

// Bounds a hang only; no test depends on how fast anything is.
constexpr auto kPatience = std::chrono::seconds(20);

// A plain packet socket in one namespace, bound to one interface.
class PlainSocket {
 public:
  PlainSocket(const Netns& ns, const std::string& dev) {
    InNetns in(ns);
    fd_ = UniqueFd(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)));
    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_protocol = htons(ETH_P_ALL);
    addr.sll_ifindex = static_cast<int>(if_nametoindex(dev.c_str()));
    const int one = 1;
    const int big = 8 << 20;
    ok_ = in.ok() && fd_.get() >= 0 && addr.sll_ifindex > 0 &&
          ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
          ::setsockopt(fd_.get(), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) == 0 &&
          ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) == 0;
  }
  bool ok() const { return ok_; }

  bool send(const Bytes& frame) {
    return ::send(fd_.get(), frame.data(), frame.size(), 0) == static_cast<ssize_t>(frame.size());
  }

  // Frames that arrive until `count` are in or the patience runs out.
  std::vector<Bytes> receive(std::size_t count) {
    std::vector<Bytes> out;
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      Bytes buf(2048);
      const ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), MSG_DONTWAIT);
      if (n <= 0) continue;
      buf.resize(static_cast<std::size_t>(n));
      out.push_back(std::move(buf));
    }
    return out;
  }

  // Whatever else arrives within `quiet` (for "nothing more came" checks).
  std::size_t drain(std::chrono::milliseconds quiet) {
    std::size_t n = 0;
    pollfd p{fd_.get(), POLLIN, 0};
    while (::poll(&p, 1, static_cast<int>(quiet.count())) > 0) {
      char buf[2048];
      if (::recv(fd_.get(), buf, sizeof(buf), MSG_DONTWAIT) > 0) ++n;
    }
    return n;
  }

 private:
  UniqueFd fd_;
  bool ok_ = false;
};

// Ethernet + IPv4 + UDP, 198.18.1.1:sport -> dst:9, payload carrying `seq`.
Bytes udp_frame(const Bytes& dmac, std::uint32_t seq, std::uint32_t dst = 0xC612000A,
                std::size_t payload = 32) {
  Bytes f(42 + payload, 0);
  std::memcpy(f.data(), dmac.data(), 6);
  const std::uint8_t smac[6] = {0x02, 0x00, 0xc6, 0x12, 0x01, 0x01};
  std::memcpy(f.data() + 6, smac, 6);
  f[12] = 0x08;
  const std::uint16_t total = static_cast<std::uint16_t>(28 + payload);
  const std::uint8_t ip[20] = {0x45,
                               0,
                               static_cast<std::uint8_t>(total >> 8),
                               static_cast<std::uint8_t>(total),
                               0,
                               0,
                               0x40,
                               0,
                               64,
                               17,
                               0,
                               0,
                               0xc6,
                               0x12,
                               0x01,
                               0x01,
                               static_cast<std::uint8_t>(dst >> 24),
                               static_cast<std::uint8_t>(dst >> 16),
                               static_cast<std::uint8_t>(dst >> 8),
                               static_cast<std::uint8_t>(dst)};
  std::memcpy(f.data() + 14, ip, 20);
  const std::uint16_t sport = static_cast<std::uint16_t>(10000 + seq);
  f[34] = static_cast<std::uint8_t>(sport >> 8);
  f[35] = static_cast<std::uint8_t>(sport);
  f[37] = 9;
  f[38] = static_cast<std::uint8_t>((8 + payload) >> 8);
  f[39] = static_cast<std::uint8_t>(8 + payload);
  std::memcpy(f.data() + 42, &seq, 4);
  for (std::size_t i = 46; i < f.size(); ++i) f[i] = static_cast<std::uint8_t>(i ^ seq);
  return f;
}

std::uint32_t seq_of(const Bytes& f) {
  std::uint32_t seq = 0;
  if (f.size() >= 46) std::memcpy(&seq, f.data() + 42, 4);
  return seq;
}

// Keeps a copy of every frame; optionally sends it on with a new dst MAC.
class Collector final : public BatchHandler {
 public:
  explicit Collector(std::optional<Bytes> forward_to = std::nullopt, std::uint16_t port = 0)
      : forward_to_(std::move(forward_to)), port_(port) {}
  void handle(std::span<Frame> frames) noexcept override {
    for (Frame& f : frames) {
      seen.emplace_back(f.data.begin(), f.data.end());
      if (forward_to_) {
        std::memcpy(f.data.data(), forward_to_->data(), 6);
        f.transmit(port_);
      }
    }
  }
  std::vector<Bytes> seen;

 private:
  std::optional<Bytes> forward_to_;
  std::uint16_t port_;
};

class RingIo : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces";
    a_ = std::make_unique<Netns>("dirio-it-a");
    b_ = std::make_unique<Netns>("dirio-it-b");
    ASSERT_TRUE(a_->ok() && b_->ok());
    ASSERT_TRUE(testing::make_veth(*a_, "a1", *b_, "b1"));
    ASSERT_TRUE(testing::make_veth(*a_, "a2", *b_, "b2"));
    b1_mac_ = testing::link_mac(*b_, "b1");
    a2_mac_ = testing::link_mac(*a_, "a2");
    ASSERT_EQ(b1_mac_.size(), 6U);
    ASSERT_EQ(a2_mac_.size(), 6U);
  }
  void TearDown() override {
    b_.reset();
    a_.reset();
  }

  std::unique_ptr<Worker> open_worker(WorkerConfig c) {
    InNetns in(*b_);
    EXPECT_TRUE(in.ok());
    auto w = Worker::open(c);
    EXPECT_TRUE(w.ok()) << (w.ok() ? "" : w.error().message);
    return w.ok() ? std::move(*w) : nullptr;
  }

  // Polls the worker until it has handled `count` frames (or patience ends).
  static void pump(Worker& w, BatchHandler& h, std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (w.stats().rx_frames < count && std::chrono::steady_clock::now() < deadline)
      w.poll_once(h, 50);
  }

  static WorkerConfig rx_on(const std::string& dev) {
    WorkerConfig c;
    c.rx.interface.name = dev;
    c.rx.ring.block_size = 1U << 16;
    c.rx.ring.block_count = 8;
    c.rx.ring.block_timeout_ms = 2;
    return c;
  }

  std::unique_ptr<Netns> a_, b_;
  Bytes b1_mac_, a2_mac_;
};

TEST_F(RingIo, ReceivesEveryFrameByteExact) {
  auto w = open_worker(rx_on("b1"));
  ASSERT_TRUE(w);
  PlainSocket tx(*a_, "a1");
  ASSERT_TRUE(tx.ok());
  constexpr std::uint32_t kCount = 300;
  std::vector<Bytes> sent;
  for (std::uint32_t i = 0; i < kCount; ++i) {
    sent.push_back(udp_frame(b1_mac_, i, 0xC612000A, 18 + i % 200));
    ASSERT_TRUE(tx.send(sent.back()));
  }
  Collector c;
  pump(*w, c, kCount);
  ASSERT_EQ(c.seen.size(), kCount);
  for (std::uint32_t i = 0; i < kCount; ++i) EXPECT_EQ(c.seen[i], sent[i]) << i;
  const IoStats s = w->stats();
  EXPECT_EQ(s.rx_frames, kCount);
  EXPECT_EQ(s.handler_drops, kCount);
  EXPECT_EQ(s.rx_bad_blocks, 0U);
  EXPECT_EQ(s.tx_frames, 0U);
}

class RingEcho : public RingIo, public ::testing::WithParamInterface<TxMode> {};

// In on b1, out on b2 with the destination MAC rewritten: what a DR
// director does to a frame, minus the decision.
TEST_P(RingEcho, SendsEveryFrameOutTheOtherInterface) {
  WorkerConfig cfg = rx_on("b1");
  TxConfig out;
  out.interface.name = "b2";
  out.mode = GetParam();
  out.ring.frame_count = 64;  // fewer slots than frames: the ring must wrap
  out.batch = 16;
  cfg.tx.push_back(out);
  auto w = open_worker(cfg);
  ASSERT_TRUE(w);
  PlainSocket tx(*a_, "a1");
  PlainSocket rx(*a_, "a2");
  ASSERT_TRUE(tx.ok() && rx.ok());

  constexpr std::uint32_t kCount = 400;
  std::map<std::uint32_t, Bytes> expected;
  Collector echo(a2_mac_);
  for (std::uint32_t round = 0; round < 4; ++round) {
    for (std::uint32_t i = round * 100; i < (round + 1) * 100; ++i) {
      Bytes f = udp_frame(b1_mac_, i, 0xC612000A, 18 + (i * 13) % 1400);
      ASSERT_TRUE(tx.send(f));
      std::memcpy(f.data(), a2_mac_.data(), 6);
      expected[i] = f;
    }
    pump(*w, echo, (round + 1) * 100);
  }
  auto got = rx.receive(kCount);
  ASSERT_EQ(got.size(), kCount);
  std::set<std::uint32_t> seqs;
  for (const Bytes& f : got) {
    const std::uint32_t seq = seq_of(f);
    ASSERT_TRUE(expected.count(seq)) << seq;
    EXPECT_EQ(f, expected[seq]) << seq;
    seqs.insert(seq);
  }
  EXPECT_EQ(seqs.size(), kCount);
  EXPECT_EQ(rx.drain(std::chrono::milliseconds(200)), 0U);
  const IoStats s = w->stats();
  EXPECT_EQ(s.rx_frames, kCount);
  EXPECT_EQ(s.tx_frames, kCount);
  EXPECT_EQ(s.tx_errors, 0U);
  EXPECT_EQ(s.tx_full, 0U);
  EXPECT_EQ(s.handler_drops, 0U);
}

INSTANTIATE_TEST_SUITE_P(Modes, RingEcho, ::testing::Values(TxMode::kRing, TxMode::kSendmmsg),
                         [](const auto& param_info) {
                           return param_info.param == TxMode::kRing ? "TxRing" : "Sendmmsg";
                         });

// Sent back out of the interface it came in on: with PACKET_IGNORE_OUTGOING
// the ring must not see its own transmissions.
TEST_F(RingIo, DoesNotReceiveItsOwnTransmissions) {
  WorkerConfig cfg = rx_on("b1");
  TxConfig out;
  out.interface.name = "b1";
  cfg.tx.push_back(out);
  auto w = open_worker(cfg);
  ASSERT_TRUE(w);
  PlainSocket peer(*a_, "a1");
  ASSERT_TRUE(peer.ok());
  const Bytes a1_mac = testing::link_mac(*a_, "a1");
  constexpr std::uint32_t kCount = 50;
  for (std::uint32_t i = 0; i < kCount; ++i) ASSERT_TRUE(peer.send(udp_frame(b1_mac_, i)));
  Collector echo(a1_mac);
  pump(*w, echo, kCount);
  EXPECT_EQ(peer.receive(kCount).size(), kCount);
  // Give any looped-back copy time to show up, then look.
  for (int i = 0; i < 10; ++i) w->poll_once(echo, 20);
  EXPECT_EQ(w->stats().rx_frames, kCount);
  EXPECT_EQ(w->stats().tx_frames, kCount);
}

TEST_F(RingIo, FilterPassesOnlyVipTraffic) {
  WorkerConfig cfg = rx_on("b1");
  cfg.rx.filter = FilterSpec{{net::Ipv4{0xC612000A}}, {}};
  auto w = open_worker(cfg);
  ASSERT_TRUE(w);
  PlainSocket tx(*a_, "a1");
  ASSERT_TRUE(tx.ok());
  for (std::uint32_t i = 0; i < 100; ++i)
    ASSERT_TRUE(tx.send(udp_frame(b1_mac_, i, i % 2 == 0 ? 0xC612000A : 0xC612000B)));
  Collector c;
  pump(*w, c, 50);
  for (int i = 0; i < 10; ++i) w->poll_once(c, 20);
  ASSERT_EQ(c.seen.size(), 50U);
  for (const Bytes& f : c.seen) EXPECT_EQ(seq_of(f) % 2, 0U);
}

class CountingHandler final : public BatchHandler {
 public:
  void handle(std::span<Frame> frames) noexcept override {
    for (const Frame& f : frames) seqs.push_back(seq_of(Bytes(f.data.begin(), f.data.end())));
  }
  std::vector<std::uint32_t> seqs;  // read only after the worker stopped
};

TEST_F(RingIo, FanoutWorkersShareFramesExactlyOnce) {
  GroupConfig g;
  g.worker = rx_on("b1");
  g.workers = 2;
  g.fanout = FanoutMode::kHash;
  std::unique_ptr<WorkerGroup> group;
  {
    InNetns in(*b_);
    ASSERT_TRUE(in.ok());
    auto opened = WorkerGroup::open(g);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    group = std::move(*opened);
  }
  CountingHandler h0, h1;
  BatchHandler* handlers[] = {&h0, &h1};
  ASSERT_FALSE(group->start(handlers).has_value());

  PlainSocket tx(*a_, "a1");
  ASSERT_TRUE(tx.ok());
  constexpr std::uint32_t kCount = 1000;  // 1000 flows: distinct source ports
  for (std::uint32_t i = 0; i < kCount; ++i) ASSERT_TRUE(tx.send(udp_frame(b1_mac_, i)));
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (group->stats().rx_frames < kCount && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let any duplicate land
  group->stop();

  EXPECT_EQ(group->stats().rx_frames, kCount);
  EXPECT_EQ(group->stats().kernel_drops, 0U);
  EXPECT_GT(h0.seqs.size(), 0U);
  EXPECT_GT(h1.seqs.size(), 0U);
  std::multiset<std::uint32_t> all(h0.seqs.begin(), h0.seqs.end());
  all.insert(h1.seqs.begin(), h1.seqs.end());
  ASSERT_EQ(all.size(), kCount);
  for (std::uint32_t i = 0; i < kCount; ++i) EXPECT_EQ(all.count(i), 1U) << i;
}

TEST_F(RingIo, SetupErrorsNameTheCauseAndDoNotThrow) {
  InNetns in(*b_);
  WorkerConfig c = rx_on("nosuchdev0");
  auto w = Worker::open(c);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.error().message.find("nosuchdev0"), std::string::npos) << w.error().message;
  c = rx_on("b1");
  c.rx.ring.block_size = 5000;
  w = Worker::open(c);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.error().message.find("block_size"), std::string::npos) << w.error().message;
}

}  // namespace
}  // namespace tandem::director::io
