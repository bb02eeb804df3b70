#pragma once
// A sync group: instances that must hold the same role (the VIPs of a
// director pair move together, or clients see half a service). Pure: the
// group only calls the members' force/set_group_fault entry points and hands
// back what they returned.
//
// Rules (keepalived's vrrp_sync_group):
//  - a member in Fault by its own tracks puts every other member in Fault;
//    they come back (via Backup) when no member has its own fault left;
//  - a member becoming Master pulls the other Backup members to Master;
//  - a member leaving Master for Backup pushes the other masters to Backup.
// Forced transitions are not propagated again: they already agree.

#include <cstddef>
#include <vector>

#include "common/util/clock.h"
#include "vrrpd/core/instance.h"

namespace tandem::vrrp {

struct MemberOutput {
  std::size_t member;
  Output output;
};

class SyncGroup {
 public:
  // Non-owning; the members must outlive the group.
  explicit SyncGroup(std::vector<Instance*> members) : members_(std::move(members)) {}

  // Call after member `member` handled any event, with the Output it returned.
  std::vector<MemberOutput> follow(TimePoint now, std::size_t member, const Output& out);

  std::size_t size() const { return members_.size(); }

 private:
  std::vector<Instance*> members_;
};

}  // namespace tandem::vrrp
