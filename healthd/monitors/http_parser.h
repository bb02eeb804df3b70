#pragma once
// Incremental HTTP/1.x response parser for the http and https monitors. The
// server may be hostile or broken: every line, the header block and the kept
// body are bounded, anything malformed ends in kError with a reason, and
// nothing throws. Bytes may arrive split anywhere.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem::health {

struct HttpLimits {
  std::size_t max_header_bytes = 16 * 1024;  // status line + headers
  std::size_t max_headers = 100;
  std::size_t max_body_bytes = 64 * 1024;  // kept for matching; the rest is not read
};

class HttpResponseParser {
 public:
  enum class State { kStatusLine, kHeaders, kBody, kDone, kError };

  // A response to HEAD has no body whatever its headers say.
  explicit HttpResponseParser(HttpLimits limits = {}, bool head_request = false);

  // Consumes bytes; returns the state after them. Bytes after kDone are ignored.
  State feed(std::string_view bytes);
  // The peer closed the connection: completes a close-delimited body, and is
  // an error anywhere else.
  State finish();

  State state() const { return state_; }
  const std::string& error() const { return error_; }
  int status() const { return status_; }
  const std::string& reason() const { return reason_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  // Case-insensitive; the first occurrence, or nullptr.
  const std::string* header(std::string_view name) const;
  const std::string& body() const { return body_; }
  // The body was longer than max_body_bytes; body() holds its beginning.
  bool body_truncated() const { return truncated_; }

 private:
  enum class BodyMode { kNone, kLength, kChunked, kUntilClose };
  enum class ChunkState { kSize, kData, kDataEnd, kTrailer };

  bool take_line(std::string_view& in, std::string& line, std::size_t limit);
  void fail(std::string why);
  void on_status_line(std::string_view line);
  void on_header_line(std::string_view line);
  void on_headers_done();
  void feed_body(std::string_view& in);
  void feed_chunked(std::string_view& in);
  void keep(std::string_view data);

  HttpLimits limits_;
  bool head_request_;
  State state_ = State::kStatusLine;
  std::string error_;
  std::string line_;  // partial line carried between feeds
  std::size_t header_bytes_ = 0;
  int status_ = 0;
  std::string reason_;
  std::vector<std::pair<std::string, std::string>> headers_;
  BodyMode mode_ = BodyMode::kNone;
  std::uint64_t remaining_ = 0;  // of Content-Length, or of the current chunk
  ChunkState chunk_ = ChunkState::kSize;
  std::string body_;
  bool truncated_ = false;
};

}  // namespace tandem::health
