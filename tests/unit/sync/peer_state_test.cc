#include <gtest/gtest.h>

#include "common/sync/message.h"
#include "common/sync/receiver.h"
#include "common/sync/sender.h"
#include "common/util/clock.h"
#include "tests/unit/sync/test_support.h"

namespace tandem::sync {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Type = SyncAction::Type;

class PeerReceiverTest : public ::testing::Test {
 protected:
  AcceptResult accept(std::uint64_t seq, std::uint64_t epoch = 10) {
    return rx.accept(epoch, seq, clock.now());
  }
  // Consumes the join resync that first contact always asks for.
  void join(std::uint64_t seq = 1) {
    ASSERT_EQ(accept(seq).event, PeerEvent::kFirstContact);
    const auto a = rx.poll(clock.now());
    ASSERT_EQ(a.size(), 1u);
    ASSERT_EQ(a[0].reason, ResyncReason::kJoin);
    rx.resync_complete();
  }

  FakeClock clock;
  PeerReceiver rx;
};

TEST_F(PeerReceiverTest, FirstContactAsksForJoinResync) {
  EXPECT_EQ(accept(1).event, PeerEvent::kFirstContact);
  const auto a = rx.poll(clock.now());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].type, Type::kRequestResync);
  EXPECT_EQ(a[0].reason, ResyncReason::kJoin);
  EXPECT_TRUE(rx.awaiting_resync());
  EXPECT_TRUE(rx.poll(clock.now()).empty());  // asked once
}

TEST_F(PeerReceiverTest, InOrderAcceptedAndReplaysRefused) {
  join();
  for (std::uint64_t s = 2; s <= 100; ++s) EXPECT_EQ(accept(s).error, SyncError::kOk);
  EXPECT_EQ(accept(100).error, SyncError::kReplay);
  EXPECT_EQ(accept(57).error, SyncError::kReplay);
  EXPECT_EQ(accept(0).error, SyncError::kReplay);
  EXPECT_TRUE(rx.gaps().empty());
  EXPECT_TRUE(rx.poll(clock.now()).empty());
}

TEST_F(PeerReceiverTest, ReorderWithinWindowAcceptedExactlyOnce) {
  join();
  EXPECT_EQ(accept(3).error, SyncError::kOk);
  ASSERT_EQ(rx.gaps().size(), 1u);
  EXPECT_EQ(accept(2).error, SyncError::kOk);  // late but unseen
  EXPECT_TRUE(rx.gaps().empty());
  EXPECT_EQ(accept(2).error, SyncError::kReplay);
}

TEST_F(PeerReceiverTest, OlderThanWindowRefused) {
  join();
  EXPECT_EQ(accept(1 + kReplayWindow).error, SyncError::kOk);
  // 1 is now 1024 behind: outside the window even though 2..1024 were never seen.
  EXPECT_EQ(accept(1).error, SyncError::kReplay);
  EXPECT_EQ(accept(2).error, SyncError::kOk);  // 1023 behind: still inside
}

TEST_F(PeerReceiverTest, GapAsksRetransmitAfterReorderAllowance) {
  join();
  accept(2);
  accept(6);  // 3..5 missing
  ASSERT_EQ(rx.gaps().size(), 1u);
  clock.advance(milliseconds(49));
  EXPECT_TRUE(rx.poll(clock.now()).empty());
  clock.advance(milliseconds(1));
  const auto a = rx.poll(clock.now());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0], (SyncAction{Type::kRequestRetransmit, 3, 5, ResyncReason::kGap}));
  EXPECT_TRUE(rx.poll(clock.now()).empty());  // asked once
}

TEST_F(PeerReceiverTest, FilledGapNeedsNothing) {
  join();
  accept(5);  // 2..4 missing
  accept(3);  // splits into 2 and 4
  ASSERT_EQ(rx.gaps().size(), 2u);
  accept(2);
  accept(4);
  EXPECT_TRUE(rx.gaps().empty());
  clock.advance(seconds(10));
  EXPECT_TRUE(rx.poll(clock.now()).empty());
}

TEST_F(PeerReceiverTest, UnrepairedGapEscalatesToResync) {
  join();
  accept(4);
  clock.advance(milliseconds(50));
  ASSERT_EQ(rx.poll(clock.now()).size(), 1u);  // retransmit 2..3
  accept(2);                                   // only half repaired
  clock.advance(milliseconds(1949));
  EXPECT_TRUE(rx.poll(clock.now()).empty());
  clock.advance(milliseconds(1));
  const auto a = rx.poll(clock.now());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].type, Type::kRequestResync);
  EXPECT_EQ(a[0].reason, ResyncReason::kGap);
  EXPECT_TRUE(rx.gaps().empty());
}

TEST_F(PeerReceiverTest, GapOutsideWindowResyncsAtOnce) {
  join();
  accept(2 + kReplayWindow + 5);  // 2.. lost and already too old to accept
  const auto a = rx.poll(clock.now());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].type, Type::kRequestResync);
}

TEST_F(PeerReceiverTest, TooManyGapsResync) {
  join();
  std::uint64_t s = 1;
  for (int i = 0; i < 64; ++i) accept(s += 2);
  EXPECT_EQ(rx.gaps().size(), 64u);
  EXPECT_TRUE(rx.poll(clock.now()).empty());
  accept(s += 2);
  const auto a = rx.poll(clock.now());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].type, Type::kRequestResync);
}

TEST_F(PeerReceiverTest, NewerEpochIsRestartOlderIsStale) {
  join();
  accept(50);
  rx.poll(clock.now());  // whatever the gap wants
  const AcceptResult r = accept(1, 11);
  EXPECT_EQ(r.error, SyncError::kOk);
  EXPECT_EQ(r.event, PeerEvent::kPeerRestarted);
  EXPECT_TRUE(rx.gaps().empty());
  const auto a = rx.poll(clock.now());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].reason, ResyncReason::kPeerRestart);
  EXPECT_EQ(accept(51, 10).error, SyncError::kStaleEpoch);
  EXPECT_EQ(accept(2, 11).error, SyncError::kOk);
}

TEST_F(PeerReceiverTest, ResyncThatNeverCompletesIsAskedAgain) {
  EXPECT_EQ(accept(1).event, PeerEvent::kFirstContact);
  ASSERT_EQ(rx.poll(clock.now()).size(), 1u);
  clock.advance(seconds(29));
  EXPECT_TRUE(rx.poll(clock.now()).empty());
  clock.advance(seconds(1));
  const auto a = rx.poll(clock.now());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].reason, ResyncReason::kTimeout);
  rx.resync_complete();
  clock.advance(seconds(60));
  EXPECT_TRUE(rx.poll(clock.now()).empty());
}

TEST_F(PeerReceiverTest, OperatorResync) {
  join();
  rx.request_resync(ResyncReason::kOperator);
  const auto a = rx.poll(clock.now());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].reason, ResyncReason::kOperator);
}

KeyRing key() {
  KeyRing k;
  k.current = Key{1, {'s', 'e', 'c'}};
  return k;
}

TEST(EnvelopeSender, NumbersFromOneAndRetransmitsIdenticalBytes) {
  EnvelopeSender tx(42, 7, 4);
  std::vector<std::vector<std::uint8_t>> sent;
  for (int i = 0; i < 6; ++i) {
    std::vector<std::uint8_t> out;
    const std::uint8_t b = static_cast<std::uint8_t>(i);
    ASSERT_EQ(tx.seal(EnvelopeKind::kHeartbeat, std::span(&b, 1), key(), out), SyncError::kOk);
    OpenedEnvelope o;
    ASSERT_EQ(open_envelope(out, key(), o), SyncError::kOk);
    EXPECT_EQ(o.header.seq, static_cast<std::uint64_t>(i + 1));
    EXPECT_EQ(o.header.sender_id, 42u);
    EXPECT_EQ(o.header.epoch, 7u);
    sent.push_back(out);
  }
  EXPECT_EQ(tx.next_seq(), 7u);
  // History holds 3..6.
  auto r = tx.retransmit(4, 5);
  EXPECT_FALSE(r.need_resync);
  ASSERT_EQ(r.datagrams.size(), 2u);
  EXPECT_TRUE(std::equal(r.datagrams[0].begin(), r.datagrams[0].end(), sent[3].begin()));
  EXPECT_TRUE(std::equal(r.datagrams[1].begin(), r.datagrams[1].end(), sent[4].begin()));
  r = tx.retransmit(2, 3);
  EXPECT_TRUE(r.need_resync);  // 2 was evicted
  EXPECT_EQ(r.datagrams.size(), 1u);
  r = tx.retransmit(7, 100);  // never sent: nothing, and no resync either
  EXPECT_FALSE(r.need_resync);
  EXPECT_TRUE(r.datagrams.empty());
}

// Master seals a batch of records, backup verifies, sequences and decodes.
TEST(SyncEndToEnd, SealedBatchArrivesIntact) {
  std::vector<ConnRecord> recs(100, testing::reference_record());
  for (std::size_t i = 0; i < recs.size(); ++i) recs[i].cport = static_cast<std::uint16_t>(i);
  const auto msgs = batch_records(recs, 1, max_body_size(max_message_size_for_mtu(1500)));
  EnvelopeSender tx(1, 1, 16);
  PeerReceiver rx;
  FakeClock clock;
  std::vector<ConnRecord> got;
  for (const auto& m : msgs) {
    std::vector<std::uint8_t> dgram;
    ASSERT_EQ(tx.seal(EnvelopeKind::kData, m, key(), dgram), SyncError::kOk);
    EXPECT_LE(dgram.size(), 1472u);
    OpenedEnvelope o;
    ASSERT_EQ(open_envelope(dgram, key(), o), SyncError::kOk);
    ASSERT_EQ(rx.accept(o.header.epoch, o.header.seq, clock.now()).error, SyncError::kOk);
    DecodedMessage d;
    ASSERT_EQ(decode_message(o.body, DecodeOptions{1}, d), SyncError::kOk);
    got.insert(got.end(), d.records.begin(), d.records.end());
    // Delivering the same datagram again is a replay.
    EXPECT_EQ(rx.accept(o.header.epoch, o.header.seq, clock.now()).error, SyncError::kReplay);
  }
  EXPECT_EQ(got, recs);
}

}  // namespace
}  // namespace tandem::sync
