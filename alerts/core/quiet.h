#pragma once
// Quiet hours: time-of-day windows in the operator's local time. The engine
// never reads a clock or a time zone; the adapter passes the local weekday and
// minute of day alongside the monotonic "now".

#include <cstdint>
#include <vector>

namespace tandem::alerts {

struct LocalTime {
  int weekday = 0;        // 0 = Sunday .. 6 = Saturday
  int minute_of_day = 0;  // 0 .. 1439
};

struct QuietWindow {
  std::uint8_t days = 0x7f;  // bit d set: the window starts on weekday d
  int start_minute = 0;      // inclusive
  int end_minute = 0;        // exclusive; <= start wraps past midnight into the next day
};

// start == end means the whole 24 hours from start.
bool in_window(const QuietWindow& w, LocalTime t);
bool in_any_window(const std::vector<QuietWindow>& ws, LocalTime t);

}  // namespace tandem::alerts
