#include "common/config/suggest.h"

#include <gtest/gtest.h>

#include <array>

namespace tandem::config {
namespace {

TEST(ConfigSuggest, EditDistance) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("weight", "weight"), 0u);
  EXPECT_EQ(edit_distance("wieght", "weight"), 1u);  // one transposition
  EXPECT_EQ(edit_distance("wlc", "wcl"), 1u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("schedular", "scheduler"), 1u);
  EXPECT_EQ(edit_distance("ca", "abc"), 3u);  // OSA, not full Damerau (which says 2)
}

TEST(ConfigSuggest, PicksTheClosePlausibleCandidate) {
  constexpr std::array<std::string_view, 4> keys = {"interval", "timeout", "rise", "fall"};
  EXPECT_EQ(did_you_mean("intreval", keys), "interval");
  EXPECT_EQ(did_you_mean("timout", keys), "timeout");
  EXPECT_EQ(did_you_mean("TIMEOUT", keys), "timeout");
  EXPECT_EQ(did_you_mean("raise", keys), "rise");
  EXPECT_FALSE(did_you_mean("banana", keys).has_value());
  EXPECT_FALSE(did_you_mean("x", keys).has_value());
}

TEST(ConfigSuggest, ShortWordsAllowOneEdit) {
  constexpr std::array<std::string_view, 3> names = {"rr", "wrr", "lc"};
  EXPECT_EQ(did_you_mean("r", names), "rr");
  EXPECT_FALSE(did_you_mean("xyz", names).has_value());
  EXPECT_FALSE(did_you_mean("x", names).has_value());  // not "lc": every letter differs
}

TEST(ConfigSuggest, TiesGoToTheEarlierCandidate) {
  constexpr std::array<std::string_view, 2> names = {"sh", "mh"};
  EXPECT_EQ(did_you_mean("xh", names), "sh");
}

}  // namespace
}  // namespace tandem::config
