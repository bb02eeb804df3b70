#include "common/ipc/frame_decoder.h"

#include <gtest/gtest.h>

#include <vector>

namespace tandem::ipc {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Status = FrameDecoder::Status;

std::vector<Bytes> drain(FrameDecoder& d, Status* last = nullptr) {
  std::vector<Bytes> frames;
  Bytes payload;
  Status s;
  while ((s = d.next(payload)) == Status::kFrame) frames.push_back(payload);
  if (last) *last = s;
  return frames;
}

TEST(FrameCodec, EncodesBigEndianLengthThenPayload) {
  Bytes out;
  append_frame(out, Bytes{0xAA, 0xBB, 0xCC});
  // length 3 as u32 big-endian = 00 00 00 03, then the payload as is.
  EXPECT_EQ(out, (Bytes{0x00, 0x00, 0x00, 0x03, 0xAA, 0xBB, 0xCC}));
  Bytes big(0x010203, 0x5A);
  Bytes out2;
  append_frame(out2, big);
  // 0x010203 = 66051 -> 00 01 02 03.
  EXPECT_EQ(Bytes(out2.begin(), out2.begin() + 4), (Bytes{0x00, 0x01, 0x02, 0x03}));
  EXPECT_EQ(out2.size(), 4u + 0x010203);
}

TEST(FrameCodec, DecodesHandCheckedStream) {
  // Two frames: "hi" (00 00 00 02 68 69) and an empty one (00 00 00 00),
  // then the first two header bytes of a third.
  const Bytes stream = {0x00, 0x00, 0x00, 0x02, 0x68, 0x69, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  FrameDecoder d(16);
  d.feed(stream);
  Status last;
  EXPECT_EQ(drain(d, &last), (std::vector<Bytes>{{0x68, 0x69}, {}}));
  EXPECT_EQ(last, Status::kNeedMore);
  EXPECT_EQ(d.buffered(), 2u);
}

TEST(FrameCodec, EveryPossibleSplitYieldsTheSameFrames) {
  Bytes stream;
  const std::vector<Bytes> frames = {{1, 2, 3}, {}, {0, 0, 0, 0, 9}, {0xFF}};
  for (const auto& f : frames) append_frame(stream, f);
  for (std::size_t a = 0; a <= stream.size(); ++a) {
    for (std::size_t b = a; b <= stream.size(); ++b) {
      FrameDecoder d(8);
      std::vector<Bytes> got;
      for (auto [from, to] : {std::pair{std::size_t{0}, a}, {a, b}, {b, stream.size()}}) {
        d.feed(std::span(stream).subspan(from, to - from));
        auto out = drain(d);
        got.insert(got.end(), out.begin(), out.end());
      }
      ASSERT_EQ(got, frames) << "split at " << a << "," << b;
    }
  }
}

TEST(FrameCodec, OversizedLengthIsRefusedFromTheHeaderAlone) {
  FrameDecoder d(1000);
  // 1001 = 0x3E9: refused before any payload arrives.
  d.feed(Bytes{0x00, 0x00, 0x03, 0xE9});
  Bytes payload;
  EXPECT_EQ(d.next(payload), Status::kTooLarge);
  d.feed(Bytes{0x00, 0x00, 0x00, 0x00});
  EXPECT_EQ(d.next(payload), Status::kTooLarge);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(FrameCodec, MaximumLengthHeaderDoesNotOverflow) {
  FrameDecoder d(1 << 20);
  d.feed(Bytes{0xFF, 0xFF, 0xFF, 0xFF, 0x01});
  Bytes payload;
  EXPECT_EQ(d.next(payload), Status::kTooLarge);
}

TEST(FrameCodec, FrameOfExactlyTheLimitIsAccepted) {
  FrameDecoder d(4);
  Bytes stream;
  append_frame(stream, Bytes{1, 2, 3, 4});
  d.feed(stream);
  EXPECT_EQ(drain(d), (std::vector<Bytes>{{1, 2, 3, 4}}));
}

}  // namespace
}  // namespace tandem::ipc
