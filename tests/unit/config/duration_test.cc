#include "common/config/duration.h"

#include <gtest/gtest.h>

namespace tandem::config {
namespace {

TEST(ConfigDuration, Units) {
  EXPECT_EQ(parse_duration("250ms"), Duration(250'000'000));
  EXPECT_EQ(parse_duration("10s"), Duration(10'000'000'000));
  EXPECT_EQ(parse_duration("5m"), Duration(300'000'000'000));
  EXPECT_EQ(parse_duration("1h"), Duration(3'600'000'000'000));
  EXPECT_EQ(parse_duration("1d"), Duration(86'400'000'000'000));
  EXPECT_EQ(parse_duration("0s"), Duration(0));
}

TEST(ConfigDuration, PlainNumbersAreSeconds) {
  EXPECT_EQ(parse_duration("10"), Duration(10'000'000'000));
  EXPECT_EQ(parse_duration("0.5"), Duration(500'000'000));
  EXPECT_EQ(parse_duration("0"), Duration(0));
}

TEST(ConfigDuration, DecimalsAreExact) {
  EXPECT_EQ(parse_duration("0.01s"), Duration(10'000'000));
  EXPECT_EQ(parse_duration("40.95s"), Duration(40'950'000'000));
  EXPECT_EQ(parse_duration("1.5m"), Duration(90'000'000'000));
  EXPECT_EQ(parse_duration("0.000000001s"), Duration(1));
  EXPECT_EQ(parse_duration("1.5ms"), Duration(1'500'000));
  EXPECT_EQ(parse_duration(".5s"), Duration(500'000'000));
  // Trailing zeros beyond nanoseconds are harmless.
  EXPECT_EQ(parse_duration("0.0000000010s"), Duration(1));
}

TEST(ConfigDuration, Compounds) {
  EXPECT_EQ(parse_duration("1m30s"), Duration(90'000'000'000));
  EXPECT_EQ(parse_duration("1h30m"), Duration(5'400'000'000'000));
  EXPECT_EQ(parse_duration("1s500ms"), Duration(1'500'000'000));
}

TEST(ConfigDuration, Rejects) {
  for (const char* bad :
       {"", "s", "-1s", "1x", "10 s", "1m30", "1.s", ".s", "1..2s", "ms", "0.0000000001s",
        "1.0000001ms", "99999999999999999999s", "200000d", "1e3s", "+5s", "5S", "1 m"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(ConfigDuration, FormatPicksTheLargestExactUnit) {
  EXPECT_EQ(format_duration(Duration(0)), "0s");
  EXPECT_EQ(format_duration(std::chrono::hours(48)), "2d");
  EXPECT_EQ(format_duration(std::chrono::minutes(90)), "90m");
  EXPECT_EQ(format_duration(std::chrono::seconds(90)), "90s");
  EXPECT_EQ(format_duration(std::chrono::milliseconds(40950)), "40950ms");
  EXPECT_EQ(format_duration(Duration(1'500)), "0.0000015s");
}

TEST(ConfigDuration, FormatParsesBack) {
  for (std::int64_t ns : {1LL, 999LL, 1'000'000LL, 10'000'000LL, 1'234'567'891LL,
                          86'400'000'000'000LL, 3'600'000'000'001LL}) {
    EXPECT_EQ(parse_duration(format_duration(Duration(ns))), Duration(ns)) << ns;
  }
}

}  // namespace
}  // namespace tandem::config
