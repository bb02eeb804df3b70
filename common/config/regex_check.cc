// GCC 12 reports false "maybe-uninitialized" warnings inside libstdc++'s
// <regex> when built with sanitizers (middle-end warnings after inlining),
// which -Werror turns into a broken build. This file holds the only use of
// <regex> in the library, so the suppression covers nothing else.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "common/config/regex_check.h"

#include <regex>

namespace tandem::config {

std::string regex_error(const std::string& pattern) {
  try {
    std::regex compiled(pattern, std::regex::ECMAScript);
    return {};
  } catch (const std::regex_error& e) {
    return e.what();
  }
}

}  // namespace tandem::config
