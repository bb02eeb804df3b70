#pragma once
// The sync engine of tandem-syncd: everything between the local director's
// record stream and the peer's datagrams, with no sockets and no clock.
//
// - Local records (from this director) update a mirror of the table and,
//   while this node is master, are batched into IPVS v1 messages and sealed
//   in data envelopes (flushed when full or flush_interval old).
// - Peer datagrams are authenticated (open_envelope), ordered per sender
//   (PeerReceiver), and their records become installs for the local director
//   and update the mirror (so after a failover the new master can resync the
//   old one: failback).
// - Resync: a backup asks on first contact, after losses it could not repair
//   and on operator request; only a master answers, from the mirror, paced.
//   A node that becomes master pushes its whole table once, unasked, so the
//   other side converges even if its earlier requests went unanswered.
// - Every refused input is counted by reason (RejectCounters).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <tuple>
#include <vector>

#include "common/sync/envelope.h"
#include "common/sync/error.h"
#include "common/sync/message.h"
#include "common/sync/receiver.h"
#include "common/sync/record.h"
#include "common/sync/sender.h"
#include "common/util/clock.h"

namespace tandem::syncd {

enum class Role : std::uint8_t { none, master, backup };
const char* to_string(Role r);

struct EngineConfig {
  std::uint64_t sender_id = 0;
  std::uint64_t epoch = 0;
  std::uint8_t syncid = 0;
  std::size_t datagram_limit = 1472;  // max_message_size_for_mtu(1500)
  sync::KeyRing keys;
  Duration flush_interval = std::chrono::milliseconds(100);
  Duration heartbeat_interval = std::chrono::seconds(1);
  Duration peer_timeout = std::chrono::seconds(3);  // no datagram this long: peer lost
  bool resync_enabled = true;
  std::size_t resync_datagrams_per_tick = 128;  // pacing of a full-table dump
  std::size_t history = 4096;                   // sealed datagrams kept for retransmits
  std::size_t max_peers = 8;                    // distinct sender ids tracked
  sync::ReceiverConfig receiver;
};

struct EngineCounters {
  std::uint64_t local_records = 0;  // from the director
  std::uint64_t sent_datagrams = 0;
  std::uint64_t sent_records = 0;  // live updates
  std::uint64_t sent_bytes = 0;
  std::uint64_t heartbeats_sent = 0;
  std::uint64_t received_datagrams = 0;  // accepted (authenticated, in order)
  std::uint64_t received_records = 0;
  std::uint64_t installs = 0;          // handed to the local director
  std::uint64_t own_datagrams = 0;     // our own multicast looped back: ignored
  std::uint64_t unknown_peers = 0;     // more senders than max_peers: ignored
  std::uint64_t rejected_records = 0;  // single records dropped inside good messages
  std::uint64_t resync_requests_sent = 0;
  std::uint64_t resync_requests_received = 0;
  std::uint64_t resyncs_served = 0;
  std::uint64_t resync_records_sent = 0;
  std::uint64_t resyncs_completed = 0;  // last part received
  std::uint64_t retransmit_requests_sent = 0;
  std::uint64_t retransmit_requests_received = 0;
  std::uint64_t retransmitted = 0;
  std::uint64_t unencodable = 0;
  std::uint64_t mirror_expired = 0;
};

// How long live updates waited in syncd before leaving (ms), over the last
// kLagSamples flushes.
struct LagSummary {
  std::size_t samples = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

struct PeerStatus {
  std::uint64_t sender_id = 0;
  std::uint64_t epoch = 0;
  std::uint64_t highest_seq = 0;
  std::size_t open_gaps = 0;
  bool awaiting_resync = false;
  bool alive = false;
  double last_seen_ago_s = 0;
};

class Engine {
 public:
  static constexpr std::size_t kLagSamples = 1024;

  Engine(EngineConfig cfg, TimePoint now);

  // Keys and syncid may change on reload; identity and epoch stay.
  void reconfigure(const sync::KeyRing& keys, std::uint8_t syncid, Duration flush_interval);

  void set_role(Role r, TimePoint now);
  Role role() const { return role_; }

  // A record from the local director (new connection, state change, refresh
  // or part of a full dump after it (re)connected).
  void local_record(const sync::ConnRecord& r, TimePoint now);
  // One datagram from the network.
  void datagram(std::span<const std::uint8_t> bytes, TimePoint now);
  // Flushes due batches, heartbeats, receiver actions, paced resync parts,
  // mirror expiry. Call every few milliseconds.
  void tick(TimePoint now);
  // Operator: ask every known peer for its whole table.
  void request_resync();

  std::vector<std::vector<std::uint8_t>> take_outgoing();
  std::vector<sync::ConnRecord> take_installs();

  const EngineCounters& counters() const { return counters_; }
  const sync::RejectCounters& rejected() const { return rejected_; }
  LagSummary lag() const;
  std::vector<PeerStatus> peers(TimePoint now) const;
  std::size_t mirror_size() const { return mirror_.size(); }
  std::uint64_t sender_id() const { return sender_.sender_id(); }

 private:
  // Identity of a connection or template in the mirror.
  using Key = std::tuple<bool, std::uint8_t, bool, sync::SyncAddr, std::uint16_t, sync::SyncAddr,
                         std::uint16_t, std::uint32_t>;
  struct Mirrored {
    sync::ConnRecord record;
    TimePoint expires;
  };
  struct Peer {
    sync::PeerReceiver rx;
    TimePoint last_seen;
  };
  struct PendingResync {
    std::uint64_t target = 0;  // 0: broadcast (role change push)
    std::uint32_t request_id = 0;
    std::vector<std::vector<std::uint8_t>> messages;
    std::size_t next = 0;
  };

  static Key key_of(const sync::ConnRecord& r);
  void remember(const sync::ConnRecord& r, TimePoint now);
  void seal(sync::EnvelopeKind kind, std::span<const std::uint8_t> body, TimePoint now);
  void flush(TimePoint now);
  void handle_data(std::span<const std::uint8_t> message, TimePoint now);
  void start_resync(std::uint64_t target, std::uint32_t request_id);
  void send_resync_parts(TimePoint now);
  void expire_mirror(TimePoint now);

  EngineConfig cfg_;
  Role role_ = Role::none;
  sync::EnvelopeSender sender_;
  sync::MessageBuilder builder_;
  TimePoint batch_started_{};
  TimePoint oldest_pending_{};
  TimePoint last_sent_{};
  std::map<std::uint64_t, Peer> peers_;
  std::map<Key, Mirrored> mirror_;
  std::deque<PendingResync> resyncs_;
  std::uint32_t next_request_id_ = 1;
  bool operator_resync_ = false;
  TimePoint last_expiry_{};
  std::vector<std::vector<std::uint8_t>> outgoing_;
  std::vector<sync::ConnRecord> installs_;
  std::deque<double> lag_ms_;
  EngineCounters counters_;
  sync::RejectCounters rejected_;
};

}  // namespace tandem::syncd
