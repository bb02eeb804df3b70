#include "director/packet/rewrite.h"

namespace tandem::director {

std::string_view verdict_name(Verdict verdict) noexcept {
  switch (verdict) {
    case Verdict::kForward:
      return "forward";
    case Verdict::kTtlExceeded:
      return "ttl_exceeded";
    case Verdict::kFragmentationNeeded:
      return "fragmentation_needed";
    case Verdict::kTooBig:
      return "too_big";
    case Verdict::kNoRoom:
      return "no_room";
    case Verdict::kNotApplicable:
      return "not_applicable";
  }
  return "unknown";
}

}  // namespace tandem::director
