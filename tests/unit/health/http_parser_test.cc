#include "healthd/monitors/http_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace tandem::health {
namespace {

using State = HttpResponseParser::State;

const std::string kOk =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 3\r\n"
    "\r\n"
    "ok\n";

// Feeds `text` split at every position into two pieces (and byte by byte),
// checking each way gives the same outcome as one piece.
void expect_split_invariant(const std::string& text, bool close_at_end, State want,
                            const std::string& want_body, HttpLimits limits = {}) {
  auto run = [&](const std::vector<std::string_view>& parts) {
    HttpResponseParser p(limits);
    for (auto part : parts) p.feed(part);
    if (close_at_end) p.finish();
    EXPECT_EQ(p.state(), want) << p.error();
    if (want == State::kDone) {
      EXPECT_EQ(p.body(), want_body);
    }
  };
  run({text});
  for (std::size_t i = 0; i <= text.size(); ++i) {
    run({std::string_view(text).substr(0, i), std::string_view(text).substr(i)});
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < text.size(); ++i)
    bytes.push_back(std::string_view(text).substr(i, 1));
  run(bytes);
}

TEST(HttpParser, ParsesStatusHeadersAndBody) {
  HttpResponseParser p;
  EXPECT_EQ(p.feed(kOk), State::kDone);
  EXPECT_EQ(p.status(), 200);
  EXPECT_EQ(p.reason(), "OK");
  ASSERT_EQ(p.headers().size(), 2u);
  ASSERT_NE(p.header("content-length"), nullptr);
  EXPECT_EQ(*p.header("CONTENT-LENGTH"), "3");
  EXPECT_EQ(p.body(), "ok\n");
}

TEST(HttpParser, SplitAnywhereGivesTheSameResult) {
  expect_split_invariant(kOk, false, State::kDone, "ok\n");
}

TEST(HttpParser, BareLfLineEndingsAreAccepted) {
  expect_split_invariant("HTTP/1.0 200 OK\nContent-Length: 2\n\nhi", false, State::kDone, "hi");
}

TEST(HttpParser, ChunkedBodyIsDecoded) {
  const std::string text =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4;ext=1\r\nWiki\r\n"
      "5\r\npedia\r\n"
      "0\r\nX-Trailer: a\r\n\r\n";
  expect_split_invariant(text, false, State::kDone, "Wikipedia");
}

TEST(HttpParser, BodyUntilClose) {
  expect_split_invariant("HTTP/1.0 200 OK\r\n\r\nall of it", true, State::kDone, "all of it");
}

TEST(HttpParser, StatusWithoutReason) {
  HttpResponseParser p;
  EXPECT_EQ(p.feed("HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n"), State::kDone);
  EXPECT_EQ(p.status(), 503);
  EXPECT_EQ(p.reason(), "");
}

TEST(HttpParser, HeadResponseHasNoBody) {
  HttpResponseParser p({}, true);
  EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"), State::kDone);
  EXPECT_EQ(p.body(), "");
}

TEST(HttpParser, InterimResponseIsSkipped) {
  HttpResponseParser p;
  EXPECT_EQ(
      p.feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
      State::kDone);
  EXPECT_EQ(p.status(), 404);
}

TEST(HttpParser, NoContentAndNotModifiedHaveNoBody) {
  for (const char* t : {"HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 304 Not Modified\r\n\r\n"}) {
    HttpResponseParser p;
    EXPECT_EQ(p.feed(t), State::kDone) << t;
  }
}

TEST(HttpParser, RejectsGarbageStatusLines) {
  for (const char* t :
       {"garbage\r\n", "HTTP/1.1 2000 OK\r\n", "HTTP/1.1 20 OK\r\n", "HTTP/1.1 abc OK\r\n",
        "HTTP/x.1 200 OK\r\n", "HTTP/1.1 099 Low\r\n", "SSH-2.0-OpenSSH_9.2\r\n", "\r\n"}) {
    HttpResponseParser p;
    EXPECT_EQ(p.feed(t), State::kError) << t;
  }
}

TEST(HttpParser, RejectsMalformedHeaders) {
  for (const char* h : {"NoColon\r\n", ": empty name\r\n", "Bad Name: x\r\n", " folded: x\r\n"}) {
    HttpResponseParser p;
    p.feed("HTTP/1.1 200 OK\r\n");
    EXPECT_EQ(p.feed(h), State::kError) << h;
  }
}

TEST(HttpParser, RejectsBadOrConflictingContentLength) {
  for (const char* h : {"Content-Length: -1\r\n\r\n", "Content-Length: 1x\r\n\r\n",
                        "Content-Length: 99999999999999999999\r\n\r\n",
                        "Content-Length: 1\r\nContent-Length: 2\r\n\r\n"}) {
    HttpResponseParser p;
    p.feed("HTTP/1.1 200 OK\r\n");
    EXPECT_EQ(p.feed(h), State::kError) << h;
  }
}

TEST(HttpParser, HugeHeadersAreCutOff) {
  HttpLimits limits;
  limits.max_header_bytes = 1024;
  HttpResponseParser p(limits);
  p.feed("HTTP/1.1 200 OK\r\n");
  std::string big = "X-Big: " + std::string(2000, 'a');
  EXPECT_EQ(p.feed(big), State::kError);  // no CRLF needed to be refused
  EXPECT_EQ(p.error(), "response headers too large");
}

TEST(HttpParser, EndlessStatusLineWithoutNewlineIsCutOff) {
  HttpLimits limits;
  limits.max_header_bytes = 100;
  HttpResponseParser p(limits);
  State s = State::kStatusLine;
  for (int i = 0; i < 50 && s != State::kError; ++i) s = p.feed("HTTP/1.1 200 OK OK OK ");
  EXPECT_EQ(s, State::kError);
}

TEST(HttpParser, TooManyHeaders) {
  HttpLimits limits;
  limits.max_headers = 3;
  HttpResponseParser p(limits);
  p.feed("HTTP/1.1 200 OK\r\n");
  EXPECT_EQ(p.feed("A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n"), State::kError);
}

TEST(HttpParser, LongBodyIsTruncatedAndEndsEarly) {
  HttpLimits limits;
  limits.max_body_bytes = 10;
  HttpResponseParser p(limits);
  EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n0123456789abc"),
            State::kDone);
  EXPECT_EQ(p.body(), "0123456789");
  EXPECT_TRUE(p.body_truncated());
}

TEST(HttpParser, ClosedEarlyIsAnError) {
  {
    HttpResponseParser p;
    EXPECT_EQ(p.finish(), State::kError);
    EXPECT_EQ(p.error(), "connection closed without a response");
  }
  {
    HttpResponseParser p;
    p.feed("HTTP/1.1 200 OK\r\nContent-");
    EXPECT_EQ(p.finish(), State::kError);
    EXPECT_EQ(p.error(), "connection closed in the headers");
  }
  {
    HttpResponseParser p;
    p.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    EXPECT_EQ(p.finish(), State::kError);
    EXPECT_EQ(p.error(), "connection closed in the body");
  }
}

TEST(HttpParser, BadChunks) {
  for (const char* body : {"zz\r\n", "4\r\nWikiX\r\n", "fffffffffffffffffff\r\n"}) {
    HttpResponseParser p;
    p.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    EXPECT_EQ(p.feed(body), State::kError) << body;
  }
}

TEST(HttpParser, BytesAfterDoneAreIgnored) {
  HttpResponseParser p;
  EXPECT_EQ(p.feed(kOk + "HTTP/1.1 500 Oops\r\n\r\n"), State::kDone);
  EXPECT_EQ(p.status(), 200);
}

TEST(HttpParser, HeaderNamesAreTokens) {
  {
    HttpResponseParser p;
    p.feed("HTTP/1.1 200 OK\r\nX-a.b_c~d|e^f`g!h#i$j%k&l'm*n+o9Z: v\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(p.state(), State::kDone) << p.error();
    ASSERT_NE(p.header("x-A.B_C~D|E^F`G!H#I$J%K&L'M*N+O9z"), nullptr);
    EXPECT_EQ(*p.header("x-a.b_c~d|e^f`g!h#i$j%k&l'm*n+o9z"), "v");
  }
  for (const char* bad : {"Bad Name", "Bad(", "Bad\"", "Bad/", "Bad@", "Bad\x80", "Bad{"}) {
    HttpResponseParser p;
    p.feed(std::string("HTTP/1.1 200 OK\r\n") + bad + ": v\r\n\r\n");
    EXPECT_EQ(p.state(), State::kError) << bad;
    EXPECT_EQ(p.error(), "malformed header name") << bad;
  }
}

}  // namespace
}  // namespace tandem::health
