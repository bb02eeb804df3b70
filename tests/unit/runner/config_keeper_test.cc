#include "common/runner/config_keeper.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace tandem::runner {
namespace {

// Configs are told apart by a field the schema has; the loader is scripted.
config::Config with_max(std::uint32_t max_connections) {
  config::Config cfg;
  cfg.global.max_connections = max_connections;
  return cfg;
}

config::LoadResult valid(std::uint32_t marker) {
  return {with_max(marker), {}};
}

config::LoadResult invalid(const std::string& message) {
  return {std::nullopt, {Diagnostic{{"t.yaml", 3, 7}, "services[0].port", message}}};
}

class Keeper : public ::testing::Test {
 protected:
  Keeper()
      : keeper_("t.yaml", [this](const std::string& path) {
          EXPECT_EQ(path, "t.yaml");
          return next_;
        }) {
    keeper_.set_apply([this](const config::Config& cfg) {
      if (refuse_) throw std::runtime_error("cannot bind 198.18.0.1");
      applied_.push_back(cfg.global.max_connections);
    });
  }
  config::LoadResult next_;
  bool refuse_ = false;
  std::vector<std::uint32_t> applied_;
  ConfigKeeper keeper_;
};

TEST_F(Keeper, ValidLoadsAreAppliedAndBumpTheGeneration) {
  EXPECT_EQ(keeper_.current(), nullptr);
  next_ = valid(10);
  auto first = keeper_.reload();
  EXPECT_TRUE(first.ok);
  EXPECT_EQ(first.generation, 1u);
  next_ = valid(20);
  auto second = keeper_.reload();
  EXPECT_EQ(second.generation, 2u);
  EXPECT_EQ(applied_, (std::vector<std::uint32_t>{10, 20}));
  ASSERT_NE(keeper_.current(), nullptr);
  EXPECT_EQ(keeper_.current()->global.max_connections, 20u);
  EXPECT_EQ(keeper_.failures(), 0u);
}

TEST_F(Keeper, InvalidFileKeepsTheRunningConfig) {
  next_ = valid(10);
  keeper_.reload();
  next_ = invalid("port out of range");
  auto outcome = keeper_.reload();
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.generation, 1u);
  ASSERT_EQ(outcome.errors.size(), 1u);
  EXPECT_EQ(outcome.errors[0].to_string(), "t.yaml:3:7: services[0].port: port out of range");
  EXPECT_EQ(keeper_.current()->global.max_connections, 10u);
  EXPECT_EQ(applied_, (std::vector<std::uint32_t>{10}));  // the hook never saw it
  EXPECT_EQ(keeper_.failures(), 1u);
  ASSERT_TRUE(keeper_.last().has_value());
  EXPECT_FALSE(keeper_.last()->ok);

  next_ = valid(30);
  auto recovered = keeper_.reload();
  EXPECT_TRUE(recovered.ok);
  EXPECT_EQ(recovered.generation, 2u);
  EXPECT_TRUE(keeper_.last()->ok);
  EXPECT_EQ(keeper_.failures(), 1u);  // a count of failures, not a state
}

TEST_F(Keeper, ConfigWithErrorsIsInvalidEvenIfParsed) {
  next_ = valid(10);
  keeper_.reload();
  next_ = {with_max(99), {Diagnostic{{"t.yaml", 1, 1}, "", "half-parsed"}}};
  EXPECT_FALSE(keeper_.reload().ok);
  EXPECT_EQ(keeper_.current()->global.max_connections, 10u);
}

TEST_F(Keeper, DaemonRefusingAConfigKeepsTheOldOne) {
  next_ = valid(10);
  keeper_.reload();
  refuse_ = true;
  next_ = valid(20);
  auto outcome = keeper_.reload();
  EXPECT_FALSE(outcome.ok);
  ASSERT_EQ(outcome.errors.size(), 1u);
  EXPECT_EQ(outcome.errors[0].message, "refused by the daemon: cannot bind 198.18.0.1");
  EXPECT_EQ(keeper_.current()->global.max_connections, 10u);
  EXPECT_EQ(keeper_.generation(), 1u);
}

TEST_F(Keeper, FailureWithoutDiagnosticsStillSaysSomething) {
  next_ = {std::nullopt, {}};
  auto outcome = keeper_.reload();
  EXPECT_FALSE(outcome.ok);
  ASSERT_EQ(outcome.errors.size(), 1u);
  EXPECT_EQ(outcome.errors[0].message, "configuration rejected");
}

TEST(KeeperLoader, ThrowingLoaderIsAFailureNotACrash) {
  ConfigKeeper keeper("x.yaml",
                      [](const std::string&) -> config::LoadResult { throw std::bad_alloc(); });
  auto outcome = keeper.reload();
  EXPECT_FALSE(outcome.ok);
  ASSERT_EQ(outcome.errors.size(), 1u);
  EXPECT_EQ(outcome.errors[0].message.rfind("load failed: ", 0), 0u);
}

}  // namespace
}  // namespace tandem::runner
