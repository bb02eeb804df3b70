#pragma once
// The control protocol, one JSON object per line:
//   request   {"id":N,"cmd":"status","args":{...}}
//   response  {"id":N,"ok":true,"result":{...}} | {"id":N,"ok":false,"error":"..."}
//   event     {"event":"topic.name","time":T,"data":{...}}
// Parsing never throws: every peer may be hostile, so a bad line comes back
// as an error string that the caller logs before closing the connection.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/util/diag.h"

namespace tandem::ipc {

using Json = nlohmann::json;

// Deeper nesting is refused before it reaches code that recurses.
inline constexpr int kMaxJsonDepth = 32;

// The largest answer to one request, on both ends: a `health` or `services`
// listing of thousands of servers runs to megabytes, far above what any
// event or request needs.
inline constexpr std::size_t kMaxReplyBytes = std::size_t{256} << 20;

struct Request {
  std::uint64_t id = 0;
  std::string cmd;
  Json args = Json::object();
};

struct Response {
  std::uint64_t id = 0;
  bool ok = false;
  Json result = Json::object();  // when ok
  std::string error;             // when !ok
};

struct Event {
  std::string topic;
  double time = 0;  // seconds since the Unix epoch
  Json data = Json::object();
};

struct ParseError {
  std::string reason;
};

// Any JSON object, depth-limited; the common first step of the parsers below.
std::variant<Json, ParseError> parse_object(std::string_view line);

std::variant<Request, ParseError> parse_request(std::string_view line);
// A line a client reads is either a response or (once subscribed) an event.
std::variant<Response, Event, ParseError> parse_reply(std::string_view line);

// Encoders return one line including its '\n'. Strings that are not valid
// UTF-8 are replaced rather than thrown on.
std::string encode_request(const Request& request);
std::string encode_response(const Response& response);
std::string encode_event(const Event& event);

// Dumps any JSON without throwing (invalid UTF-8 is replaced).
std::string dump_json(const Json& value, int indent = -1);

// Diagnostics as the control protocol carries them: an array of
// {"file","line","column","key","message","text"} where text is the
// operator-facing "file:line:column: key: message".
Json diagnostics_to_json(const std::vector<Diagnostic>& diags);

// "health.*" matches "health.up" and "health.down.x"; "*" matches all;
// anything else must be equal.
bool topic_matches(std::string_view pattern, std::string_view topic);

}  // namespace tandem::ipc
