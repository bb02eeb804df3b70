#include "alerts/senders/message.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace tandem::alerts {
namespace {

Job job() {
  Job j;
  j.id = 12;
  j.route = "ops";
  j.sender = "mail";
  j.type = "failure";
  j.subject = "DOWN web/www1";
  j.body = "server www1 is down\n.dot line\n";
  j.kind = "server_down";
  j.severity = "critical";
  j.service = "web";
  j.server = "www1";
  j.created = 1795300846;  // 2026-11-21T22:40:46Z, a Saturday
  return j;
}

TEST(AlertMessage, MailBytesAreExact) {
  std::string m = build_mail({"tandem@lab.test", {"a@lab.test", "b@lab.test"}}, job());
  // Checked by hand: CRLF everywhere, headers then an empty line, LF in the
  // body turned into CRLF, and the leading dot left for libcurl to stuff.
  EXPECT_EQ(m,
            "From: tandem@lab.test\r\n"
            "To: a@lab.test, b@lab.test\r\n"
            "Subject: DOWN web/www1\r\n"
            "Date: Sat, 21 Nov 2026 22:40:46 +0000\r\n"
            "Message-ID: <tandem-alert-12-1795300846@lab.test>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n"
            "\r\n"
            "server www1 is down\r\n"
            ".dot line\r\n");
}

TEST(AlertMessage, LongBodyLinesAreBrokenForSmtpBetweenCharacters) {
  Job j = job();
  // 989 ASCII bytes, then "é" (2 bytes) straddling the break, then more.
  j.body = std::string(989, 'a') + "\xc3\xa9" + std::string(3000, 'b') + "\nshort\n";
  std::string m = build_mail({"tandem@lab.test", {"a@lab.test"}}, j);
  std::string body = m.substr(m.find("\r\n\r\n") + 4);
  std::size_t start = 0, longest = 0, lines = 0;
  std::string joined;
  while (start < body.size()) {
    std::size_t end = body.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    longest = std::max(longest, end - start);
    joined += body.substr(start, end - start);
    ++lines;
    start = end + 2;
  }
  EXPECT_LE(longest, 998u);
  EXPECT_EQ(lines, 6u);  // a..é (991), b x 990 x 3, b x 30, "short"
  // Nothing lost or reordered, and the 2-byte character was not split.
  EXPECT_EQ(joined, std::string(989, 'a') + "\xc3\xa9" + std::string(3000, 'b') + "short");
  EXPECT_NE(body.find("a\xc3\xa9"), std::string::npos);
}

TEST(AlertMessage, HeadersNeverCarryInjectedLines) {
  Job j = job();
  j.subject = "x\r\nBcc: evil@example.invalid";
  std::string m = build_mail({"t@lab.test\r\nX: y", {"a@lab.test\nCc: z"}}, j);
  std::string head = m.substr(0, m.find("\r\n\r\n") + 2);
  EXPECT_EQ(head.find("\r\nBcc:"), std::string::npos);
  EXPECT_EQ(head.find("\r\nX:"), std::string::npos);
  EXPECT_EQ(head.find("\r\nCc:"), std::string::npos);
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\n') {
      EXPECT_EQ(head[i - 1], '\r') << i;  // no bare LF
    }
    if (head[i] == '\r') {
      EXPECT_EQ(head[i + 1], '\n') << i;  // no bare CR
    }
  }
  EXPECT_EQ(std::count(head.begin(), head.end(), '\n'), 8);  // exactly the 8 headers
}

TEST(AlertMessage, NonAsciiSubjectIsEncodedWord) {
  // "é" = C3 A9; base64 of "caf\xc3\xa9" (63 61 66 C3 A9) is "Y2Fmw6k=", by hand:
  // 011000 110110 000101 100110 | 110000 111010 1001(00) -> Y 2 F m w 6 k =
  EXPECT_EQ(encode_header_word("caf\xc3\xa9"), "=?UTF-8?B?Y2Fmw6k=?=");
  EXPECT_EQ(encode_header_word("plain"), "plain");
}

TEST(AlertMessage, DateFormat) {
  EXPECT_EQ(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(rfc5322_date(951782400), "Tue, 29 Feb 2000 00:00:00 +0000");
}

TEST(AlertMessage, PageJsonCarriesTheEvent) {
  auto o = nlohmann::json::parse(build_page_json(job()));
  EXPECT_EQ(o["subject"], "DOWN web/www1");
  EXPECT_EQ(o["service"], "web");
  EXPECT_EQ(o["server"], "www1");
  EXPECT_EQ(o["type"], "failure");
  EXPECT_EQ(o["id"], 12);
}

TEST(AlertMessage, RetryDelayDoublesAndCaps) {
  using std::chrono::seconds;
  EXPECT_EQ(retry_delay(0), seconds(5));
  EXPECT_EQ(retry_delay(1), seconds(5));
  EXPECT_EQ(retry_delay(2), seconds(10));
  EXPECT_EQ(retry_delay(3), seconds(20));
  EXPECT_EQ(retry_delay(8), seconds(600));
  EXPECT_EQ(retry_delay(4000000000u), seconds(600));
}

}  // namespace
}  // namespace tandem::alerts
