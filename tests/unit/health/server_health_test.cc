#include "healthd/core/server_health.h"

#include <gtest/gtest.h>

#include <string>

namespace tandem::health {
namespace {

using std::chrono::seconds;

CheckResult ok(std::string s = "ok") {
  return {true, std::move(s), {}, {}, {}};
}
CheckResult bad(std::string s = "connection refused") {
  return {false, std::move(s), {}, {}, {}};
}

TEST(ServerHealth, StartsDownByDefaultAndNeedsRiseSuccesses) {
  FakeClock clock;
  ServerHealth h(HealthPolicy{3, 2, InitialState::kDown});
  EXPECT_FALSE(h.up());
  EXPECT_FALSE(h.record(ok(), clock.now()));
  EXPECT_FALSE(h.record(ok(), clock.now()));
  EXPECT_FALSE(h.up());
  auto t = h.record(ok("HTTP 200"), clock.now());
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->up);
  EXPECT_EQ(t->reason, "HTTP 200");
  EXPECT_TRUE(h.up());
}

TEST(ServerHealth, FallNeedsConsecutiveFailures) {
  FakeClock clock;
  ServerHealth h(HealthPolicy{1, 3, InitialState::kUp});
  EXPECT_TRUE(h.up());
  EXPECT_FALSE(h.record(bad(), clock.now()));
  EXPECT_FALSE(h.record(bad(), clock.now()));
  auto t = h.record(bad("timeout after 5000 ms"), clock.now());
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->up);
  EXPECT_EQ(t->reason, "timeout after 5000 ms");
}

TEST(ServerHealth, AnySuccessResetsTheFailureCount) {
  FakeClock clock;
  ServerHealth h(HealthPolicy{1, 3, InitialState::kUp});
  h.record(bad(), clock.now());
  h.record(bad(), clock.now());
  EXPECT_EQ(h.consecutive_failures(), 2);
  h.record(ok(), clock.now());
  EXPECT_EQ(h.consecutive_failures(), 0);
  h.record(bad(), clock.now());
  h.record(bad(), clock.now());
  EXPECT_TRUE(h.up());  // 2 + 2 failures, never 3 in a row
  EXPECT_TRUE(h.record(bad(), clock.now()));
  EXPECT_FALSE(h.up());
}

TEST(ServerHealth, AnyFailureResetsTheRiseCount) {
  FakeClock clock;
  ServerHealth h(HealthPolicy{2, 1, InitialState::kDown});
  h.record(ok(), clock.now());
  h.record(bad(), clock.now());
  h.record(ok(), clock.now());
  EXPECT_FALSE(h.up());
  h.record(ok(), clock.now());
  EXPECT_TRUE(h.up());
}

TEST(ServerHealth, FirstResultDecidesAtOnce) {
  FakeClock clock;
  ServerHealth up(HealthPolicy{3, 3, InitialState::kFirstResult});
  EXPECT_TRUE(up.record(ok(), clock.now()));
  EXPECT_TRUE(up.up());
  ServerHealth down(HealthPolicy{3, 3, InitialState::kFirstResult});
  EXPECT_FALSE(down.record(bad(), clock.now()));  // was down already: no transition
  EXPECT_FALSE(down.up());
  // After the first result rise applies again.
  down.record(ok(), clock.now());
  down.record(ok(), clock.now());
  EXPECT_FALSE(down.up());
  down.record(ok(), clock.now());
  EXPECT_TRUE(down.up());
}

TEST(ServerHealth, MaintenanceForcesDownAndKeepsCounting) {
  FakeClock clock;
  ServerHealth h(HealthPolicy{1, 1, InitialState::kUp});
  auto t = h.set_maintenance(true);
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->up);
  EXPECT_EQ(t->reason, "maintenance on");
  EXPECT_FALSE(h.record(ok(), clock.now()));  // still forced down
  EXPECT_TRUE(h.checked_up());
  EXPECT_FALSE(h.set_maintenance(true));  // no change, no transition
  t = h.set_maintenance(false);
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->up);
}

TEST(ServerHealth, MaintenanceOffOnAFailedServerStaysDown) {
  FakeClock clock;
  ServerHealth h(HealthPolicy{1, 1, InitialState::kUp});
  h.set_maintenance(true);
  h.record(bad(), clock.now());
  EXPECT_FALSE(h.set_maintenance(false));
  EXPECT_FALSE(h.up());
}

TEST(ServerHealth, HistoryIsABoundedRingOldestFirst) {
  FakeClock clock;
  HealthPolicy p;
  p.history = 3;
  ServerHealth h(p);
  EXPECT_FALSE(h.last());
  for (int i = 0; i < 5; ++i) {
    h.record(CheckResult{i % 2 == 0, "r" + std::to_string(i), std::chrono::milliseconds(i), {}, {}},
             clock.now());
    clock.advance(seconds(1));
  }
  auto hist = h.history();
  ASSERT_EQ(hist.size(), 3u);
  EXPECT_EQ(hist[0].summary, "r2");
  EXPECT_EQ(hist[1].summary, "r3");
  EXPECT_EQ(hist[2].summary, "r4");
  EXPECT_EQ(hist[2].at, TimePoint{} + seconds(4));
  EXPECT_EQ(hist[2].latency, std::chrono::milliseconds(4));
  EXPECT_TRUE(hist[2].ok);
  EXPECT_EQ(h.last()->summary, "r4");
}

TEST(ServerHealth, ZeroRiseOrFallMeansOne) {
  FakeClock clock;
  ServerHealth h(HealthPolicy{0, 0, InitialState::kDown});
  EXPECT_TRUE(h.record(ok(), clock.now()));
  EXPECT_TRUE(h.record(bad(), clock.now()));
}

}  // namespace
}  // namespace tandem::health
