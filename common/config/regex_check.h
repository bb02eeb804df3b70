#pragma once
// Syntax check of the POSIX extended regular expressions monitors match bodies
// with, so a bad pattern is a config error and not a failing check later.

#include <string>

namespace tandem::config {

// Empty when `pattern` compiles, else the reason.
std::string regex_error(const std::string& pattern);

}  // namespace tandem::config
