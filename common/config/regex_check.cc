#include "common/config/regex_check.h"

#include <regex.h>

#include <array>

namespace tandem::config {

// Validated with the engine healthd matches with (POSIX extended, glibc), so
// a pattern the loader accepts is exactly one the monitor can compile.
// libstdc++'s std::regex is not used: it recurses per character and
// overflows the stack on large bodies.
std::string regex_error(const std::string& pattern) {
  regex_t compiled;
  const int rc = regcomp(&compiled, pattern.c_str(), REG_EXTENDED | REG_NOSUB);
  if (rc == 0) {
    regfree(&compiled);
    return {};
  }
  std::array<char, 256> message{};
  regerror(rc, &compiled, message.data(), message.size());
  return message.data();
}

}  // namespace tandem::config
