#include "common/runner/config_keeper.h"

#include <exception>

namespace tandem::runner {

ConfigKeeper::ConfigKeeper(std::string path, Loader loader)
    : path_(std::move(path)), loader_(std::move(loader)) {}

LoadOutcome ConfigKeeper::reload() {
  config::LoadResult result;
  try {
    result = loader_(path_);
  } catch (const std::exception& e) {
    result = {std::nullopt,
              {Diagnostic{{path_, 0, 0}, "", std::string("load failed: ") + e.what()}}};
  }
  return install(std::move(result));
}

LoadOutcome ConfigKeeper::install(config::LoadResult result) {
  LoadOutcome outcome;
  if (result.ok()) {
    try {
      if (apply_) apply_(*result.config);
      current_ = std::move(result.config);
      outcome.ok = true;
      ++generation_;
    } catch (const std::exception& e) {
      result.errors.push_back(
          Diagnostic{{path_, 0, 0}, "", std::string("refused by the daemon: ") + e.what()});
    }
  } else if (result.errors.empty()) {
    // A loader that fails must still say why; never report a silent failure.
    result.errors.push_back(Diagnostic{{path_, 0, 0}, "", "configuration rejected"});
  }
  if (!outcome.ok) {
    ++failures_;
    outcome.errors = std::move(result.errors);
  }
  outcome.generation = generation_;
  last_ = outcome;
  return outcome;
}

}  // namespace tandem::runner
