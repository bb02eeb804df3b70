// Hashing schedulers: dh and sh (256-bucket tables) and mh (Maglev, 4093
// slots). Tables are rebuilt on update(); pick() is O(1) except for the
// fallback walk when the hashed server is unusable.

#include <array>
#include <numeric>
#include <vector>

#include "director/core/hash.h"
#include "director/core/scheduler.h"

namespace tandem::director {
namespace {

constexpr unsigned kBucketBits = 8;
constexpr unsigned kBuckets = 1u << kBucketBits;

bool unusable(const RealServer* s) {
  return s->weight() == 0 || s->overloaded;
}

class DestinationHash final : public Scheduler {
 public:
  void update(ServerList servers) override {
    // Buckets are dealt out round-robin over every server, weight ignored.
    for (unsigned i = 0; i < kBuckets; ++i) {
      buckets_[i] = servers.empty() ? nullptr : servers[i % servers.size()];
    }
  }

  RealServer* pick(ServerList, const SchedInput& in) override {
    RealServer* s = buckets_[hash_32(in.dst.value, kBucketBits)];
    if (s == nullptr || !s->available || unusable(s)) return nullptr;
    return s;
  }

 private:
  std::array<RealServer*, kBuckets> buckets_{};
};

class SourceHash final : public Scheduler {
 public:
  explicit SourceHash(SchedulerFlags flags) : flags_(flags) {}

  void update(ServerList servers) override {
    // Each server takes max(weight, 1) consecutive buckets, cycling the list.
    std::size_t p = 0;
    std::uint32_t count = 0;
    for (unsigned i = 0; i < kBuckets; ++i) {
      if (servers.empty()) {
        buckets_[i] = nullptr;
        continue;
      }
      buckets_[i] = servers[p];
      if (++count >= servers[p]->weight()) {
        p = (p + 1) % servers.size();
        count = 0;
      }
    }
  }

  RealServer* pick(ServerList, const SchedInput& in) override {
    const std::uint32_t port = flags_.port ? in.sport : 0;
    const unsigned ihash = hash_32(port + in.src.value, kBucketBits);
    RealServer* s = buckets_[ihash];
    if (s == nullptr) return nullptr;
    if (!unusable(s)) return s;
    if (!flags_.fallback) return nullptr;
    // ip_vs_sh_get_fallback adds the starting bucket twice (offset + ihash is
    // passed as the offset to a hash that adds ihash again); kept for parity.
    for (unsigned offset = 0; offset < kBuckets; ++offset) {
      RealServer* c = buckets_[(offset + 2 * ihash) % kBuckets];
      if (c != nullptr && !unusable(c)) return c;
    }
    return nullptr;
  }

 private:
  SchedulerFlags flags_;
  std::array<RealServer*, kBuckets> buckets_{};
};

// Maglev as in ip_vs_mh.c: each server gets offset/skip from two keyed
// hashes of its address+port, takes `turns` slots per round in list order,
// with turns = weight/gcd scaled down so the largest fits in 6 bits.
class Maglev final : public Scheduler {
 public:
  static constexpr std::uint32_t kSize = 4093;
  static constexpr std::uint64_t kKey1 = 2654435761ULL;
  static constexpr std::uint64_t kKey2 = 2654446892ULL;
  static constexpr int kWeightBits = 6;

  explicit Maglev(SchedulerFlags flags) : flags_(flags), table_(kSize, nullptr) {}

  void update(ServerList servers) override {
    // The table depends only on each server's address, port and last
    // weight; quiescing (weight 0) or threshold edits change none of them.
    std::vector<Input> inputs;
    inputs.reserve(servers.size());
    for (RealServer* s : servers) {
      inputs.push_back({s, s->config.address.value, s->config.port, s->last_weight});
    }
    if (inputs == inputs_) return;
    inputs_ = std::move(inputs);
    std::fill(table_.begin(), table_.end(), nullptr);
    int gcd = 0;
    std::uint32_t maxw = 0;
    for (RealServer* s : servers) {
      if (s->last_weight > 0) gcd = std::gcd(gcd, static_cast<int>(s->last_weight));
      maxw = std::max(maxw, s->last_weight);
    }
    if (gcd < 1 || servers.size() > kSize) return;
    int shift = 0;
    const std::uint32_t mw = maxw / static_cast<std::uint32_t>(gcd);
    const int fls = mw == 0 ? 0 : 32 - __builtin_clz(mw);
    if (fls - kWeightBits > 0) shift = fls - kWeightBits;

    struct Setup {
      std::uint32_t perm, skip;
      std::uint32_t turns;
    };
    std::vector<Setup> setup;
    setup.reserve(servers.size());
    for (RealServer* s : servers) {
      const std::uint32_t v = static_cast<std::uint32_t>(s->config.port) + s->config.address.value;
      const std::uint32_t offset = hsiphash_u32(v, kKey1) % kSize;
      const std::uint32_t skip = hsiphash_u32(v, kKey2) % (kSize - 1) + 1;
      const std::uint32_t lw = s->last_weight;
      std::uint32_t turns = (lw / static_cast<std::uint32_t>(gcd)) >> shift;
      if (turns == 0) turns = lw != 0 ? 1 : 0;
      setup.push_back({offset, skip, turns});
    }
    std::vector<std::uint8_t> taken(kSize, 0);
    std::uint32_t n = 0;
    while (n < kSize) {
      for (std::size_t d = 0; d < servers.size() && n < kSize; ++d) {
        Setup& ds = setup[d];
        for (std::uint32_t t = 0; t < ds.turns && n < kSize; ++t) {
          while (taken[ds.perm]) {
            ds.perm += ds.skip;
            if (ds.perm >= kSize) ds.perm -= kSize;
          }
          taken[ds.perm] = 1;
          table_[ds.perm] = servers[d];
          ++n;
        }
      }
    }
  }

  RealServer* pick(ServerList, const SchedInput& in) override {
    const std::uint32_t base = (flags_.port ? in.sport : 0u) + in.src.value;
    const std::uint32_t ihash = hsiphash_u32(base, kKey1) % kSize;
    RealServer* s = table_[ihash];
    if (s == nullptr) return nullptr;
    if (!unusable(s)) return s;
    if (!flags_.fallback) return nullptr;
    for (std::uint32_t offset = 0; offset < kSize; ++offset) {
      const std::uint32_t roffset = (offset + ihash) % kSize;
      RealServer* c = table_[hsiphash_u32(roffset + base, kKey1) % kSize];
      if (c == nullptr) break;
      if (!unusable(c)) return c;
    }
    return nullptr;
  }

 private:
  struct Input {
    RealServer* server;
    std::uint32_t address;
    std::uint16_t port;
    std::uint32_t weight;
    bool operator==(const Input&) const = default;
  };

  SchedulerFlags flags_;
  std::vector<RealServer*> table_;
  std::vector<Input> inputs_;
};

}  // namespace

std::unique_ptr<Scheduler> make_dh() {
  return std::make_unique<DestinationHash>();
}
std::unique_ptr<Scheduler> make_sh(SchedulerFlags flags) {
  return std::make_unique<SourceHash>(flags);
}
std::unique_ptr<Scheduler> make_mh(SchedulerFlags flags) {
  return std::make_unique<Maglev>(flags);
}

}  // namespace tandem::director
