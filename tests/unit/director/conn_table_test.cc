#include "director/core/conn_table.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace tandem::director {
namespace {

using namespace std::chrono_literals;

ConnKey key(std::uint32_t client, std::uint16_t cport = 1000) {
  return ConnKey{Protocol::tcp, false, net::Ipv4{client}, cport, net::Ipv4{0xC6120A01u}, 80};
}

constexpr TimePoint T0 = TimePoint{} + 100s;

ConnTableConfig small(std::size_t max) {
  ConnTableConfig c;
  c.max_entries = max;
  return c;
}

TEST(ConnTable, CreateFindRelease) {
  ConnTable t(small(100));
  const EntryId a = t.create(key(1), T0 + 10s);
  const EntryId b = t.create(key(1, 1001), T0 + 10s);
  ASSERT_NE(a, kNone);
  ASSERT_NE(b, kNone);
  EXPECT_EQ(t.find(key(1)), a);
  EXPECT_EQ(t.find(key(1, 1001)), b);
  EXPECT_EQ(t.find(key(2)), kNone);
  // Same tuple, other protocol or template flag: a different key.
  ConnKey udp = key(1);
  udp.protocol = Protocol::udp;
  EXPECT_EQ(t.find(udp), kNone);
  ConnKey tmpl = key(1);
  tmpl.is_template = true;
  EXPECT_EQ(t.find(tmpl), kNone);
  EXPECT_EQ(t.size(), 2u);
  t.release(a);
  EXPECT_EQ(t.find(key(1)), kNone);
  EXPECT_EQ(t.find(key(1, 1001)), b);
  EXPECT_EQ(t.size(), 1u);
}

TEST(ConnTable, ReverseLookupOnlyWhenHashed) {
  ConnTable t(small(10));
  const EntryId a = t.create(key(1), T0);
  t.at(a).daddr = net::Ipv4{0xC6120B01u};
  t.at(a).dport = 8080;
  EXPECT_EQ(t.find_reverse(Protocol::tcp, net::Ipv4{0xC6120B01u}, 8080, net::Ipv4{1}, 1000), kNone);
  t.hash_reverse(a);
  EXPECT_EQ(t.find_reverse(Protocol::tcp, net::Ipv4{0xC6120B01u}, 8080, net::Ipv4{1}, 1000), a);
  EXPECT_EQ(t.find_reverse(Protocol::tcp, net::Ipv4{0xC6120B01u}, 8081, net::Ipv4{1}, 1000), kNone);
  EXPECT_EQ(t.find_reverse(Protocol::udp, net::Ipv4{0xC6120B01u}, 8080, net::Ipv4{1}, 1000), kNone);
  t.unhash(a);
  EXPECT_EQ(t.find_reverse(Protocol::tcp, net::Ipv4{0xC6120B01u}, 8080, net::Ipv4{1}, 1000), kNone);
  EXPECT_EQ(t.find(key(1)), kNone);
  EXPECT_EQ(t.size(), 1u);  // unhashed, still allocated
}

TEST(ConnTable, RefusesBeyondMaxAndReusesFreedSlots) {
  ConnTable t(small(3));
  std::vector<EntryId> ids;
  for (std::uint32_t i = 0; i < 3; ++i) ids.push_back(t.create(key(i + 1), T0));
  EXPECT_EQ(t.create(key(9), T0), kNone);
  t.release(ids[1]);
  const EntryId again = t.create(key(9), T0);
  EXPECT_EQ(again, ids[1]);
  EXPECT_EQ(t.find(key(9)), again);
}

TEST(ConnTable, CollectExpiresOnlyDueEntries) {
  ConnTable t(small(10));
  t.collect(T0, [](EntryId) {});
  const EntryId a = t.create(key(1), T0 + 5s);
  const EntryId b = t.create(key(2), T0 + 10s);
  std::vector<EntryId> due;
  auto release = [&](EntryId id) {
    due.push_back(id);
    t.release(id);
  };
  t.collect(T0 + 4s, release);
  EXPECT_TRUE(due.empty());
  t.collect(T0 + 6s, release);
  EXPECT_EQ(due, std::vector<EntryId>{a});
  t.collect(T0 + 20s, release);
  EXPECT_EQ(due, (std::vector<EntryId>{a, b}));
  EXPECT_EQ(t.size(), 0u);
}

TEST(ConnTable, LaterArmIsLazyEarlierArmMoves) {
  ConnTable t(small(10));
  t.collect(T0, [](EntryId) {});
  const EntryId a = t.create(key(1), T0 + 5s);
  const EntryId b = t.create(key(2), T0 + 900s);
  t.arm(a, T0 + 50s);  // later: stays in its slot, re-slotted when visited
  t.arm(b, T0 + 3s);   // sooner: moved now
  std::vector<EntryId> due;
  auto release = [&](EntryId id) {
    due.push_back(id);
    t.release(id);
  };
  t.collect(T0 + 4s, release);
  EXPECT_EQ(due, std::vector<EntryId>{b});
  t.collect(T0 + 49s, release);
  EXPECT_EQ(due.size(), 1u);
  t.collect(T0 + 51s, release);
  EXPECT_EQ(due, (std::vector<EntryId>{b, a}));
}

TEST(ConnTable, ExpiryBeyondOneWheelLapAndLongPauses) {
  ConnTable t(small(10));
  t.collect(T0, [](EntryId) {});
  // The wheel spans 4096 * 250 ms = 1024 s; this one needs several laps.
  const EntryId a = t.create(key(1), T0 + 5000s);
  int due = 0;
  auto release = [&](EntryId id) {
    ++due;
    t.release(id);
  };
  for (int s = 0; s < 4999; s += 7) t.collect(T0 + std::chrono::seconds(s), release);
  EXPECT_EQ(due, 0);
  EXPECT_EQ(t.find(key(1)), a);
  t.collect(T0 + 5001s, release);
  EXPECT_EQ(due, 1);
  // A single call after a long pause still finds everything due.
  t.create(key(2), T0 + 5010s);
  t.create(key(3), T0 + 7000s);
  t.collect(T0 + 100000s, release);
  EXPECT_EQ(due, 3);
}

TEST(ConnTable, CallbackMayReleaseOtherEntriesAndReArm) {
  ConnTable t(small(10));
  t.collect(T0, [](EntryId) {});
  const EntryId a = t.create(key(1), T0 + 1s);
  const EntryId b = t.create(key(2), T0 + 1s);
  const EntryId c = t.create(key(3), T0 + 1s);
  std::vector<EntryId> seen;
  t.collect(T0 + 2s, [&](EntryId id) {
    seen.push_back(id);
    if (id == c) {
      t.arm(c, T0 + 100s);  // keep c
      return;
    }
    const EntryId other = id == a ? b : a;
    t.release(id);
    if (t.at(other).flags & entry_flag::kUsed) t.release(other);
  });
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.find(key(3)), c);
  EXPECT_EQ(seen.size(), 2u);  // the released partner is not visited
}

TEST(ConnTable, ManyEntriesDistinctAndFindable) {
  ConnTable t(small(20000));
  std::set<EntryId> ids;
  for (std::uint32_t i = 0; i < 20000; ++i) ids.insert(t.create(key(i / 50, 1000 + i % 50), T0));
  EXPECT_EQ(ids.size(), 20000u);
  EXPECT_EQ(ids.count(kNone), 0u);
  for (std::uint32_t i = 0; i < 20000; i += 997)
    EXPECT_NE(t.find(key(i / 50, 1000 + i % 50)), kNone);
  std::size_t n = 0;
  t.for_each([&](EntryId, const ConnEntry&) { ++n; });
  EXPECT_EQ(n, 20000u);
}

TEST(ConnTable, MemoryReport) {
  ConnTable t(small(1u << 16));
  const ConnTableMemory before = t.memory();
  EXPECT_EQ(before.entry_bytes, sizeof(ConnEntry));
  EXPECT_LE(sizeof(ConnEntry), 64u);
  EXPECT_EQ(before.slab_bytes, 0u);
  // 2^15 buckets per chain, two chains of 4-byte heads.
  EXPECT_EQ(before.bucket_bytes, 2u * 32768u * 4u);
  EXPECT_DOUBLE_EQ(before.bytes_per_entry_at_max, sizeof(ConnEntry) + 4.0);
  t.create(key(1), T0);
  EXPECT_EQ(t.memory().slab_bytes, 4096u * sizeof(ConnEntry));
}

}  // namespace
}  // namespace tandem::director
