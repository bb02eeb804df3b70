#include "healthd/core/snapshot.h"

#include <gtest/gtest.h>

namespace tandem::health {
namespace {

std::vector<ServiceSnapshot> sample() {
  return {
      ServiceSnapshot{"web",
                      true,
                      {ServerSnapshot{"198.18.1.11:80", "http-ok", "http GET /health", true, 3, 0, false},
                       ServerSnapshot{"198.18.1.12:80", "", "http GET /health", false, 0, 7, true}}},
      ServiceSnapshot{"dns", false, {}}};
}

TEST(Snapshot, RoundTrips) {
  auto back = snapshot_from_json(snapshot_to_json(sample()));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, sample());
}

TEST(Snapshot, RejectsGarbageWithoutThrowing) {
  for (const char* text :
       {"", "{", "[]", "null", "{\"version\":2,\"services\":[]}", "{\"version\":1}",
        "{\"version\":1,\"services\":{}}", "{\"version\":1,\"services\":[1]}",
        "{\"version\":1,\"services\":[{\"service\":\"w\",\"quorum\":true}]}",
        "{\"version\":1,\"services\":[{\"service\":\"w\",\"quorum\":true,\"servers\":[{}]}]}",
        "{\"version\":1,\"services\":[{\"service\":\"w\",\"quorum\":true,\"servers\":[{\"id\":"
        "\"a\",\"check\":\"c\",\"up\":true,\"successes\":-1,\"failures\":0,\"maintenance\":false}"
        "]}]}",
        "{\"version\":1,\"services\":[{\"service\":\"w\",\"quorum\":true,\"servers\":[{\"id\":"
        "\"a\",\"check\":\"c\",\"up\":1,\"successes\":1,\"failures\":0,\"maintenance\":false}"
        "]}]}"}) {
    EXPECT_FALSE(snapshot_from_json(text)) << text;
  }
}

TEST(Snapshot, TruncatedFileIsRejected) {
  const auto text = snapshot_to_json(sample());
  for (std::size_t n = 0; n < text.size(); ++n) {
    EXPECT_FALSE(snapshot_from_json(std::string_view(text).substr(0, n))) << n;
  }
}

TEST(Snapshot, InvalidUtf8InAnIdDoesNotThrow) {
  std::vector<ServiceSnapshot> s = {ServiceSnapshot{"w\xff", true, {}}};
  EXPECT_NO_THROW(snapshot_to_json(s));
}

}  // namespace
}  // namespace tandem::health
