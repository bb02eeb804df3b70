// Locality-based schedulers (lblc, lblcr): remember, per destination IP, the
// server (lblc) or set of servers (lblcr) that served it, for cache farms.
// Entries are created per new connection (never per packet), capped per
// service, and expire after the configured idle time.

#include <algorithm>
#include <new>
#include <unordered_map>
#include <vector>

#include "director/core/scheduler.h"

namespace tandem::director {
namespace {

// Entries idle this long go first when a table is over its cap (IPVS
// ENTRY_TIMEOUT).
constexpr Duration kEntryTimeout = std::chrono::minutes(6);

// ip_vs_lblc's notion of overload: more active connections than weight
// while some other server is below half its weight.
bool locality_overloaded(const RealServer* d, ServerList servers) {
  if (d->active <= static_cast<std::int64_t>(d->weight())) return false;
  for (const RealServer* s : servers) {
    if (static_cast<std::int64_t>(s->active) * 2 < static_cast<std::int64_t>(s->weight())) {
      return true;
    }
  }
  return false;
}

// wlc over the service, as __ip_vs_lblc_schedule.
RealServer* least_weighted(ServerList servers) {
  RealServer* least = nullptr;
  std::uint64_t loh = 0;
  for (RealServer* s : servers) {
    if (!s->eligible()) continue;
    const std::uint64_t doh = s->overhead();
    if (least == nullptr || loh * s->weight() > doh * least->weight()) {
      least = s;
      loh = doh;
    }
  }
  return least;
}

// Remembering is an optimisation: without memory the chosen server is still
// returned (as IPVS does), and no exception reaches the packet path.
template <class F>
void remember(F&& insert) {
  try {
    insert();
  } catch (const std::bad_alloc&) {
  }
}

bool listed(const RealServer* d, ServerList servers) {
  return std::find(servers.begin(), servers.end(), d) != servers.end();
}

class Lblc final : public Scheduler {
 public:
  explicit Lblc(const LocalityConfig& cfg) : cfg_(cfg) {}

  void update(ServerList servers) override {
    // Drop entries for servers that left so no dangling pointer survives.
    std::erase_if(table_, [&](const auto& kv) { return !listed(kv.second.dest, servers); });
  }

  RealServer* pick(ServerList servers, const SchedInput& in) override {
    auto it = table_.find(in.dst.value);
    if (it != table_.end() && in.now - it->second.lastuse >= cfg_.lblc_expiration) {
      table_.erase(it);
      it = table_.end();
    }
    if (it != table_.end()) {
      it->second.lastuse = in.now;
      RealServer* d = it->second.dest;
      if (d->available && d->weight() > 0 && !locality_overloaded(d, servers)) return d;
    }
    RealServer* d = least_weighted(servers);
    if (d == nullptr) return nullptr;
    if (it != table_.end()) {
      it->second.dest = d;
    } else if (table_.size() < cfg_.max_entries) {
      remember([&] { table_.emplace(in.dst.value, Entry{d, in.now}); });
    }
    return d;
  }

  std::size_t entries() const override { return table_.size(); }

  void housekeeping(TimePoint now) override {
    const bool full = table_.size() >= cfg_.max_entries;
    std::erase_if(table_, [&](const auto& kv) {
      const Duration idle = now - kv.second.lastuse;
      return idle >= cfg_.lblc_expiration || (full && idle >= kEntryTimeout);
    });
  }

 private:
  struct Entry {
    RealServer* dest;
    TimePoint lastuse;
  };
  LocalityConfig cfg_;
  std::unordered_map<std::uint32_t, Entry> table_;
};

class Lblcr final : public Scheduler {
 public:
  explicit Lblcr(const LocalityConfig& cfg) : cfg_(cfg) {}

  void update(ServerList servers) override {
    for (auto it = table_.begin(); it != table_.end();) {
      auto& set = it->second.set;
      const auto before = set.size();
      std::erase_if(set, [&](RealServer* d) { return !listed(d, servers); });
      if (set.size() != before) it->second.lastmod = it->second.lastuse;
      it = set.empty() ? table_.erase(it) : std::next(it);
    }
  }

  RealServer* pick(ServerList servers, const SchedInput& in) override {
    auto it = table_.find(in.dst.value);
    if (it != table_.end() && in.now - it->second.lastuse >= cfg_.lblcr_expiration) {
      table_.erase(it);
      it = table_.end();
    }
    if (it != table_.end()) {
      Entry& en = it->second;
      en.lastuse = in.now;
      RealServer* d = set_min(en.set);
      // A set that has not changed for the expiration time sheds its most
      // loaded member, so sets shrink back once a hot spot cools.
      if (en.set.size() > 1 && in.now - en.lastmod > cfg_.lblcr_expiration) {
        if (RealServer* m = set_max(en.set)) {
          std::erase(en.set, m);
          en.lastmod = in.now;
        }
      }
      if (d != nullptr && !locality_overloaded(d, servers)) return d;
      d = least_weighted(servers);
      if (d == nullptr) return nullptr;
      if (std::find(en.set.begin(), en.set.end(), d) == en.set.end()) {
        remember([&] { en.set.insert(en.set.begin(), d); });  // newest first, like list_add
        en.lastmod = in.now;
      }
      return d;
    }
    RealServer* d = least_weighted(servers);
    if (d == nullptr) return nullptr;
    if (table_.size() < cfg_.max_entries) {
      remember([&] { table_.emplace(in.dst.value, Entry{{d}, in.now, in.now}); });
    }
    return d;
  }

  std::size_t entries() const override { return table_.size(); }

  void housekeeping(TimePoint now) override {
    const bool full = table_.size() >= cfg_.max_entries;
    std::erase_if(table_, [&](const auto& kv) {
      const Duration idle = now - kv.second.lastuse;
      return idle >= cfg_.lblcr_expiration || (full && idle >= kEntryTimeout);
    });
  }

 private:
  struct Entry {
    std::vector<RealServer*> set;
    TimePoint lastuse;
    TimePoint lastmod;
  };

  static RealServer* set_min(const std::vector<RealServer*>& set) {
    RealServer* least = nullptr;
    std::uint64_t loh = 0;
    for (RealServer* d : set) {
      if (d->overloaded || !d->available) continue;
      if (least == nullptr) {
        if (d->weight() == 0) continue;
        least = d;
        loh = d->overhead();
        continue;
      }
      const std::uint64_t doh = d->overhead();
      if (loh * d->weight() > doh * least->weight()) {
        least = d;
        loh = doh;
      }
    }
    return least;
  }

  static RealServer* set_max(const std::vector<RealServer*>& set) {
    RealServer* most = nullptr;
    std::uint64_t moh = 0;
    for (RealServer* d : set) {
      if (d->weight() == 0) continue;
      const std::uint64_t doh = d->overhead();
      if (most == nullptr || moh * d->weight() < doh * most->weight()) {
        most = d;
        moh = doh;
      }
    }
    return most;
  }

  LocalityConfig cfg_;
  std::unordered_map<std::uint32_t, Entry> table_;
};

}  // namespace

std::unique_ptr<Scheduler> make_lblc(const LocalityConfig& cfg) {
  return std::make_unique<Lblc>(cfg);
}
std::unique_ptr<Scheduler> make_lblcr(const LocalityConfig& cfg) {
  return std::make_unique<Lblcr>(cfg);
}

}  // namespace tandem::director
