#include "director/core/stats.h"

namespace tandem::director {
namespace {

// An idle director may tick rarely; after this many missed intervals the
// averages have decayed to nothing anyway, so stop iterating.
constexpr int kMaxCatchUp = 64;

void ewma(std::int64_t& avg, std::uint64_t now_count, std::uint64_t last_count, int shift) {
  const std::int64_t rate = static_cast<std::int64_t>((now_count - last_count) << shift);
  avg += (rate - avg) >> 2;  // arithmetic shift, as the kernel does
}

}  // namespace

void RateEstimator::sample(const Counters& c) {
  // Delta over 2 s scaled by 2^10 (resp. 2^5) is delta << 9 (resp. << 4).
  ewma(cps_, c.conns, last_.conns, 9);
  ewma(in_pps_, c.in_packets, last_.in_packets, 9);
  ewma(out_pps_, c.out_packets, last_.out_packets, 9);
  ewma(in_bps_, c.in_bytes, last_.in_bytes, 4);
  ewma(out_bps_, c.out_bytes, last_.out_bytes, 4);
  last_ = c;
}

void RateEstimator::tick(const Counters& c, TimePoint now) {
  if (!started_) {
    started_ = true;
    last_sample_ = now;
    last_ = c;
    return;
  }
  int n = 0;
  while (now - last_sample_ >= kInterval) {
    if (n++ < kMaxCatchUp) {
      sample(c);
    } else {
      cps_ = in_pps_ = out_pps_ = in_bps_ = out_bps_ = 0;
      last_sample_ = now - (now - last_sample_) % kInterval;
      break;
    }
    last_sample_ += kInterval;
  }
}

Rates RateEstimator::rates() const {
  auto scaled = [](std::int64_t v, int shift) {
    if (v <= 0) return std::uint64_t{0};
    return static_cast<std::uint64_t>((v + (std::int64_t{1} << (shift - 1)) - 1) >> shift);
  };
  // Rounding as in ip_vs_read_estimator: +0x1FF >> 10 and +0xF >> 5.
  return Rates{scaled(cps_, 10), scaled(in_pps_, 10), scaled(out_pps_, 10), scaled(in_bps_, 5),
               scaled(out_bps_, 5)};
}

void RateEstimator::reset(const Counters& c) {
  last_ = c;
  cps_ = in_pps_ = out_pps_ = in_bps_ = out_bps_ = 0;
}

}  // namespace tandem::director
