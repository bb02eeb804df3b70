#pragma once
// Length-prefixed binary frames for the director<->syncd record stream:
// a u32 big-endian payload length, then the payload. The bound is checked on
// the header alone, so an absurd length is refused before any byte is kept.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::ipc {

inline constexpr std::size_t kFrameHeaderSize = 4;

// Appends header + payload to `out`. payload.size() must fit in u32.
void append_frame(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> payload);

class FrameDecoder {
 public:
  enum class Status { kFrame, kNeedMore, kTooLarge };

  explicit FrameDecoder(std::size_t max_payload) : max_payload_(max_payload) {}

  void feed(std::span<const std::uint8_t> bytes);

  // kFrame: `payload` holds the next frame's payload (possibly empty: a zero
  // length frame is legal and carries nothing). kTooLarge is sticky.
  Status next(std::vector<std::uint8_t>& payload);

  std::size_t buffered() const { return buffer_.size() - start_; }

 private:
  std::size_t max_payload_;
  std::vector<std::uint8_t> buffer_;
  std::size_t start_ = 0;
  bool failed_ = false;
};

}  // namespace tandem::ipc
