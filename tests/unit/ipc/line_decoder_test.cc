#include "common/ipc/line_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tandem::ipc {
namespace {

using Status = LineDecoder::Status;

std::vector<std::string> drain(LineDecoder& d, Status* last = nullptr) {
  std::vector<std::string> lines;
  std::string line;
  Status s;
  while ((s = d.next(line)) == Status::kLine) lines.push_back(line);
  if (last) *last = s;
  return lines;
}

TEST(LineDecoder, SplitsCompleteLinesAndKeepsTheRemainder) {
  LineDecoder d(100);
  d.feed("one\ntwo\nthr");
  Status last;
  EXPECT_EQ(drain(d, &last), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(last, Status::kNeedMore);
  EXPECT_EQ(d.buffered(), 3u);
  d.feed("ee\n");
  EXPECT_EQ(drain(d), (std::vector<std::string>{"three"}));
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(LineDecoder, EveryPossibleSplitYieldsTheSameLines) {
  const std::string stream = "{\"id\":1,\"cmd\":\"status\"}\n\n{\"id\":2,\"cmd\":\"ping\"}\nx\n";
  const std::vector<std::string> expected = {"{\"id\":1,\"cmd\":\"status\"}", "",
                                             "{\"id\":2,\"cmd\":\"ping\"}", "x"};
  for (std::size_t a = 0; a <= stream.size(); ++a) {
    for (std::size_t b = a; b <= stream.size(); ++b) {
      LineDecoder d(64);
      std::vector<std::string> got;
      for (auto piece : {stream.substr(0, a), stream.substr(a, b - a), stream.substr(b)}) {
        d.feed(piece);
        auto lines = drain(d);
        got.insert(got.end(), lines.begin(), lines.end());
      }
      ASSERT_EQ(got, expected) << "split at " << a << "," << b;
      ASSERT_EQ(d.buffered(), 0u);
    }
  }
}

TEST(LineDecoder, OneByteAtATime) {
  const std::string stream = "ab\ncd\n";
  LineDecoder d(8);
  std::vector<std::string> got;
  for (char c : stream) {
    d.feed(std::string_view(&c, 1));
    auto lines = drain(d);
    got.insert(got.end(), lines.begin(), lines.end());
  }
  EXPECT_EQ(got, (std::vector<std::string>{"ab", "cd"}));
}

TEST(LineDecoder, LineOfExactlyTheLimitIsAccepted) {
  LineDecoder d(5);
  d.feed("12345\n");
  EXPECT_EQ(drain(d), (std::vector<std::string>{"12345"}));
}

TEST(LineDecoder, TerminatedLineOverTheLimitIsAnError) {
  LineDecoder d(5);
  d.feed("ok\n123456\nafter\n");
  Status last;
  EXPECT_EQ(drain(d, &last), (std::vector<std::string>{"ok"}));
  EXPECT_EQ(last, Status::kTooLong);
}

TEST(LineDecoder, UnterminatedLineIsRefusedAsSoonAsItPassesTheLimit) {
  LineDecoder d(5);
  d.feed("12345");
  std::string line;
  EXPECT_EQ(d.next(line), Status::kNeedMore);
  d.feed("6");
  EXPECT_EQ(d.next(line), Status::kTooLong);
  // Sticky, and the buffer is released rather than kept growing.
  d.feed("\nshort\n");
  EXPECT_EQ(d.next(line), Status::kTooLong);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(LineDecoder, EmbeddedNulAndCarriageReturnAreKeptVerbatim) {
  LineDecoder d(16);
  const std::string input("a\0b\r\n", 5);
  d.feed(input);
  std::string line;
  ASSERT_EQ(d.next(line), Status::kLine);
  EXPECT_EQ(line, std::string("a\0b\r", 4));
}

TEST(LineDecoder, LongStreamOfShortLinesDoesNotAccumulate) {
  LineDecoder d(16);
  for (int i = 0; i < 10000; ++i) {
    d.feed("0123456789\n01234");
    d.feed("\n");
    EXPECT_EQ(drain(d).size(), 2u);
    ASSERT_EQ(d.buffered(), 0u);
  }
}

}  // namespace
}  // namespace tandem::ipc
