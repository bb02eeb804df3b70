// tandem-syncd's engine: two engines wired back to back through a "network"
// the test controls (deliver, drop, replay, corrupt), on a FakeClock.

#include "syncd/core/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "common/sync/envelope.h"
#include "common/sync/message.h"

namespace tandem::syncd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using sync::ConnRecord;
using sync::SyncError;

sync::KeyRing ring(std::uint8_t id, const char* secret) {
  sync::KeyRing r;
  r.current.id = id;
  r.current.secret.assign(secret, secret + std::strlen(secret));
  return r;
}

ConnRecord conn(std::uint16_t cport, std::uint16_t state = 1) {
  ConnRecord r;
  r.protocol = 6;
  r.flags = 3;  // DR
  r.state = state;
  r.cport = cport;
  r.vport = 80;
  r.dport = 80;
  r.timeout_s = 900;
  r.caddr = sync::SyncAddr::from_v4(net::Ipv4{0xC612000A});  // 198.18.0.10
  r.vaddr = sync::SyncAddr::from_v4(net::Ipv4{0xC6120064});
  r.daddr = sync::SyncAddr::from_v4(net::Ipv4{0xC612010B});
  return r;
}

EngineConfig config(std::uint64_t id, std::uint8_t syncid = 7) {
  EngineConfig c;
  c.sender_id = id;
  c.epoch = 1000 + id;
  c.syncid = syncid;
  c.keys = ring(1, "0123456789abcdef-shared");
  c.flush_interval = milliseconds(50);
  return c;
}

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : a(config(1), clock.now()), b(config(2), clock.now()) {
    a.set_role(Role::master, clock.now());
    b.set_role(Role::backup, clock.now());
  }

  // Moves every datagram each way once; returns how many moved.
  std::size_t exchange(bool drop_a_to_b = false) {
    std::size_t n = 0;
    for (auto& d : a.take_outgoing()) {
      ++n;
      if (!drop_a_to_b) b.datagram(d, clock.now());
    }
    for (auto& d : b.take_outgoing()) {
      ++n;
      a.datagram(d, clock.now());
    }
    return n;
  }
  void run(Duration d, Duration step = milliseconds(10)) {
    for (Duration t{0}; t < d; t += step) {
      clock.advance(step);
      a.tick(clock.now());
      b.tick(clock.now());
      exchange();
    }
  }
  std::vector<ConnRecord> installed() {
    auto v = b.take_installs();
    return v;
  }

  FakeClock clock{TimePoint(seconds(100))};
  Engine a, b;
};

TEST_F(EngineTest, MasterBatchesLiveRecordsAndBackupInstallsThem) {
  run(milliseconds(100));  // first contact, join resync of an empty table
  (void)installed();
  for (std::uint16_t p = 1000; p < 1100; ++p) a.local_record(conn(p), clock.now());
  // 100 IPv4 records need 3 datagrams of at most 1472 bytes; nothing leaves
  // before the batch is full or flush_interval old.
  EXPECT_EQ(a.counters().sent_records, 100u);
  run(milliseconds(60));
  const auto got = installed();
  ASSERT_EQ(got.size(), 100u);
  EXPECT_EQ(got.front(), conn(1000));
  EXPECT_EQ(got.back(), conn(1099));
  EXPECT_EQ(b.counters().received_records, 100u);
  EXPECT_EQ(b.rejected().total(), 0u);
  EXPECT_EQ(a.lag().samples, 3u);
}

TEST_F(EngineTest, BackupDoesNotSendLiveRecords) {
  b.local_record(conn(1), clock.now());
  run(milliseconds(100));
  EXPECT_EQ(b.counters().sent_records, 0u);
  EXPECT_TRUE(a.take_installs().empty());
  EXPECT_EQ(b.mirror_size(), 1u);  // kept for a later failback resync
}

TEST_F(EngineTest, LateBackupGetsTheTableByJoinResync) {
  for (std::uint16_t p = 1; p <= 500; ++p) a.local_record(conn(p), clock.now());
  run(milliseconds(100), milliseconds(10));
  // A third engine joins after the records were sent.
  Engine c(config(3), clock.now());
  c.set_role(Role::backup, clock.now());
  std::vector<ConnRecord> got;
  for (int i = 0; i < 200 && got.size() < 500; ++i) {
    clock.advance(milliseconds(10));
    a.tick(clock.now());
    c.tick(clock.now());
    for (auto& d : a.take_outgoing()) c.datagram(d, clock.now());
    for (auto& d : c.take_outgoing()) a.datagram(d, clock.now());
    for (auto& r : c.take_installs()) got.push_back(r);
  }
  EXPECT_EQ(got.size(), 500u);
  EXPECT_GE(a.counters().resyncs_served, 1u);
  EXPECT_EQ(c.counters().resyncs_completed, 1u);
}

TEST_F(EngineTest, ResyncSendsPersistenceTemplatesBeforeConnections) {
  // The backup's director links a connection to its template only if the
  // template came first; the mirror's own order would put templates last.
  ConnRecord t = conn(0);
  t.flags |= sync::kFlagTemplate | sync::kFlagNoCport;
  t.timeout_s = 300;
  a.local_record(conn(1), clock.now());
  a.local_record(t, clock.now());
  a.local_record(conn(2), clock.now());
  run(milliseconds(100));
  Engine c(config(3), clock.now());
  c.set_role(Role::backup, clock.now());
  std::vector<ConnRecord> got;
  for (int i = 0; i < 100 && got.size() < 3; ++i) {
    clock.advance(milliseconds(10));
    a.tick(clock.now());
    c.tick(clock.now());
    for (auto& d : a.take_outgoing()) c.datagram(d, clock.now());
    for (auto& d : c.take_outgoing()) a.datagram(d, clock.now());
    for (auto& r : c.take_installs()) got.push_back(r);
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], t);
  EXPECT_EQ(got[1].cport, 1);
  EXPECT_EQ(got[2].cport, 2);
}

TEST_F(EngineTest, LostDatagramIsRetransmitted) {
  run(milliseconds(100));
  (void)installed();
  a.local_record(conn(1), clock.now());
  clock.advance(milliseconds(60));
  a.tick(clock.now());
  exchange(/*drop_a_to_b=*/true);  // the data datagram is lost
  a.local_record(conn(2), clock.now());
  clock.advance(milliseconds(60));
  a.tick(clock.now());
  exchange();  // the next one shows the gap
  run(milliseconds(200));
  std::vector<std::uint16_t> ports;
  for (auto& r : installed()) ports.push_back(r.cport);
  EXPECT_NE(std::find(ports.begin(), ports.end(), 1), ports.end());
  EXPECT_NE(std::find(ports.begin(), ports.end(), 2), ports.end());
  EXPECT_EQ(b.counters().retransmit_requests_sent, 1u);
  EXPECT_GE(a.counters().retransmitted, 1u);
}

TEST_F(EngineTest, RejectsForgedReplayedWrongSyncidAndTruncated) {
  run(milliseconds(100));
  a.local_record(conn(1), clock.now());
  clock.advance(milliseconds(60));
  a.tick(clock.now());
  auto out = a.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  b.datagram(out[0], clock.now());
  EXPECT_EQ(installed().size(), 1u);

  b.datagram(out[0], clock.now());  // replay
  EXPECT_EQ(b.rejected().get(SyncError::kReplay), 1u);

  auto forged = out[0];
  forged[40] ^= 1;
  b.datagram(forged, clock.now());
  EXPECT_EQ(b.rejected().get(SyncError::kBadHmac), 1u);

  auto cut = out[0];
  cut.resize(20);
  b.datagram(cut, clock.now());
  EXPECT_EQ(b.rejected().get(SyncError::kTruncated), 1u);

  // Right key, wrong syncid: authenticated but filtered.
  Engine other(config(9, /*syncid=*/8), clock.now());
  other.set_role(Role::master, clock.now());
  (void)other.take_outgoing();  // its push of an empty table on becoming master
  other.local_record(conn(5), clock.now());
  clock.advance(milliseconds(60));
  other.tick(clock.now());
  for (auto& d : other.take_outgoing()) b.datagram(d, clock.now());
  EXPECT_EQ(b.rejected().get(SyncError::kWrongSyncId), 1u);

  // Another key entirely.
  auto cfg = config(10);
  cfg.keys = ring(1, "some-other-key-0123456");
  Engine stranger(cfg, clock.now());
  stranger.set_role(Role::master, clock.now());
  (void)stranger.take_outgoing();
  clock.advance(seconds(2));  // a heartbeat is due
  stranger.tick(clock.now());
  for (auto& d : stranger.take_outgoing()) b.datagram(d, clock.now());
  EXPECT_EQ(b.rejected().get(SyncError::kBadHmac), 2u);
  EXPECT_TRUE(installed().empty());
}

TEST_F(EngineTest, PreviousKeyStillAcceptedDuringRotation) {
  auto rotated = ring(2, "the-new-key-0123456789");
  rotated.previous = ring(1, "0123456789abcdef-shared").current;
  b.reconfigure(rotated, 7, milliseconds(50));
  a.local_record(conn(1), clock.now());
  run(milliseconds(100));
  EXPECT_EQ(installed().size(), 1u);
  EXPECT_EQ(b.rejected().total(), 0u);
}

TEST_F(EngineTest, NewMasterPushesItsTableForFailback) {
  run(milliseconds(100));
  // The backup learnt connections from the master; then roles swap.
  for (std::uint16_t p = 1; p <= 10; ++p) a.local_record(conn(p), clock.now());
  run(milliseconds(100));
  EXPECT_EQ(b.mirror_size(), 10u);
  (void)a.take_installs();
  b.set_role(Role::master, clock.now());
  a.set_role(Role::backup, clock.now());
  run(milliseconds(50));
  EXPECT_EQ(a.take_installs().size(), 10u);
}

TEST_F(EngineTest, MirrorExpiresRecordsAfterTheirTimeout) {
  auto r = conn(1);
  r.timeout_s = 5;
  a.local_record(r, clock.now());
  a.local_record(conn(2), clock.now());
  EXPECT_EQ(a.mirror_size(), 2u);
  run(seconds(7), milliseconds(100));
  EXPECT_EQ(a.mirror_size(), 1u);
  EXPECT_EQ(a.counters().mirror_expired, 1u);
}

TEST_F(EngineTest, HeartbeatsWhenIdleAndPeerLiveness) {
  run(seconds(3), milliseconds(100));
  EXPECT_GE(a.counters().heartbeats_sent, 2u);
  auto peers = b.peers(clock.now());
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].sender_id, 1u);
  EXPECT_TRUE(peers[0].alive);
  clock.advance(seconds(10));
  EXPECT_FALSE(b.peers(clock.now())[0].alive);
}

TEST_F(EngineTest, OwnDatagramsAreIgnored) {
  (void)a.take_outgoing();
  a.local_record(conn(1), clock.now());
  clock.advance(milliseconds(60));
  a.tick(clock.now());
  for (auto& d : a.take_outgoing()) a.datagram(d, clock.now());
  EXPECT_EQ(a.counters().own_datagrams, 1u);
  EXPECT_TRUE(a.take_installs().empty());
}

}  // namespace
}  // namespace tandem::syncd
