#include <gtest/gtest.h>

#include <map>

#include "director/core/scheduler.h"
#include "tests/unit/director/sched_fixture.h"

namespace tandem::director {
namespace {

using testing::ServerSet;

SchedInput from(std::uint32_t src, std::uint16_t sport = 1234, std::uint32_t dst = 0xC6120A01u) {
  SchedInput in;
  in.src = net::Ipv4{src};
  in.sport = sport;
  in.dst = net::Ipv4{dst};
  in.dport = 80;
  return in;
}

std::unique_ptr<Scheduler> make(SchedulerKind k, ServerSet& s, SchedulerFlags f = {}) {
  auto sched = make_scheduler(k, f, 1, {});
  sched->update(s.list);
  return sched;
}

// hash_32(v, 8) of 198.18.0.x, worked out with (v * 0x61C88647) >> 24:
//   .1 -> 188   .2 -> 30   .4 -> 226   .5 -> 67   .6 -> 165
constexpr std::uint32_t kIp1 = 0xC6120001u, kIp2 = 0xC6120002u, kIp4 = 0xC6120004u,
                        kIp5 = 0xC6120005u, kIp6 = 0xC6120006u;

TEST(DestinationHash, BucketsRoundRobinOverServers) {
  ServerSet s;
  s.add(1);
  s.add(7);  // weight does not matter to dh
  s.add(1);
  auto dh = make(SchedulerKind::dh, s);
  // bucket i -> server i % 3: 188 -> C, 30 -> A, 226 -> B.
  EXPECT_EQ(s.name(dh->pick(s.list, from(9, 1, kIp1))), "C");
  EXPECT_EQ(s.name(dh->pick(s.list, from(9, 1, kIp2))), "A");
  EXPECT_EQ(s.name(dh->pick(s.list, from(9, 1, kIp4))), "B");
}

TEST(DestinationHash, UnusableBucketGivesNoServer) {
  ServerSet s;
  s.add(1);
  s.add(1);
  RealServer* c = s.add(1);
  auto dh = make(SchedulerKind::dh, s);
  c->overloaded = true;
  EXPECT_EQ(dh->pick(s.list, from(9, 1, kIp1)), nullptr);
  c->overloaded = false;
  c->config.weight = 0;
  EXPECT_EQ(dh->pick(s.list, from(9, 1, kIp1)), nullptr);
  EXPECT_EQ(s.name(dh->pick(s.list, from(9, 1, kIp2))), "A");
}

// Weights A2 B1 C3 fill buckets A A B C C C, repeating: bucket b -> b % 6.
TEST(SourceHash, WeightedConsecutiveBuckets) {
  ServerSet s;
  s.add(2);
  s.add(1);
  s.add(3);
  auto sh = make(SchedulerKind::sh, s);
  EXPECT_EQ(s.name(sh->pick(s.list, from(kIp1))), "B");  // 188 % 6 = 2
  EXPECT_EQ(s.name(sh->pick(s.list, from(kIp2))), "A");  // 30 % 6 = 0
  EXPECT_EQ(s.name(sh->pick(s.list, from(kIp4))), "C");  // 226 % 6 = 4
  EXPECT_EQ(s.name(sh->pick(s.list, from(kIp5))), "A");  // 67 % 6 = 1
  EXPECT_EQ(s.name(sh->pick(s.list, from(kIp6))), "C");  // 165 % 6 = 3
  // Source port is ignored without sh-port.
  EXPECT_EQ(s.name(sh->pick(s.list, from(kIp1, 1000))), "B");
}

TEST(SourceHash, PortFlagHashesSourcePortToo) {
  ServerSet s;
  s.add(2);
  s.add(1);
  s.add(3);
  auto sh = make(SchedulerKind::sh, s, {.fallback = false, .port = true});
  // hash_32(0xC6120001 + 1000) = 180; 180 % 6 = 0 -> A.
  EXPECT_EQ(s.name(sh->pick(s.list, from(kIp1, 1000))), "A");
}

TEST(SourceHash, NoFallbackMeansNoServer) {
  ServerSet s;
  s.add(2);
  RealServer* b = s.add(1);
  s.add(3);
  auto sh = make(SchedulerKind::sh, s);
  b->overloaded = true;
  EXPECT_EQ(sh->pick(s.list, from(kIp1)), nullptr);
}

TEST(SourceHash, FallbackWalksFromTwiceTheHash) {
  ServerSet s;
  RealServer* a = s.add(2);
  RealServer* b = s.add(1);
  s.add(3);
  auto sh = make(SchedulerKind::sh, s, {.fallback = true, .port = false});
  b->config.weight = 0;
  sh->update(s.list);  // weight 0 still holds one bucket
  // Walk starts at (0 + 2 * 188) % 256 = 120 -> 120 % 6 = 0 -> A.
  EXPECT_EQ(s.name(sh->pick(s.list, from(kIp1))), "A");
  a->overloaded = true;
  // 120 A, 121 A, 122 B all unusable; 123 -> C.
  EXPECT_EQ(s.name(sh->pick(s.list, from(kIp1))), "C");
}

TEST(SourceHash, ZeroWeightServerTakesOneBucket) {
  ServerSet s;
  s.add(0);
  s.add(1);
  auto sh = make(SchedulerKind::sh, s);
  EXPECT_EQ(sh->pick(s.list, from(kIp1)), nullptr);      // 188 even -> A (weight 0)
  EXPECT_EQ(s.name(sh->pick(s.list, from(kIp5))), "B");  // 67 odd -> B
}

std::map<std::string, int> spread(ServerSet& s, Scheduler& sched, int clients) {
  std::map<std::string, int> n;
  for (int i = 0; i < clients; ++i) {
    ++n[s.name(sched.pick(s.list, from(0x0A000000u + static_cast<std::uint32_t>(i) * 7919)))];
  }
  return n;
}

TEST(Maglev, EqualWeightsSpreadEvenly) {
  ServerSet s;
  for (int i = 0; i < 4; ++i) s.add(1);
  auto mh = make(SchedulerKind::mh, s);
  auto n = spread(s, *mh, 40000);
  ASSERT_EQ(n.size(), 4u);
  for (const auto& [name, count] : n) {
    EXPECT_GT(count, 9000) << name;
    EXPECT_LT(count, 11000) << name;
  }
}

TEST(Maglev, WeightsAreTurnsPerRound) {
  ServerSet s;
  s.add(1);
  s.add(3);
  auto mh = make(SchedulerKind::mh, s);
  auto n = spread(s, *mh, 40000);
  EXPECT_GT(n["B"], 2 * n["A"]);
  EXPECT_LT(n["B"], 4 * n["A"]);
}

TEST(Maglev, RemovalMovesLittleBesidesTheRemovedServer) {
  ServerSet s;
  for (int i = 0; i < 5; ++i) s.add(1);
  auto mh = make(SchedulerKind::mh, s);
  std::vector<const RealServer*> before;
  constexpr int kClients = 20000;
  for (int i = 0; i < kClients; ++i) before.push_back(mh->pick(s.list, from(0x0B000000u + i * 13)));
  RealServer* c = s.list[2];
  s.remove(c);
  mh->update(s.list);
  int moved_others = 0;
  for (int i = 0; i < kClients; ++i) {
    const RealServer* now = mh->pick(s.list, from(0x0B000000u + i * 13));
    ASSERT_NE(now, nullptr);
    EXPECT_NE(now, c);
    if (before[i] != c && now != before[i]) ++moved_others;
  }
  // Maglev's bound: a few percent of the untouched clients move.
  EXPECT_LT(moved_others, kClients / 20);
}

TEST(Maglev, QuiescedServerKeepsSlots) {
  ServerSet s;
  for (int i = 0; i < 4; ++i) s.add(2);
  auto mh = make(SchedulerKind::mh, s);
  auto fb = make(SchedulerKind::mh, s, {.fallback = true, .port = false});
  std::vector<const RealServer*> before;
  for (int i = 0; i < 4000; ++i) before.push_back(mh->pick(s.list, from(0x0C000000u + i)));
  RealServer* b = s.list[1];
  b->config.weight = 0;  // last_weight stays 2: the table is unchanged
  mh->update(s.list);
  fb->update(s.list);
  int to_b = 0;
  for (int i = 0; i < 4000; ++i) {
    const RealServer* now = mh->pick(s.list, from(0x0C000000u + i));
    if (before[i] == b) {
      ++to_b;
      EXPECT_EQ(now, nullptr);
      const RealServer* alt = fb->pick(s.list, from(0x0C000000u + i));
      ASSERT_NE(alt, nullptr);
      EXPECT_NE(alt, b);
    } else {
      EXPECT_EQ(now, before[i]);
    }
  }
  EXPECT_GT(to_b, 0);
}

TEST(Maglev, PortFlagSpreadsOneClientsPorts) {
  ServerSet s;
  for (int i = 0; i < 4; ++i) s.add(1);
  auto plain = make(SchedulerKind::mh, s);
  auto port = make(SchedulerKind::mh, s, {.fallback = false, .port = true});
  std::map<const RealServer*, int> a, b;
  for (std::uint16_t p = 1000; p < 1100; ++p) {
    ++a[plain->pick(s.list, from(kIp1, p))];
    ++b[port->pick(s.list, from(kIp1, p))];
  }
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(b.size(), 4u);
}

TEST(Maglev, NoServersOrAllZeroWeight) {
  ServerSet s;
  auto mh = make(SchedulerKind::mh, s);
  EXPECT_EQ(mh->pick(s.list, from(kIp1)), nullptr);
  s.add(0);
  mh->update(s.list);
  EXPECT_EQ(mh->pick(s.list, from(kIp1)), nullptr);
}

}  // namespace
}  // namespace tandem::director
