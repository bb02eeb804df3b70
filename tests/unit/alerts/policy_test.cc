#include "alerts/core/policy.h"

#include <gtest/gtest.h>

#include "common/util/clock.h"

namespace tandem::alerts {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

Event ev(EventKind kind, std::string summary = "connect refused", Severity sev = Severity::kWarning,
         std::string server = "198.18.1.11") {
  Event e;
  e.kind = kind;
  e.severity = sev;
  e.service = "web";
  e.server = std::move(server);
  e.summary = std::move(summary);
  return e;
}

Route route(RoutePolicy p = {}, std::vector<std::string> senders = {"mail"}) {
  Route r;
  r.name = "ops";
  r.senders = std::move(senders);
  r.policy = std::move(p);
  return r;
}

class PolicyTest : public ::testing::Test {
 protected:
  void make(RoutePolicy p, std::vector<std::string> senders = {"mail"}) {
    engine = std::make_unique<PolicyEngine>(std::vector<Route>{route(std::move(p), senders)});
  }
  std::vector<Decision> fail(std::string summary = "connect refused",
                             Severity sev = Severity::kWarning) {
    return engine->on_event(ev(EventKind::kServerDown, summary, sev), clock.now(), local);
  }
  std::vector<Decision> up() {
    return engine->on_event(ev(EventKind::kServerUp, "ok", Severity::kInfo), clock.now(), local);
  }
  // Sends n failures one interval apart and returns how many produced alerts.
  int fails(int n, Duration every, std::string summary = "connect refused") {
    int alerts = 0;
    for (int i = 0; i < n; ++i) {
      if (i > 0) clock.advance(every);
      alerts += fail(summary).empty() ? 0 : 1;
    }
    return alerts;
  }

  FakeClock clock;
  LocalTime local{3, 12 * 60};  // Wednesday noon
  std::unique_ptr<PolicyEngine> engine;
};

TEST_F(PolicyTest, AlertsOnFirstFailureByDefault) {
  make({});
  const auto d = fail();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].type, AlertType::kFailure);
  EXPECT_EQ(d[0].sender, "mail");
  EXPECT_EQ(d[0].route, "ops");
  EXPECT_EQ(d[0].alert_number, 1u);
  EXPECT_EQ(d[0].event.server, "198.18.1.11");
}

TEST_F(PolicyTest, WithoutAlerteveryEveryFailureAlerts) {
  make({});  // the old mon 0.37 behaviour the other knobs exist to tame
  EXPECT_EQ(fails(5, seconds(10)), 5);
}

TEST_F(PolicyTest, UpAlertOnlyAfterDownAlert) {
  RoutePolicy p;
  p.alertafter_count = 3;
  make(p);
  EXPECT_EQ(fails(2, seconds(10)), 0);
  EXPECT_TRUE(up().empty());  // never told about the failure: no up alert either
  EXPECT_EQ(engine->stats().suppressed_no_down_alert, 1u);
  EXPECT_EQ(fails(3, seconds(10)), 1);
  clock.advance(seconds(10));
  const auto d = up();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].type, AlertType::kUp);
  EXPECT_EQ(d[0].outage, seconds(30));  // first failure of the episode to recovery
  EXPECT_TRUE(up().empty());            // a second up is not repeated
  EXPECT_EQ(engine->stats().recovery_without_failure, 1u);
  EXPECT_EQ(engine->tracked(), 0u);
}

TEST_F(PolicyTest, UpalertCanBeDisabled) {
  RoutePolicy p;
  p.upalert = false;
  make(p);
  EXPECT_EQ(fail().size(), 1u);
  EXPECT_TRUE(up().empty());
}

TEST_F(PolicyTest, AlertafterConsecutiveCount) {
  RoutePolicy p;
  p.alertafter_count = 3;
  make(p);
  EXPECT_TRUE(fail().empty());
  EXPECT_TRUE(fail().empty());
  EXPECT_EQ(fail().size(), 1u);
  EXPECT_EQ(engine->stats().suppressed_alertafter, 2u);
  // A recovery resets the count.
  up();
  EXPECT_TRUE(fail().empty());
  EXPECT_TRUE(fail().empty());
  EXPECT_EQ(fail().size(), 1u);
}

TEST_F(PolicyTest, AlertafterDuration) {
  RoutePolicy p;
  p.alertafter_window = minutes(5);
  make(p);
  EXPECT_TRUE(fail().empty());
  clock.advance(minutes(5));
  EXPECT_TRUE(fail().empty());  // like mon: failing for more than T, not exactly T
  clock.advance(seconds(1));
  EXPECT_EQ(fail().size(), 1u);
}

TEST_F(PolicyTest, AlertafterCountWithinWindow) {
  RoutePolicy p;
  p.alertafter_count = 3;
  p.alertafter_window = minutes(10);
  make(p);
  // Three failures spread over more than 10 minutes never add up.
  EXPECT_TRUE(fail().empty());
  clock.advance(minutes(6));
  EXPECT_TRUE(fail().empty());
  clock.advance(minutes(6));  // 12 min after the first: a new window starts here
  EXPECT_TRUE(fail().empty());
  clock.advance(minutes(4));
  EXPECT_TRUE(fail().empty());
  clock.advance(minutes(4));  // third inside the window that began at minute 12
  EXPECT_EQ(fail().size(), 1u);
}

TEST_F(PolicyTest, AlerteveryRepeatsOnlyAfterIntervalUnlessSummaryChanges) {
  RoutePolicy p;
  p.alertevery = minutes(30);
  make(p);
  EXPECT_EQ(fail("timeout").size(), 1u);
  clock.advance(minutes(10));
  EXPECT_TRUE(fail("timeout").empty());
  EXPECT_EQ(engine->stats().suppressed_alertevery, 1u);
  clock.advance(minutes(1));
  EXPECT_EQ(fail("HTTP 500").size(), 1u);  // new summary: sent at once (mon)
  clock.advance(minutes(29));
  EXPECT_TRUE(fail("HTTP 500").empty());
  clock.advance(minutes(1));  // 30 min after the last alert
  EXPECT_EQ(fail("HTTP 500").size(), 1u);
}

TEST_F(PolicyTest, AlerteveryStrictIgnoresSummaryChanges) {
  RoutePolicy p;
  p.alertevery = minutes(30);
  p.alertevery_strict = true;
  make(p);
  EXPECT_EQ(fail("a").size(), 1u);
  clock.advance(minutes(1));
  EXPECT_TRUE(fail("b").empty());
  clock.advance(minutes(29));
  EXPECT_EQ(fail("c").size(), 1u);
}

TEST_F(PolicyTest, ObserveDetailComparesTheWholeOutput) {
  RoutePolicy p;
  p.alertevery = minutes(30);
  p.observe_detail = true;
  make(p);
  Event e = ev(EventKind::kServerDown, "down");
  e.detail = "line 1\nline 2";
  EXPECT_EQ(engine->on_event(e, clock.now(), local).size(), 1u);
  clock.advance(minutes(1));
  e.summary = "down again";  // summary alone does not count with observe_detail
  EXPECT_TRUE(engine->on_event(e, clock.now(), local).empty());
  clock.advance(minutes(1));
  e.detail = "line 1\nline 3";
  EXPECT_EQ(engine->on_event(e, clock.now(), local).size(), 1u);
}

TEST_F(PolicyTest, NumalertsCapsAnEpisode) {
  RoutePolicy p;
  p.numalerts = 2;
  make(p);
  EXPECT_EQ(fails(6, minutes(1)), 2);
  EXPECT_EQ(engine->stats().suppressed_numalerts, 4u);
  EXPECT_EQ(up().size(), 1u);
  EXPECT_EQ(fails(3, minutes(1)), 2);  // a new episode has a new budget
}

TEST_F(PolicyTest, NumalertsNumbersTheAlerts) {
  RoutePolicy p;
  p.numalerts = 3;
  make(p);
  for (std::uint32_t n = 1; n <= 3; ++n) {
    const auto d = fail();
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].alert_number, n);
  }
}

TEST_F(PolicyTest, UpalertafterNeedsALongEnoughOutage) {
  RoutePolicy p;
  p.upalertafter = minutes(5);
  make(p);
  EXPECT_EQ(fail().size(), 1u);
  clock.advance(minutes(4));
  EXPECT_TRUE(up().empty());  // a short blip: no up alert
  EXPECT_EQ(engine->stats().suppressed_upalertafter, 1u);
  EXPECT_EQ(fail().size(), 1u);
  clock.advance(minutes(5));
  EXPECT_EQ(up().size(), 1u);  // at least T
}

TEST_F(PolicyTest, EpisodesAreSeparatePerServerAndService) {
  RoutePolicy p;
  p.numalerts = 1;
  make(p);
  EXPECT_EQ(fail().size(), 1u);
  EXPECT_TRUE(fail().empty());
  EXPECT_EQ(engine
                ->on_event(ev(EventKind::kServerDown, "x", Severity::kWarning, "198.18.1.12"),
                           clock.now(), local)
                .size(),
            1u);
  Event other = ev(EventKind::kServerDown);
  other.service = "dns";
  EXPECT_EQ(engine->on_event(other, clock.now(), local).size(), 1u);
  // quorum_lost on the same service is its own family.
  EXPECT_EQ(engine
                ->on_event(ev(EventKind::kQuorumLost, "no servers", Severity::kCritical, ""),
                           clock.now(), local)
                .size(),
            1u);
}

TEST_F(PolicyTest, OneMessagePerSenderPerRoute) {
  make({}, {"mail", "page", "mail", "page"});
  const auto d = fail();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].sender, "mail");
  EXPECT_EQ(d[1].sender, "page");
}

TEST_F(PolicyTest, RouteMatching) {
  Route crit = route({}, {"page"});
  crit.name = "crit";
  crit.match.min_severity = Severity::kCritical;
  Route web = route({}, {"mail"});
  web.name = "web-only";
  web.match.services = {"web"};
  web.match.kinds = {EventKind::kServerDown};
  engine = std::make_unique<PolicyEngine>(std::vector<Route>{crit, web});

  auto d = fail("x", Severity::kWarning);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].route, "web-only");
  d = fail("y", Severity::kCritical);
  ASSERT_EQ(d.size(), 2u);
  // Recoveries reach routes that alerted even with a low severity, and the
  // kind filter for server_down admits server_up.
  d = up();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].type, AlertType::kUp);

  Event dns = ev(EventKind::kServerDown, "z", Severity::kWarning);
  dns.service = "dns";
  EXPECT_TRUE(engine->on_event(dns, clock.now(), local).empty());
  EXPECT_EQ(engine->stats().unrouted, 1u);
  EXPECT_TRUE(engine->on_event(ev(EventKind::kRoleChange, "MASTER"), clock.now(), local).empty());
}

TEST_F(PolicyTest, VrrpKindsAreMatchedSeparately) {
  Route faults = route({}, {"page"});
  faults.name = "faults";
  faults.match.kinds = {EventKind::kVrrpFault};
  engine = std::make_unique<PolicyEngine>(std::vector<Route>{faults});
  EXPECT_TRUE(engine->on_event(ev(EventKind::kVrrpMaster, "vi is master", Severity::kWarning, ""),
                               clock.now(), local)
                  .empty());
  EXPECT_TRUE(engine->on_event(ev(EventKind::kVrrpBackup, "vi is backup", Severity::kWarning, ""),
                               clock.now(), local)
                  .empty());
  EXPECT_EQ(engine->on_event(ev(EventKind::kVrrpFault, "vi is fault", Severity::kCritical, ""),
                             clock.now(), local)
                .size(),
            1u);
  // role_change (the event command's, direction unknown) reaches any VRRP route.
  EXPECT_EQ(engine->on_event(ev(EventKind::kRoleChange, "vi changed", Severity::kWarning, ""),
                             clock.now(), local)
                .size(),
            1u);
}

TEST_F(PolicyTest, NoticesAreRateLimitedByAlertevery) {
  RoutePolicy p;
  p.alertevery = minutes(10);
  make(p);
  const Event role = ev(EventKind::kRoleChange, "became MASTER", Severity::kWarning, "");
  auto d = engine->on_event(role, clock.now(), local);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].type, AlertType::kNotice);
  clock.advance(minutes(1));
  EXPECT_TRUE(engine->on_event(role, clock.now(), local).empty());
  clock.advance(minutes(9));
  EXPECT_EQ(engine->on_event(role, clock.now(), local).size(), 1u);
}

TEST_F(PolicyTest, TestEventsBypassPolicyAndFilters) {
  RoutePolicy p;
  p.alertafter_count = 5;
  p.quiet = {QuietWindow{0x7f, 0, 0}};  // quiet all day
  Route r = route(p, {"mail", "page"});
  r.match.min_severity = Severity::kCritical;
  r.match.kinds = {EventKind::kServerDown};
  r.match.services = {"web"};
  engine = std::make_unique<PolicyEngine>(std::vector<Route>{r});
  Event t;
  t.kind = EventKind::kTest;
  t.summary = "test alert";
  const auto d = engine->on_event(t, clock.now(), local);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].type, AlertType::kTest);
}

// ---- quiet hours ----

class QuietTest : public PolicyTest {
 protected:
  void SetUp() override {
    RoutePolicy p;
    p.quiet = {QuietWindow{0x7f, 22 * 60, 7 * 60}};  // 22:00-07:00 every night
    make(p);
    local = LocalTime{3, 23 * 60};  // Wednesday 23:00
  }
};

TEST_F(QuietTest, WindowsWrapMidnightAndRespectDays) {
  const QuietWindow night{0x7f, 22 * 60, 7 * 60};
  EXPECT_TRUE(in_window(night, {3, 22 * 60}));
  EXPECT_TRUE(in_window(night, {4, 6 * 60 + 59}));
  EXPECT_FALSE(in_window(night, {4, 7 * 60}));
  EXPECT_FALSE(in_window(night, {4, 21 * 60 + 59}));
  const QuietWindow friday_night{1 << 5, 22 * 60, 7 * 60};
  EXPECT_TRUE(in_window(friday_night, {5, 23 * 60}));
  EXPECT_TRUE(in_window(friday_night, {6, 60}));  // Saturday morning belongs to Friday's window
  EXPECT_FALSE(in_window(friday_night, {6, 23 * 60}));
  const QuietWindow lunch{0x7f, 12 * 60, 13 * 60};
  EXPECT_TRUE(in_window(lunch, {0, 12 * 60 + 30}));
  EXPECT_FALSE(in_window(lunch, {0, 13 * 60}));
  EXPECT_TRUE(in_window(QuietWindow{1 << 2, 9 * 60, 9 * 60}, {3, 8 * 60}));  // 24h from Tue 09:00
}

TEST_F(QuietTest, NonCriticalFailureHeldAndReleasedOnceWhenQuietEnds) {
  EXPECT_TRUE(fail("first").empty());
  clock.advance(minutes(30));
  EXPECT_TRUE(fail("latest").empty());
  EXPECT_EQ(engine->stats().held_quiet, 2u);
  local = {4, 6 * 60 + 59};
  EXPECT_TRUE(engine->tick(clock.now(), local).empty());
  local = {4, 7 * 60};
  const auto d = engine->tick(clock.now(), local);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].type, AlertType::kFailure);
  EXPECT_EQ(d[0].event.summary, "latest");
  EXPECT_TRUE(d[0].released_after_quiet);
  EXPECT_EQ(d[0].alert_number, 1u);
  EXPECT_TRUE(engine->tick(clock.now(), local).empty());  // released once
  EXPECT_EQ(up().size(), 1u);                             // and it counts as the down alert
}

TEST_F(QuietTest, CriticalGoesThroughQuietHours) {
  EXPECT_EQ(fail("down", Severity::kCritical).size(), 1u);
}

TEST_F(QuietTest, RecoveryDuringQuietCancelsHeldFailure) {
  EXPECT_TRUE(fail().empty());
  EXPECT_TRUE(up().empty());
  local = {4, 8 * 60};
  EXPECT_TRUE(engine->tick(clock.now(), local).empty());
  EXPECT_EQ(engine->tracked(), 0u);
}

TEST_F(QuietTest, UpAfterSentDownIsHeldUntilMorning) {
  EXPECT_EQ(fail("down", Severity::kCritical).size(), 1u);
  clock.advance(minutes(20));
  EXPECT_TRUE(up().empty());
  local = {4, 7 * 60};
  const auto d = engine->tick(clock.now(), local);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].type, AlertType::kUp);
  EXPECT_EQ(d[0].outage, minutes(20));
  EXPECT_EQ(engine->tracked(), 0u);
}

TEST_F(QuietTest, DropActionForgets) {
  RoutePolicy p;
  p.quiet = {QuietWindow{0x7f, 22 * 60, 7 * 60}};
  p.quiet_action = QuietAction::kDrop;
  make(p);
  EXPECT_TRUE(fail().empty());
  EXPECT_EQ(engine->stats().dropped_quiet, 1u);
  local = {4, 8 * 60};
  EXPECT_TRUE(engine->tick(clock.now(), local).empty());
  EXPECT_EQ(fail().size(), 1u);  // the next failure after quiet hours alerts
}

TEST_F(QuietTest, NoticesInQuietHoursAreDropped) {
  EXPECT_TRUE(
      engine->on_event(ev(EventKind::kDaemonRestart, "healthd restarted"), clock.now(), local)
          .empty());
  EXPECT_EQ(engine->stats().dropped_quiet, 1u);
}

// ---- hostile volume ----

TEST(PolicyBounds, EpisodeTableIsBounded) {
  RoutePolicy p;
  p.alertafter_count = 2;
  PolicyEngine engine({route(p)}, 100);
  FakeClock clock;
  for (int i = 0; i < 1000; ++i) {
    engine.on_event(ev(EventKind::kServerDown, "x", Severity::kWarning, "s" + std::to_string(i)),
                    clock.now(), {});
  }
  EXPECT_EQ(engine.tracked(), 100u);
  EXPECT_EQ(engine.stats().state_overflow, 900u);
  // With every slot holding a live episode, a notice is judged without memory
  // rather than evicting one.
  EXPECT_EQ(engine.on_event(ev(EventKind::kRoleChange), clock.now(), {}).size(), 1u);
  EXPECT_EQ(engine.tracked(), 100u);
}

}  // namespace
}  // namespace tandem::alerts
