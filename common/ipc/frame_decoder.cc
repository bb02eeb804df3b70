#include "common/ipc/frame_decoder.h"

namespace tandem::ipc {

void append_frame(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> payload) {
  const auto n = static_cast<std::uint32_t>(payload.size());
  out.push_back(static_cast<std::uint8_t>(n >> 24));
  out.push_back(static_cast<std::uint8_t>(n >> 16));
  out.push_back(static_cast<std::uint8_t>(n >> 8));
  out.push_back(static_cast<std::uint8_t>(n));
  out.insert(out.end(), payload.begin(), payload.end());
}

void FrameDecoder::feed(std::span<const std::uint8_t> bytes) {
  if (failed_) return;
  if (start_ > 0 && start_ >= buffer_.size() / 2) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

FrameDecoder::Status FrameDecoder::next(std::vector<std::uint8_t>& payload) {
  if (failed_) return Status::kTooLarge;
  const std::size_t avail = buffer_.size() - start_;
  if (avail < kFrameHeaderSize) return Status::kNeedMore;
  const std::uint8_t* h = buffer_.data() + start_;
  const std::uint32_t length = (std::uint32_t{h[0]} << 24) | (std::uint32_t{h[1]} << 16) |
                               (std::uint32_t{h[2]} << 8) | std::uint32_t{h[3]};
  if (length > max_payload_) {
    failed_ = true;
    buffer_.clear();
    start_ = 0;
    return Status::kTooLarge;
  }
  if (avail - kFrameHeaderSize < length) return Status::kNeedMore;
  const auto first = buffer_.begin() + static_cast<std::ptrdiff_t>(start_ + kFrameHeaderSize);
  payload.assign(first, first + length);
  start_ += kFrameHeaderSize + length;
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  }
  return Status::kFrame;
}

}  // namespace tandem::ipc
