#include "vrrpd/core/instance.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tandem::vrrp {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;

const net::Ipv4 kLow{0xC6120001};   // 198.18.0.1
const net::Ipv4 kHigh{0xC6120002};  // 198.18.0.2

Action send(std::uint8_t p) {
  return {ActionKind::kSendAdvert, p};
}
Action take() {
  return {ActionKind::kTakeAddresses};
}
Action garp() {
  return {ActionKind::kSendGratuitousArp};
}
Action release() {
  return {ActionKind::kReleaseAddresses};
}
Action role(State from, State to) {
  return {ActionKind::kRoleChanged, 0, from, to};
}

InstanceConfig config(std::uint8_t priority, net::Ipv4 primary = kLow) {
  InstanceConfig c;
  c.vrid = 51;
  c.priority = priority;
  c.primary = primary;
  c.addresses = {net::Ipv4{0xC6120064}};
  return c;
}

Advert advert(std::uint8_t priority, std::uint16_t interval_cs = 100) {
  Advert a;
  a.vrid = 51;
  a.priority = priority;
  a.interval = interval_cs;
  return a;
}

struct VrrpInstance : ::testing::Test {
  FakeClock clock;
  TimePoint now() const { return clock.now(); }
  void advance(Duration d) { clock.advance(d); }
};

TEST_F(VrrpInstance, OwnerGoesMasterAtOnce) {
  Instance i(config(255));
  Output o = i.startup(now());
  EXPECT_EQ(i.state(), State::kMaster);
  EXPECT_THAT(o.actions,
              ElementsAre(send(255), take(), garp(), role(State::kInitialize, State::kMaster)));
  EXPECT_EQ(o.next_deadline, now() + seconds(1));
}

TEST_F(VrrpInstance, NonOwnerStartsAsBackupWithMasterDownTimer) {
  Instance i(config(100));
  Output o = i.startup(now());
  EXPECT_EQ(i.state(), State::kBackup);
  EXPECT_THAT(o.actions, ElementsAre(role(State::kInitialize, State::kBackup)));
  // v3: Skew = (256-100) * 1 s / 256 = 609375 us; Master_Down = 3 s + Skew.
  EXPECT_EQ(i.skew_time(), nanoseconds(609'375'000));
  EXPECT_EQ(o.next_deadline, now() + seconds(3) + nanoseconds(609'375'000));
}

TEST_F(VrrpInstance, MasterDownTimeoutMakesMaster) {
  Instance i(config(100));
  const TimePoint deadline = *i.startup(now()).next_deadline;
  clock.set(deadline - nanoseconds(1));
  EXPECT_TRUE(i.on_timer(now()).actions.empty());
  EXPECT_EQ(i.state(), State::kBackup);
  clock.set(deadline);
  Output o = i.on_timer(now());
  EXPECT_EQ(i.state(), State::kMaster);
  EXPECT_THAT(o.actions,
              ElementsAre(send(100), take(), garp(), role(State::kBackup, State::kMaster)));
}

TEST_F(VrrpInstance, SkewShrinksWithPriority) {
  Instance hi(config(200)), lo(config(50));
  // (256-200)/256 s = 218.75 ms, (256-50)/256 s = 804.6875 ms.
  EXPECT_EQ(hi.skew_time(), nanoseconds(218'750'000));
  EXPECT_EQ(lo.skew_time(), nanoseconds(804'687'500));
  EXPECT_LT(*hi.startup(now()).next_deadline, *lo.startup(now()).next_deadline);
}

TEST_F(VrrpInstance, V2SkewIsInSecondsWhateverTheInterval) {
  InstanceConfig c = config(100);
  c.version = Version::kV2;
  c.advert_interval = seconds(2);
  Instance i(c);
  EXPECT_EQ(i.skew_time(), nanoseconds(609'375'000));
  EXPECT_EQ(i.master_down_interval(), seconds(6) + nanoseconds(609'375'000));
}

TEST_F(VrrpInstance, BackupResetsTimerOnHigherOrEqualAdvert) {
  Instance i(config(100));
  i.startup(now());
  advance(seconds(2));
  Output o = i.advert_received(now(), advert(150), kHigh);
  EXPECT_TRUE(o.actions.empty());
  EXPECT_EQ(o.next_deadline, now() + i.master_down_interval());
  advance(seconds(2));
  o = i.advert_received(now(), advert(100), kLow);  // equal: the master keeps it
  EXPECT_EQ(o.next_deadline, now() + i.master_down_interval());
}

TEST_F(VrrpInstance, BackupAdoptsTheMastersInterval) {
  Instance i(config(100));
  i.startup(now());
  Output o = i.advert_received(now(), advert(150, 50), kHigh);
  EXPECT_EQ(i.master_adver_interval(), milliseconds(500));
  // Master_Down = 3 x 0.5 s + (156 x 0.5 s)/256.
  EXPECT_EQ(o.next_deadline, now() + milliseconds(1500) + nanoseconds(304'687'500));
}

TEST_F(VrrpInstance, V2BackupKeepsItsOwnInterval) {
  InstanceConfig c = config(100);
  c.version = Version::kV2;
  Instance i(c);
  i.startup(now());
  Advert a = advert(150, 3);
  a.version = Version::kV2;
  i.advert_received(now(), a, kHigh);
  EXPECT_EQ(i.master_adver_interval(), seconds(1));
}

TEST_F(VrrpInstance, PriorityZeroMakesBackupWaitOnlySkew) {
  Instance i(config(100));
  i.startup(now());
  Output o = i.advert_received(now(), advert(0), kHigh);
  EXPECT_EQ(o.next_deadline, now() + nanoseconds(609'375'000));
  clock.set(*o.next_deadline);
  i.on_timer(now());
  EXPECT_EQ(i.state(), State::kMaster);
}

TEST_F(VrrpInstance, PreemptTakesOverFromLowerMaster) {
  Instance i(config(200));
  TimePoint deadline = *i.startup(now()).next_deadline;
  // A lower master keeps advertising; with preempt the adverts are discarded.
  for (int k = 0; k < 3; ++k) {
    advance(seconds(1));
    EXPECT_EQ(i.advert_received(now(), advert(100), kHigh).next_deadline, deadline);
  }
  clock.set(deadline);
  i.on_timer(now());
  EXPECT_EQ(i.state(), State::kMaster);
}

TEST_F(VrrpInstance, NoPreemptKeepsFollowingLowerMaster) {
  InstanceConfig c = config(200);
  c.preempt = false;
  Instance i(c);
  i.startup(now());
  for (int k = 0; k < 10; ++k) {
    advance(seconds(1));
    Output o = i.advert_received(now(), advert(100), kHigh);
    i.on_timer(now());
    EXPECT_EQ(o.next_deadline, now() + i.master_down_interval());
  }
  EXPECT_EQ(i.state(), State::kBackup);
}

TEST_F(VrrpInstance, PreemptDelayHonoursLowerMasterForTheDelay) {
  InstanceConfig c = config(200);
  c.preempt_delay = seconds(10);
  Instance i(c);
  i.startup(now());
  const TimePoint first = now();
  std::optional<TimePoint> deadline;
  // Adverts every second: followed while inside the delay...
  for (int k = 0; k < 10; ++k) {
    deadline = i.advert_received(now(), advert(100), kHigh).next_deadline;
    EXPECT_EQ(deadline, now() + i.master_down_interval());
    advance(seconds(1));
    i.on_timer(now());
    EXPECT_EQ(i.state(), State::kBackup);
  }
  // ...and discarded from first + delay on, so the timer runs out.
  ASSERT_EQ(now(), first + seconds(10));
  EXPECT_EQ(i.advert_received(now(), advert(100), kHigh).next_deadline, deadline);
  clock.set(*deadline);
  i.on_timer(now());
  EXPECT_EQ(i.state(), State::kMaster);
}

TEST_F(VrrpInstance, PreemptDelayRestartsAfterHigherMaster) {
  InstanceConfig c = config(200);
  c.preempt_delay = seconds(5);
  Instance i(c);
  i.startup(now());
  i.advert_received(now(), advert(100), kHigh);  // holdoff starts
  advance(seconds(4));
  i.advert_received(now(), advert(250), kHigh);  // a higher master: holdoff cleared
  advance(seconds(2));
  // 6 s after the first lower advert, but a new holdoff starts now.
  Output o = i.advert_received(now(), advert(100), kHigh);
  EXPECT_EQ(o.next_deadline, now() + i.master_down_interval());
}

TEST_F(VrrpInstance, MasterYieldsToHigherPriority) {
  Instance i(config(255 - 155));
  i.startup(now());
  clock.set(*i.next_deadline());
  i.on_timer(now());
  ASSERT_EQ(i.state(), State::kMaster);
  Output o = i.advert_received(now(), advert(150, 200), kLow);
  EXPECT_EQ(i.state(), State::kBackup);
  EXPECT_THAT(o.actions, ElementsAre(release(), role(State::kMaster, State::kBackup)));
  EXPECT_EQ(i.master_adver_interval(), seconds(2));  // adopted on the way down
  EXPECT_EQ(o.next_deadline, now() + i.master_down_interval());
}

TEST_F(VrrpInstance, EqualPriorityTieBreakByPrimaryAddress) {
  Instance low(config(100, kLow)), high(config(100, kHigh));
  for (Instance* i : {&low, &high}) {
    i->startup(now());
    i->on_timer(*i->next_deadline());
    ASSERT_EQ(i->state(), State::kMaster);
  }
  Output o = high.advert_received(now(), advert(100), kLow);
  EXPECT_EQ(high.state(), State::kMaster);
  EXPECT_THAT(o.actions, ElementsAre(send(100)));
  low.advert_received(now(), advert(100), kHigh);
  EXPECT_EQ(low.state(), State::kBackup);
}

TEST_F(VrrpInstance, MasterAnswersLowerPriorityWithAnAdvert) {
  Instance i(config(255));
  i.startup(now());
  advance(milliseconds(300));
  Output o = i.advert_received(now(), advert(100), kHigh);
  EXPECT_EQ(i.state(), State::kMaster);
  EXPECT_THAT(o.actions, ElementsAre(send(255)));
  EXPECT_EQ(o.next_deadline, now() + seconds(1));
}

TEST_F(VrrpInstance, MasterAnswersPriorityZeroWithAnAdvert) {
  Instance i(config(255));
  i.startup(now());
  Output o = i.advert_received(now(), advert(0), kHigh);
  EXPECT_THAT(o.actions, ElementsAre(send(255)));
  EXPECT_EQ(i.state(), State::kMaster);
}

TEST_F(VrrpInstance, MasterAdvertisesEveryInterval) {
  InstanceConfig c = config(255);
  c.advert_interval = milliseconds(100);
  c.garp_repeat_delay = Duration::zero();
  Instance i(c);
  i.startup(now());
  for (int k = 0; k < 5; ++k) {
    clock.set(*i.next_deadline());
    EXPECT_THAT(i.on_timer(now()).actions, ElementsAre(send(255)));
  }
  EXPECT_EQ(now(), TimePoint{} + milliseconds(500));
}

TEST_F(VrrpInstance, GratuitousArpRepeatsOnceAfterDelay) {
  InstanceConfig c = config(255);
  c.garp_repeat_delay = milliseconds(2500);
  Instance i(c);
  i.startup(now());
  int garps = 0;
  while (now() < TimePoint{} + seconds(10)) {
    clock.set(*i.next_deadline());
    for (const Action& a : i.on_timer(now()).actions)
      garps += a.kind == ActionKind::kSendGratuitousArp;
  }
  EXPECT_EQ(garps, 1);
}

TEST_F(VrrpInstance, ShutdownAsMasterSendsPriorityZero) {
  Instance i(config(255));
  i.startup(now());
  Output o = i.shutdown(now());
  EXPECT_EQ(i.state(), State::kInitialize);
  EXPECT_THAT(o.actions, ElementsAre(send(0), release(), role(State::kMaster, State::kInitialize)));
  EXPECT_FALSE(o.next_deadline);
}

TEST_F(VrrpInstance, ShutdownAsBackupCancelsTimer) {
  Instance i(config(100));
  i.startup(now());
  Output o = i.shutdown(now());
  EXPECT_THAT(o.actions, ElementsAre(role(State::kBackup, State::kInitialize)));
  EXPECT_FALSE(o.next_deadline);
  EXPECT_TRUE(i.on_timer(now() + seconds(100)).actions.empty());
}

TEST_F(VrrpInstance, FaultFromTrackAndRecovery) {
  InstanceConfig c = config(255);
  c.tracks = {{"eth0", 0, true}};
  Instance i(c);
  i.startup(now());
  Output o = i.track_changed(now(), 0, false);
  EXPECT_EQ(i.state(), State::kFault);
  EXPECT_THAT(o.actions, ElementsAre(send(0), release(), role(State::kMaster, State::kFault)));
  EXPECT_FALSE(o.next_deadline);
  // Adverts are ignored in Fault.
  EXPECT_TRUE(i.advert_received(now(), advert(100), kHigh).actions.empty());
  o = i.track_changed(now(), 0, true);
  EXPECT_EQ(i.state(), State::kMaster);  // the owner comes straight back
}

TEST_F(VrrpInstance, StartupInFaultAndRecoveryToBackup) {
  InstanceConfig c = config(100);
  c.tracks = {{"healthd", 0, false}};
  Instance i(c);
  Output o = i.startup(now());
  EXPECT_EQ(i.state(), State::kFault);
  EXPECT_THAT(o.actions, ElementsAre(role(State::kInitialize, State::kFault)));
  o = i.track_changed(now(), 0, true);
  EXPECT_THAT(o.actions, ElementsAre(role(State::kFault, State::kBackup)));
  EXPECT_EQ(o.next_deadline, now() + i.master_down_interval());
}

TEST_F(VrrpInstance, TrackWeightsAdjustPriority) {
  InstanceConfig c = config(100);
  c.tracks = {{"bonus", 30, true}, {"penalty", -60, true}, {"fault", 0, true}};
  Instance i(c);
  EXPECT_EQ(i.effective_priority(), 130);
  i.track_changed(now(), 0, false);
  EXPECT_EQ(i.effective_priority(), 100);
  i.track_changed(now(), 1, false);
  EXPECT_EQ(i.effective_priority(), 40);
  c.priority = 20;
  Instance floor(c);
  floor.track_changed(now(), 0, false);
  floor.track_changed(now(), 1, false);
  EXPECT_EQ(floor.effective_priority(), 1);  // clamped, never 0
  c.priority = 250;
  EXPECT_EQ(Instance(c).effective_priority(), 254);  // never becomes owner
  c.priority = 255;
  c.tracks[1].up = false;
  EXPECT_EQ(Instance(c).effective_priority(), 255);
}

TEST_F(VrrpInstance, MasterAdvertisesTrackedPriority) {
  InstanceConfig c = config(150);
  c.tracks = {{"healthd", -100, true}};
  Instance i(c);
  i.startup(now());
  clock.set(*i.next_deadline());
  i.on_timer(now());
  ASSERT_EQ(i.state(), State::kMaster);
  i.track_changed(now(), 0, false);
  clock.set(*i.next_deadline());
  EXPECT_THAT(i.on_timer(now()).actions, ElementsAre(send(50)));
  // Now a 100 backup outranks us.
  i.advert_received(now(), advert(100), kLow);
  EXPECT_EQ(i.state(), State::kBackup);
}

TEST_F(VrrpInstance, UnknownTrackIndexIgnored) {
  Instance i(config(100));
  i.startup(now());
  EXPECT_TRUE(i.track_changed(now(), 5, false).actions.empty());
  EXPECT_EQ(i.state(), State::kBackup);
}

TEST_F(VrrpInstance, EventsBeforeStartupDoNothing) {
  Instance i(config(100));
  EXPECT_TRUE(i.advert_received(now(), advert(200), kHigh).actions.empty());
  EXPECT_TRUE(i.on_timer(now() + seconds(100)).actions.empty());
  EXPECT_TRUE(i.shutdown(now()).actions.empty());
  EXPECT_EQ(i.state(), State::kInitialize);
}

TEST_F(VrrpInstance, MakesAdvertInWireUnits) {
  InstanceConfig c = config(120);
  c.advert_interval = milliseconds(250);
  Advert a = Instance(c).make_advert(120);
  EXPECT_EQ(a.interval, 25);
  EXPECT_EQ(a.vrid, 51);
  EXPECT_EQ(a.addresses.size(), 1U);
  c.version = Version::kV2;
  c.advert_interval = seconds(3);
  c.v2_auth = V2AuthType::kSimpleText;
  c.v2_password = {'p', 'w', 0, 0, 0, 0, 0, 0};
  a = Instance(c).make_advert(0);
  EXPECT_EQ(a.interval, 3);
  EXPECT_EQ(a.auth_type, 1);
  EXPECT_EQ(a.auth_data, c.v2_password);
}

}  // namespace
}  // namespace tandem::vrrp
