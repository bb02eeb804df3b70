#pragma once
// The suite's configuration: one YAML file, typed. Every daemon loads the
// whole file and reads the sections it needs; validation is shared so that
// `tandemctl check-config` and `<daemon> --check-config` agree exactly.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/util/diag.h"

namespace tandem::config {

struct Config {
  // Filled in by the schema work (services, vrrp, sync, alerts, ...).
};

struct LoadResult {
  std::optional<Config> config;
  std::vector<Diagnostic> errors;
  bool ok() const { return config.has_value() && errors.empty(); }
};

LoadResult load_file(const std::string& path);
LoadResult load_string(std::string_view yaml, const std::string& name);

}  // namespace tandem::config
