#include "director/core/stats.h"

#include <gtest/gtest.h>

namespace tandem::director {
namespace {

using namespace std::chrono_literals;

TEST(RateEstimator, FirstTickOnlySetsReference) {
  RateEstimator e;
  Counters c;
  c.conns = 1000;
  e.tick(c, TimePoint{} + 10s);
  EXPECT_EQ(e.rates().cps, 0u);
}

TEST(RateEstimator, EwmaQuarterWeightInFixedPoint) {
  RateEstimator e;
  Counters c;
  e.tick(c, TimePoint{});
  // 200 conns in 2 s = 100/s. Scaled avg: 0 + (100<<10 - 0) >> 2 = 25600 -> 25/s.
  c.conns = 200;
  c.in_packets = 2000;
  c.in_bytes = 200000;
  e.tick(c, TimePoint{} + 2s);
  EXPECT_EQ(e.rates().cps, 25u);
  EXPECT_EQ(e.rates().in_pps, 250u);
  EXPECT_EQ(e.rates().in_bps, 25000u);
  // Same rate again: 25600 + (102400 - 25600) / 4 = 44800 -> (44800 + 511) >> 10 = 44.
  c.conns = 400;
  e.tick(c, TimePoint{} + 4s);
  EXPECT_EQ(e.rates().cps, 44u);
  // Less than 2 s later: no sample.
  c.conns = 100000;
  e.tick(c, TimePoint{} + 5s);
  EXPECT_EQ(e.rates().cps, 44u);
}

TEST(RateEstimator, ConvergesAndDecays) {
  RateEstimator e;
  Counters c;
  TimePoint t{};
  e.tick(c, t);
  for (int i = 0; i < 40; ++i) {
    c.conns += 20;  // 10/s
    t += 2s;
    e.tick(c, t);
  }
  EXPECT_EQ(e.rates().cps, 10u);
  // Integer EWMA settles just under 10<<10 = 10240 (the last steps of
  // (10240 - avg) >> 2 are 0), e.g. 10237; one idle sample takes a quarter
  // off: 10237 + (-10237 >> 2) = 7677 -> (7677 + 511) >> 10 = 7.
  t += 2s;
  e.tick(c, t);
  EXPECT_EQ(e.rates().cps, 7u);
  // A long idle catches up in bounded steps and ends at zero.
  t += 3600s;
  e.tick(c, t);
  EXPECT_EQ(e.rates().cps, 0u);
}

TEST(RateEstimator, MissedIntervalsAreEachSampled) {
  RateEstimator a, b;
  Counters c;
  a.tick(c, TimePoint{});
  b.tick(c, TimePoint{});
  c.conns = 40;
  a.tick(c, TimePoint{} + 4s);  // two samples at once: 40 then 0 delta
  b.tick(c, TimePoint{} + 2s);
  b.tick(c, TimePoint{} + 4s);
  EXPECT_EQ(a.rates().cps, b.rates().cps);
}

TEST(Stats, ZeroResetsCountersAndRates) {
  Stats s;
  s.tick(TimePoint{});
  s.counters.conns = 100;
  s.tick(TimePoint{} + 2s);
  ASSERT_GT(s.estimator.rates().cps, 0u);
  s.zero();
  EXPECT_EQ(s.counters.conns, 0u);
  EXPECT_EQ(s.estimator.rates().cps, 0u);
  s.tick(TimePoint{} + 4s);
  EXPECT_EQ(s.estimator.rates().cps, 0u);  // no spurious delta after zeroing
}

}  // namespace
}  // namespace tandem::director
