#include "common/runner/flags.h"

#include <gtest/gtest.h>

namespace tandem::runner {
namespace {

ParsedFlags parse(std::vector<std::string_view> args) {
  return parse_flags(args, "lb1");
}

TEST(Flags, DefaultsLeaveRunDirAndLogLevelToTheConfig) {
  auto f = parse({});
  EXPECT_EQ(f.action, Action::kRun);
  EXPECT_EQ(f.options.config, "/etc/tandem/tandem.yaml");
  EXPECT_EQ(f.options.run_dir, "");
  EXPECT_EQ(f.options.node, "lb1");
  EXPECT_FALSE(f.options.foreground);
  EXPECT_FALSE(f.options.log_level.has_value());
}

TEST(Flags, BothSpellingsOfValues) {
  auto f = parse({"--config", "/tmp/a.yaml", "--run-dir=/tmp/run", "--node=lb2", "--log-level",
                  "debug", "--foreground"});
  ASSERT_EQ(f.action, Action::kRun) << f.error;
  EXPECT_EQ(f.options.config, "/tmp/a.yaml");
  EXPECT_EQ(f.options.run_dir, "/tmp/run");
  EXPECT_EQ(f.options.node, "lb2");
  EXPECT_EQ(f.options.log_level, log::Level::kDebug);
  EXPECT_TRUE(f.options.foreground);
}

TEST(Flags, CheckConfigKeepsTheOtherOptions) {
  auto f = parse({"--check-config", "--config", "x.yaml"});
  EXPECT_EQ(f.action, Action::kCheckConfig);
  EXPECT_EQ(f.options.config, "x.yaml");
}

TEST(Flags, HelpAndVersionWinOverTheRest) {
  EXPECT_EQ(parse({"--foreground", "--help"}).action, Action::kHelp);
  EXPECT_EQ(parse({"-h"}).action, Action::kHelp);
  EXPECT_EQ(parse({"--version", "--check-config"}).action, Action::kVersion);
}

TEST(Flags, MisuseIsAUsageErrorWithAReason) {
  const std::vector<std::pair<std::vector<std::string_view>, std::string>> cases = {
      {{"--bogus"}, "unknown argument: --bogus"},
      {{"positional"}, "unknown argument: positional"},
      {{"--config"}, "--config needs a value"},
      {{"--config="}, "--config needs a non-empty value"},
      {{"--run-dir", ""}, "--run-dir needs a non-empty value"},
      {{"--log-level", "verbose"}, "--log-level must be error, warn, info or debug"},
      {{"--foreground=yes"}, "--foreground takes no value"},
      {{"--check-config=1"}, "--check-config takes no value"},
  };
  for (const auto& [args, message] : cases) {
    auto f = parse(args);
    EXPECT_EQ(f.action, Action::kUsageError) << message;
    EXPECT_EQ(f.error, message);
  }
}

TEST(Flags, AValueMayLookLikeAFlag) {
  // "--node --foreground": the node is literally named "--foreground".
  auto f = parse({"--node", "--foreground"});
  ASSERT_EQ(f.action, Action::kRun);
  EXPECT_EQ(f.options.node, "--foreground");
  EXPECT_FALSE(f.options.foreground);
}

TEST(Flags, UsageNamesTheProgramAndEveryFlag) {
  const std::string u = usage("tandem-vrrpd");
  EXPECT_EQ(u.rfind("usage: tandem-vrrpd", 0), 0u);
  for (const char* flag : {"--config", "--run-dir", "--node", "--foreground", "--check-config",
                           "--log-level", "--version", "--help"})
    EXPECT_NE(u.find(flag), std::string::npos) << flag;
}

TEST(Flags, ShortHostnameHasNoDot) {
  const std::string h = short_hostname();
  EXPECT_FALSE(h.empty());
  EXPECT_EQ(h.find('.'), std::string::npos);
}

}  // namespace
}  // namespace tandem::runner
