#pragma once
// Splits a byte stream into '\n'-terminated lines with a hard bound on line
// length, so a peer that never sends a newline cannot grow our memory.
// Pure: the caller feeds whatever a read returned and pulls complete lines.

#include <cstddef>
#include <string>
#include <string_view>

namespace tandem::ipc {

class LineDecoder {
 public:
  enum class Status { kLine, kNeedMore, kTooLong };

  // max_line counts the line's bytes without its '\n'.
  explicit LineDecoder(std::size_t max_line) : max_line_(max_line) {}

  void feed(std::string_view bytes);

  // kLine: `line` holds the next line (a trailing '\r' is kept: JSON treats it
  // as whitespace). kTooLong is sticky: the stream can no longer be framed.
  Status next(std::string& line);

  std::size_t buffered() const { return buffer_.size() - start_; }

 private:
  std::size_t max_line_;
  std::string buffer_;
  std::size_t start_ = 0;  // first unconsumed byte
  std::size_t scan_ = 0;   // bytes from start_ already known to hold no '\n'
  bool failed_ = false;
};

}  // namespace tandem::ipc
