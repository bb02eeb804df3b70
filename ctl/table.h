#pragma once
// Plain left-aligned text tables: a header row and columns two spaces apart.
// The last column is not padded, so long notes do not add trailing blanks.

#include <string>
#include <vector>

namespace tandem::ctl {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// 93784 s -> "1d2h3m"; 125 s -> "2m5s"; 7 s -> "7s".
std::string format_uptime(double seconds);

}  // namespace tandem::ctl
