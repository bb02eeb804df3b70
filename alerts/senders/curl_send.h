#pragma once
// Blocking libcurl transfers. They run only on the DeliveryWorker's thread,
// never on the event loop; each one is bounded by the sender's timeout.

#include <string>

#include "alerts/spool/spool.h"
#include "common/config/schema.h"

namespace tandem::alerts {

struct SendResult {
  bool ok = false;
  std::string error;  // curl's or the server's reason, for `alerts` and the log
};

SendResult send_mail(const config::MailSender& cfg, const Job& job);
SendResult send_page(const config::PageSender& cfg, const Job& job);

}  // namespace tandem::alerts
