#pragma once
// Durations as operators write them: "250ms", "10s", "5m", "1h", "1d",
// compounds such as "1m30s", decimals such as "0.01s", and a plain number
// meaning seconds ("10", "0.5").

#include <optional>
#include <string>
#include <string_view>

#include "common/util/clock.h"

namespace tandem::config {

// Exact to the nanosecond; nullopt for anything malformed, negative or
// beyond the range of Duration.
std::optional<Duration> parse_duration(std::string_view text);

// The shortest exact spelling that parse_duration reads back to the same
// value: "1d", "90s", "250ms", "0.000001s".
std::string format_duration(Duration d);

}  // namespace tandem::config
