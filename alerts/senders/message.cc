#include "alerts/senders/message.h"

#include <time.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace tandem::alerts {

namespace {

std::string one_line(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  while (i + 3 <= in.size()) {
    auto a = static_cast<unsigned char>(in[i]);
    auto b = static_cast<unsigned char>(in[i + 1]);
    auto c = static_cast<unsigned char>(in[i + 2]);
    out.push_back(kAlphabet[a >> 2]);
    out.push_back(kAlphabet[((a & 3) << 4) | (b >> 4)]);
    out.push_back(kAlphabet[((b & 15) << 2) | (c >> 6)]);
    out.push_back(kAlphabet[c & 63]);
    i += 3;
  }
  if (in.size() - i == 1) {
    auto a = static_cast<unsigned char>(in[i]);
    out.push_back(kAlphabet[a >> 2]);
    out.push_back(kAlphabet[(a & 3) << 4]);
    out += "==";
  } else if (in.size() - i == 2) {
    auto a = static_cast<unsigned char>(in[i]);
    auto b = static_cast<unsigned char>(in[i + 1]);
    out.push_back(kAlphabet[a >> 2]);
    out.push_back(kAlphabet[((a & 3) << 4) | (b >> 4)]);
    out.push_back(kAlphabet[(b & 15) << 2]);
    out.push_back('=');
  }
  return out;
}

std::string domain_of(const std::string& address) {
  auto at = address.rfind('@');
  if (at == std::string::npos || at + 1 >= address.size()) return "tandem.invalid";
  return one_line(address.substr(at + 1));
}

}  // namespace

std::string rfc5322_date(std::int64_t unix_seconds) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  if (gmtime_r(&t, &tm) == nullptr) return "Thu, 01 Jan 1970 00:00:00 +0000";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string encode_header_word(std::string_view text) {
  std::string clean = one_line(text);
  bool ascii = std::all_of(clean.begin(), clean.end(),
                           [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) return clean;
  return "=?UTF-8?B?" + base64(clean) + "?=";
}

std::string build_mail(const MailEnvelope& env, const Job& job) {
  std::string to;
  for (const std::string& r : env.to) {
    if (!to.empty()) to += ", ";
    to += one_line(r);
  }
  std::string m;
  m += "From: " + one_line(env.from) + "\r\n";
  m += "To: " + to + "\r\n";
  m += "Subject: " + encode_header_word(job.subject) + "\r\n";
  m += "Date: " + rfc5322_date(job.created) + "\r\n";
  m += "Message-ID: <tandem-alert-" + std::to_string(job.id) + "-" + std::to_string(job.created) +
       "@" + domain_of(env.from) + ">\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "Content-Transfer-Encoding: 8bit\r\n";
  m += "\r\n";
  // SMTP refuses lines over 998 bytes (RFC 5321 4.5.3.1.6; aiosmtpd
  // answers "500 Line too long" and the job would be retried for ever), so
  // longer lines are broken, before a UTF-8 lead byte, with room left for
  // the dot libcurl may stuff in front.
  constexpr std::size_t kMaxLine = 990;
  std::size_t line = 0;
  for (std::size_t i = 0; i < job.body.size(); ++i) {
    const char c = job.body[i];
    if (c == '\r') continue;  // format_alert gives LF only; never emit a bare CR
    if (c == '\n') {
      m += "\r\n";
      line = 0;
      continue;
    }
    const bool continuation = (static_cast<unsigned char>(c) & 0xC0) == 0x80;
    if (line >= kMaxLine && !continuation) {
      m += "\r\n";
      line = 0;
    }
    m.push_back(c);
    ++line;
  }
  if (m.size() < 2 || m.compare(m.size() - 2, 2, "\r\n") != 0) m += "\r\n";
  return m;
}

std::string build_page_json(const Job& job) {
  nlohmann::json o = {{"id", job.id},           {"route", job.route},   {"sender", job.sender},
                      {"type", job.type},       {"kind", job.kind},     {"severity", job.severity},
                      {"service", job.service}, {"server", job.server}, {"time", job.created},
                      {"subject", job.subject}, {"body", job.body}};
  return o.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Duration retry_delay(std::uint32_t attempts) {
  constexpr Duration kFirst = std::chrono::seconds(5);
  constexpr Duration kCap = std::chrono::minutes(10);
  Duration d = kFirst;
  for (std::uint32_t i = 1; i < attempts && d < kCap; ++i) d *= 2;
  return std::min(d, kCap);
}

}  // namespace tandem::alerts
