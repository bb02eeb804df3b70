// healthd / vrrpd publications -> alert events, and the catch-up after a
// reconnect.

#include "alerts/engine/intake.h"

#include <gtest/gtest.h>

namespace tandem::alerts {
namespace {

using ipc::Json;

Json health(const std::string& rs2_state, bool quorum = true) {
  return Json{
      {"services",
       {{{"service", "web"},
         {"has_quorum", quorum},
         {"servers",
          {{{"server", "rs1"}, {"state", "up"}, {"last", {{"summary", "HTTP 200"}}}},
           {{"server", "rs2"}, {"state", rs2_state}, {"last", {{"summary", "HTTP 500 from /"}}}},
           {{"server", "rs3"}, {"state", "pending"}, {"last", nullptr}}}}}}}};
}

TEST(AlertIntake, HealthEventsMapToKindsAndSeverities) {
  Intake in;
  auto down = in.health_event("health.server_down",
                              {{"service", "web"}, {"server", "rs2"}, {"summary", "HTTP 500"}});
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].kind, EventKind::kServerDown);
  EXPECT_EQ(down[0].severity, Severity::kWarning);
  EXPECT_EQ(down[0].service, "web");
  EXPECT_EQ(down[0].server, "rs2");
  EXPECT_EQ(down[0].summary, "HTTP 500");

  auto up = in.health_event("health.server_up", {{"service", "web"}, {"server", "rs2"}});
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].kind, EventKind::kServerUp);
  EXPECT_EQ(up[0].severity, Severity::kInfo);

  auto lost = in.health_event("health.quorum_lost", {{"service", "web"}, {"summary", "0 of 3"}});
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].kind, EventKind::kQuorumLost);
  EXPECT_EQ(lost[0].severity, Severity::kCritical);
  EXPECT_TRUE(lost[0].server.empty());
  auto back = in.health_event("health.quorum_restored", {{"service", "web"}});
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].kind, EventKind::kQuorumRestored);
  EXPECT_EQ(in.stats().events, 4u);
}

TEST(AlertIntake, NonAlertTopicsAndMalformedDataAreCountedNotAlerted) {
  Intake in;
  EXPECT_TRUE(in.health_event("health.actions", {{"service", "web"}}).empty());
  EXPECT_EQ(in.stats().ignored, 1u);
  EXPECT_TRUE(in.health_event("health.server_down", Json::array()).empty());
  EXPECT_TRUE(in.health_event("health.server_down", {{"service", 7}, {"server", "rs1"}}).empty());
  EXPECT_TRUE(in.health_event("health.server_down", {{"service", "web"}}).empty());
  EXPECT_TRUE(in.vrrp_event({{"instance", "vi"}}).empty());
  EXPECT_TRUE(in.vrrp_event("master").empty());
  EXPECT_TRUE(in.health_snapshot(Json::array()).empty());
  EXPECT_TRUE(in.vrrp_snapshot(Json(3)).empty());
  EXPECT_EQ(in.stats().malformed, 7u);
  EXPECT_EQ(in.stats().events, 0u);
}

TEST(AlertIntake, FirstHealthSnapshotIsABaselineLaterOnesCatchUp) {
  Intake in;
  EXPECT_TRUE(in.health_snapshot(health("down")).empty());  // alertd just started
  EXPECT_TRUE(in.health_snapshot(health("down")).empty());  // nothing changed
  auto ev = in.health_snapshot(health("up"));               // missed a recovery
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EventKind::kServerUp);
  EXPECT_EQ(ev[0].server, "rs2");
  ev = in.health_snapshot(health("maintenance", false));
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, EventKind::kQuorumLost);
  EXPECT_EQ(ev[1].kind, EventKind::kServerDown);
  EXPECT_EQ(ev[1].summary, "maintenance");
  EXPECT_EQ(in.stats().caught_up, 3u);
}

TEST(AlertIntake, LiveEventsKeepTheSnapshotFromRepeatingThem) {
  Intake in;
  in.health_snapshot(health("up"));
  ASSERT_EQ(in.health_event("health.server_down",
                            {{"service", "web"}, {"server", "rs2"}, {"summary", "HTTP 500"}})
                .size(),
            1u);
  // The reconnect snapshot shows the same down state: already reported.
  EXPECT_TRUE(in.health_snapshot(health("down")).empty());
}

TEST(AlertIntake, VrrpStateBecomesARoleChangeNotice) {
  Intake in;
  Json data = {{"instance", "vi_web"},
               {"group", nullptr},
               {"vrid", 51},
               {"interface", "eth0"},
               {"state", "master"},
               {"previous", "backup"},
               {"priority", 150},
               {"master", "198.18.0.2"},
               {"reason", "higher priority"},
               {"vips", {"198.18.0.100/24"}}};
  auto ev = in.vrrp_event(data);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EventKind::kVrrpMaster);
  EXPECT_EQ(ev[0].severity, Severity::kWarning);
  EXPECT_EQ(ev[0].service, "vi_web");
  EXPECT_EQ(ev[0].summary, "vi_web is master (was backup): higher priority");
  EXPECT_NE(ev[0].detail.find("vrid: 51"), std::string::npos);
  EXPECT_NE(ev[0].detail.find("vips: 198.18.0.100/24"), std::string::npos);
  EXPECT_EQ(ev[0].detail.find("group"), std::string::npos);  // null is left out

  data["state"] = "fault";
  data["previous"] = "master";
  EXPECT_EQ(in.vrrp_event(data)[0].severity, Severity::kCritical);
  data["state"] = "backup";
  data["previous"] = "init";
  EXPECT_EQ(in.vrrp_event(data)[0].severity, Severity::kInfo);  // routine start-up
}

TEST(AlertIntake, VrrpSnapshotReportsRoleChangesMissedWhileDisconnected) {
  Intake in;
  Json list = {{"instances", {{{"instance", "vi_web"}, {"state", "backup"}}}}};
  EXPECT_TRUE(in.vrrp_snapshot(list).empty());
  list["instances"][0]["state"] = "master";
  auto ev = in.vrrp_snapshot(list);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].summary.rfind("vi_web is master (was backup)", 0), 0u);
  // A bare list works too, and a live event without `previous` uses memory.
  EXPECT_TRUE(
      in.vrrp_snapshot(Json::array({{{"instance", "vi_web"}, {"state", "master"}}})).empty());
  auto live = in.vrrp_event({{"instance", "vi_web"}, {"state", "fault"}});
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].summary, "vi_web is fault (was master)");
}

}  // namespace
TEST(AlertIntake, VrrpKindFollowsTheNewState) {
  Intake in;
  auto kind_for = [&in](const char* state, const char* previous) {
    auto ev = in.vrrp_event({{"instance", "vi"}, {"state", state}, {"previous", previous}});
    return ev.size() == 1 ? ev[0].kind : EventKind::kTest;
  };
  EXPECT_EQ(kind_for("master", "backup"), EventKind::kVrrpMaster);
  EXPECT_EQ(kind_for("backup", "master"), EventKind::kVrrpBackup);
  EXPECT_EQ(kind_for("fault", "master"), EventKind::kVrrpFault);
  EXPECT_EQ(kind_for("backup", "init"), EventKind::kVrrpBackup);
}

TEST(AlertIntake, CertificateExpiryWarning) {
  Intake in;
  auto ev = in.health_event("health.cert_expiry", {{"service", "web-tls"},
                                                   {"server", "rs1"},
                                                   {"monitor", "tls-health"},
                                                   {"summary", "certificate expires in 5 days"}});
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EventKind::kCertExpiry);
  EXPECT_EQ(ev[0].severity, Severity::kWarning);
  EXPECT_EQ(ev[0].server, "rs1");
  EXPECT_EQ(ev[0].summary, "certificate expires in 5 days");
  EXPECT_TRUE(in.health_event("health.cert_expiry", {{"service", "web-tls"}}).empty());
  EXPECT_EQ(in.stats().malformed, 1u);
}

TEST(AlertIntake, ABackupDirectorLeavesHealthAlertsToTheActiveOne) {
  Intake in;
  EXPECT_FALSE(in.silenced_as_backup());  // no VRRP known: alert
  in.vrrp_event({{"instance", "vip"}, {"state", "backup"}, {"previous", "init"}});
  in.vrrp_event({{"instance", "dip"}, {"state", "backup"}, {"previous", "init"}});
  EXPECT_TRUE(in.silenced_as_backup());
  in.set_backup_alerts(true);
  EXPECT_FALSE(in.silenced_as_backup());
  in.set_backup_alerts(false);
  in.vrrp_event({{"instance", "vip"}, {"state", "master"}, {"previous", "backup"}});
  EXPECT_FALSE(in.silenced_as_backup());  // master of any instance: it speaks
}

TEST(AlertIntake, HeldFailuresAreReleasedWhenTheDirectorBecomesActive) {
  Intake in;
  in.vrrp_event({{"instance", "vip"}, {"state", "backup"}, {"previous", "init"}});
  ASSERT_TRUE(in.silenced_as_backup());
  in.hold(in.health_event("health.server_down",
                          {{"service", "web"}, {"server", "rs1"}, {"summary", "HTTP 500"}}));
  in.hold(in.health_event("health.server_down",
                          {{"service", "web"}, {"server", "rs2"}, {"summary", "refused"}}));
  in.hold(in.health_event("health.server_up",
                          {{"service", "web"}, {"server", "rs1"}, {"summary", "HTTP 200"}}));
  in.hold(in.health_event("health.server_down",
                          {{"service", "web"}, {"server", "rs2"}, {"summary", "timeout"}}));
  auto held = in.release();
  ASSERT_EQ(held.size(), 1u);  // rs1 recovered; rs2's latest failure only
  EXPECT_EQ(held[0].server, "rs2");
  EXPECT_EQ(held[0].summary, "timeout");
  EXPECT_TRUE(in.release().empty());
}

}  // namespace tandem::alerts
