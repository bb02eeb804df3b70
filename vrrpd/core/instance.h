#pragma once
// One VRRP virtual router (RFC 5798 6.4, RFC 3768 6.4) as a pure state
// machine. vrrpd feeds it events with the current time and carries out the
// actions it returns; after every event it reads next_deadline and calls
// on_timer when that time comes. Nothing here sends, sleeps or reads a clock.
//
// Beyond the RFC, as keepalived does it:
//  - Fault: any down track with weight 0 (interface down, tracked daemon
//    dead, quorum lost) or a fault elsewhere in the sync group. A master
//    leaving for Fault sends priority 0 so backups take over after Skew_Time.
//  - Tracking weights adjust the advertised priority: weight > 0 adds while
//    the track is up, weight < 0 adds (subtracts) while it is down; the result
//    is clamped to 1..254. An owner (255) is never adjusted.
//  - preempt_delay: a preempting backup keeps honouring a lower-priority
//    master for this long after first hearing it, then stops resetting its
//    Master_Down_Timer and takes over when that fires.
//  - A master hearing a lower priority answers with an advert at once.
//  - Gratuitous ARP is sent on becoming master and once more after
//    garp_repeat_delay.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/net/address.h"
#include "common/util/clock.h"
#include "vrrpd/core/advert.h"

namespace tandem::vrrp {

enum class State : std::uint8_t { kInitialize, kBackup, kMaster, kFault };

struct Track {
  std::string name;
  int weight = 0;  // 0: down means Fault
  bool up = true;
};

struct InstanceConfig {
  Version version = Version::kV3;
  std::uint8_t vrid = 1;
  std::uint8_t priority = 100;                         // 1..255; 255 = address owner
  Duration advert_interval = std::chrono::seconds(1);  // v3: 10 ms steps; v2: whole seconds
  bool preempt = true;
  Duration preempt_delay{0};
  Duration garp_repeat_delay = std::chrono::seconds(5);  // 0: no second burst
  net::Ipv4 primary;                                     // our address on the link; the tie-breaker
  AddressList addresses;                                 // the virtual addresses
  std::vector<Track> tracks;
  V2AuthType v2_auth = V2AuthType::kNone;
  std::array<std::uint8_t, kV2AuthSize> v2_password{};
};

enum class ActionKind : std::uint8_t {
  kSendAdvert,         // priority: the value to put in the advert
  kTakeAddresses,      // bring up the vmac, add the virtual addresses
  kSendGratuitousArp,  // one burst for every virtual address
  kReleaseAddresses,   // remove the addresses, take down the vmac
  kRoleChanged,        // from -> to, for director/syncd/alertd
};

struct Action {
  ActionKind kind;
  std::uint8_t priority = 0;
  State from = State::kInitialize;
  State to = State::kInitialize;
  bool operator==(const Action&) const = default;
};

struct Output {
  std::vector<Action> actions;
  std::optional<TimePoint> next_deadline;  // arm the single timer here; none: disarm
};

class Instance {
 public:
  explicit Instance(InstanceConfig config);

  Output startup(TimePoint now);
  Output shutdown(TimePoint now);
  // `advert` has passed check_receive; `src` is its IPv4 source.
  Output advert_received(TimePoint now, const Advert& advert, net::Ipv4 src);
  Output on_timer(TimePoint now);
  Output track_changed(TimePoint now, std::size_t track, bool up);
  // Set by the sync group while another member is in Fault.
  Output set_group_fault(TimePoint now, bool fault);
  // Sync group: follow another member that became master / backup.
  Output force_master(TimePoint now);
  Output force_backup(TimePoint now);

  State state() const { return state_; }
  std::uint8_t effective_priority() const;
  bool own_fault() const;  // Fault caused by this instance's own tracks
  std::optional<TimePoint> next_deadline() const;
  Duration master_adver_interval() const { return master_adver_interval_; }
  Duration skew_time() const;
  Duration master_down_interval() const;
  // The advert to encode for a kSendAdvert action.
  Advert make_advert(std::uint8_t priority) const;
  const InstanceConfig& config() const { return config_; }

 private:
  void to_master(TimePoint now, Output& out);
  void to_backup(TimePoint now, Output& out, bool release);
  void to_fault(TimePoint now, Output& out);
  void leave_master(Output& out);
  void change_state(State to, Output& out);
  void send(std::uint8_t priority, Output& out);
  void reevaluate_fault(TimePoint now, Output& out);
  void come_up(TimePoint now, Output& out);
  Output finish(Output out) const;
  bool in_fault() const { return group_fault_ || own_fault(); }

  InstanceConfig config_;
  State state_ = State::kInitialize;
  bool started_ = false;  // between startup and shutdown
  bool group_fault_ = false;
  Duration master_adver_interval_;
  std::optional<TimePoint> adver_timer_;
  std::optional<TimePoint> master_down_timer_;
  std::optional<TimePoint> garp_timer_;
  std::optional<TimePoint> preempt_holdoff_until_;
};

const char* to_string(State s);

}  // namespace tandem::vrrp
