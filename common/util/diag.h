#pragma once
// Positioned diagnostics: the one shape every config and input error takes,
// so operators always get "file:line:column: key.path: message".

#include <string>
#include <vector>

namespace tandem {

struct SourcePos {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based; 0 = unknown
};

struct Diagnostic {
  SourcePos pos;
  std::string key_path;  // e.g. "services[0].real_servers[2].weight"
  std::string message;

  std::string to_string() const;
};

std::string format_diagnostics(const std::vector<Diagnostic>& diags);

}  // namespace tandem
