#pragma once
// Exponential reconnect delay, doubled per failure and capped; pure so the
// sequence is tested exactly without waiting.

#include <algorithm>

#include "common/util/clock.h"

namespace tandem::ipc {

class Backoff {
 public:
  Backoff(Duration initial, Duration cap)
      : initial_(std::min(initial, cap)), cap_(cap), next_(initial_) {}

  // The delay to wait before the next attempt; each call doubles the one after.
  Duration next() {
    Duration d = next_;
    next_ = next_ >= cap_ / 2 ? cap_ : next_ * 2;
    return d;
  }
  void reset() { next_ = initial_; }

 private:
  Duration initial_;
  Duration cap_;
  Duration next_;
};

}  // namespace tandem::ipc
