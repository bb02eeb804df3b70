// Two (or more) instances exchanging real encoded adverts over a fake network
// with a fake clock: every advert goes through encode, check_receive and the
// state machine, so the properties below hold for the whole receive path.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <vector>

#include "vrrpd/core/instance.h"
#include "vrrpd/core/receive.h"

namespace tandem::vrrp {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class Sim {
 public:
  struct Node {
    InstanceConfig config;
    std::unique_ptr<Instance> inst;
    bool alive = false;
    std::optional<TimePoint> deadline;
  };

  Duration latency = milliseconds(1);
  bool partitioned = false;

  std::size_t add(std::uint8_t priority, std::uint32_t host, bool preempt = true,
                  Duration interval = seconds(1)) {
    Node n;
    n.config.vrid = 51;
    n.config.priority = priority;
    n.config.primary = net::Ipv4{0xC6120000 + host};
    n.config.addresses = {net::Ipv4{0xC6120064}};
    n.config.preempt = preempt;
    n.config.advert_interval = interval;
    n.config.tracks = {{"uplink", 0, true}};
    nodes_.push_back(std::move(n));
    return nodes_.size() - 1;
  }

  void start(std::size_t i) {
    Node& n = nodes_[i];
    n.inst = std::make_unique<Instance>(n.config);
    n.alive = true;
    apply(i, n.inst->startup(now_));
  }
  void crash(std::size_t i) {
    nodes_[i].alive = false;
    nodes_[i].deadline.reset();
    observe();
  }
  void stop(std::size_t i) {
    apply(i, nodes_[i].inst->shutdown(now_));
    nodes_[i].alive = false;
  }
  void set_track(std::size_t i, bool up) { apply(i, nodes_[i].inst->track_changed(now_, 0, up)); }

  void run_for(Duration d) {
    const TimePoint end = now_ + d;
    for (;;) {
      std::optional<TimePoint> next;
      for (const Node& n : nodes_) {
        if (n.alive && n.deadline && (!next || *n.deadline < *next)) next = n.deadline;
      }
      auto pkt = std::min_element(wire_.begin(), wire_.end(),
                                  [](const auto& a, const auto& b) { return a.at < b.at; });
      const bool packet_first = pkt != wire_.end() && (!next || pkt->at <= *next);
      const TimePoint t = packet_first ? pkt->at : next.value_or(end + Duration{1});
      if (t > end) break;
      now_ = t;
      if (packet_first) {
        InFlight p = std::move(*pkt);
        wire_.erase(pkt);
        deliver(p);
      } else {
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
          if (nodes_[i].alive && nodes_[i].deadline && *nodes_[i].deadline <= now_) {
            apply(i, nodes_[i].inst->on_timer(now_));
          }
        }
      }
    }
    now_ = end;
    observe();
  }

  int masters() const {
    return static_cast<int>(std::count_if(nodes_.begin(), nodes_.end(), [](const Node& n) {
      return n.alive && n.inst->state() == State::kMaster;
    }));
  }
  State state(std::size_t i) const { return nodes_[i].inst->state(); }
  Duration worst_dual_master() const { return worst_dual_; }
  Duration time_without_master(TimePoint from) const {
    return no_master_ +
           (no_master_since_ && *no_master_since_ > from ? now_ - *no_master_since_ : Duration{0});
  }
  TimePoint now() const { return now_; }
  int drops() const { return drops_; }
  // Forget what was measured so far; a condition that holds now is timed from now.
  void reset_watch() {
    worst_dual_ = Duration{0};
    no_master_ = Duration{0};
    if (dual_since_) dual_since_ = now_;
    if (no_master_since_) no_master_since_ = now_;
  }

 private:
  struct InFlight {
    TimePoint at;
    std::size_t to;
    net::Ipv4 src;
    std::vector<std::uint8_t> bytes;
  };

  void apply(std::size_t i, const Output& o) {
    Node& n = nodes_[i];
    for (const Action& a : o.actions) {
      if (a.kind != ActionKind::kSendAdvert || partitioned) continue;
      std::vector<std::uint8_t> bytes(kMaxMessageSize);
      bytes.resize(encode(n.inst->make_advert(a.priority), n.config.primary,
                          net::Ipv4{kMulticastGroup}, bytes));
      for (std::size_t j = 0; j < nodes_.size(); ++j) {
        if (j != i) wire_.push_back({now_ + latency, j, n.config.primary, bytes});
      }
    }
    n.deadline = o.next_deadline;
    observe();
  }

  void deliver(const InFlight& p) {
    Node& n = nodes_[p.to];
    if (!n.alive) return;
    RxInstance rx;
    rx.vrid = n.config.vrid;
    rx.priority = n.config.priority;
    rx.interval = static_cast<std::uint16_t>(n.config.advert_interval / milliseconds(10));
    rx.addresses = n.config.addresses.view();
    rx.primary = n.config.primary;
    RxPacket pkt{p.src, net::Ipv4{kMulticastGroup}, kTtl, {}, p.bytes};
    RxResult r = check_receive(pkt, std::span(&rx, 1));
    if (r.error != RxError::kOk) {
      ++drops_;
      return;
    }
    apply(p.to, n.inst->advert_received(now_, r.advert, p.src));
  }

  void observe() {
    const int m = masters();
    if (m >= 2 && !dual_since_) dual_since_ = now_;
    if (m < 2 && dual_since_) {
      worst_dual_ = std::max(worst_dual_, now_ - *dual_since_);
      dual_since_.reset();
    }
    if (m == 0 && !no_master_since_) no_master_since_ = now_;
    if (m > 0 && no_master_since_) {
      no_master_ += now_ - *no_master_since_;
      no_master_since_.reset();
    }
  }

  std::vector<Node> nodes_;
  std::vector<InFlight> wire_;
  TimePoint now_{};
  std::optional<TimePoint> dual_since_;
  std::optional<TimePoint> no_master_since_;
  Duration worst_dual_{0};
  Duration no_master_{0};
  int drops_ = 0;
};

TEST(VrrpTwoNode, SimultaneousStartEqualPriorityElectsHigherAddress) {
  Sim sim;
  auto a = sim.add(100, 1), b = sim.add(100, 2);
  sim.start(a);
  sim.start(b);
  sim.run_for(seconds(30));
  EXPECT_EQ(sim.state(a), State::kBackup);
  EXPECT_EQ(sim.state(b), State::kMaster);
  EXPECT_LE(sim.worst_dual_master(), seconds(1));
  EXPECT_EQ(sim.drops(), 0);
}

TEST(VrrpTwoNode, HigherPriorityPreemptsALaterStart) {
  Sim sim;
  auto lo = sim.add(100, 1), hi = sim.add(200, 2);
  sim.start(lo);
  sim.run_for(seconds(10));
  ASSERT_EQ(sim.state(lo), State::kMaster);
  sim.start(hi);
  sim.run_for(seconds(10));
  EXPECT_EQ(sim.state(hi), State::kMaster);
  EXPECT_EQ(sim.state(lo), State::kBackup);
  EXPECT_LE(sim.worst_dual_master(), seconds(1));
}

TEST(VrrpTwoNode, NoPreemptLeavesTheLowerMasterInPlace) {
  Sim sim;
  auto lo = sim.add(100, 1), hi = sim.add(200, 2, /*preempt=*/false);
  sim.start(lo);
  sim.run_for(seconds(10));
  sim.start(hi);
  sim.run_for(seconds(60));
  EXPECT_EQ(sim.state(lo), State::kMaster);
  EXPECT_EQ(sim.state(hi), State::kBackup);
  EXPECT_EQ(sim.worst_dual_master(), Duration{0});
}

TEST(VrrpTwoNode, CrashedMasterIsReplacedWithinMasterDownInterval) {
  Sim sim;
  auto hi = sim.add(200, 1), lo = sim.add(100, 2);
  sim.start(hi);
  sim.start(lo);
  sim.run_for(seconds(10));
  ASSERT_EQ(sim.state(hi), State::kMaster);
  sim.reset_watch();
  const TimePoint crash = sim.now();
  sim.crash(hi);
  sim.run_for(seconds(10));
  EXPECT_EQ(sim.state(lo), State::kMaster);
  // Master_Down_Interval for priority 100: 3 s + 156/256 s, from its last advert.
  EXPECT_LE(sim.time_without_master(crash), seconds(3) + milliseconds(610));
  sim.start(hi);  // comes back and preempts
  sim.run_for(seconds(10));
  EXPECT_EQ(sim.state(hi), State::kMaster);
  EXPECT_EQ(sim.state(lo), State::kBackup);
  EXPECT_LE(sim.worst_dual_master(), seconds(1));
}

TEST(VrrpTwoNode, GracefulShutdownHandsOverWithinSkew) {
  Sim sim;
  auto hi = sim.add(200, 1), lo = sim.add(100, 2);
  sim.start(hi);
  sim.start(lo);
  sim.run_for(seconds(10));
  sim.reset_watch();
  const TimePoint stop = sim.now();
  sim.stop(hi);
  sim.run_for(seconds(5));
  EXPECT_EQ(sim.state(lo), State::kMaster);
  // Priority 0 seen after 1 ms, then Skew_Time = 156/256 s.
  EXPECT_LE(sim.time_without_master(stop), milliseconds(1) + milliseconds(610));
}

TEST(VrrpTwoNode, FaultHandsOverAndRecoveryPreemptsBack) {
  Sim sim;
  auto hi = sim.add(200, 1), lo = sim.add(100, 2);
  sim.start(hi);
  sim.start(lo);
  sim.run_for(seconds(10));
  ASSERT_EQ(sim.state(hi), State::kMaster);
  sim.reset_watch();
  const TimePoint fault = sim.now();
  sim.set_track(hi, false);  // its uplink (a weight-0 track) goes down
  EXPECT_EQ(sim.state(hi), State::kFault);
  sim.run_for(seconds(5));
  EXPECT_EQ(sim.state(lo), State::kMaster);
  // The resigning master sent priority 0: only Skew_Time without a master.
  EXPECT_LE(sim.time_without_master(fault), milliseconds(1) + milliseconds(610));
  sim.set_track(hi, true);
  EXPECT_EQ(sim.state(hi), State::kBackup);
  sim.run_for(seconds(10));
  EXPECT_EQ(sim.state(hi), State::kMaster);
  EXPECT_EQ(sim.state(lo), State::kBackup);
  EXPECT_LE(sim.worst_dual_master(), seconds(1));
}

TEST(VrrpTwoNode, PartitionHealsToOneMasterWithinAnInterval) {
  Sim sim;
  auto a = sim.add(150, 1), b = sim.add(100, 2);
  sim.start(a);
  sim.start(b);
  sim.run_for(seconds(10));
  sim.partitioned = true;
  sim.run_for(seconds(10));
  EXPECT_EQ(sim.masters(), 2);  // expected split brain while cut off
  sim.partitioned = false;
  sim.reset_watch();
  sim.run_for(seconds(10));
  EXPECT_EQ(sim.masters(), 1);
  EXPECT_EQ(sim.state(a), State::kMaster);
  EXPECT_LE(sim.worst_dual_master(), seconds(1));
}

// Many random start offsets, priorities, latencies and intervals: after both
// are up, two masters never coexist for longer than one advert interval, and
// the higher priority ends up master.
TEST(VrrpTwoNode, RandomisedStartsNeverKeepTwoMasters) {
  std::mt19937 rng(5798);
  for (int run = 0; run < 300; ++run) {
    Sim sim;
    std::uniform_int_distribution<int> prio(1, 254), offset_ms(0, 5000), lat_us(1, 20000),
        iv_cs(10, 200);
    const int pa = prio(rng), pb = rng() % 4 == 0 ? pa : prio(rng);
    const Duration interval = milliseconds(10) * iv_cs(rng);
    auto a = sim.add(static_cast<std::uint8_t>(pa), 1, true, interval);
    auto b = sim.add(static_cast<std::uint8_t>(pb), 2, true, interval);
    sim.latency = std::chrono::microseconds(lat_us(rng));
    sim.start(a);
    sim.run_for(milliseconds(offset_ms(rng)));
    sim.reset_watch();
    sim.start(b);
    sim.run_for(interval * 40);
    ASSERT_LE(sim.worst_dual_master(), interval) << "run " << run;
    ASSERT_EQ(sim.masters(), 1) << "run " << run;
    // On a tie the first master stays: a backup only preempts a lower priority.
    if (pa != pb) {
      EXPECT_EQ(sim.state(pb > pa ? b : a), State::kMaster) << "run " << run;
    }
  }
}

}  // namespace
}  // namespace tandem::vrrp
