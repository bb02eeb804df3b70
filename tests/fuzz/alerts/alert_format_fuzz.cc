// Arbitrary bytes as event text: the sanitizers must always return valid
// UTF-8, within the cap, with no CR/LF or other control characters in header
// text and only LF/TAB in body text.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "alerts/core/format.h"

namespace {

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80         ? 1
                          : (c >> 5) == 6  ? 2
                          : (c >> 4) == 14 ? 3
                          : (c >> 3) == 30 ? 4
                                           : 0;
    if (n == 0 || i + n > s.size()) return false;
    unsigned cp = n == 1 ? c : n == 2 ? (c & 0x1fu) : n == 3 ? (c & 0x0fu) : (c & 0x07u);
    for (std::size_t k = 1; k < n; ++k) {
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d >> 6) != 2) return false;
      cp = cp << 6 | (d & 0x3fu);
    }
    const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n;
  }
  return true;
}

void check(std::string_view out, std::size_t cap, bool body) {
  if (out.size() > cap || !valid_utf8(out)) __builtin_trap();
  for (char ch : out) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (body && (c == '\n' || c == '\t')) continue;
    if (c < 0x20 || c == 0x7f) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t cap = data[0];  // exercise tiny caps too
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  check(tandem::alerts::sanitize_header(text, cap), cap, false);
  check(tandem::alerts::sanitize_body(text, cap), cap, true);
  check(tandem::alerts::sanitize_header(text, 4096), 4096, false);
  return 0;
}
