#include "director/core/scheduler.h"

namespace tandem::director {

std::unique_ptr<Scheduler> make_scheduler(SchedulerKind kind, SchedulerFlags flags,
                                          std::uint64_t seed, const LocalityConfig& locality) {
  switch (kind) {
    case SchedulerKind::rr:
      return make_rr();
    case SchedulerKind::wrr:
      return make_wrr();
    case SchedulerKind::lc:
    case SchedulerKind::wlc:
    case SchedulerKind::sed:
    case SchedulerKind::nq:
    case SchedulerKind::fo:
    case SchedulerKind::ovf:
      return make_least(kind);
    case SchedulerKind::twos:
      return make_twos(seed);
    case SchedulerKind::dh:
      return make_dh();
    case SchedulerKind::sh:
      return make_sh(flags);
    case SchedulerKind::mh:
      return make_mh(flags);
    case SchedulerKind::lblc:
      return make_lblc(locality);
    case SchedulerKind::lblcr:
      return make_lblcr(locality);
  }
  return make_least(SchedulerKind::wlc);
}

const char* scheduler_name(SchedulerKind kind) {
  switch (kind) {
    case SchedulerKind::rr:
      return "rr";
    case SchedulerKind::wrr:
      return "wrr";
    case SchedulerKind::lc:
      return "lc";
    case SchedulerKind::wlc:
      return "wlc";
    case SchedulerKind::sed:
      return "sed";
    case SchedulerKind::nq:
      return "nq";
    case SchedulerKind::fo:
      return "fo";
    case SchedulerKind::ovf:
      return "ovf";
    case SchedulerKind::twos:
      return "twos";
    case SchedulerKind::dh:
      return "dh";
    case SchedulerKind::sh:
      return "sh";
    case SchedulerKind::mh:
      return "mh";
    case SchedulerKind::lblc:
      return "lblc";
    case SchedulerKind::lblcr:
      return "lblcr";
  }
  return "?";
}

}  // namespace tandem::director
