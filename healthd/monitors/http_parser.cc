#include "healthd/monitors/http_parser.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace tandem::health {

namespace {

constexpr std::size_t kMaxChunkLine = 1024;
constexpr std::uint64_t kMaxLength = std::uint64_t{1} << 53;

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

// RFC 9110 token characters, as a table: a search of the punctuation for
// every '-' of every header name was a visible part of a check's CPU.
constexpr std::array<bool, 256> kTchar = [] {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

bool is_tchar(char c) {
  return kTchar[static_cast<unsigned char>(c)];
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool parse_decimal(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 16) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = v;
  return v <= kMaxLength;
}

bool parse_hex(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 13) return false;  // 13 hex digits < 2^53
  std::uint64_t v = 0;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isxdigit(u)) return false;
    v = v * 16 + static_cast<std::uint64_t>(std::isdigit(u) ? c - '0' : std::tolower(u) - 'a' + 10);
  }
  out = v;
  return true;
}

}  // namespace

HttpResponseParser::HttpResponseParser(HttpLimits limits, bool head_request)
    : limits_(limits), head_request_(head_request) {}

void HttpResponseParser::fail(std::string why) {
  state_ = State::kError;
  error_ = std::move(why);
}

const std::string* HttpResponseParser::header(std::string_view name) const {
  for (const auto& [k, v] : headers_) {
    if (iequals(k, name)) return &v;
  }
  return nullptr;
}

// Takes one line (LF-terminated, an optional CR before it dropped) from `in`
// into `line`, carrying a partial line across calls. False when more bytes
// are needed or the line grew past `limit` (then the parser has failed).
bool HttpResponseParser::take_line(std::string_view& in, std::string& line, std::size_t limit) {
  const auto nl = in.find('\n');
  const std::size_t take = nl == std::string_view::npos ? in.size() : nl + 1;
  if (line.size() + take > limit) {
    fail(state_ == State::kBody ? "chunk size line too long" : "response headers too large");
    return false;
  }
  line.append(in.substr(0, take));
  in.remove_prefix(take);
  if (nl == std::string_view::npos) return false;
  line.pop_back();
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

HttpResponseParser::State HttpResponseParser::feed(std::string_view in) {
  while (!in.empty() && state_ != State::kDone && state_ != State::kError) {
    if (state_ == State::kBody) {
      feed_body(in);
      continue;
    }
    // header_bytes_ already counts the partial line, and never exceeds the limit.
    const std::size_t before = in.size();
    const std::size_t room = limits_.max_header_bytes - header_bytes_;
    std::string owned;
    std::string_view line;
    const auto nl = line_.empty() ? in.find('\n') : std::string_view::npos;
    if (nl != std::string_view::npos && nl < room) {
      // The whole line is in this buffer (the usual case): parse it in place
      // instead of copying it, a copy per line being most of a small
      // response's cost. Same limit as take_line: nl + 1 bytes <= room.
      line = in.substr(0, nl);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      in.remove_prefix(nl + 1);
      header_bytes_ += nl + 1;
    } else {
      const bool got = take_line(in, line_, line_.size() + room);
      header_bytes_ += before - in.size();
      if (!got) break;
      owned = std::exchange(line_, {});
      line = owned;
    }
    if (state_ == State::kStatusLine) {
      on_status_line(line);
    } else if (line.empty()) {
      on_headers_done();
    } else {
      on_header_line(line);
    }
  }
  return state_;
}

HttpResponseParser::State HttpResponseParser::finish() {
  if (state_ == State::kDone || state_ == State::kError) return state_;
  if (state_ == State::kBody && mode_ == BodyMode::kUntilClose) {
    state_ = State::kDone;
  } else if (state_ == State::kStatusLine && line_.empty() && header_bytes_ == 0) {
    fail("connection closed without a response");
  } else if (state_ == State::kBody) {
    fail("connection closed in the body");
  } else {
    fail("connection closed in the headers");
  }
  return state_;
}

void HttpResponseParser::on_status_line(std::string_view line) {
  // HTTP/x.y SP 3DIGIT [SP reason]
  if (line.size() < 12 || line.substr(0, 5) != "HTTP/" ||
      !std::isdigit(static_cast<unsigned char>(line[5])) || line[6] != '.' ||
      !std::isdigit(static_cast<unsigned char>(line[7])) || line[8] != ' ') {
    return fail("malformed status line");
  }
  int code = 0;
  for (int i = 9; i < 12; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(line[i]))) return fail("malformed status code");
    code = code * 10 + (line[i] - '0');
  }
  if (code < 100 || (line.size() > 12 && line[12] != ' ')) return fail("malformed status code");
  status_ = code;
  reason_ = std::string(line.size() > 13 ? line.substr(13) : std::string_view{});
  state_ = State::kHeaders;
}

void HttpResponseParser::on_header_line(std::string_view line) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return fail("malformed header line");
  const auto name = line.substr(0, colon);
  if (!std::all_of(name.begin(), name.end(), is_tchar)) return fail("malformed header name");
  if (headers_.size() >= limits_.max_headers) return fail("too many headers");
  if (headers_.empty()) headers_.reserve(8);  // one allocation for a typical response
  headers_.emplace_back(std::string(name), std::string(trim(line.substr(colon + 1))));
}

void HttpResponseParser::on_headers_done() {
  // 1xx interim responses (100 Continue) precede the real one.
  if (status_ < 200) {
    headers_.clear();
    state_ = State::kStatusLine;
    return;
  }
  state_ = State::kBody;
  if (head_request_ || status_ == 204 || status_ == 304) {
    state_ = State::kDone;
    return;
  }
  if (const auto* te = header("Transfer-Encoding")) {
    std::string_view v = trim(*te);
    const auto comma = v.rfind(',');
    if (comma != std::string_view::npos) v = trim(v.substr(comma + 1));
    // chunked must be the final coding, else the body runs to the close.
    mode_ = iequals(v, "chunked") ? BodyMode::kChunked : BodyMode::kUntilClose;
    return;
  }
  const std::string* length = nullptr;
  for (const auto& [k, v] : headers_) {
    if (!iequals(k, "Content-Length")) continue;
    if (length != nullptr && *length != v) return fail("conflicting Content-Length");
    length = &v;
  }
  if (length == nullptr) {
    mode_ = BodyMode::kUntilClose;
    return;
  }
  if (!parse_decimal(*length, remaining_)) return fail("malformed Content-Length");
  mode_ = BodyMode::kLength;
  if (remaining_ == 0) state_ = State::kDone;
}

void HttpResponseParser::keep(std::string_view data) {
  const std::size_t room = limits_.max_body_bytes - body_.size();
  body_.append(data.substr(0, room));
  if (data.size() > room) truncated_ = true;
  // A body longer than we match on is not worth reading to its end.
  if (body_.size() >= limits_.max_body_bytes && truncated_) state_ = State::kDone;
}

void HttpResponseParser::feed_body(std::string_view& in) {
  switch (mode_) {
    case BodyMode::kNone:
      state_ = State::kDone;
      return;
    case BodyMode::kUntilClose:
      keep(in);
      in = {};
      return;
    case BodyMode::kLength: {
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
      remaining_ -= take;
      keep(in.substr(0, take));
      in.remove_prefix(take);
      if (remaining_ == 0 && state_ != State::kError) state_ = State::kDone;
      return;
    }
    case BodyMode::kChunked:
      feed_chunked(in);
      return;
  }
}

void HttpResponseParser::feed_chunked(std::string_view& in) {
  while (!in.empty() && state_ == State::kBody) {
    if (chunk_ == ChunkState::kData) {
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
      remaining_ -= take;
      keep(in.substr(0, take));
      in.remove_prefix(take);
      if (remaining_ == 0) chunk_ = ChunkState::kDataEnd;
      continue;
    }
    if (!take_line(in, line_, kMaxChunkLine)) return;
    std::string line = std::exchange(line_, {});
    switch (chunk_) {
      case ChunkState::kSize: {
        std::string_view size = line;
        size = trim(size.substr(0, size.find(';')));
        if (!parse_hex(size, remaining_)) return fail("malformed chunk size");
        chunk_ = remaining_ == 0 ? ChunkState::kTrailer : ChunkState::kData;
        break;
      }
      case ChunkState::kDataEnd:
        if (!line.empty()) return fail("chunk not followed by CRLF");
        chunk_ = ChunkState::kSize;
        break;
      case ChunkState::kTrailer:
        if (line.empty()) state_ = State::kDone;
        break;
      case ChunkState::kData:
        break;
    }
  }
}

}  // namespace tandem::health
