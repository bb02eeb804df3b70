// Hostile bytes on a control socket: the JSON-lines decoder fed in chunks the
// input chooses, every line through the request and reply parsers, and the
// frame decoder over the same bytes. Invariants beyond "no crash": bounds
// hold, and whatever parses as a request survives an encode/parse round trip.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/ipc/frame_decoder.h"
#include "common/ipc/line_decoder.h"
#include "common/ipc/message.h"

namespace {

constexpr std::size_t kMaxLine = 512;
constexpr std::size_t kMaxFrame = 256;

void check(bool ok) {
  if (!ok) std::abort();
}

void parse_line(const std::string& line) {
  check(line.size() <= kMaxLine);
  auto request = tandem::ipc::parse_request(line);
  if (auto* r = std::get_if<tandem::ipc::Request>(&request)) {
    check(!r->cmd.empty() && r->args.is_object());
    auto again = tandem::ipc::parse_request(tandem::ipc::encode_request(*r));
    auto* back = std::get_if<tandem::ipc::Request>(&again);
    check(back != nullptr && back->id == r->id && back->cmd == r->cmd && back->args == r->args);
    tandem::ipc::Response resp{r->id, false, tandem::ipc::Json::object(),
                               "unknown command: " + r->cmd};
    check(!tandem::ipc::encode_response(resp).empty());
  }
  auto reply = tandem::ipc::parse_reply(line);
  if (auto* e = std::get_if<tandem::ipc::Event>(&reply)) {
    for (const char* pattern : {"*", "health.*", "vrrp.role"})
      (void)tandem::ipc::topic_matches(pattern, e->topic);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the read size, as a socket would split the stream.
  const std::size_t chunk = 1 + data[0] % 64;
  const std::span<const std::uint8_t> bytes(data + 1, size - 1);

  tandem::ipc::LineDecoder lines(kMaxLine);
  tandem::ipc::FrameDecoder frames(kMaxFrame);
  std::string line;
  std::vector<std::uint8_t> payload;
  bool lines_failed = false, frames_failed = false;
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    auto piece = bytes.subspan(at, std::min(chunk, bytes.size() - at));
    lines.feed(std::string_view(reinterpret_cast<const char*>(piece.data()), piece.size()));
    for (;;) {
      auto s = lines.next(line);
      if (s == tandem::ipc::LineDecoder::Status::kLine) {
        check(!lines_failed);
        parse_line(line);
        continue;
      }
      if (s == tandem::ipc::LineDecoder::Status::kTooLong) lines_failed = true;
      break;
    }
    check(lines.buffered() <= kMaxLine + chunk);
    frames.feed(piece);
    for (;;) {
      auto s = frames.next(payload);
      if (s == tandem::ipc::FrameDecoder::Status::kFrame) {
        check(!frames_failed && payload.size() <= kMaxFrame);
        continue;
      }
      if (s == tandem::ipc::FrameDecoder::Status::kTooLarge) frames_failed = true;
      break;
    }
    check(frames.buffered() <= tandem::ipc::kFrameHeaderSize + kMaxFrame + chunk);
  }
  return 0;
}
