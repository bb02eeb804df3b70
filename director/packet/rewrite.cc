#include "director/packet/rewrite.h"

namespace tandem::director {

std::string_view verdict_name(RewriteVerdict verdict) noexcept {
  switch (verdict) {
    case RewriteVerdict::kForward:
      return "forward";
    case RewriteVerdict::kTtlExceeded:
      return "ttl_exceeded";
    case RewriteVerdict::kFragmentationNeeded:
      return "fragmentation_needed";
    case RewriteVerdict::kTooBig:
      return "too_big";
    case RewriteVerdict::kNoRoom:
      return "no_room";
    case RewriteVerdict::kNotApplicable:
      return "not_applicable";
  }
  return "unknown";
}

}  // namespace tandem::director
