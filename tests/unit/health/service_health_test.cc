#include "healthd/core/service_health.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace tandem::health {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

CheckResult ok(std::string s = "ok") {
  return {true, std::move(s), {}, {}, {}};
}
CheckResult bad(std::string s = "connection refused") {
  return {false, std::move(s), {}, {}, {}};
}

RealServerSpec rs(std::string id, int weight, int rise = 1, int fall = 1,
                  InitialState init = InitialState::kDown) {
  RealServerSpec s;
  s.id = std::move(id);
  s.weight = weight;
  s.policy = HealthPolicy{rise, fall, init, 4};
  s.check_signature = "http GET /";
  return s;
}

ServiceSpec web(OnFailure on_failure = OnFailure::kRemove) {
  ServiceSpec s;
  s.name = "web";
  s.servers = {rs("a", 5), rs("b", 3)};
  s.on_failure = on_failure;
  return s;
}

DirectorAction add(std::string id, int w) {
  return {"web", std::move(id), ActionOp::kAdd, w};
}
DirectorAction set(std::string id, int w) {
  return {"web", std::move(id), ActionOp::kSetWeight, w};
}
DirectorAction del(std::string id) {
  return {"web", std::move(id), ActionOp::kRemove, 0};
}

TEST(ServiceHealth, UpServersAreAddedWithTheirConfiguredWeightOnce) {
  FakeClock clock;
  ServiceHealth svc(web());
  EXPECT_THAT(svc.take_actions(), IsEmpty());
  svc.record("a", ok(), clock.now());
  svc.record("b", ok(), clock.now());
  EXPECT_THAT(svc.take_actions(), ElementsAre(add("a", 5), add("b", 3)));
  svc.record("a", ok(), clock.now());
  EXPECT_THAT(svc.take_actions(), IsEmpty());  // only changes are sent
}

TEST(ServiceHealth, RemovePolicyDeletesAFailedServerAndAddsItBack) {
  FakeClock clock;
  ServiceHealth svc(web(OnFailure::kRemove));
  svc.record("a", ok(), clock.now());
  svc.record("b", ok(), clock.now());
  svc.take_actions();
  svc.record("a", bad(), clock.now());
  EXPECT_THAT(svc.take_actions(), ElementsAre(del("a")));
  svc.record("a", ok(), clock.now());
  EXPECT_THAT(svc.take_actions(), ElementsAre(add("a", 5)));
}

TEST(ServiceHealth, QuiescePolicySetsWeightZeroAndRestoresIt) {
  FakeClock clock;
  ServiceHealth svc(web(OnFailure::kQuiesce));
  // Down servers are in the table at weight 0 from the start.
  EXPECT_THAT(svc.take_actions(), ElementsAre(add("a", 0), add("b", 0)));
  svc.record("a", ok(), clock.now());
  svc.record("b", ok(), clock.now());
  EXPECT_THAT(svc.take_actions(), ElementsAre(set("a", 5), set("b", 3)));
  svc.record("b", bad(), clock.now());
  EXPECT_THAT(svc.take_actions(), ElementsAre(set("b", 0)));
  svc.record("b", ok(), clock.now());
  EXPECT_THAT(svc.take_actions(), ElementsAre(set("b", 3)));
}

TEST(ServiceHealth, DownEventCarriesTheFailingSummary) {
  FakeClock clock;
  ServiceHealth svc(web());
  svc.record("a", ok(), clock.now());
  svc.record("b", ok(), clock.now());
  svc.take_events();
  clock.advance(std::chrono::seconds(7));
  svc.record("a", bad("HTTP 503 (expected 200)"), clock.now());
  auto ev = svc.take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EventKind::kServerDown);
  EXPECT_EQ(ev[0].service, "web");
  EXPECT_EQ(ev[0].server, "a");
  EXPECT_EQ(ev[0].summary, "HTTP 503 (expected 200)");
  EXPECT_EQ(ev[0].at, TimePoint{} + std::chrono::seconds(7));
  EXPECT_THAT(svc.take_events(), IsEmpty());
}

TEST(ServiceHealth, QuorumLostAndRestoredEvents) {
  FakeClock clock;
  ServiceHealth svc(web());
  EXPECT_FALSE(svc.has_quorum());
  svc.record("a", ok(), clock.now());
  auto ev = svc.take_events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, EventKind::kServerUp);
  EXPECT_EQ(ev[1].kind, EventKind::kQuorumRestored);
  svc.record("a", bad("timeout"), clock.now());
  ev = svc.take_events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1].kind, EventKind::kQuorumLost);
  EXPECT_EQ(ev[1].summary, "timeout");
  EXPECT_EQ(ev[1].server, "");
}

TEST(ServiceHealth, QuorumHysteresisKeepsStateInsideTheBand) {
  FakeClock clock;
  ServiceSpec s;
  s.name = "web";
  for (auto id : {"a", "b", "c", "d"}) s.servers.push_back(rs(id, 1));
  s.min_up = 2;
  s.quorum_hysteresis = 1;  // lost below 1 up, restored at 3 up
  ServiceHealth svc(s);
  svc.record("a", ok(), clock.now());
  svc.record("b", ok(), clock.now());
  EXPECT_FALSE(svc.has_quorum());  // 2 up: inside the band, still lost
  svc.record("c", ok(), clock.now());
  EXPECT_TRUE(svc.has_quorum());
  svc.record("c", bad(), clock.now());
  svc.record("b", bad(), clock.now());
  EXPECT_TRUE(svc.has_quorum());  // 1 up: inside the band, still held
  svc.record("a", bad(), clock.now());
  EXPECT_FALSE(svc.has_quorum());
  int lost = 0, restored = 0;
  for (const auto& e : svc.take_events()) {
    lost += e.kind == EventKind::kQuorumLost;
    restored += e.kind == EventKind::kQuorumRestored;
  }
  EXPECT_EQ(lost, 1);
  EXPECT_EQ(restored, 1);
}

TEST(ServiceHealth, FallbackServesWhileNoneIsUpAndGoesBeforeTheLastServerLeaves) {
  FakeClock clock;
  auto s = web();
  s.fallback = FallbackSpec{"sorry", 1};
  ServiceHealth svc(s);
  EXPECT_TRUE(svc.fallback_active());
  EXPECT_THAT(svc.take_actions(), ElementsAre(add("sorry", 1)));
  svc.record("a", ok(), clock.now());
  EXPECT_FALSE(svc.fallback_active());
  EXPECT_THAT(svc.take_actions(), ElementsAre(add("a", 5), del("sorry")));
  svc.record("a", bad(), clock.now());
  // The fallback is added before the last server is removed.
  EXPECT_THAT(svc.take_actions(), ElementsAre(add("sorry", 1), del("a")));
}

TEST(ServiceHealth, MaintenanceTakesAServerOutAndBack) {
  FakeClock clock;
  ServiceHealth svc(web());
  svc.record("a", ok(), clock.now());
  svc.record("b", ok(), clock.now());
  svc.take_actions();
  svc.take_events();
  EXPECT_TRUE(svc.set_maintenance("b", true, clock.now()));
  EXPECT_THAT(svc.take_actions(), ElementsAre(del("b")));
  auto ev = svc.take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].summary, "maintenance on");
  svc.record("b", ok(), clock.now());
  EXPECT_THAT(svc.take_actions(), IsEmpty());
  svc.set_maintenance("b", false, clock.now());
  EXPECT_THAT(svc.take_actions(), ElementsAre(add("b", 3)));
  EXPECT_FALSE(svc.set_maintenance("nope", true, clock.now()));
}

TEST(ServiceHealth, UnknownServerResultIsIgnored) {
  FakeClock clock;
  ServiceHealth svc(web());
  svc.record("zzz", ok(), clock.now());
  EXPECT_THAT(svc.take_actions(), IsEmpty());
  EXPECT_THAT(svc.take_events(), IsEmpty());
}

TEST(ServiceHealth, ReloadKeepsUnchangedRestartsChangedDropsRemoved) {
  FakeClock clock;
  auto s = web();
  s.servers.push_back(rs("c", 1));
  ServiceHealth svc(s);
  for (auto id : {"a", "b", "c"}) svc.record(id, ok(), clock.now());
  svc.take_actions();

  auto n = web();
  n.servers[0].weight = 9;               // a: weight only -> kept
  n.servers[1].check_signature = "tcp";  // b: check changed -> restarted
  n.servers.push_back(rs("d", 2));       // d: new; c: removed
  auto report = svc.reload(n, clock.now());
  EXPECT_THAT(report.kept, ElementsAre("a"));
  EXPECT_THAT(report.restarted, ElementsAre("b"));
  EXPECT_THAT(report.added, ElementsAre("d"));
  EXPECT_THAT(report.removed, ElementsAre("c"));
  EXPECT_TRUE(svc.server("a")->up());
  EXPECT_FALSE(svc.server("b")->up());
  EXPECT_EQ(svc.server("c"), nullptr);
  EXPECT_THAT(svc.take_actions(), UnorderedElementsAre(set("a", 9), del("b"), del("c")));
}

TEST(ServiceHealth, ReloadWithChangedRiseRestarts) {
  FakeClock clock;
  ServiceHealth svc(web());
  svc.record("a", ok(), clock.now());
  auto n = web();
  n.servers[0].policy.rise = 2;
  EXPECT_THAT(svc.reload(n, clock.now()).restarted, ElementsAre("a"));
  EXPECT_FALSE(svc.server("a")->up());
}

TEST(ServiceHealth, SnapshotRestoreResumesWithoutEvents) {
  FakeClock clock;
  ServiceHealth before(web());
  before.record("a", ok(), clock.now());
  before.record("b", bad(), clock.now());
  before.record("b", bad(), clock.now());
  auto snap = before.snapshot();
  ASSERT_EQ(snap.servers.size(), 2u);
  EXPECT_EQ(snap.servers[1].failures, 2);

  ServiceHealth after(web());
  after.restore(snap);
  EXPECT_TRUE(after.server("a")->up());
  EXPECT_FALSE(after.server("b")->up());
  EXPECT_EQ(after.server("b")->consecutive_failures(), 2);
  EXPECT_TRUE(after.has_quorum());
  EXPECT_THAT(after.take_events(), IsEmpty());
}

TEST(ServiceHealth, SnapshotOfAChangedCheckIsNotRestored) {
  FakeClock clock;
  ServiceHealth before(web());
  before.record("a", ok(), clock.now());
  auto n = web();
  n.servers[0].check_signature = "tcp";
  ServiceHealth after(n);
  after.restore(before.snapshot());
  EXPECT_FALSE(after.server("a")->up());
}

TEST(ServiceHealth, RestartAdoptsTheDirectorTableAndSendsOnlyDifferences) {
  FakeClock clock;
  auto s = web(OnFailure::kQuiesce);
  ServiceHealth svc(s);
  // The director still has a at full weight and b quiesced, and a stale x.
  svc.adopt_director_table({{"a", 5}, {"b", 0}, {"x", 1}});
  EXPECT_TRUE(svc.server("a")->up());
  EXPECT_FALSE(svc.server("b")->up());
  EXPECT_TRUE(svc.has_quorum());
  EXPECT_THAT(svc.take_actions(), ElementsAre(del("x")));
  EXPECT_THAT(svc.take_events(), IsEmpty());
  // One failure with fall=1 takes a down as normal afterwards.
  svc.record("a", bad(), clock.now());
  EXPECT_THAT(svc.take_actions(), ElementsAre(set("a", 0)));
}

TEST(ServiceHealth, AdoptionAfterRestoreKeepsTheSnapshotState) {
  FakeClock clock;
  ServiceHealth before(web());
  before.record("a", bad(), clock.now());
  ServiceHealth svc(web());
  svc.restore(before.snapshot());
  // The director never heard a went down (healthd died first): tell it now.
  svc.adopt_director_table({{"a", 5}, {"b", 3}});
  EXPECT_FALSE(svc.server("a")->up());
  EXPECT_TRUE(svc.server("b")->up());
  EXPECT_THAT(svc.take_actions(), ElementsAre(del("a")));
}

TEST(ServiceHealth, AdoptingAFallbackMeansQuorumWasLost) {
  auto s = web();
  s.fallback = FallbackSpec{"sorry", 1};
  ServiceHealth svc(s);
  svc.adopt_director_table({{"sorry", 1}});
  EXPECT_FALSE(svc.has_quorum());
  EXPECT_THAT(svc.take_actions(), IsEmpty());
}

RealServerSpec two_checks(std::string id, std::string second_sig = "dns A x") {
  RealServerSpec s;
  s.id = std::move(id);
  s.weight = 2;
  s.monitors = {MonitorSpec{"http", HealthPolicy{1, 1, InitialState::kDown, 4}, "http GET /"},
                MonitorSpec{"dns", HealthPolicy{1, 2, InitialState::kDown, 4}, second_sig}};
  return s;
}

ServiceSpec multi() {
  ServiceSpec s;
  s.name = "web";
  s.servers = {two_checks("a")};
  return s;
}

TEST(ServiceHealth, AServerIsUpOnlyWhileEveryMonitorIs) {
  FakeClock clock;
  ServiceHealth svc(multi());
  svc.record("a", "http", ok("HTTP 200"), clock.now());
  EXPECT_FALSE(svc.server("a")->up());  // dns has not spoken yet
  EXPECT_THAT(svc.take_actions(), IsEmpty());
  svc.record("a", "dns", ok("NOERROR"), clock.now());
  EXPECT_TRUE(svc.server("a")->up());
  EXPECT_THAT(svc.take_actions(), ElementsAre(add("a", 2)));
  auto up = svc.take_events();
  ASSERT_EQ(up.size(), 2u);  // server up, quorum restored
  EXPECT_EQ(up[0].kind, EventKind::kServerUp);
  EXPECT_EQ(up[0].summary, "dns: NOERROR");

  // dns has fall 2: one failure is not enough, http's own fall 1 is.
  svc.record("a", "dns", bad("SERVFAIL (expected NOERROR)"), clock.now());
  EXPECT_TRUE(svc.server("a")->up());
  svc.record("a", "http", bad("HTTP 503 (expected 200-299)"), clock.now());
  EXPECT_FALSE(svc.server("a")->up());
  auto down = svc.take_events();
  ASSERT_FALSE(down.empty());
  EXPECT_EQ(down[0].kind, EventKind::kServerDown);
  EXPECT_EQ(down[0].summary, "http: HTTP 503 (expected 200-299)");
  EXPECT_THAT(svc.take_actions(), ElementsAre(del("a")));
  EXPECT_EQ(svc.server("a")->consecutive_failures(), 1);
  // http recovering alone does not bring it back while dns is still failing.
  svc.record("a", "dns", bad("SERVFAIL (expected NOERROR)"), clock.now());
  svc.record("a", "http", ok("HTTP 200"), clock.now());
  EXPECT_FALSE(svc.server("a")->up());
  EXPECT_FALSE(svc.server("a")->check("dns")->health.checked_up());
  EXPECT_TRUE(svc.server("a")->check("http")->health.checked_up());
  // Unknown monitors are ignored.
  svc.record("a", "ping", ok(), clock.now());
  EXPECT_FALSE(svc.server("a")->up());
}

TEST(ServiceHealth, ReloadKeepsTheStateOfUnchangedMonitorsOfAServer) {
  FakeClock clock;
  ServiceHealth svc(multi());
  svc.record("a", "http", ok(), clock.now());
  svc.record("a", "dns", ok(), clock.now());
  svc.take_actions();
  svc.take_events();

  auto n = multi();
  n.servers[0] = two_checks("a", "dns A y");  // dns changed, http did not
  auto report = svc.reload(n, clock.now());
  EXPECT_THAT(report.restarted, ElementsAre("a"));
  EXPECT_TRUE(svc.server("a")->check("http")->health.checked_up());
  EXPECT_FALSE(svc.server("a")->check("dns")->health.checked_up());
  EXPECT_FALSE(svc.server("a")->up());
  EXPECT_THAT(svc.take_actions(), ElementsAre(del("a")));
  svc.record("a", "dns", ok(), clock.now());  // only the new check has to pass
  EXPECT_TRUE(svc.server("a")->up());

  // Dropping the failing monitor brings the server up, and says so.
  svc.record("a", "dns", bad(), clock.now());
  svc.record("a", "dns", bad(), clock.now());
  EXPECT_FALSE(svc.server("a")->up());
  svc.take_events();
  auto only_http = multi();
  only_http.servers[0].monitors.pop_back();
  report = svc.reload(only_http, clock.now());
  EXPECT_THAT(report.kept, ElementsAre("a"));
  EXPECT_TRUE(svc.server("a")->up());
  auto events = svc.take_events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].kind, EventKind::kServerUp);
  EXPECT_EQ(events[0].summary, "reload");
}

TEST(ServiceHealth, SnapshotRestoresEachMonitor) {
  FakeClock clock;
  ServiceHealth before(multi());
  before.record("a", "http", ok(), clock.now());
  before.record("a", "dns", bad(), clock.now());
  auto snap = before.snapshot();
  ASSERT_EQ(snap.servers.size(), 2u);
  EXPECT_EQ(snap.servers[1].monitor, "dns");
  ServiceHealth after(multi());
  after.restore(snap);
  EXPECT_TRUE(after.server("a")->check("http")->health.checked_up());
  EXPECT_EQ(after.server("a")->check("dns")->health.consecutive_failures(), 1);
  after.record("a", "dns", ok(), clock.now());
  EXPECT_TRUE(after.server("a")->up());
}

}  // namespace
}  // namespace tandem::health
