#include "alerts/engine/routes.h"

#include <gtest/gtest.h>

namespace tandem::alerts {
namespace {

using namespace std::chrono_literals;

TEST(AlertRoutes, ConfigRouteMapsToPolicy) {
  config::Alerts a;
  config::Route r;
  r.name = "ops";
  r.senders = {"mail", "page"};
  r.match.severities = {config::Severity::critical, config::Severity::warning};
  r.match.services = {"web"};
  r.match.events = {config::EventKind::vrrp_master, config::EventKind::vrrp_fault,
                    config::EventKind::server_down};
  r.upalert = true;
  r.alertafter = {3, 60s};
  r.alertevery = 600s;
  r.numalerts = 2;
  r.upalertafter = 30s;
  r.observe_detail = true;
  // Saturday and Sunday 22:00-06:00.
  r.quiet = {{{config::Weekday::sat, config::Weekday::sun}, 22 * 60, 6 * 60}};
  a.routes = {r};

  std::vector<Route> out = policy_routes(a);
  ASSERT_EQ(out.size(), 1u);
  const Route& p = out[0];
  EXPECT_EQ(p.name, "ops");
  EXPECT_EQ(p.senders, (std::vector<std::string>{"mail", "page"}));
  EXPECT_EQ(p.match.min_severity, Severity::kWarning);  // the lowest listed
  EXPECT_EQ(p.match.services, (std::vector<std::string>{"web"}));
  // Each vrrp kind stays its own, so a route can ask for faults only.
  EXPECT_EQ(p.match.kinds, (std::vector<EventKind>{EventKind::kVrrpMaster, EventKind::kVrrpFault,
                                                   EventKind::kServerDown}));
  EXPECT_EQ(p.policy.alertafter_count, 3u);
  EXPECT_EQ(p.policy.alertafter_window, 60s);
  EXPECT_EQ(p.policy.alertevery, 600s);
  EXPECT_EQ(p.policy.numalerts, 2u);
  EXPECT_TRUE(p.policy.upalert);
  EXPECT_EQ(p.policy.upalertafter, 30s);
  EXPECT_TRUE(p.policy.observe_detail);
  ASSERT_EQ(p.policy.quiet.size(), 1u);
  // Engine bit 0 is Sunday, bit 6 Saturday: 0b1000001.
  EXPECT_EQ(p.policy.quiet[0].days, 0x41);
  EXPECT_EQ(p.policy.quiet[0].start_minute, 22 * 60);
  EXPECT_EQ(p.policy.quiet[0].end_minute, 6 * 60);
}

TEST(AlertRoutes, EmptyMatchListsMatchEverything) {
  config::Alerts a;
  a.routes.push_back({});
  std::vector<Route> out = policy_routes(a);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].match.min_severity, Severity::kInfo);
  EXPECT_TRUE(out[0].match.kinds.empty());
  EXPECT_TRUE(out[0].match.services.empty());
  EXPECT_EQ(out[0].policy.quiet.size(), 0u);
}

TEST(AlertRoutes, EveryDayQuietWindowKeepsAllDays) {
  config::Alerts a;
  config::Route r;
  r.quiet = {{{}, 0, 60}};
  a.routes = {r};
  EXPECT_EQ(policy_routes(a)[0].policy.quiet[0].days, 0x7f);
}

}  // namespace
}  // namespace tandem::alerts
