#pragma once
// Turns a decision into subject and body text for any sender. Everything that
// came from an event is untrusted: header text loses CR/LF and control
// characters (no header injection), bodies keep only LF and TAB, invalid
// UTF-8 and control characters are escaped as \xNN / \uNNNN, and every piece
// is capped with an ASCII truncation marker. Output is always valid UTF-8.

#include <cstddef>
#include <string>
#include <string_view>

#include "alerts/core/policy.h"

namespace tandem::alerts {

inline constexpr std::string_view kTruncationMarker = "...[truncated]";

struct FormatLimits {
  std::size_t subject_max = 200;  // bytes
  std::size_t field_max = 512;    // each single-line body field
  std::size_t summary_max = 4096;
  std::size_t detail_max = 64 * 1024;
};

struct FormattedAlert {
  std::string subject;
  std::string body;  // LF line endings; the mail sender converts to CRLF and dot-stuffs
};

// One line, safe for a mail header or an HTTP header value: CR, LF and TAB
// become one space (runs collapse), leading/trailing spaces are trimmed.
std::string sanitize_header(std::string_view in, std::size_t max_bytes);

// Multi-line text: CRLF and lone CR become LF; TAB and LF are kept.
std::string sanitize_body(std::string_view in, std::size_t max_bytes);

FormattedAlert format_alert(const Decision& d, const FormatLimits& limits = {});

// "1h 2m 3s"; "0s" for zero or negative.
std::string format_duration(Duration d);
// "2026-11-21T21:30:40Z", or "unknown" for 0.
std::string format_wall_time(std::int64_t unix_seconds);

}  // namespace tandem::alerts
