#pragma once
// One shard of the connection table: entries (connections and persistence
// templates) in a slab pool addressed by 32-bit ids, two intrusive hash
// chains (client tuple, and real-server tuple for NAT replies) and a timer
// wheel for expiry.
//
// Fast path cost: lookup = one bucket + chain walk; re-arming on a packet is
// a store (the wheel re-slots lazily when a slot comes due), so the per
// packet work is O(1) and allocation-free. Slabs of 4096 entries are
// allocated the first time they are needed and kept.
//
// A shard is owned by one packet worker; nothing here is thread-safe.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/net/address.h"
#include "common/util/clock.h"
#include "director/core/model.h"
#include "director/core/tcp_state.h"

namespace tandem::director {

using EntryId = std::uint32_t;

struct ConnKey {
  Protocol protocol = Protocol::tcp;
  bool is_template = false;
  net::Ipv4 caddr;
  std::uint16_t cport = 0;
  net::Ipv4 vaddr;
  std::uint16_t vport = 0;
};

namespace entry_flag {
inline constexpr std::uint8_t kTemplate = 0x01;
inline constexpr std::uint8_t kHashed = 0x02;    // in the client-tuple chain
inline constexpr std::uint8_t kReverse = 0x04;   // in the real-server chain
inline constexpr std::uint8_t kInactive = 0x08;  // counted in InActConn
inline constexpr std::uint8_t kNoOutput = 0x10;  // DR/TUN: replies bypass us
inline constexpr std::uint8_t kUsed = 0x20;
}  // namespace entry_flag

struct ConnEntry {
  net::Ipv4 caddr;
  net::Ipv4 vaddr;
  net::Ipv4 daddr;
  std::uint16_t cport;
  std::uint16_t vport;
  std::uint16_t dport;
  Protocol protocol;
  std::uint8_t flags;
  TcpState state;
  Forwarding method;
  std::uint16_t wheel_slot;  // kSlots = detached for processing, kNotInWheel
  DestId dest;
  // Connection: the template controlling it (kNone if none).
  // Template: how many live connections it controls.
  std::uint32_t control;
  EntryId next_hash;
  EntryId next_reverse;
  EntryId wheel_prev;
  EntryId wheel_next;
  std::int64_t expires_ns;
  std::uint32_t slot_tick;
  std::uint32_t sync_tick;  // ConnTable tick when last reported to syncd

  bool is_template() const { return flags & entry_flag::kTemplate; }
  TimePoint expires() const { return TimePoint(Duration(expires_ns)); }
};

struct ConnTableConfig {
  std::size_t max_entries = 1u << 20;
  std::size_t buckets = 0;  // power of two; 0 = max_entries / 2 (at least 1024)
  std::uint64_t hash_seed = 0x9e3779b97f4a7c15ULL;  // set per run against flooding
};

struct ConnTableMemory {
  std::size_t entry_bytes = 0;   // sizeof(ConnEntry)
  std::size_t bucket_bytes = 0;  // both chains' bucket arrays
  std::size_t slab_bytes = 0;    // pool allocated so far
  std::size_t wheel_bytes = 0;
  double bytes_per_entry_at_max = 0;  // entry + share of buckets when full
};

class ConnTable {
 public:
  static constexpr std::uint32_t kSlabBits = 12;
  static constexpr std::uint32_t kSlots = 4096;
  static constexpr Duration kTick = std::chrono::milliseconds(250);
  static constexpr std::uint16_t kNotInWheel = 0xFFFF;

  explicit ConnTable(const ConnTableConfig& cfg = {});

  EntryId find(const ConnKey& key) const;
  EntryId find_reverse(Protocol p, net::Ipv4 daddr, std::uint16_t dport, net::Ipv4 caddr,
                       std::uint16_t cport) const;

  // kNone when the table holds max_entries already.
  EntryId create(const ConnKey& key, TimePoint expires);
  // Adds the entry (daddr/dport set) to the real-server chain.
  void hash_reverse(EntryId id);
  // Takes the entry out of both chains; it stays allocated and timed.
  void unhash(EntryId id);
  // Unhashes, unschedules and frees.
  void release(EntryId id);
  void arm(EntryId id, TimePoint expires);

  ConnEntry& at(EntryId id) { return slabs_[id >> kSlabBits][id & kSlabMask]; }
  const ConnEntry& at(EntryId id) const { return slabs_[id >> kSlabBits][id & kSlabMask]; }

  // Visits every entry whose time has come (expires <= now) in slots that
  // are due, at most max_slots slots per call. on_due(id) must release or
  // re-arm the entry and may release others. Returns entries visited.
  template <class F>
  std::size_t collect(TimePoint now, F&& on_due, std::uint32_t max_slots = kSlots);

  std::size_t size() const { return live_; }
  std::size_t max_entries() const { return cfg_.max_entries; }
  ConnTableMemory memory() const;

  // Every live entry, for listings and bulk sync; f(id, entry).
  template <class F>
  void for_each(F&& f) const;

 private:
  static constexpr std::uint32_t kSlabMask = (1u << kSlabBits) - 1;
  static constexpr std::uint16_t kPending = kSlots;

  std::uint64_t hash_key(const ConnKey& k) const;
  std::uint64_t hash_reverse_key(Protocol p, net::Ipv4 daddr, std::uint16_t dport, net::Ipv4 caddr,
                                 std::uint16_t cport) const;
  static std::uint32_t tick_of(TimePoint t);
  void wheel_insert(EntryId id, std::uint32_t tick);
  void wheel_link(EntryId id, std::uint16_t slot);
  void wheel_unlink(EntryId id);
  bool occupied(std::uint16_t slot) const { return (occupied_[slot / 64] >> (slot % 64)) & 1; }
  // Number of consecutive empty slots starting at slot (wrapping), >= 1.
  std::uint32_t empty_run(std::uint16_t slot) const;
  void chain_remove(std::vector<EntryId>& buckets, std::uint64_t h, EntryId id, bool reverse);

  ConnTableConfig cfg_;
  std::uint64_t mask_;
  std::vector<EntryId> buckets_;
  std::vector<EntryId> reverse_buckets_;
  std::vector<std::unique_ptr<ConnEntry[]>> slabs_;
  EntryId free_ = kNone;
  std::size_t live_ = 0;
  std::vector<EntryId> wheel_;  // kSlots + 1 heads; the last is the pending list
  std::array<std::uint64_t, kSlots / 64> occupied_{};  // non-empty slots
  std::uint32_t cur_tick_ = 0;                         // first tick not yet processed
};

template <class F>
std::size_t ConnTable::collect(TimePoint now, F&& on_due, std::uint32_t max_slots) {
  const std::uint32_t target = tick_of(now);
  // After a long pause one lap visits every slot; start exactly one lap back.
  if (static_cast<std::int32_t>(target - cur_tick_) > static_cast<std::int32_t>(kSlots)) {
    cur_tick_ = target - kSlots;
  }
  std::size_t visited = 0;
  std::uint32_t done = 0;
  // Every tick up to the current one; entries of the current tick that are
  // not due yet go to the next slot.
  while (static_cast<std::int32_t>(target - cur_tick_) >= 0 && done < max_slots) {
    const std::uint16_t slot = cur_tick_ & (kSlots - 1);
    if (!occupied(slot)) {
      // Empty stretches cost a bitmap scan, not a visit per slot.
      const std::uint32_t skip = std::min(empty_run(slot), target - cur_tick_ + 1);
      cur_tick_ += skip;
      done += skip;
      continue;
    }
    occupied_[slot / 64] &= ~(std::uint64_t{1} << (slot % 64));
    // Move the slot's list to the pending list so that entries re-armed
    // into this same slot are not seen twice and releases stay safe.
    EntryId head = wheel_[slot];
    wheel_[slot] = kNone;
    for (EntryId id = head; id != kNone; id = at(id).wheel_next) at(id).wheel_slot = kPending;
    wheel_[kPending] = head;
    ++cur_tick_;
    ++done;
    while (wheel_[kPending] != kNone) {
      const EntryId id = wheel_[kPending];
      wheel_unlink(id);
      ConnEntry& e = at(id);
      ++visited;
      if (e.expires_ns <= now.time_since_epoch().count()) {
        on_due(id);
      } else {
        wheel_insert(id, tick_of(e.expires()));
      }
    }
  }
  return visited;
}

template <class F>
void ConnTable::for_each(F&& f) const {
  for (std::size_t s = 0; s < slabs_.size(); ++s) {
    for (std::uint32_t i = 0; i <= kSlabMask; ++i) {
      const ConnEntry& e = slabs_[s][i];
      if (e.flags & entry_flag::kUsed) f(static_cast<EntryId>((s << kSlabBits) | i), e);
    }
  }
}

}  // namespace tandem::director
