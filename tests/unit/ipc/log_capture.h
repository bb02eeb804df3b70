#pragma once
// Collects what the code under test logs so tests can assert on reasons.

#include <string>
#include <vector>

#include "common/log/log.h"

namespace tandem::testing {

class LogCapture {
 public:
  LogCapture() {
    log::set_sink([this](log::Level, std::string_view m) { lines_.emplace_back(m); });
  }
  ~LogCapture() { log::set_sink({}); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  bool contains(std::string_view text) const {
    for (const auto& l : lines_)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }
  std::string all() const {
    std::string out;
    for (const auto& l : lines_) out += l + "\n";
    return out;
  }

 private:
  std::vector<std::string> lines_;
};

}  // namespace tandem::testing
