#include "alerts/core/quiet.h"

namespace tandem::alerts {
namespace {

bool day_set(std::uint8_t days, int weekday) {
  return weekday >= 0 && weekday < 7 && (days & (1u << weekday)) != 0;
}

}  // namespace

bool in_window(const QuietWindow& w, LocalTime t) {
  const int m = t.minute_of_day;
  if (w.start_minute < w.end_minute) {
    return day_set(w.days, t.weekday) && m >= w.start_minute && m < w.end_minute;
  }
  // Wraps midnight: the part after midnight belongs to the previous day's window.
  const int yesterday = (t.weekday + 6) % 7;
  return (day_set(w.days, t.weekday) && m >= w.start_minute) ||
         (day_set(w.days, yesterday) && m < w.end_minute);
}

bool in_any_window(const std::vector<QuietWindow>& ws, LocalTime t) {
  for (const QuietWindow& w : ws) {
    if (in_window(w, t)) return true;
  }
  return false;
}

}  // namespace tandem::alerts
