#pragma once
// Blocking libcurl transfers. They run only on the DeliveryWorker's thread,
// never on the event loop; each one is bounded by the sender's timeout.

#include <atomic>
#include <string>

#include "alerts/spool/spool.h"
#include "common/config/schema.h"

namespace tandem::alerts {

struct SendResult {
  bool ok = false;
  std::string error;  // curl's or the server's reason, for `alerts` and the log
};

// `cancel`, when given and set, aborts the transfer early (daemon shutdown).
SendResult send_mail(const config::MailSender& cfg, const Job& job,
                     const std::atomic<bool>* cancel = nullptr);
SendResult send_page(const config::PageSender& cfg, const Job& job,
                     const std::atomic<bool>* cancel = nullptr);

}  // namespace tandem::alerts
