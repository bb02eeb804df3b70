#include "common/config/duration.h"

#include <cstdint>
#include <limits>

namespace tandem::config {
namespace {

constexpr std::int64_t kMs = 1000000;
constexpr std::int64_t kS = 1000 * kMs;
constexpr std::int64_t kMin = 60 * kS;
constexpr std::int64_t kHour = 60 * kMin;
constexpr std::int64_t kDay = 24 * kHour;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::optional<std::int64_t> unit_ns(std::string_view unit) {
  if (unit == "ms") return kMs;
  if (unit == "s") return kS;
  if (unit == "m") return kMin;
  if (unit == "h") return kHour;
  if (unit == "d") return kDay;
  return std::nullopt;
}

// value * unit plus the fraction digits, exactly; false on overflow or on a
// fraction finer than one nanosecond.
bool scale(std::string_view whole, std::string_view frac, std::int64_t unit, std::int64_t& out) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t w = 0;
  for (char c : whole) {
    if (w > (kMax - 9) / 10) return false;
    w = w * 10 + (c - '0');
  }
  if (w > kMax / unit) return false;
  std::int64_t total = w * unit;
  std::int64_t step = unit;
  for (char c : frac) {
    if (step % 10 != 0) {
      if (c != '0') return false;
      continue;
    }
    step /= 10;
    total += (c - '0') * step;  // the fraction adds less than one unit
    if (total < 0) return false;
  }
  out = total;
  return true;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t i = 0;
  int parts = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && is_digit(text[i])) ++i;
    std::string_view whole = text.substr(start, i - start);
    std::string_view frac;
    if (i < text.size() && text[i] == '.') {
      std::size_t fstart = ++i;
      while (i < text.size() && is_digit(text[i])) ++i;
      frac = text.substr(fstart, i - fstart);
      if (frac.empty()) return std::nullopt;
    }
    if (whole.empty() && frac.empty()) return std::nullopt;
    std::size_t ustart = i;
    while (i < text.size() && !is_digit(text[i]) && text[i] != '.') ++i;
    std::string_view unit_text = text.substr(ustart, i - ustart);
    std::int64_t unit = kS;
    if (unit_text.empty()) {
      // A bare number is only allowed alone: "1m30" is ambiguous.
      if (i != text.size() || parts != 0) return std::nullopt;
    } else {
      auto u = unit_ns(unit_text);
      if (!u) return std::nullopt;
      unit = *u;
    }
    std::int64_t part = 0;
    if (!scale(whole, frac, unit, part)) return std::nullopt;
    if (total > std::numeric_limits<std::int64_t>::max() - part) return std::nullopt;
    total += part;
    ++parts;
  }
  return Duration{total};
}

std::string format_duration(Duration d) {
  std::int64_t ns = d.count();
  if (ns == 0) return "0s";
  if (ns < 0) return "-" + format_duration(Duration{-ns});
  struct Unit {
    std::int64_t ns;
    const char* suffix;
  };
  for (Unit u :
       {Unit{kDay, "d"}, Unit{kHour, "h"}, Unit{kMin, "m"}, Unit{kS, "s"}, Unit{kMs, "ms"}}) {
    if (ns % u.ns == 0) return std::to_string(ns / u.ns) + u.suffix;
  }
  std::string frac = std::to_string(ns % kS);
  frac.insert(0, 9 - frac.size(), '0');
  while (frac.back() == '0') frac.pop_back();
  return std::to_string(ns / kS) + "." + frac + "s";
}

}  // namespace tandem::config
