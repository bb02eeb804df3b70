#include "vrrpd/core/sync_group.h"

#include <algorithm>

namespace tandem::vrrp {

std::vector<MemberOutput> SyncGroup::follow(TimePoint now, std::size_t member, const Output& out) {
  std::vector<MemberOutput> result;
  if (member >= members_.size()) return result;
  auto changed = std::ranges::find_if(
      out.actions, [](const Action& a) { return a.kind == ActionKind::kRoleChanged; });
  if (changed == out.actions.end()) return result;

  auto keep = [&](std::size_t i, Output o) {
    if (!o.actions.empty()) result.push_back({i, std::move(o)});
  };

  for (std::size_t i = 0; i < members_.size(); ++i) {
    bool other_fault = false;
    for (std::size_t j = 0; j < members_.size(); ++j) {
      if (j != i && members_[j]->own_fault() && members_[j]->state() == State::kFault) {
        other_fault = true;
      }
    }
    keep(i, members_[i]->set_group_fault(now, other_fault));
  }

  const State now_state = members_[member]->state();
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (i == member) continue;
    if (now_state == State::kMaster) {
      keep(i, members_[i]->force_master(now));
    } else if (now_state == State::kBackup && changed->from == State::kMaster) {
      keep(i, members_[i]->force_backup(now));
    }
  }
  return result;
}

}  // namespace tandem::vrrp
