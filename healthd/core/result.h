#pragma once
// What one check run reports, as the core sees it. The monitors produce it;
// the core keeps it in the history ring and quotes its summary in events.

#include <string>

#include "common/util/clock.h"

namespace tandem::health {

struct CheckResult {
  bool ok = false;
  std::string summary;  // one line, e.g. "HTTP 503 (expected 200)"
  Duration latency{};
  std::string detail;  // bounded extra text (exec output, headers) for alerts
  // Not a failure, but worth an event (a certificate close to expiry).
  std::string warning;
};

}  // namespace tandem::health
