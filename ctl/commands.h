#pragma once
// One factory per command file under ctl/commands/; the table in
// commands.cc lists them. A new command group adds a file and one line there.

#include "ctl/cli.h"

namespace tandem::ctl {

Command status_command();
Command check_config_command();
Command reload_command();
Command ping_command();
Command health_command();
Command alerts_command();
Command alert_command();
Command list_command();
Command ipvsadm_command();
Command vrrp_command();
Command sync_command();

}  // namespace tandem::ctl
