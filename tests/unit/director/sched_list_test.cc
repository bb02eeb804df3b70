#include <gtest/gtest.h>

#include <map>

#include "director/core/scheduler.h"
#include "tests/unit/director/sched_fixture.h"

namespace tandem::director {
namespace {

using testing::ServerSet;

std::unique_ptr<Scheduler> make(SchedulerKind k, ServerSet& s) {
  auto sched = make_scheduler(k, {}, 1, {});
  sched->update(s.list);
  return sched;
}

TEST(RoundRobin, CyclesInInsertionOrder) {
  ServerSet s;
  s.add(1);
  s.add(1);
  s.add(1);
  auto rr = make(SchedulerKind::rr, s);
  EXPECT_EQ(s.picks(*rr, 7), "ABCABCA");
}

TEST(RoundRobin, SkipsQuiescentAndOverloaded) {
  ServerSet s;
  s.add(1);
  s.add(0);
  RealServer* c = s.add(5);
  s.add(1);
  c->overloaded = true;
  auto rr = make(SchedulerKind::rr, s);
  EXPECT_EQ(s.picks(*rr, 4), "ADAD");
  c->overloaded = false;
  EXPECT_EQ(s.picks(*rr, 3), "ACD");
}

TEST(RoundRobin, NoEligibleServer) {
  ServerSet s;
  s.add(0);
  auto rr = make(SchedulerKind::rr, s);
  EXPECT_EQ(s.picks(*rr, 2), "--");
  ServerSet empty;
  auto rr2 = make(SchedulerKind::rr, empty);
  EXPECT_EQ(empty.picks(*rr2, 1), "-");
}

TEST(RoundRobin, RemovingLastChosenContinuesWithItsSuccessor) {
  ServerSet s;
  s.add(1);
  RealServer* b = s.add(1);
  s.add(1);
  s.add(1);
  auto rr = make(SchedulerKind::rr, s);
  EXPECT_EQ(s.picks(*rr, 2), "AB");
  s.remove(b);
  rr->update(s.list);
  EXPECT_EQ(s.picks(*rr, 3), "CDA");
}

TEST(WeightedRoundRobin, SpecSequenceA4B3C2) {
  ServerSet s;
  s.add(4);
  s.add(3);
  s.add(2);
  auto wrr = make(SchedulerKind::wrr, s);
  EXPECT_EQ(s.picks(*wrr, 9), "AABABCABC");
  EXPECT_EQ(s.picks(*wrr, 9), "AABABCABC");
}

TEST(WeightedRoundRobin, GcdSteps) {
  // gcd 2, max 4: mw = 4 - (2 - 1) = 3, cw runs 3, 1.
  ServerSet s;
  s.add(4);
  s.add(2);
  auto wrr = make(SchedulerKind::wrr, s);
  EXPECT_EQ(s.picks(*wrr, 6), "AABAAB");
}

TEST(WeightedRoundRobin, ZeroWeightNeverAndAllZeroNone) {
  ServerSet s;
  RealServer* a = s.add(2);
  s.add(0);
  s.add(1);
  auto wrr = make(SchedulerKind::wrr, s);
  EXPECT_EQ(s.picks(*wrr, 6), "AACAAC");
  a->config.weight = 0;
  s.list[2]->config.weight = 0;
  wrr->update(s.list);
  EXPECT_EQ(s.picks(*wrr, 2), "--");
}

TEST(WeightedRoundRobin, AllOverloadedTerminates) {
  ServerSet s;
  s.add(3)->overloaded = true;
  s.add(2)->overloaded = true;
  auto wrr = make(SchedulerKind::wrr, s);
  EXPECT_EQ(s.picks(*wrr, 3), "---");
  s.list[1]->overloaded = false;
  EXPECT_EQ(s.picks(*wrr, 2), "BB");
}

TEST(WeightedRoundRobin, WeightChangeRestartsFromHead) {
  ServerSet s;
  s.add(1);
  s.add(1);
  auto wrr = make(SchedulerKind::wrr, s);
  EXPECT_EQ(s.picks(*wrr, 1), "A");
  s.list[1]->config.weight = 3;
  wrr->update(s.list);
  // cw stays 1 (<= new max): A, B; then cw cycles 3, 2, 1.
  EXPECT_EQ(s.picks(*wrr, 8), "ABBBABBB");
}

TEST(LeastConnection, OverheadIsActiveTimes256PlusInactive) {
  ServerSet s;
  RealServer* a = s.add(1);
  RealServer* b = s.add(100);
  a->active = 1;  // 256
  b->inactive = 255;
  auto lc = make(SchedulerKind::lc, s);
  EXPECT_EQ(s.picks(*lc, 1), "B");  // weight is ignored by lc
  b->inactive = 256;
  EXPECT_EQ(s.picks(*lc, 1), "A");  // tie: first in list wins
}

TEST(LeastConnection, SkipsQuiescentAndOverloaded) {
  ServerSet s;
  s.add(0);
  s.add(1)->overloaded = true;
  RealServer* c = s.add(1);
  c->active = 50;
  auto lc = make(SchedulerKind::lc, s);
  EXPECT_EQ(s.picks(*lc, 1), "C");
}

TEST(WeightedLeastConnection, CrossMultipliedRatio) {
  ServerSet s;
  RealServer* a = s.add(1);
  RealServer* b = s.add(3);
  a->active = 1;  // 256 / 1
  b->active = 3;  // 768 / 3 -> equal, first wins
  auto wlc = make(SchedulerKind::wlc, s);
  EXPECT_EQ(s.picks(*wlc, 1), "A");
  b->inactive = 0;
  b->active = 2;  // 512/3 < 256
  EXPECT_EQ(s.picks(*wlc, 1), "B");
}

TEST(WeightedLeastConnection, EmptyServersGetFilledByWeight) {
  ServerSet s;
  RealServer* a = s.add(1);
  RealServer* b = s.add(2);
  auto wlc = make(SchedulerKind::wlc, s);
  std::string seq;
  for (int i = 0; i < 6; ++i) {
    RealServer* d = wlc->pick(s.list, {});
    seq += s.name(d);
    ++d->active;
  }
  // 0/1 vs 0/2: A (first); then 256/1 vs 0/2: B; 256 vs 256/2: B; 256 vs 512/2: A (tie, first);
  // 512 vs 512/2: B; 512 vs 768/2: B.
  EXPECT_EQ(seq, "ABBABB");
  EXPECT_EQ(a->active, 2);
  EXPECT_EQ(b->active, 4);
}

TEST(ShortestExpectedDelay, UsesActivePlusOne) {
  ServerSet s;
  RealServer* a = s.add(1);
  RealServer* b = s.add(3);
  a->inactive = 1000;  // sed ignores inactive
  auto sed = make(SchedulerKind::sed, s);
  // (0+1)/1 vs (0+1)/3 -> B
  EXPECT_EQ(s.picks(*sed, 1), "B");
  b->active = 2;  // 3/3 == 1/1: tie, first (A)
  EXPECT_EQ(s.picks(*sed, 1), "A");
  b->active = 1;  // 2/3 < 1
  EXPECT_EQ(s.picks(*sed, 1), "B");
}

TEST(NeverQueue, IdleServerFirstElseSed) {
  ServerSet s;
  RealServer* a = s.add(1);
  RealServer* b = s.add(10);
  RealServer* c = s.add(1);
  a->active = 1;
  b->active = 1;
  auto nq = make(SchedulerKind::nq, s);
  EXPECT_EQ(s.picks(*nq, 1), "C");  // idle beats a much heavier server
  c->active = 1;
  EXPECT_EQ(s.picks(*nq, 1), "B");  // 2/10 < 2/1
  c->config.weight = 0;
  c->active = 0;
  EXPECT_EQ(s.picks(*nq, 1), "B");  // quiescent idle server is not eligible
}

TEST(WeightedFailover, HighestWeightFirstOfEquals) {
  ServerSet s;
  s.add(2);
  RealServer* b = s.add(5);
  s.add(5);
  auto fo = make(SchedulerKind::fo, s);
  EXPECT_EQ(s.picks(*fo, 2), "BB");
  b->overloaded = true;
  EXPECT_EQ(s.picks(*fo, 1), "C");
}

TEST(Overflow, HighestWeightWithActiveAtMostWeight) {
  ServerSet s;
  RealServer* a = s.add(2);
  s.add(1);
  auto ovf = make(SchedulerKind::ovf, s);
  a->active = 2;
  EXPECT_EQ(s.picks(*ovf, 1), "A");  // 2 <= 2
  a->active = 3;
  EXPECT_EQ(s.picks(*ovf, 1), "B");
  s.list[1]->active = 2;
  EXPECT_EQ(s.picks(*ovf, 1), "-");
}

TEST(TwoChoices, DeterministicForSeedAndOnlyEligible) {
  ServerSet s;
  s.add(1);
  s.add(0);
  s.add(3);
  auto t1 = make_scheduler(SchedulerKind::twos, {}, 42, {});
  auto t2 = make_scheduler(SchedulerKind::twos, {}, 42, {});
  t1->update(s.list);
  t2->update(s.list);
  const std::string a = s.picks(*t1, 50);
  EXPECT_EQ(a, s.picks(*t2, 50));
  EXPECT_EQ(a.find('B'), std::string::npos);
  EXPECT_NE(a.find('A'), std::string::npos);
  EXPECT_NE(a.find('C'), std::string::npos);
}

TEST(TwoChoices, KeepsTheLessLoadedOfTwo) {
  ServerSet s;
  RealServer* a = s.add(1);
  RealServer* b = s.add(1);
  a->active = 10;
  auto t = make_scheduler(SchedulerKind::twos, {}, 7, {});
  t->update(s.list);
  std::map<std::string, int> n;
  for (int i = 0; i < 200; ++i) ++n[s.name(t->pick(s.list, {}))];
  // A is only chosen when both draws land on A.
  EXPECT_GT(n["B"], n["A"]);
  b->config.weight = 0;
  EXPECT_EQ(s.picks(*t, 3), "AAA");
}

}  // namespace
}  // namespace tandem::director
