#include "common/config/config.h"

#include <fstream>
#include <sstream>

namespace tandem::config {

// Placeholder until the schema lands: accepts any readable file.
LoadResult load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {std::nullopt, {Diagnostic{{path, 0, 0}, "", "cannot open file"}}};
  std::stringstream ss;
  ss << in.rdbuf();
  return load_string(ss.str(), path);
}

LoadResult load_string(std::string_view, const std::string&) { return {Config{}, {}}; }

}  // namespace tandem::config
