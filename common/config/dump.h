#pragma once
// The effective configuration: every value, defaults included, in the same
// schema the loader reads (load_string(dump(c)) gives back c). Operators see
// what a daemon really runs with; fingerprint names a generation.

#include <string>

#include "common/config/schema.h"

namespace tandem::config {

std::string dump(const Config& cfg);

// 16 hex digits (FNV-1a 64 of dump): equal configs give equal fingerprints
// whatever their formatting, comments or key order in the file.
std::string fingerprint(const Config& cfg);

}  // namespace tandem::config
