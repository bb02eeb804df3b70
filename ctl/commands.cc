#include "ctl/commands.h"

namespace tandem::ctl {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      status_command(), check_config_command(), reload_command(), ping_command(), health_command(),
      list_command(), ipvsadm_command(),
      vrrp_command(),
      sync_command(),
      alerts_command(), alert_command(),
      // Later groups (list, vrrp, sync, alerts) are added here.
  };
  return table;
}

}  // namespace tandem::ctl
