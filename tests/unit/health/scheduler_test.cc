#include "healthd/core/scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

namespace tandem::health {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

CheckTiming timing(Duration interval, Duration retry, Duration timeout, Duration jit = {}) {
  return CheckTiming{interval, retry, timeout, jit};
}

TEST(CheckSchedule, WithoutJitterTheFirstRunIsDueAtOnce) {
  FakeClock clock(TimePoint{} + seconds(100));
  Rng rng(1);
  CheckSchedule s(timing(seconds(10), {}, seconds(5)), clock.now(), rng);
  EXPECT_EQ(s.next_due(), clock.now());
}

TEST(CheckSchedule, StartReturnsTheDeadline) {
  FakeClock clock;
  Rng rng(1);
  CheckSchedule s(timing(seconds(10), {}, seconds(3)), clock.now(), rng);
  EXPECT_EQ(s.start(clock.now()), clock.now() + seconds(3));
  EXPECT_TRUE(s.running());
}

TEST(CheckSchedule, AnEarlyStartKeepsTheDueCadenceAndAWholeTimeout) {
  FakeClock clock;
  Rng rng(1);
  CheckSchedule s(timing(seconds(10), {}, seconds(3)), clock.now(), rng);
  s.start(clock.now());
  s.finish(true, clock.now() + milliseconds(2));
  ASSERT_EQ(s.next_due(), TimePoint{} + seconds(10));
  // The loop starts it 4 ms before it is due, to share a wake-up.
  clock.advance(seconds(10) - milliseconds(4));
  EXPECT_EQ(s.start(clock.now()), clock.now() + seconds(3));
  s.finish(true, clock.now() + milliseconds(2));
  EXPECT_EQ(s.next_due(), TimePoint{} + seconds(20));  // not 20 s - 4 ms
  // A late start (the loop fell behind) still counts from when it ran.
  clock.advance(seconds(10) + milliseconds(4) + milliseconds(7));
  s.start(clock.now());
  s.finish(true, clock.now());
  EXPECT_EQ(s.next_due(), clock.now() + seconds(10));
}

TEST(CheckSchedule, SuccessKeepsTheCadenceOfStartTimes) {
  FakeClock clock;
  Rng rng(1);
  CheckSchedule s(timing(seconds(10), seconds(2), seconds(5)), clock.now(), rng);
  s.start(clock.now());
  clock.advance(milliseconds(1500));  // a slow check
  s.finish(true, clock.now());
  EXPECT_FALSE(s.running());
  EXPECT_EQ(s.next_due(), TimePoint{} + seconds(10));
}

TEST(CheckSchedule, FailureUsesTheRetryInterval) {
  FakeClock clock;
  Rng rng(1);
  CheckSchedule s(timing(seconds(10), seconds(2), seconds(5)), clock.now(), rng);
  s.start(clock.now());
  s.finish(false, clock.now() + milliseconds(10));
  EXPECT_EQ(s.next_due(), TimePoint{} + seconds(2));
}

TEST(CheckSchedule, FailureWithoutRetryIntervalUsesTheInterval) {
  FakeClock clock;
  Rng rng(1);
  CheckSchedule s(timing(seconds(10), {}, seconds(5)), clock.now(), rng);
  s.start(clock.now());
  s.finish(false, clock.now());
  EXPECT_EQ(s.next_due(), TimePoint{} + seconds(10));
}

TEST(CheckSchedule, NeverDueBeforeTheRunEnded) {
  FakeClock clock;
  Rng rng(1);
  CheckSchedule s(timing(seconds(1), {}, seconds(5)), clock.now(), rng);
  s.start(clock.now());
  clock.advance(seconds(4));  // timed out late, beyond one interval
  s.finish(false, clock.now());
  EXPECT_EQ(s.next_due(), clock.now());
}

TEST(CheckSchedule, RetimeBringsTheNextRunNoLaterThanTheNewInterval) {
  FakeClock clock;
  Rng rng(1);
  CheckSchedule s(timing(seconds(60), {}, seconds(5)), clock.now(), rng);
  s.start(clock.now());
  s.finish(true, clock.now());
  ASSERT_EQ(s.next_due(), TimePoint{} + seconds(60));
  clock.advance(seconds(1));
  s.retime(timing(seconds(5), {}, seconds(2)), clock.now());
  EXPECT_EQ(s.next_due(), TimePoint{} + seconds(6));
  EXPECT_EQ(s.start(clock.now()), clock.now() + seconds(2));
}

TEST(Jitter, StaysWithinBoundsAndSpreads) {
  Rng rng(42);
  std::set<Duration::rep> seen;
  for (int i = 0; i < 1000; ++i) {
    const Duration j = jitter(seconds(2), rng);
    ASSERT_GE(j, Duration::zero());
    ASSERT_LE(j, seconds(2));
    seen.insert(j.count());
  }
  EXPECT_GT(seen.size(), 900u);  // not constant, not a handful of values
  EXPECT_EQ(jitter(Duration::zero(), rng), Duration::zero());
  EXPECT_EQ(jitter(-seconds(1), rng), Duration::zero());
}

TEST(Jitter, SameSeedSameSequence) {
  Rng a(7), b(7);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(jitter(seconds(9), a), jitter(seconds(9), b));
}

TEST(Jitter, OneNanosecondRangeHitsBothEnds) {
  Rng rng(3);
  std::set<Duration::rep> seen;
  for (int i = 0; i < 200; ++i) seen.insert(jitter(Duration(1), rng).count());
  EXPECT_EQ(seen, (std::set<Duration::rep>{0, 1}));
}

TEST(Scheduler, FirstRunsAreSpreadOverTheJitterWindow) {
  FakeClock clock;
  Scheduler sched(99);
  for (int i = 0; i < 50; ++i) {
    sched.add("m" + std::to_string(i), timing(seconds(10), {}, seconds(5), seconds(10)),
              clock.now());
  }
  const auto first = *sched.next_wakeup();
  EXPECT_GE(first, clock.now());
  EXPECT_LT(sched.due(clock.now() + seconds(5)).size(), 50u);
  EXPECT_EQ(sched.due(clock.now() + seconds(10)).size(), 50u);
}

TEST(Scheduler, DueListsIdleChecksEarliestFirst) {
  FakeClock clock;
  Scheduler sched(1);
  sched.add("b", timing(seconds(10), {}, seconds(5)), clock.now());
  sched.add("a", timing(seconds(3), {}, seconds(1)), clock.now());
  auto due = sched.due(clock.now());
  ASSERT_EQ(due.size(), 2u);
  sched.start("a", clock.now());
  sched.start("b", clock.now());
  EXPECT_THAT(sched.due(clock.now() + seconds(100)), IsEmpty());  // both running
  EXPECT_FALSE(sched.next_wakeup());
  sched.finish("a", true, clock.now());
  sched.finish("b", true, clock.now());
  EXPECT_EQ(*sched.next_wakeup(), clock.now() + seconds(3));
  EXPECT_THAT(sched.due(clock.now() + seconds(10)), ElementsAre("a", "b"));
  sched.remove("a");
  EXPECT_FALSE(sched.contains("a"));
  EXPECT_THAT(sched.due(clock.now() + seconds(10)), ElementsAre("b"));
}

TEST(Scheduler, IndexFollowsRetimeRemoveAndReplace) {
  FakeClock clock;
  Scheduler sched(1);
  sched.add("a", timing(seconds(60), {}, seconds(1)), clock.now());
  sched.start("a", clock.now());
  sched.finish("a", true, clock.now());
  EXPECT_EQ(*sched.next_wakeup(), TimePoint{} + seconds(60));
  sched.retime("a", timing(seconds(5), {}, seconds(1)), clock.now());
  EXPECT_EQ(*sched.next_wakeup(), TimePoint{} + seconds(5));
  EXPECT_THAT(sched.due(TimePoint{} + seconds(5)), ElementsAre("a"));
  EXPECT_THAT(sched.due(TimePoint{} + seconds(59)), ElementsAre("a"));           // old entry gone
  sched.add("a", timing(seconds(5), {}, seconds(1)), clock.now() + seconds(1));  // replaced
  EXPECT_THAT(sched.due(TimePoint{} + seconds(1)), ElementsAre("a"));
  sched.start("a", clock.now());
  sched.remove("a");  // while running
  EXPECT_FALSE(sched.next_wakeup());
  sched.finish("a", true, clock.now());  // a late result for a removed check
  EXPECT_FALSE(sched.contains("a"));
  EXPECT_FALSE(sched.next_wakeup());
  EXPECT_EQ(sched.start("zzz", clock.now()), clock.now());
}

}  // namespace
}  // namespace tandem::health

namespace tandem::health {
namespace {

TEST(Scheduler, DueHonoursItsLimitEarliestFirstAndTheRestStayDue) {
  // The engine starts a bounded batch per wake-up; what it did not take must
  // still be due (and next_wakeup must say "now") for the next wake-up.
  FakeClock clock(TimePoint{} + seconds(10));
  Scheduler s(1);
  s.add("c", timing(seconds(1), {}, seconds(1)), clock.now());
  clock.advance(milliseconds(1));
  s.add("a", timing(seconds(1), {}, seconds(1)), clock.now());
  clock.advance(milliseconds(1));
  s.add("b", timing(seconds(1), {}, seconds(1)), clock.now());
  EXPECT_THAT(s.due(clock.now(), 2), ElementsAre("c", "a"));
  EXPECT_THAT(s.due(clock.now(), 0), IsEmpty());
  for (const auto& k : s.due(clock.now(), 2)) s.start(k, clock.now());
  EXPECT_THAT(s.due(clock.now(), 2), ElementsAre("b"));
  ASSERT_TRUE(s.next_wakeup());
  EXPECT_LE(*s.next_wakeup(), clock.now());
  EXPECT_THAT(s.due(clock.now()), ElementsAre("b"));
}

TEST(Scheduler, ChecksDueTogetherKeepTheirAddOrderAcrossRuns) {
  FakeClock clock;
  Scheduler sched(1);
  for (const char* k : {"svc/10.0.0.2:80/http", "svc/10.0.0.1:80/http", "svc/10.0.0.3:80/http"})
    sched.add(k, timing(seconds(1), {}, seconds(1)), clock.now());
  EXPECT_THAT(sched.due(clock.now()),
              ElementsAre("svc/10.0.0.2:80/http", "svc/10.0.0.1:80/http", "svc/10.0.0.3:80/http"));
  // One wake-up starts all three, so they come back due at the same instant.
  for (const auto& k : sched.due(clock.now())) sched.start(k, clock.now());
  EXPECT_THAT(sched.due(clock.now() + seconds(5)), IsEmpty());
  sched.finish("svc/10.0.0.3:80/http", true, clock.now());
  sched.finish("svc/10.0.0.2:80/http", false, clock.now());
  sched.finish("svc/10.0.0.1:80/http", true, clock.now());
  EXPECT_EQ(*sched.next_wakeup(), clock.now() + seconds(1));
  EXPECT_THAT(sched.due(clock.now() + seconds(1), 2),
              ElementsAre("svc/10.0.0.2:80/http", "svc/10.0.0.1:80/http"));
  sched.remove("svc/10.0.0.1:80/http");
  sched.retime("svc/10.0.0.2:80/http", timing(seconds(3), {}, seconds(1)), clock.now());
  EXPECT_THAT(sched.due(clock.now() + seconds(1)),
              ElementsAre("svc/10.0.0.2:80/http", "svc/10.0.0.3:80/http"));
  EXPECT_EQ(sched.find("svc/10.0.0.1:80/http"), nullptr);
  ASSERT_NE(sched.find("svc/10.0.0.3:80/http"), nullptr);
  EXPECT_FALSE(sched.find("svc/10.0.0.3:80/http")->running());
}

}  // namespace
}  // namespace tandem::health
