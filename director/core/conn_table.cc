#include "director/core/conn_table.h"

#include <algorithm>
#include <bit>
#include <new>

namespace tandem::director {
namespace {

std::uint64_t mix(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

std::size_t bucket_count(const ConnTableConfig& cfg) {
  std::size_t n = cfg.buckets != 0 ? cfg.buckets : cfg.max_entries / 2;
  n = std::max<std::size_t>(n, 1024);
  return std::bit_ceil(n);
}

}  // namespace

ConnTable::ConnTable(const ConnTableConfig& cfg)
    : cfg_(cfg),
      mask_(bucket_count(cfg) - 1),
      buckets_(bucket_count(cfg), kNone),
      reverse_buckets_(bucket_count(cfg), kNone),
      wheel_(kSlots + 1, kNone) {}

std::uint64_t ConnTable::hash_key(const ConnKey& k) const {
  const std::uint64_t a = (static_cast<std::uint64_t>(k.caddr.value) << 32) | k.vaddr.value;
  const std::uint64_t b = (static_cast<std::uint64_t>(k.cport) << 16) | k.vport |
                          (static_cast<std::uint64_t>(k.protocol) << 32) |
                          (static_cast<std::uint64_t>(k.is_template) << 40);
  return mix(mix(a ^ cfg_.hash_seed) ^ b);
}

std::uint64_t ConnTable::hash_reverse_key(Protocol p, net::Ipv4 daddr, std::uint16_t dport,
                                          net::Ipv4 caddr, std::uint16_t cport) const {
  const std::uint64_t a = (static_cast<std::uint64_t>(daddr.value) << 32) | caddr.value;
  const std::uint64_t b =
      (static_cast<std::uint64_t>(dport) << 16) | cport | (static_cast<std::uint64_t>(p) << 32);
  return mix(mix(a ^ ~cfg_.hash_seed) ^ b);
}

EntryId ConnTable::find(const ConnKey& k) const {
  for (EntryId id = buckets_[hash_key(k) & mask_]; id != kNone; id = at(id).next_hash) {
    const ConnEntry& e = at(id);
    if (e.caddr == k.caddr && e.cport == k.cport && e.vaddr == k.vaddr && e.vport == k.vport &&
        e.protocol == k.protocol && e.is_template() == k.is_template) {
      return id;
    }
  }
  return kNone;
}

EntryId ConnTable::find_reverse(Protocol p, net::Ipv4 daddr, std::uint16_t dport, net::Ipv4 caddr,
                                std::uint16_t cport) const {
  const std::uint64_t h = hash_reverse_key(p, daddr, dport, caddr, cport);
  for (EntryId id = reverse_buckets_[h & mask_]; id != kNone; id = at(id).next_reverse) {
    const ConnEntry& e = at(id);
    if (e.daddr == daddr && e.dport == dport && e.caddr == caddr && e.cport == cport &&
        e.protocol == p) {
      return id;
    }
  }
  return kNone;
}

EntryId ConnTable::create(const ConnKey& k, TimePoint expires) {
  if (live_ >= cfg_.max_entries) return kNone;
  if (free_ == kNone) {
    // One allocation per 4096 entries, never on the per-packet path of an
    // existing connection.
    const std::size_t s = slabs_.size();
    try {
      slabs_.push_back(std::make_unique<ConnEntry[]>(std::size_t{1} << kSlabBits));
    } catch (const std::bad_alloc&) {
      return kNone;  // out of memory behaves like a full table
    }
    for (std::uint32_t i = kSlabMask + 1; i-- > 0;) {
      ConnEntry& e = slabs_[s][i];
      e.flags = 0;
      e.next_hash = free_;
      free_ = static_cast<EntryId>((s << kSlabBits) | i);
    }
  }
  const EntryId id = free_;
  ConnEntry& e = at(id);
  free_ = e.next_hash;
  e = ConnEntry{};
  e.caddr = k.caddr;
  e.vaddr = k.vaddr;
  e.cport = k.cport;
  e.vport = k.vport;
  e.protocol = k.protocol;
  e.flags = entry_flag::kUsed | entry_flag::kHashed |
            (k.is_template ? entry_flag::kTemplate : std::uint8_t{0});
  e.state = TcpState::none;
  e.method = Forwarding::dr;
  e.wheel_slot = kNotInWheel;
  e.dest = kNone;
  e.control = k.is_template ? 0 : kNone;
  e.next_reverse = kNone;
  EntryId& head = buckets_[hash_key(k) & mask_];
  e.next_hash = head;
  head = id;
  ++live_;
  arm(id, expires);
  return id;
}

void ConnTable::hash_reverse(EntryId id) {
  ConnEntry& e = at(id);
  if (e.flags & entry_flag::kReverse) return;
  EntryId& head =
      reverse_buckets_[hash_reverse_key(e.protocol, e.daddr, e.dport, e.caddr, e.cport) & mask_];
  e.next_reverse = head;
  head = id;
  e.flags |= entry_flag::kReverse;
}

void ConnTable::chain_remove(std::vector<EntryId>& buckets, std::uint64_t h, EntryId id,
                             bool reverse) {
  EntryId* link = &buckets[h & mask_];
  while (*link != kNone) {
    ConnEntry& cur = at(*link);
    if (*link == id) {
      *link = reverse ? cur.next_reverse : cur.next_hash;
      return;
    }
    link = reverse ? &cur.next_reverse : &cur.next_hash;
  }
}

void ConnTable::unhash(EntryId id) {
  ConnEntry& e = at(id);
  if (e.flags & entry_flag::kHashed) {
    const ConnKey k{e.protocol, e.is_template(), e.caddr, e.cport, e.vaddr, e.vport};
    chain_remove(buckets_, hash_key(k), id, false);
    e.flags &= ~entry_flag::kHashed;
  }
  if (e.flags & entry_flag::kReverse) {
    chain_remove(reverse_buckets_, hash_reverse_key(e.protocol, e.daddr, e.dport, e.caddr, e.cport),
                 id, true);
    e.flags &= ~entry_flag::kReverse;
  }
}

void ConnTable::release(EntryId id) {
  unhash(id);
  ConnEntry& e = at(id);
  if (e.wheel_slot != kNotInWheel) wheel_unlink(id);
  e.flags = 0;
  e.next_hash = free_;
  free_ = id;
  --live_;
}

std::uint32_t ConnTable::tick_of(TimePoint t) {
  const auto n = t.time_since_epoch().count();
  return n <= 0 ? 0u : static_cast<std::uint32_t>(n / kTick.count());
}

void ConnTable::wheel_link(EntryId id, std::uint16_t slot) {
  ConnEntry& e = at(id);
  e.wheel_slot = slot;
  e.wheel_prev = kNone;
  e.wheel_next = wheel_[slot];
  if (e.wheel_next != kNone) at(e.wheel_next).wheel_prev = id;
  wheel_[slot] = id;
  if (slot < kSlots) occupied_[slot / 64] |= std::uint64_t{1} << (slot % 64);
}

void ConnTable::wheel_unlink(EntryId id) {
  ConnEntry& e = at(id);
  if (e.wheel_prev != kNone) {
    at(e.wheel_prev).wheel_next = e.wheel_next;
  } else {
    wheel_[e.wheel_slot] = e.wheel_next;
    if (e.wheel_next == kNone && e.wheel_slot < kSlots) {
      occupied_[e.wheel_slot / 64] &= ~(std::uint64_t{1} << (e.wheel_slot % 64));
    }
  }
  if (e.wheel_next != kNone) at(e.wheel_next).wheel_prev = e.wheel_prev;
  e.wheel_slot = kNotInWheel;
}

std::uint32_t ConnTable::empty_run(std::uint16_t slot) const {
  std::uint32_t run = 0;
  std::uint32_t s = slot;
  while (run < kSlots) {
    // Bits from s upward within its word.
    const std::uint64_t word = occupied_[s / 64] >> (s % 64);
    if (word != 0) return run + static_cast<std::uint32_t>(std::countr_zero(word));
    const std::uint32_t rest = 64 - s % 64;
    run += rest;
    s = (s + rest) % kSlots;
  }
  return kSlots;
}

void ConnTable::wheel_insert(EntryId id, std::uint32_t tick) {
  if (static_cast<std::int32_t>(tick - cur_tick_) < 0) tick = cur_tick_;
  at(id).slot_tick = tick;
  wheel_link(id, static_cast<std::uint16_t>(tick & (kSlots - 1)));
}

void ConnTable::arm(EntryId id, TimePoint expires) {
  ConnEntry& e = at(id);
  e.expires_ns = expires.time_since_epoch().count();
  std::uint32_t tick = tick_of(expires);
  if (static_cast<std::int32_t>(tick - cur_tick_) < 0) tick = cur_tick_;
  if (e.wheel_slot == kNotInWheel) {
    wheel_insert(id, tick);
  } else if (e.wheel_slot != kPending && static_cast<std::int32_t>(tick - e.slot_tick) < 0) {
    // Sooner than the slot it sits in: move it so the memory and the
    // InActConn count come back on time. Later expiries re-slot lazily.
    wheel_unlink(id);
    wheel_insert(id, tick);
  }
}

ConnTableMemory ConnTable::memory() const {
  ConnTableMemory m;
  m.entry_bytes = sizeof(ConnEntry);
  m.bucket_bytes = (buckets_.size() + reverse_buckets_.size()) * sizeof(EntryId);
  m.slab_bytes = slabs_.size() * (std::size_t{1} << kSlabBits) * sizeof(ConnEntry);
  m.wheel_bytes = wheel_.size() * sizeof(EntryId);
  m.bytes_per_entry_at_max = static_cast<double>(sizeof(ConnEntry)) +
                             static_cast<double>(m.bucket_bytes) /
                                 static_cast<double>(std::max<std::size_t>(1, cfg_.max_entries));
  return m;
}

}  // namespace tandem::director
