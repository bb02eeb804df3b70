#include "healthd/core/reload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tandem::health {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

CheckTiming every(int s) {
  return CheckTiming{seconds(s), {}, seconds(1), {}};
}

TEST(Reload, ClassifiesKeptRestartedAddedRemoved) {
  std::vector<MonitorDef> old_defs = {
      {"a", "http /", every(10)}, {"b", "tcp", every(10)}, {"c", "dns", every(10)}};
  std::vector<MonitorDef> new_defs = {
      {"a", "http /", every(5)}, {"b", "tcp 81", every(10)}, {"d", "ping", every(10)}};
  auto plan = plan_reload(old_defs, new_defs);
  EXPECT_THAT(plan.kept, ElementsAre("a"));
  EXPECT_THAT(plan.restarted, ElementsAre("b"));
  EXPECT_THAT(plan.added, ElementsAre("d"));
  EXPECT_THAT(plan.removed, ElementsAre("c"));
}

TEST(Reload, IdenticalDefinitionsKeepEverything) {
  std::vector<MonitorDef> defs = {{"a", "x", every(10)}, {"b", "y", every(10)}};
  auto plan = plan_reload(defs, defs);
  EXPECT_THAT(plan.kept, ElementsAre("a", "b"));
  EXPECT_THAT(plan.restarted, IsEmpty());
  EXPECT_THAT(plan.added, IsEmpty());
  EXPECT_THAT(plan.removed, IsEmpty());
}

TEST(Reload, ApplyKeepsCadenceRetimesAndRestarts) {
  FakeClock clock;
  Scheduler sched(5);
  std::vector<MonitorDef> old_defs = {
      {"a", "x", every(60)}, {"b", "y", every(60)}, {"c", "z", every(60)}};
  for (const auto& d : old_defs) sched.add(d.key, d.timing, clock.now());
  for (const auto& k : {"a", "b", "c"}) {
    sched.start(k, clock.now());
    sched.finish(k, true, clock.now());
  }
  clock.advance(seconds(1));
  std::vector<MonitorDef> new_defs = {
      {"a", "x", every(60)}, {"b", "y", every(10)}, {"c", "z2", every(60)}, {"d", "w", every(60)}};
  apply_reload(sched, plan_reload(old_defs, new_defs), new_defs, clock.now());
  EXPECT_EQ(sched.find("a")->next_due(), TimePoint{} + seconds(60));  // untouched
  EXPECT_EQ(sched.find("b")->next_due(), clock.now() + seconds(10));  // retimed
  EXPECT_EQ(sched.find("c")->next_due(), clock.now());                // restarted
  EXPECT_EQ(sched.find("d")->next_due(), clock.now());                // added
}

TEST(Reload, ApplyDropsRemoved) {
  FakeClock clock;
  Scheduler sched(5);
  std::vector<MonitorDef> old_defs = {{"a", "x", every(60)}};
  sched.add("a", every(60), clock.now());
  apply_reload(sched, plan_reload(old_defs, {}), {}, clock.now());
  EXPECT_FALSE(sched.contains("a"));
}

}  // namespace
}  // namespace tandem::health
