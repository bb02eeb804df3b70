#include "common/ipc/line_decoder.h"

namespace tandem::ipc {

void LineDecoder::feed(std::string_view bytes) {
  if (failed_) return;
  // Compact only when the consumed prefix dominates, keeping feed amortised O(n).
  if (start_ > 0 && start_ >= buffer_.size() / 2) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  buffer_.append(bytes);
}

LineDecoder::Status LineDecoder::next(std::string& line) {
  if (failed_) return Status::kTooLong;
  const std::size_t from = start_ + scan_;
  const std::size_t nl = buffer_.find('\n', from);
  if (nl == std::string::npos) {
    scan_ = buffer_.size() - start_;
    if (scan_ > max_line_) {
      failed_ = true;
      buffer_.clear();
      start_ = scan_ = 0;
      return Status::kTooLong;
    }
    return Status::kNeedMore;
  }
  const std::size_t length = nl - start_;
  if (length > max_line_) {
    failed_ = true;
    buffer_.clear();
    start_ = scan_ = 0;
    return Status::kTooLong;
  }
  line.assign(buffer_, start_, length);
  start_ = nl + 1;
  scan_ = 0;
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  }
  return Status::kLine;
}

}  // namespace tandem::ipc
