#include <gtest/gtest.h>

#include "director/core/scheduler.h"
#include "tests/unit/director/sched_fixture.h"

namespace tandem::director {
namespace {

using namespace std::chrono_literals;
using testing::ServerSet;

SchedInput to(std::uint32_t dst, TimePoint now) {
  SchedInput in;
  in.src = net::Ipv4{0x0A000001u};
  in.dst = net::Ipv4{dst};
  in.now = now;
  return in;
}

constexpr TimePoint T0 = TimePoint{} + 1000s;

LocalityConfig short_expiry() {
  LocalityConfig c;
  c.lblc_expiration = 100s;
  c.lblcr_expiration = 100s;
  return c;
}

TEST(Lblc, StickyPerDestinationWhileNotOverloaded) {
  ServerSet s;
  RealServer* a = s.add(10);
  RealServer* b = s.add(10);
  auto lblc = make_lblc({});
  lblc->update(s.list);
  EXPECT_EQ(lblc->pick(s.list, to(1, T0)), a);  // wlc: first of equals
  a->active = 10;                               // heavier, but active <= weight
  EXPECT_EQ(lblc->pick(s.list, to(1, T0)), a);
  EXPECT_EQ(lblc->pick(s.list, to(2, T0)), b);  // a new destination goes by wlc
}

TEST(Lblc, OverloadedOnlyWhileAnotherIsUnderHalf) {
  ServerSet s;
  RealServer* a = s.add(4);
  RealServer* b = s.add(4);
  auto lblc = make_lblc({});
  lblc->update(s.list);
  ASSERT_EQ(lblc->pick(s.list, to(1, T0)), a);
  a->active = 5;  // > weight
  b->active = 2;  // 2*2 == 4, not < 4: nobody is under half
  EXPECT_EQ(lblc->pick(s.list, to(1, T0)), a);
  b->active = 1;  // now b is under half its weight
  EXPECT_EQ(lblc->pick(s.list, to(1, T0)), b);
  a->active = 0;
  EXPECT_EQ(lblc->pick(s.list, to(1, T0)), b);  // the entry now points at b
}

TEST(Lblc, QuiescedOrRemovedServerIsReplaced) {
  ServerSet s;
  RealServer* a = s.add(1);
  RealServer* b = s.add(1);
  auto lblc = make_lblc({});
  lblc->update(s.list);
  ASSERT_EQ(lblc->pick(s.list, to(1, T0)), a);
  a->config.weight = 0;
  EXPECT_EQ(lblc->pick(s.list, to(1, T0)), b);
  a->config.weight = 1;
  a->active = 0;
  b->active = 1;                                // wlc would pick a, but b is not overloaded
  EXPECT_EQ(lblc->pick(s.list, to(1, T0)), b);  // entry moved to b and stays
  s.remove(b);
  lblc->update(s.list);
  EXPECT_EQ(lblc->pick(s.list, to(1, T0)), a);
}

TEST(Lblc, EntryExpiresAfterIdleTime) {
  ServerSet s;
  RealServer* a = s.add(1);
  RealServer* b = s.add(1);
  auto lblc = make_lblc(short_expiry());
  lblc->update(s.list);
  ASSERT_EQ(lblc->pick(s.list, to(1, T0)), a);
  a->active = 1;                                       // wlc would now prefer b
  EXPECT_EQ(lblc->pick(s.list, to(1, T0 + 99s)), a);   // use re-arms lastuse
  EXPECT_EQ(lblc->pick(s.list, to(1, T0 + 198s)), a);  // 99 s idle
  EXPECT_EQ(lblc->pick(s.list, to(1, T0 + 298s)), b);  // 100 s idle: forgotten
}

TEST(Lblc, HousekeepingDropsIdleEntries) {
  ServerSet s;
  RealServer* a = s.add(1);
  RealServer* b = s.add(1);
  auto lblc = make_lblc(short_expiry());
  lblc->update(s.list);
  ASSERT_EQ(lblc->pick(s.list, to(1, T0)), a);
  ASSERT_EQ(lblc->pick(s.list, to(2, T0 + 60s)), a);
  EXPECT_EQ(lblc->entries(), 2u);
  lblc->housekeeping(T0 + 99s);
  EXPECT_EQ(lblc->entries(), 2u);
  lblc->housekeeping(T0 + 100s);  // destination 1 idle for 100 s
  EXPECT_EQ(lblc->entries(), 1u);
  lblc->housekeeping(T0 + 160s);
  EXPECT_EQ(lblc->entries(), 0u);
  (void)b;
}

TEST(Lblcr, GrowsSetWhenOverloadedAndPicksLeastLoadedMember) {
  ServerSet s;
  RealServer* a = s.add(2);
  RealServer* b = s.add(2);
  RealServer* c = s.add(2);
  auto lblcr = make_lblcr(short_expiry());
  lblcr->update(s.list);
  ASSERT_EQ(lblcr->pick(s.list, to(1, T0)), a);
  a->active = 3;  // > weight, and c (0*2 < 2) is under half
  b->active = 1;
  // Set {a} -> overloaded; wlc over the service picks c; set becomes {c, a}.
  EXPECT_EQ(lblcr->pick(s.list, to(1, T0 + 1s)), c);
  c->active = 1;
  // Set min over {c, a}: c (256/2) beats a (768/2).
  EXPECT_EQ(lblcr->pick(s.list, to(1, T0 + 2s)), c);
  a->active = 0;
  // Now a is lightest in the set (b is not a member even though idle-ish).
  EXPECT_EQ(lblcr->pick(s.list, to(1, T0 + 3s)), a);
}

TEST(Lblcr, SetShrinksAfterExpirationWithoutChange) {
  ServerSet s;
  RealServer* a = s.add(2);
  RealServer* b = s.add(2);
  auto lblcr = make_lblcr(short_expiry());
  lblcr->update(s.list);
  ASSERT_EQ(lblcr->pick(s.list, to(1, T0)), a);
  a->active = 3;
  ASSERT_EQ(lblcr->pick(s.list, to(1, T0 + 1s)), b);  // set {b, a}, lastmod T0+1
  a->active = 1;
  b->active = 2;
  // Within the expiration: set unchanged, min is a (256/2 < 512/2).
  EXPECT_EQ(lblcr->pick(s.list, to(1, T0 + 50s)), a);
  // More than 100 s after the last change: the most loaded (b) is dropped.
  EXPECT_EQ(lblcr->pick(s.list, to(1, T0 + 102s)), a);
  a->active = 1;
  b->active = 0;
  // Had b stayed in the set it would be the set's minimum now.
  EXPECT_EQ(lblcr->pick(s.list, to(1, T0 + 103s)), a);
}

}  // namespace
}  // namespace tandem::director
