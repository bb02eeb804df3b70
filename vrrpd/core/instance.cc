#include "vrrpd/core/instance.h"

#include <algorithm>

namespace tandem::vrrp {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

void earliest(std::optional<TimePoint>& acc, const std::optional<TimePoint>& t) {
  if (t && (!acc || *t < *acc)) acc = t;
}

bool due(const std::optional<TimePoint>& t, TimePoint now) {
  return t && now >= *t;
}

}  // namespace

Instance::Instance(InstanceConfig config)
    : config_(std::move(config)), master_adver_interval_(config_.advert_interval) {}

std::uint8_t Instance::effective_priority() const {
  if (config_.priority == 255) return 255;
  int p = config_.priority;
  for (const Track& t : config_.tracks) {
    if ((t.weight > 0 && t.up) || (t.weight < 0 && !t.up)) p += t.weight;
  }
  return static_cast<std::uint8_t>(std::clamp(p, 1, 254));
}

bool Instance::own_fault() const {
  return std::ranges::any_of(config_.tracks, [](const Track& t) { return t.weight == 0 && !t.up; });
}

Duration Instance::skew_time() const {
  const int weight = 256 - effective_priority();
  // v2 skew is in whole seconds regardless of the interval; v3 scales with
  // the master's interval. Kept in nanoseconds: no centisecond truncation.
  const Duration base = config_.version == Version::kV3 ? master_adver_interval_ : seconds(1);
  return base * weight / 256;
}

Duration Instance::master_down_interval() const {
  return 3 * master_adver_interval_ + skew_time();
}

std::optional<TimePoint> Instance::next_deadline() const {
  std::optional<TimePoint> t;
  if (state_ == State::kMaster) {
    earliest(t, adver_timer_);
    earliest(t, garp_timer_);
  } else if (state_ == State::kBackup) {
    earliest(t, master_down_timer_);
  }
  return t;
}

Advert Instance::make_advert(std::uint8_t priority) const {
  Advert a;
  a.version = config_.version;
  a.vrid = config_.vrid;
  a.priority = priority;
  if (config_.version == Version::kV3) {
    const auto cs = config_.advert_interval / milliseconds(10);
    a.interval = static_cast<std::uint16_t>(std::clamp<std::int64_t>(cs, 1, kV3MaxInterval));
  } else {
    const auto s = config_.advert_interval / seconds(1);
    a.interval = static_cast<std::uint16_t>(std::clamp<std::int64_t>(s, 1, 255));
    a.auth_type = static_cast<std::uint8_t>(config_.v2_auth);
    if (config_.v2_auth == V2AuthType::kSimpleText) a.auth_data = config_.v2_password;
  }
  a.addresses = config_.addresses;
  return a;
}

void Instance::change_state(State to, Output& out) {
  if (to == state_) return;
  out.actions.push_back({ActionKind::kRoleChanged, 0, state_, to});
  state_ = to;
}

void Instance::send(std::uint8_t priority, Output& out) {
  out.actions.push_back({ActionKind::kSendAdvert, priority});
}

void Instance::to_master(TimePoint now, Output& out) {
  master_down_timer_.reset();
  preempt_holdoff_until_.reset();
  send(effective_priority(), out);
  out.actions.push_back({ActionKind::kTakeAddresses});
  out.actions.push_back({ActionKind::kSendGratuitousArp});
  adver_timer_ = now + config_.advert_interval;
  if (config_.garp_repeat_delay > Duration::zero()) {
    garp_timer_ = now + config_.garp_repeat_delay;
  }
  change_state(State::kMaster, out);
}

void Instance::leave_master(Output& out) {
  adver_timer_.reset();
  garp_timer_.reset();
  out.actions.push_back({ActionKind::kReleaseAddresses});
}

void Instance::to_backup(TimePoint now, Output& out, bool release) {
  if (release && state_ == State::kMaster) leave_master(out);
  preempt_holdoff_until_.reset();
  master_down_timer_ = now + master_down_interval();
  change_state(State::kBackup, out);
}

void Instance::to_fault(TimePoint, Output& out) {
  if (state_ == State::kMaster) {
    send(0, out);
    leave_master(out);
  }
  master_down_timer_.reset();
  preempt_holdoff_until_.reset();
  change_state(State::kFault, out);
}

// Initialize -> Master (owner) or Backup, RFC 6.4.1.
void Instance::come_up(TimePoint now, Output& out) {
  if (effective_priority() == 255) {
    to_master(now, out);
    return;
  }
  master_adver_interval_ = config_.advert_interval;
  to_backup(now, out, false);
}

void Instance::reevaluate_fault(TimePoint now, Output& out) {
  if (!started_) return;
  if (in_fault() && state_ != State::kFault) {
    to_fault(now, out);
  } else if (!in_fault() && state_ == State::kFault) {
    come_up(now, out);
  }
}

Output Instance::finish(Output out) const {
  out.next_deadline = next_deadline();
  return out;
}

Output Instance::startup(TimePoint now) {
  Output out;
  if (started_) return finish(std::move(out));
  started_ = true;
  if (in_fault()) {
    to_fault(now, out);
  } else {
    come_up(now, out);
  }
  return finish(std::move(out));
}

Output Instance::shutdown(TimePoint) {
  Output out;
  if (!started_) return finish(std::move(out));
  started_ = false;
  if (state_ == State::kMaster) {
    adver_timer_.reset();
    send(0, out);
    leave_master(out);
  }
  master_down_timer_.reset();
  preempt_holdoff_until_.reset();
  change_state(State::kInitialize, out);
  return finish(std::move(out));
}

Output Instance::advert_received(TimePoint now, const Advert& a, net::Ipv4 src) {
  Output out;
  const std::uint8_t mine = effective_priority();
  const auto adopt_interval = [&] {
    if (config_.version == Version::kV3 && a.interval != 0) {
      master_adver_interval_ = milliseconds(10) * a.interval;
    }
  };
  if (state_ == State::kBackup) {
    if (a.priority == 0) {
      master_down_timer_ = now + skew_time();
      return finish(std::move(out));
    }
    bool honour = !config_.preempt || a.priority >= mine;
    if (honour) {
      preempt_holdoff_until_.reset();
    } else if (config_.preempt_delay > Duration::zero()) {
      if (!preempt_holdoff_until_) preempt_holdoff_until_ = now + config_.preempt_delay;
      honour = now < *preempt_holdoff_until_;
    }
    if (honour) {
      adopt_interval();
      master_down_timer_ = now + master_down_interval();
    }
    // else: discard, so Master_Down_Timer runs out and we preempt.
  } else if (state_ == State::kMaster) {
    if (a.priority != 0 && (a.priority > mine || (a.priority == mine && src > config_.primary))) {
      adopt_interval();
      to_backup(now, out, true);
    } else {
      // Priority 0 (RFC) or a lower priority (keepalived): assert ourselves
      // now rather than at the next interval.
      send(mine, out);
      adver_timer_ = now + config_.advert_interval;
    }
  }
  return finish(std::move(out));
}

Output Instance::on_timer(TimePoint now) {
  Output out;
  if (state_ == State::kBackup && due(master_down_timer_, now)) {
    to_master(now, out);
  } else if (state_ == State::kMaster) {
    if (due(adver_timer_, now)) {
      send(effective_priority(), out);
      adver_timer_ = now + config_.advert_interval;
    }
    if (due(garp_timer_, now)) {
      out.actions.push_back({ActionKind::kSendGratuitousArp});
      garp_timer_.reset();
    }
  }
  return finish(std::move(out));
}

Output Instance::track_changed(TimePoint now, std::size_t track, bool up) {
  Output out;
  if (track < config_.tracks.size()) {
    config_.tracks[track].up = up;
    reevaluate_fault(now, out);
  }
  return finish(std::move(out));
}

Output Instance::set_group_fault(TimePoint now, bool fault) {
  Output out;
  group_fault_ = fault;
  reevaluate_fault(now, out);
  return finish(std::move(out));
}

Output Instance::force_master(TimePoint now) {
  Output out;
  if (started_ && state_ == State::kBackup) to_master(now, out);
  return finish(std::move(out));
}

Output Instance::force_backup(TimePoint now) {
  Output out;
  if (started_ && state_ == State::kMaster) to_backup(now, out, true);
  return finish(std::move(out));
}

const char* to_string(State s) {
  switch (s) {
    case State::kInitialize:
      return "initialize";
    case State::kBackup:
      return "backup";
    case State::kMaster:
      return "master";
    case State::kFault:
      return "fault";
  }
  return "unknown";
}

}  // namespace tandem::vrrp
