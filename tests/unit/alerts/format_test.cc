#include "alerts/core/format.h"

#include <gtest/gtest.h>

namespace tandem::alerts {
namespace {

using std::chrono::seconds;

// Independent check that a string is well-formed UTF-8 (no overlongs, no
// surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    unsigned cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    for (std::size_t k = 1; k < n; ++k) {
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d >> 6) != 2) return false;
      cp = cp << 6 | (d & 0x3f);
    }
    const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n;
  }
  return true;
}

bool has_control(std::string_view s, bool allow_lf_tab) {
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (allow_lf_tab && (c == '\n' || c == '\t')) continue;
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

TEST(AlertFormat, HeaderStripsCrlfInjection) {
  const std::string evil = "web down\r\nBcc: victim@example.org\r\n\r\nfake body";
  const std::string h = sanitize_header(evil, 200);
  EXPECT_EQ(h, "web down Bcc: victim@example.org fake body");
  EXPECT_FALSE(has_control(h, false));
}

TEST(AlertFormat, HeaderEscapesControlsAndBinary) {
  EXPECT_EQ(sanitize_header(std::string("a\0b\x1b[31m\x7f", 9), 200), "a\\x00b\\x1B[31m\\x7F");
  EXPECT_EQ(sanitize_header("\xff\xfe ok", 200), "\\xFF\\xFE ok");
  // Overlong "/" and a UTF-16 surrogate encoded as UTF-8 are not valid UTF-8.
  EXPECT_EQ(sanitize_header("\xc0\xaf", 200), "\\xC0\\xAF");
  EXPECT_EQ(sanitize_header("\xed\xa0\x80", 200), "\\xED\\xA0\\x80");
  // A lone lead byte at the very end.
  EXPECT_EQ(sanitize_header("x\xe2\x82", 200), "x\\xE2\\x82");
  // C1 NEL and the Unicode line separator could break lines in some clients.
  EXPECT_EQ(sanitize_header("a\xc2\x85z\xe2\x80\xa8", 200), "a\\u0085z\\u2028");
}

TEST(AlertFormat, ValidUtf8PassesThrough) {
  EXPECT_EQ(sanitize_header("Zürich 東京 🙂", 200), "Zürich 東京 🙂");
  EXPECT_EQ(sanitize_body("naïve\n\tcafé", 200), "naïve\n\tcafé");
}

TEST(AlertFormat, HeaderCollapsesAndTrimsWhitespace) {
  EXPECT_EQ(sanitize_header("  a \t\t b\r\n  ", 200), "a b");
}

TEST(AlertFormat, BodyNormalisesLineEndings) {
  EXPECT_EQ(sanitize_body("a\r\nb\rc\nd\te\x07", 200), "a\nb\nc\nd\te\\x07");
}

TEST(AlertFormat, TruncationKeepsUtf8AndMarksIt) {
  const std::string huge(1'000'000, 'x');
  const std::string h = sanitize_header(huge, 100);
  EXPECT_EQ(h.size(), 100u);
  EXPECT_EQ(h.substr(100 - kTruncationMarker.size()), kTruncationMarker);
  // Multi-byte characters are never split.
  std::string euros;
  for (int i = 0; i < 100; ++i) euros += "\xe2\x82\xac";
  for (std::size_t max = 14; max < 60; ++max) {
    const std::string t = sanitize_header(euros, max);
    EXPECT_LE(t.size(), max);
    EXPECT_TRUE(valid_utf8(t)) << max;
    EXPECT_NE(t.find(kTruncationMarker), std::string::npos);
  }
  // Escapes are never split either.
  const std::string bin(50, '\x01');
  const std::string b = sanitize_body(bin, 30);  // 4 bytes per escape
  EXPECT_EQ(b, "\\x01\\x01\\x01\\x01" + std::string(kTruncationMarker));
  EXPECT_EQ(sanitize_header("short", 5), "short");  // exactly fits: no marker
}

TEST(AlertFormat, EveryByteValueGivesSafeOutput) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  const std::string h = sanitize_header(all + all, 4096);
  const std::string b = sanitize_body(all + all, 4096);
  EXPECT_TRUE(valid_utf8(h));
  EXPECT_TRUE(valid_utf8(b));
  EXPECT_FALSE(has_control(h, false));
  EXPECT_FALSE(has_control(b, true));
}

Decision decision(AlertType type) {
  Decision d;
  d.route = "oncall";
  d.sender = "mail";
  d.type = type;
  d.alert_number = 2;
  d.event.kind = type == AlertType::kUp ? EventKind::kServerUp : EventKind::kServerDown;
  d.event.severity = Severity::kCritical;
  d.event.service = "web";
  d.event.server = "198.18.1.11";
  d.event.summary = "connect to 198.18.1.11:80 refused";
  d.event.detail = "attempt 1: refused\nattempt 2: refused";
  d.event.wall_time = 1'700'000'000;  // 2023-11-14T22:13:20Z
  return d;
}

TEST(AlertFormat, FailureAlertText) {
  const FormattedAlert f = format_alert(decision(AlertType::kFailure));
  EXPECT_EQ(f.subject, "[tandem] ALERT web/198.18.1.11: connect to 198.18.1.11:80 refused");
  EXPECT_EQ(f.body,
            "Tandem ALERT\n"
            "Event:    server_down\n"
            "Severity: critical\n"
            "Service:  web\n"
            "Server:   198.18.1.11\n"
            "Time:     2023-11-14T22:13:20Z\n"
            "Alert:    #2\n"
            "Route:    oncall\n"
            "\nSummary:\nconnect to 198.18.1.11:80 refused\n"
            "\nDetail:\nattempt 1: refused\nattempt 2: refused\n");
}

TEST(AlertFormat, UpAlertShowsOutage) {
  Decision d = decision(AlertType::kUp);
  d.outage = seconds(3723);
  d.released_after_quiet = true;
  const FormattedAlert f = format_alert(d);
  EXPECT_EQ(f.subject.rfind("[tandem] UPALERT web/198.18.1.11: ", 0), 0u);
  EXPECT_NE(f.body.find("Outage:   1h 2m 3s\n"), std::string::npos);
  EXPECT_NE(f.body.find("Note:     held during quiet hours\n"), std::string::npos);
  EXPECT_EQ(f.body.find("Alert:"), std::string::npos);
}

TEST(AlertFormat, HostileEventCannotInjectHeadersOrLines) {
  Decision d = decision(AlertType::kFailure);
  d.event.service = "web\r\nX-Injected: 1";
  d.event.server = "srv\nTo: all@example.org";
  d.event.summary = std::string(100'000, 'S') + "\r\nSubject: pwned";
  d.event.detail = std::string(1'000'000, '\xff');
  d.route = "r\nRoute: forged";
  const FormattedAlert f = format_alert(d);
  EXPECT_LE(f.subject.size(), 200u);
  EXPECT_FALSE(has_control(f.subject, false));
  EXPECT_TRUE(valid_utf8(f.subject));
  EXPECT_TRUE(valid_utf8(f.body));
  EXPECT_FALSE(has_control(f.body, true));
  // No event text can start a body line of its own: every field stays on its line.
  EXPECT_EQ(f.body.find("\nX-Injected"), std::string::npos);
  EXPECT_EQ(f.body.find("\nTo:"), std::string::npos);
  EXPECT_EQ(f.body.find("\nRoute: forged"), std::string::npos);
  EXPECT_LT(f.body.size(), 4096u + 65536u + 2048u);  // every piece capped
}

TEST(AlertFormat, Durations) {
  EXPECT_EQ(format_duration(seconds(0)), "0s");
  EXPECT_EQ(format_duration(seconds(-5)), "0s");
  EXPECT_EQ(format_duration(seconds(59)), "59s");
  EXPECT_EQ(format_duration(seconds(3600)), "1h");
  EXPECT_EQ(format_duration(seconds(90061)), "1d 1h 1m 1s");
  EXPECT_EQ(format_wall_time(0), "unknown");
  EXPECT_EQ(format_wall_time(951782400), "2000-02-29T00:00:00Z");
}

TEST(AlertEvents, NamesRoundTrip) {
  for (int k = 0; k <= static_cast<int>(EventKind::kTest); ++k) {
    const auto kind = static_cast<EventKind>(k);
    EXPECT_EQ(parse_event_kind(to_string(kind)), kind);
  }
  EXPECT_EQ(parse_severity("critical"), Severity::kCritical);
  EXPECT_FALSE(parse_event_kind("server_exploded"));
  EXPECT_FALSE(parse_severity(""));
  EXPECT_EQ(failure_kind_of(EventKind::kSyncRestored), EventKind::kSyncTrouble);
  EXPECT_TRUE(is_failure(EventKind::kQuorumLost));
  EXPECT_TRUE(is_recovery(EventKind::kQuorumRestored));
  EXPECT_EQ(family(EventKind::kRoleChange), Family::kNone);
}

}  // namespace
}  // namespace tandem::alerts
