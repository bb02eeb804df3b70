#pragma once
// Owns the running configuration. A new file replaces it only when it loads
// cleanly and the daemon's hook accepts it; otherwise the old one stays and
// the failure is counted and kept for `status` and `tandemctl reload`.
// The loader is injected so this is testable before the schema exists.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/util/diag.h"

namespace tandem::runner {

using Loader = std::function<config::LoadResult(const std::string& path)>;
// Called with every accepted configuration; may throw to refuse it.
using ApplyFn = std::function<void(const config::Config&)>;

struct LoadOutcome {
  bool ok = false;
  std::uint64_t generation = 0;  // the generation running after this attempt
  std::vector<Diagnostic> errors;
};

class ConfigKeeper {
 public:
  ConfigKeeper(std::string path, Loader loader);

  void set_apply(ApplyFn apply) { apply_ = std::move(apply); }

  // Loads the file and, if valid, hands it to the hook.
  LoadOutcome reload();
  // Installs an already loaded result (the daemon validated it before forking).
  LoadOutcome install(config::LoadResult result);

  const config::Config* current() const { return current_ ? &*current_ : nullptr; }
  const std::string& path() const { return path_; }
  std::uint64_t generation() const { return generation_; }
  std::uint64_t failures() const { return failures_; }
  const std::optional<LoadOutcome>& last() const { return last_; }

 private:
  std::string path_;
  Loader loader_;
  ApplyFn apply_;
  std::optional<config::Config> current_;
  std::uint64_t generation_ = 0;
  std::uint64_t failures_ = 0;
  std::optional<LoadOutcome> last_;
};

}  // namespace tandem::runner
