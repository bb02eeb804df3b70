#pragma once
// The exec sender: runs the configured program directly (no shell), with
// the alert body on stdin and its fields in TANDEM_ALERT_* environment
// variables. Blocking; runs only on the DeliveryWorker's thread. The child
// gets its own process group, and the whole group is killed at the timeout.

#include "alerts/senders/curl_send.h"
#include "common/config/schema.h"

namespace tandem::alerts {

// `cancel` set: the program is killed as at the timeout.
SendResult send_exec(const config::ExecSender& cfg, const Job& job,
                     const std::atomic<bool>* cancel = nullptr);

}  // namespace tandem::alerts
