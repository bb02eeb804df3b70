// List-walking schedulers: rr, wrr, the least-connection family and twos.
// Each mirrors the corresponding IPVS module's loop so ties, skips and wrap
// points fall exactly where a kernel director would put them.

#include <numeric>

#include "director/core/scheduler.h"

namespace tandem::director {
namespace {

class RoundRobin final : public Scheduler {
 public:
  void update(ServerList servers) override {
    // Keep our place; if the last chosen server left, continue after its
    // predecessor, as ip_vs_rr_del_dest does.
    for (int i = 0; i < static_cast<int>(servers.size()); ++i) {
      if (servers[i] == last_) {
        pos_ = i;
        return;
      }
    }
    last_ = nullptr;
    pos_ = std::min(pos_ - 1, static_cast<int>(servers.size()) - 1);
    if (pos_ < -1) pos_ = -1;
  }

  RealServer* pick(ServerList servers, const SchedInput&) override {
    const int n = static_cast<int>(servers.size());
    for (int k = 1; k <= n; ++k) {
      const int i = (pos_ + k) % n;
      if (servers[i]->eligible()) {
        pos_ = i;
        last_ = servers[i];
        return servers[i];
      }
    }
    return nullptr;
  }

 private:
  int pos_ = -1;  // -1: before the first server
  RealServer* last_ = nullptr;
};

class WeightedRoundRobin final : public Scheduler {
 public:
  void update(ServerList servers) override {
    int gcd = 0;
    int max = 0;
    for (RealServer* s : servers) {
      const int w = static_cast<int>(s->weight());
      if (w > 0) gcd = std::gcd(gcd, w);
      max = std::max(max, w);
    }
    di_ = gcd > 0 ? gcd : 1;
    mw_ = max - (di_ - 1);
    pos_ = -1;
    if (cw_ > mw_ || cw_ == 0) {
      cw_ = mw_;
    } else if (di_ > 1) {
      cw_ = (cw_ / di_) * di_ + 1;
    }
  }

  RealServer* pick(ServerList servers, const SchedInput&) override {
    const int n = static_cast<int>(servers.size());
    if (mw_ <= 0 || n == 0) return nullptr;
    if (pos_ >= n) pos_ = -1;
    const int last = pos_;
    int cur = pos_;
    int stop = -2;
    bool last_pass = false;
    bool restarted = false;
    // Same termination argument as ip_vs_wrr_schedule: once cw has cycled
    // down to di after a restart, one more traversal up to 'last' ends it.
    for (;;) {
      for (int i = cur + 1; i < n; ++i) {
        RealServer* s = servers[i];
        if (!s->overloaded && static_cast<int>(s->weight()) >= cw_) {
          pos_ = i;
          return s;
        }
        if (i == stop) return nullptr;
      }
      cur = -1;
      cw_ -= di_;
      if (cw_ <= 0) {
        cw_ = mw_;
        if (last_pass || last == -1) return nullptr;
        restarted = true;
      }
      last_pass = cw_ <= di_;
      if (last_pass && restarted && last != -1) stop = last;
    }
  }

 private:
  int pos_ = -1;
  int cw_ = 0;
  int mw_ = 0;
  int di_ = 1;
};

class Least final : public Scheduler {
 public:
  explicit Least(SchedulerKind kind) : kind_(kind) {}
  void update(ServerList) override {}

  RealServer* pick(ServerList servers, const SchedInput&) override {
    switch (kind_) {
      case SchedulerKind::lc:
        return lc(servers);
      case SchedulerKind::sed:
        return weighted(servers, true, false);
      case SchedulerKind::nq:
        return weighted(servers, true, true);
      case SchedulerKind::fo:
        return fo(servers, false);
      case SchedulerKind::ovf:
        return fo(servers, true);
      default:
        return weighted(servers, false, false);
    }
  }

 private:
  static RealServer* lc(ServerList servers) {
    RealServer* least = nullptr;
    std::uint64_t loh = 0;
    for (RealServer* s : servers) {
      if (!s->eligible()) continue;
      const std::uint64_t doh = s->overhead();
      if (least == nullptr || doh < loh) {
        least = s;
        loh = doh;
      }
    }
    return least;
  }

  // wlc (overhead = active*256 + inactive) and sed/nq (overhead = active+1),
  // compared as loh/w(least) > doh/w(d) without division.
  static RealServer* weighted(ServerList servers, bool sed, bool nq) {
    RealServer* least = nullptr;
    std::uint64_t loh = 0;
    for (RealServer* s : servers) {
      if (!s->eligible()) continue;
      const std::uint64_t doh = sed ? static_cast<std::uint64_t>(s->active) + 1 : s->overhead();
      if (nq && s->active == 0) return s;
      if (least == nullptr || loh * s->weight() > doh * least->weight()) {
        least = s;
        loh = doh;
      }
    }
    return least;
  }

  static RealServer* fo(ServerList servers, bool ovf) {
    RealServer* best = nullptr;
    for (RealServer* s : servers) {
      if (!s->eligible()) continue;
      if (ovf && s->active > static_cast<std::int64_t>(s->weight())) continue;
      if (best == nullptr || s->weight() > best->weight()) best = s;
    }
    return best;
  }

  SchedulerKind kind_;
};

// splitmix64: tiny, seedable, good enough to spread picks.
class SplitMix {
 public:
  explicit SplitMix(std::uint64_t seed) : state_(seed) {}
  std::uint32_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return static_cast<std::uint32_t>((z ^ (z >> 31)) >> 32);
  }

 private:
  std::uint64_t state_;
};

class TwoChoices final : public Scheduler {
 public:
  explicit TwoChoices(std::uint64_t seed) : rng_(seed) {}
  void update(ServerList) override {}

  RealServer* pick(ServerList servers, const SchedInput&) override {
    std::int64_t total = 0;
    for (RealServer* s : servers) {
      if (s->eligible()) total += s->weight();
    }
    if (total == 0) return nullptr;
    // As ip_vs_twos: draws are in [0, total], and a draw of 0 lands on the
    // first eligible server.
    std::int64_t r1 = rng_.next() % (total + 1);
    std::int64_t r2 = rng_.next() % (total + 1);
    RealServer* c1 = nullptr;
    RealServer* c2 = nullptr;
    for (RealServer* s : servers) {
      if (!s->eligible()) continue;
      r1 -= s->weight();
      r2 -= s->weight();
      if (r1 <= 0 && c1 == nullptr) c1 = s;
      if (r2 <= 0 && c2 == nullptr) c2 = s;
      if (c1 != nullptr && c2 != nullptr) break;
    }
    if (c1 == nullptr) return c2;
    if (c2 != nullptr && c2->weight() * c1->overhead() > c1->weight() * c2->overhead()) return c2;
    return c1;
  }

 private:
  SplitMix rng_;
};

}  // namespace

std::unique_ptr<Scheduler> make_rr() {
  return std::make_unique<RoundRobin>();
}
std::unique_ptr<Scheduler> make_wrr() {
  return std::make_unique<WeightedRoundRobin>();
}
std::unique_ptr<Scheduler> make_least(SchedulerKind kind) {
  return std::make_unique<Least>(kind);
}
std::unique_ptr<Scheduler> make_twos(std::uint64_t seed) {
  return std::make_unique<TwoChoices>(seed);
}

}  // namespace tandem::director
