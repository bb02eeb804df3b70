#include "vrrpd/core/sync_group.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tandem::vrrp {
namespace {

using std::chrono::seconds;

const net::Ipv4 kPeer{0xC6120009};

InstanceConfig member(std::uint8_t vrid, std::uint8_t priority) {
  InstanceConfig c;
  c.vrid = vrid;
  c.priority = priority;
  c.primary = net::Ipv4{0xC6120001};
  c.addresses = {net::Ipv4{0xC6120000u + vrid}};
  c.tracks = {{"link", 0, true}};
  return c;
}

Advert advert(std::uint8_t vrid, std::uint8_t priority) {
  Advert a;
  a.vrid = vrid;
  a.priority = priority;
  a.interval = 100;
  return a;
}

bool has(const std::vector<MemberOutput>& outs, std::size_t m, ActionKind kind,
         std::uint8_t priority = 0) {
  for (const auto& o : outs) {
    if (o.member != m) continue;
    for (const auto& a : o.output.actions) {
      if (a.kind == kind && (kind != ActionKind::kSendAdvert || a.priority == priority))
        return true;
    }
  }
  return false;
}

struct VrrpSyncGroup : ::testing::Test {
  TimePoint t0{};
  Instance a{member(1, 100)};
  Instance b{member(2, 100)};
  Instance c{member(3, 100)};
  SyncGroup group{{&a, &b, &c}};

  VrrpSyncGroup() {
    a.startup(t0);
    b.startup(t0);
    c.startup(t0);
  }
  void all_master() {
    const TimePoint t = *a.next_deadline();
    group.follow(t, 0, a.on_timer(t));
  }
};

TEST_F(VrrpSyncGroup, OneBecomingMasterPullsTheOthers) {
  const TimePoint t = *a.next_deadline();
  Output out = a.on_timer(t);
  ASSERT_EQ(a.state(), State::kMaster);
  auto follow = group.follow(t, 0, out);
  EXPECT_EQ(b.state(), State::kMaster);
  EXPECT_EQ(c.state(), State::kMaster);
  EXPECT_TRUE(has(follow, 1, ActionKind::kTakeAddresses));
  EXPECT_TRUE(has(follow, 2, ActionKind::kSendGratuitousArp));
  EXPECT_TRUE(has(follow, 1, ActionKind::kSendAdvert, 100));
}

TEST_F(VrrpSyncGroup, OneYieldingPushesTheOthersToBackup) {
  all_master();
  const TimePoint t = t0 + seconds(5);
  Output out = b.advert_received(t, advert(2, 200), kPeer);
  ASSERT_EQ(b.state(), State::kBackup);
  auto follow = group.follow(t, 1, out);
  EXPECT_EQ(a.state(), State::kBackup);
  EXPECT_EQ(c.state(), State::kBackup);
  EXPECT_TRUE(has(follow, 0, ActionKind::kReleaseAddresses));
  EXPECT_TRUE(has(follow, 2, ActionKind::kReleaseAddresses));
}

TEST_F(VrrpSyncGroup, OneFaultFaultsAllAndRecoveryBringsThemBack) {
  all_master();
  const TimePoint t = t0 + seconds(5);
  Output out = c.track_changed(t, 0, false);
  ASSERT_EQ(c.state(), State::kFault);
  auto follow = group.follow(t, 2, out);
  EXPECT_EQ(a.state(), State::kFault);
  EXPECT_EQ(b.state(), State::kFault);
  EXPECT_TRUE(has(follow, 0, ActionKind::kSendAdvert, 0));  // resigning masters
  EXPECT_TRUE(has(follow, 1, ActionKind::kReleaseAddresses));
  EXPECT_FALSE(a.own_fault());

  out = c.track_changed(t + seconds(1), 0, true);
  ASSERT_EQ(c.state(), State::kBackup);
  group.follow(t + seconds(1), 2, out);
  EXPECT_EQ(a.state(), State::kBackup);
  EXPECT_EQ(b.state(), State::kBackup);
}

TEST_F(VrrpSyncGroup, StaysFaultedWhileAnyMemberHasItsOwnFault) {
  const TimePoint t = t0 + seconds(1);
  group.follow(t, 0, a.track_changed(t, 0, false));
  group.follow(t, 1, b.track_changed(t, 0, false));
  EXPECT_EQ(c.state(), State::kFault);
  group.follow(t, 0, a.track_changed(t, 0, true));
  EXPECT_EQ(a.state(), State::kFault);  // b still down
  EXPECT_EQ(c.state(), State::kFault);
  group.follow(t, 1, b.track_changed(t, 0, true));
  EXPECT_EQ(a.state(), State::kBackup);
  EXPECT_EQ(b.state(), State::kBackup);
  EXPECT_EQ(c.state(), State::kBackup);
}

TEST_F(VrrpSyncGroup, NoRoleChangeNoPropagation) {
  Output out = a.advert_received(t0 + seconds(1), advert(1, 200), kPeer);
  EXPECT_TRUE(group.follow(t0 + seconds(1), 0, out).empty());
  EXPECT_TRUE(group.follow(t0, 7, out).empty());  // unknown member
}

}  // namespace
}  // namespace tandem::vrrp
