// The HTTP response parser on hostile bytes: never crashes, respects its
// limits, and gives the same outcome however the bytes are split.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "healthd/monitors/http_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using tandem::health::HttpLimits;
  using tandem::health::HttpResponseParser;
  if (size < 2) return 0;
  // First byte: split point; second: HEAD or not.
  const std::size_t split = data[0] % (size - 1);
  const bool head = (data[1] & 1) != 0;
  const std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);
  HttpLimits limits;
  limits.max_header_bytes = 512;
  limits.max_body_bytes = 256;
  limits.max_headers = 8;

  HttpResponseParser whole(limits, head);
  whole.feed(in);
  whole.finish();
  HttpResponseParser parts(limits, head);
  parts.feed(in.substr(0, std::min(split, in.size())));
  parts.feed(in.substr(std::min(split, in.size())));
  parts.finish();

  if (whole.state() != parts.state() || whole.body() != parts.body() ||
      whole.status() != parts.status() || whole.error() != parts.error()) {
    std::abort();
  }
  if (whole.body().size() > limits.max_body_bytes || whole.headers().size() > limits.max_headers) {
    std::abort();
  }
  return 0;
}
