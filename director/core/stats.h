#pragma once
// Traffic counters and the IPVS-style rate estimator (2 s samples, EWMA with
// weight 1/4, fixed-point like ip_vs_est.c so rates match ipvsadm --rate).

#include <cstdint>

#include "common/util/clock.h"

namespace tandem::director {

struct Counters {
  std::uint64_t conns = 0;
  std::uint64_t in_packets = 0;
  std::uint64_t out_packets = 0;
  std::uint64_t in_bytes = 0;
  std::uint64_t out_bytes = 0;
};

struct Rates {
  std::uint64_t cps = 0;
  std::uint64_t in_pps = 0;
  std::uint64_t out_pps = 0;
  std::uint64_t in_bps = 0;
  std::uint64_t out_bps = 0;
};

class RateEstimator {
 public:
  static constexpr Duration kInterval = std::chrono::seconds(2);

  // Takes one sample per whole 2 s interval elapsed since the last sample.
  // The first call only sets the reference point.
  void tick(const Counters& c, TimePoint now);
  Rates rates() const;
  // Forget history: rates drop to 0 and the next sample starts from c.
  void reset(const Counters& c);

 private:
  void sample(const Counters& c);

  bool started_ = false;
  TimePoint last_sample_{};
  Counters last_{};
  // Scaled averages: per-second counts <<10 for conns/packets, <<5 for bytes.
  std::int64_t cps_ = 0, in_pps_ = 0, out_pps_ = 0, in_bps_ = 0, out_bps_ = 0;
};

struct Stats {
  Counters counters;
  RateEstimator estimator;

  void tick(TimePoint now) { estimator.tick(counters, now); }
  void zero() {
    counters = {};
    estimator.reset(counters);
  }
};

}  // namespace tandem::director
