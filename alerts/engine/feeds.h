#pragma once
// alertd's subscriptions: healthd's `health.*` and vrrpd's `vrrp.state` over
// reconnecting control clients, each publication turned into an Event by
// Intake and handed to AlertEngine::submit, exactly like the `event` command.
// After every (re)connect the daemon's current state is asked for (`health`,
// `vrrp`) so transitions missed while the link was down still alert.

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "alerts/engine/engine.h"
#include "alerts/engine/intake.h"
#include "common/ipc/client.h"

namespace tandem::alerts {

class Feeds {
 public:
  // Sockets are <run_dir>/healthd.sock and <run_dir>/vrrpd.sock.
  Feeds(boost::asio::io_context& io, const std::string& run_dir,
        std::shared_ptr<AlertEngine> engine);
  ~Feeds();
  Feeds(const Feeds&) = delete;
  Feeds& operator=(const Feeds&) = delete;

  void start();
  void stop();
  void set_backup_alerts(bool on) { intake_.set_backup_alerts(on); }
  ipc::Json status() const;

 private:
  void submit_all(std::vector<Event> events, const char* source);

  std::shared_ptr<AlertEngine> engine_;
  Intake intake_;
  ipc::ControlClient healthd_;
  ipc::ControlClient vrrpd_;
  std::uint64_t refused_ = 0;   // events the engine could not spool
  std::uint64_t silenced_ = 0;  // healthd's events left to the active director
};

}  // namespace tandem::alerts
