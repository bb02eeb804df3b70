#include "alerts/core/format.h"

#include <chrono>
#include <cstdio>

namespace tandem::alerts {
namespace {

enum class Mode { kHeader, kBody };

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not one (bad
// lead byte, bad continuation, overlong form, surrogate, above U+10FFFF).
std::size_t utf8_length(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  std::size_t n;
  char32_t min;
  if (c < 0x80) {
    cp = c;
    return 1;
  } else if ((c & 0xe0) == 0xc0) {
    n = 2;
    cp = c & 0x1f;
    min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3;
    cp = c & 0x0f;
    min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4;
    cp = c & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

// \xNN for bytes, \uNNNN for code points; upper-case hex.
void append_escape(std::string& out, char tag, unsigned v, int digits) {
  static const char* kHex = "0123456789ABCDEF";
  out += '\\';
  out += tag;
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) out += kHex[(v >> shift) & 0xf];
}

std::string sanitize(std::string_view in, std::size_t max_bytes, Mode mode) {
  std::string out;
  const std::size_t budget =
      max_bytes > kTruncationMarker.size() ? max_bytes - kTruncationMarker.size() : 0;
  std::size_t last_fit = 0;  // output length at the last piece boundary within budget
  bool truncated = false;
  bool pending_space = false;  // header: whitespace run not yet written
  for (std::size_t i = 0; i < in.size();) {
    char32_t cp = 0;
    const std::size_t n = utf8_length(in, i, cp);
    const std::size_t before = out.size();
    if (n == 0) {
      append_escape(out, 'x', static_cast<unsigned char>(in[i]), 2);
      i += 1;
    } else {
      const bool cr = cp == '\r';
      if (mode == Mode::kHeader && (cr || cp == '\n' || cp == '\t' || cp == ' ')) {
        pending_space = !out.empty();
        i += n;
        continue;
      }
      if (pending_space) {
        out += ' ';
        pending_space = false;
      }
      if (mode == Mode::kBody && cr) {
        out += '\n';
        if (i + 1 < in.size() && in[i + 1] == '\n') ++i;  // CRLF -> LF
      } else if (mode == Mode::kBody && (cp == '\n' || cp == '\t')) {
        out += static_cast<char>(cp);
      } else if (cp < 0x20 || cp == 0x7f) {
        append_escape(out, 'x', static_cast<unsigned>(cp), 2);
      } else if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) {
        // C1 controls and Unicode line/paragraph separators: some clients
        // treat them as line breaks.
        append_escape(out, 'u', static_cast<unsigned>(cp), 4);
      } else {
        out.append(in.substr(i, n));
      }
      i += n;
    }
    if (before <= budget) last_fit = before;
    if (out.size() > max_bytes) {
      truncated = true;
      break;
    }
  }
  if (!truncated) return out;
  if (out.size() <= budget) last_fit = out.size();
  out.resize(last_fit);
  if (mode == Mode::kHeader) {
    while (!out.empty() && out.back() == ' ') out.pop_back();
  }
  if (max_bytes >= kTruncationMarker.size()) out += kTruncationMarker;
  return out;
}

std::string_view type_label(AlertType t) {
  switch (t) {
    case AlertType::kFailure:
      return "ALERT";
    case AlertType::kUp:
      return "UPALERT";
    case AlertType::kNotice:
      return "NOTICE";
    case AlertType::kTest:
      return "TEST";
  }
  return "ALERT";
}

}  // namespace

std::string sanitize_header(std::string_view in, std::size_t max_bytes) {
  return sanitize(in, max_bytes, Mode::kHeader);
}

std::string sanitize_body(std::string_view in, std::size_t max_bytes) {
  return sanitize(in, max_bytes, Mode::kBody);
}

std::string format_duration(Duration d) {
  if (d <= Duration{0}) return "0s";
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  const auto days = s / 86400;
  s %= 86400;
  const auto h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
  std::string out;
  auto part = [&](long long v, const char* unit) {
    if (v == 0) return;
    if (!out.empty()) out += ' ';
    out += std::to_string(v) + unit;
  };
  part(days, "d");
  part(h, "h");
  part(m, "m");
  part(sec, "s");
  return out.empty() ? "0s" : out;
}

std::string format_wall_time(std::int64_t unix_seconds) {
  using namespace std::chrono;
  if (unix_seconds == 0) return "unknown";
  const sys_seconds tp{seconds{unix_seconds}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> hms{tp - day};
  char buf[48];
  std::snprintf(
      buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lldZ", int(ymd.year()),
      unsigned(ymd.month()), unsigned(ymd.day()), static_cast<long long>(hms.hours().count()),
      static_cast<long long>(hms.minutes().count()), static_cast<long long>(hms.seconds().count()));
  return buf;
}

FormattedAlert format_alert(const Decision& d, const FormatLimits& lim) {
  const Event& ev = d.event;
  FormattedAlert f;
  std::string where = ev.service;
  if (!ev.server.empty()) where += "/" + ev.server;
  f.subject = sanitize_header(
      "[tandem] " + std::string(type_label(d.type)) + " " + where + ": " + ev.summary,
      lim.subject_max);

  auto field = [&](std::string_view name, std::string_view value) {
    f.body += name;
    f.body += sanitize_header(value, lim.field_max);
    f.body += '\n';
  };
  f.body += "Tandem ";
  f.body += type_label(d.type);
  f.body += '\n';
  field("Event:    ", to_string(ev.kind));
  field("Severity: ", to_string(ev.severity));
  field("Service:  ", ev.service);
  if (!ev.server.empty()) field("Server:   ", ev.server);
  field("Time:     ", format_wall_time(ev.wall_time));
  if (d.type == AlertType::kFailure) field("Alert:    ", "#" + std::to_string(d.alert_number));
  if (d.type == AlertType::kUp) field("Outage:   ", format_duration(d.outage));
  field("Route:    ", d.route);
  if (d.released_after_quiet) f.body += "Note:     held during quiet hours\n";
  f.body += "\nSummary:\n";
  f.body += sanitize_body(ev.summary, lim.summary_max);
  f.body += '\n';
  if (!ev.detail.empty()) {
    f.body += "\nDetail:\n";
    f.body += sanitize_body(ev.detail, lim.detail_max);
    f.body += '\n';
  }
  return f;
}

}  // namespace tandem::alerts
