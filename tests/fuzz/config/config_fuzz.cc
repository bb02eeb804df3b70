// The loader must turn any bytes into either a config or positioned errors:
// never a crash, a hang or an exception, and never both a config and errors.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = tandem::config::load_string(text, "fuzz.yaml");
  if (result.config.has_value() == !result.errors.empty()) std::abort();
  for (const auto& e : result.errors) {
    if (e.message.empty()) std::abort();
  }
  return 0;
}
