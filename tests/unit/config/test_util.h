#pragma once
// Helpers for the config tests: load a YAML literal, and assert one
// diagnostic by exact position, key path and message fragment.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "common/config/config.h"

namespace tandem::config::test {

// Literals start with a newline after R"( so that the first YAML line is
// line 1 as written in the test.
inline LoadResult load(std::string_view yaml) {
  if (!yaml.empty() && yaml.front() == '\n') yaml.remove_prefix(1);
  return load_string(yaml, "test.yaml");
}

inline Config load_ok(std::string_view yaml) {
  LoadResult r = load(yaml);
  EXPECT_TRUE(r.ok()) << format_diagnostics(r.errors);
  return r.config.value_or(Config{});
}

// True when some diagnostic has exactly this position and path and a
// message containing `fragment`.
inline ::testing::AssertionResult has_error(const LoadResult& r, int line, int column,
                                            std::string_view path, std::string_view fragment) {
  for (const Diagnostic& d : r.errors) {
    if (d.pos.file == "test.yaml" && d.pos.line == line && d.pos.column == column &&
        d.key_path == path && d.message.find(fragment) != std::string::npos) {
      if (r.config) return ::testing::AssertionFailure() << "error found but a config returned";
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure() << "no error test.yaml:" << line << ":" << column << ": "
                                       << path << ": ..." << fragment << "...; got:\n"
                                       << format_diagnostics(r.errors);
}

// The only diagnostic is the one described.
inline ::testing::AssertionResult only_error(const LoadResult& r, int line, int column,
                                             std::string_view path, std::string_view fragment) {
  if (r.errors.size() != 1) {
    return ::testing::AssertionFailure() << "expected exactly one error, got:\n"
                                         << format_diagnostics(r.errors);
  }
  return has_error(r, line, column, path, fragment);
}

}  // namespace tandem::config::test
