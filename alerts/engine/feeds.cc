#include "alerts/engine/feeds.h"

#include "common/log/log.h"

namespace tandem::alerts {

namespace {

ipc::ClientOptions options(const char* topic) {
  ipc::ClientOptions o;
  o.topics = {topic};
  // A producer restarting is routine; keep the catch-up gap short.
  o.max_backoff = std::chrono::seconds(5);
  return o;
}

}  // namespace

Feeds::Feeds(boost::asio::io_context& io, const std::string& run_dir,
             std::shared_ptr<AlertEngine> engine)
    : engine_(std::move(engine)),
      healthd_(io, run_dir + "/healthd.sock", options("health.*")),
      vrrpd_(io, run_dir + "/vrrpd.sock", options("vrrp.state")) {
  // The clients live no longer than this object and are stopped in its
  // destructor, so `this` in their callbacks is always valid.
  healthd_.on_event([this](const ipc::Event& e) {
    submit_all(intake_.health_event(e.topic, e.data), "healthd");
  });
  vrrpd_.on_event([this](const ipc::Event& e) {
    if (e.topic != "vrrp.state") return;
    submit_all(intake_.vrrp_event(e.data), "vrrpd");
    if (!intake_.silenced_as_backup()) submit_all(intake_.release(), "healthd");
  });
  healthd_.on_state([this](bool up, const std::string& reason) {
    // Only changes are logged: retries while a daemon is absent stay at debug.
    log::info(std::string("alerts: healthd feed ") + (up ? "connected" : "lost: " + reason));
    if (!up) return;
    healthd_.request("health", ipc::Json::object(), [this](const ipc::Response& r) {
      if (r.ok) submit_all(intake_.health_snapshot(r.result), "healthd");
    });
  });
  vrrpd_.on_state([this](bool up, const std::string& reason) {
    log::info(std::string("alerts: vrrpd feed ") + (up ? "connected" : "lost: " + reason));
    if (!up) return;
    vrrpd_.request("vrrp", ipc::Json::object(), [this](const ipc::Response& r) {
      // A vrrpd without the command yet: live events still arrive.
      if (!r.ok) return;
      submit_all(intake_.vrrp_snapshot(r.result), "vrrpd");
      if (!intake_.silenced_as_backup()) submit_all(intake_.release(), "healthd");
    });
  });
}

Feeds::~Feeds() {
  stop();
}

void Feeds::start() {
  healthd_.start();
  vrrpd_.start();
}

void Feeds::stop() {
  healthd_.stop();
  vrrpd_.stop();
}

void Feeds::submit_all(std::vector<Event> events, const char* source) {
  if (std::string_view(source) == "healthd" && intake_.silenced_as_backup()) {
    silenced_ += events.size();
    intake_.hold(std::move(events));
    return;
  }
  for (Event& ev : events) {
    ipc::Reply r = engine_->submit(std::move(ev));
    if (!r.ok) {
      // Nobody to refuse: healthd does not wait for alertd. Say it loudly.
      ++refused_;
      log::error(std::string("alerts: event from ") + source + " not kept: " + r.error);
    }
  }
}

ipc::Json Feeds::status() const {
  const IntakeStats& s = intake_.stats();
  return {{"healthd_connected", healthd_.connected()},
          {"vrrpd_connected", vrrpd_.connected()},
          {"events", s.events},
          {"ignored", s.ignored},
          {"malformed", s.malformed},
          {"caught_up", s.caught_up},
          {"not_kept", refused_},
          {"silenced_as_backup", silenced_},
          {"backup", intake_.silenced_as_backup()}};
}

}  // namespace tandem::alerts
