// The DNS response decoder on hostile bytes (compression loops, bad lengths):
// never crashes, never loops, names stay within the wire limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "healthd/monitors/dns_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto r = tandem::health::dns_parse_response(std::span(data, size));
  if (r.error == tandem::health::DnsError::kNone) {
    // Escaping can make a 255-byte wire name at most 4x longer as text.
    if (r.response.question_name.size() > 4 * 255) std::abort();
    for (const auto& a : r.response.answers) {
      if (a.name.size() > 4 * 255) std::abort();
    }
  }
  return 0;
}
