#include "alerts/engine/engine.h"

#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "alerts/core/format.h"
#include "alerts/engine/routes.h"
#include "alerts/senders/exec_send.h"
#include "alerts/senders/message.h"
#include "common/log/log.h"

namespace tandem::alerts {

namespace {

constexpr std::size_t kRecentMax = 100;
constexpr std::size_t kTextMax = 64 * 1024;

TimePoint mono_now() {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

LocalTime local_now() {
  time_t t = std::time(nullptr);
  struct tm tm {};
  localtime_r(&t, &tm);
  return LocalTime{tm.tm_wday, tm.tm_hour * 60 + tm.tm_min};
}

std::string_view type_name(AlertType t) {
  switch (t) {
    case AlertType::kFailure:
      return "failure";
    case AlertType::kUp:
      return "up";
    case AlertType::kNotice:
      return "notice";
    case AlertType::kTest:
      return "test";
  }
  return "unknown";
}

// Optional string argument; false if present with the wrong type.
bool text_arg(const ipc::Json& args, const char* key, std::string& out) {
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  if (out.size() > kTextMax) out.resize(kTextMax);  // format_alert caps it again with a marker
  return true;
}

}  // namespace

AlertEngine::AlertEngine(boost::asio::io_context& io, Publish publish)
    : io_(io),
      publish_(std::move(publish)),
      tick_(io),
      worker_(std::make_unique<DeliveryWorker>(io)) {}

AlertEngine::~AlertEngine() = default;

void AlertEngine::apply(const config::Config& cfg) {
  bool first = !cfg_.has_value();
  if (!first && cfg.alerts.spool_dir != cfg_->spool_dir) {
    log::warn("alerts: spool_dir change to " + cfg.alerts.spool_dir + " takes effect on restart");
  }
  std::string spool_dir = first ? cfg.alerts.spool_dir : cfg_->spool_dir;
  bool routes_changed = first || cfg.alerts.routes != cfg_->routes;
  cfg_ = cfg.alerts;
  cfg_->spool_dir = spool_dir;
  // Rebuilding the policy forgets open episodes; only do it when routes moved.
  if (routes_changed) policy_ = std::make_unique<PolicyEngine>(policy_routes(cfg.alerts));
  if (!first) return;

  // A spool directory that does not exist yet holds nothing to retry; it is
  // created with the first job, so a daemon that never alerts leaves no trace.
  struct stat st {};
  if (::stat(cfg_->spool_dir.c_str(), &st) == 0) open_spool();
  arm_tick();
}

bool AlertEngine::open_spool() {
  if (spool_) return true;
  // A missing or unwritable spool keeps the daemon up (status and commands
  // still answer) but refuses events, since none could be acknowledged
  // honestly; every later event tries again.
  auto store = std::make_unique<DirStore>(cfg_->spool_dir);
  if (!store->open()) {
    log::error("alerts: cannot open spool_dir " + cfg_->spool_dir + ": " +
               (errno == EWOULDBLOCK ? std::string("in use by another tandem-alertd")
                                     : std::string(std::strerror(errno))));
    return false;
  }
  store_ = std::move(store);
  spool_ = std::make_unique<Spool>(*store_);
  std::vector<Job> jobs = spool_->load();
  if (spool_->stats().garbage > 0) {
    log::warn("alerts: skipped " + std::to_string(spool_->stats().garbage) +
              " unreadable spool record(s) in " + cfg_->spool_dir);
  }
  for (Job& j : jobs) {
    std::uint64_t id = j.id;
    pending_[id].job = std::move(j);
    deliver(id);
  }
  if (!jobs.empty()) {
    log::info("alerts: retrying " + std::to_string(jobs.size()) + " spooled job(s)");
  }
  return true;
}

void AlertEngine::arm_tick() {
  tick_.expires_after(std::chrono::seconds(30));
  tick_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    std::vector<std::uint64_t> ids;
    if (policy_) {
      // Held quiet-hour alerts released now; a spool failure is logged, since
      // there is no caller to refuse.
      if (!enqueue(policy_->tick(mono_now(), local_now()), ids)) {
        log::error("alerts: could not spool released alerts");
      }
    }
    arm_tick();
  });
}

bool AlertEngine::enqueue(const std::vector<Decision>& decisions, std::vector<std::uint64_t>& ids) {
  if (!decisions.empty() && !open_spool()) return false;
  bool ok = true;
  for (const Decision& d : decisions) {
    FormattedAlert f = format_alert(d);
    Job j;
    j.route = d.route;
    j.sender = d.sender;
    j.type = std::string(type_name(d.type));
    j.subject = std::move(f.subject);
    j.body = std::move(f.body);
    j.kind = std::string(to_string(d.event.kind));
    j.severity = std::string(to_string(d.event.severity));
    j.service = sanitize_header(d.event.service, 256);
    j.server = sanitize_header(d.event.server, 256);
    j.summary = sanitize_header(d.event.summary, 1024);
    j.created = d.event.wall_time != 0 ? d.event.wall_time : std::time(nullptr);
    std::optional<std::uint64_t> id = spool_ ? spool_->add(j) : std::nullopt;
    if (!id) {
      ok = false;
      continue;
    }
    j.id = *id;
    ids.push_back(*id);
    pending_[*id].job = std::move(j);
  }
  // Delivery starts only after every write, so a refused event sends nothing
  // twice when the producer repeats it... except what was already spooled,
  // which is delivered once as promised.
  for (std::uint64_t id : ids) deliver(id);
  return ok;
}

void AlertEngine::deliver(std::uint64_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end() || it->second.in_flight || !cfg_) return;
  Pending& p = it->second;
  const config::Sender* sender = nullptr;
  for (const config::Sender& s : cfg_->senders) {
    if (s.name == p.job.sender) sender = &s;
  }
  if (sender == nullptr) {
    on_result(id, {false, "no sender named " + p.job.sender + " in the configuration"});
    return;
  }
  DeliveryWorker::Work work;
  if (sender->type == config::SenderType::mail) {
    work = [cfg = sender->mail, job = p.job, c = worker_->cancel_flag()] {
      return send_mail(cfg, job, c);
    };
  } else if (sender->type == config::SenderType::page) {
    work = [cfg = sender->page, job = p.job, c = worker_->cancel_flag()] {
      return send_page(cfg, job, c);
    };
  } else {
    work = [cfg = sender->exec, job = p.job, c = worker_->cancel_flag()] {
      return send_exec(cfg, job, c);
    };
  }
  p.in_flight = true;
  worker_->submit(std::move(work), [this, id](SendResult r) { on_result(id, std::move(r)); });
}

void AlertEngine::on_result(std::uint64_t id, SendResult r) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending& p = it->second;
  p.in_flight = false;
  if (r.ok) {
    // Erased before it leaves pending_: if the erase fails the job stays on
    // disk and a restart would resend it, so say so loudly.
    if (!spool_->complete(id)) {
      log::error("alerts: job " + std::to_string(id) + " delivered but not removed from the spool");
    }
    ++delivered_;
    remember(p.job, "delivered", {});
    publish_(
        "alert.delivered",
        {{"id", id}, {"route", p.job.route}, {"sender", p.job.sender}, {"subject", p.job.subject}});
    pending_.erase(it);
    return;
  }
  ++failed_attempts_;
  ++p.job.attempts;
  p.job.last_error = r.error;
  if (!spool_->update(p.job))
    log::error("alerts: could not record attempt of job " + std::to_string(id));
  remember(p.job, "retrying", r.error);
  log::warn("alerts: job " + std::to_string(id) + " via " + p.job.sender + " failed (attempt " +
            std::to_string(p.job.attempts) + "): " + r.error);
  if (!p.timer) p.timer = std::make_unique<boost::asio::steady_timer>(io_);
  p.timer->expires_after(retry_delay(p.job.attempts));
  p.timer->async_wait([this, id](const boost::system::error_code& ec) {
    if (!ec) deliver(id);
  });
}

void AlertEngine::remember(const Job& job, std::string status, std::string error) {
  recent_.push_back({job.id, job.route, job.sender, job.subject, std::move(status),
                     std::move(error), job.attempts, std::time(nullptr)});
  while (recent_.size() > kRecentMax) recent_.pop_front();
}

ipc::Reply AlertEngine::event_command(const ipc::Json& args) {
  if (!args.is_object()) return ipc::Reply::failure("event: args must be an object");
  Event ev;
  std::string kind, severity = "info";
  if (!text_arg(args, "kind", kind) || !text_arg(args, "severity", severity) ||
      !text_arg(args, "service", ev.service) || !text_arg(args, "server", ev.server) ||
      !text_arg(args, "summary", ev.summary) || !text_arg(args, "detail", ev.detail)) {
    ++rejected_events_;
    return ipc::Reply::failure(
        "event: kind, severity, service, server, summary, detail are strings");
  }
  std::optional<EventKind> k = parse_event_kind(kind);
  std::optional<Severity> s = parse_severity(severity);
  if (!k || !s) {
    ++rejected_events_;
    return ipc::Reply::failure("event: unknown kind or severity");
  }
  ev.kind = *k;
  ev.severity = *s;
  return submit(std::move(ev));
}

ipc::Reply AlertEngine::submit(Event ev) {
  // Subscribed events arrive uncapped; cap them like the command's.
  for (std::string* s : {&ev.service, &ev.server, &ev.summary, &ev.detail}) {
    if (s->size() > kTextMax) s->resize(kTextMax);
  }
  ev.time = mono_now();
  ev.wall_time = std::time(nullptr);
  if (!policy_) return ipc::Reply::failure("event: not configured yet");
  std::vector<Decision> decisions = policy_->on_event(ev, ev.time, local_now());
  std::vector<std::uint64_t> ids;
  if (!enqueue(decisions, ids)) {
    return ipc::Reply::failure("event: could not write the spool; " + std::to_string(ids.size()) +
                               " of " + std::to_string(decisions.size()) + " jobs kept");
  }
  return ipc::Reply::success({{"accepted", true}, {"jobs", ids}});
}

ipc::Reply AlertEngine::test_command(const ipc::Json& args) {
  std::string route;
  if (!args.is_object() || !text_arg(args, "route", route) || route.empty()) {
    return ipc::Reply::failure("alert-test: needs {\"route\": name}");
  }
  if (!policy_) return ipc::Reply::failure("alert-test: not configured yet");
  const auto& routes = policy_->routes();
  for (std::size_t i = 0; i < routes.size(); ++i) {
    if (routes[i].name != route) continue;
    std::vector<Decision> ds;
    std::vector<std::string> seen;
    for (const std::string& s : routes[i].senders) {
      if (std::find(seen.begin(), seen.end(), s) != seen.end()) continue;
      seen.push_back(s);
      Decision d;
      d.route_index = i;
      d.route = route;
      d.sender = s;
      d.type = AlertType::kTest;
      d.event.kind = EventKind::kTest;
      d.event.summary = "test alert through route " + route;
      d.event.time = mono_now();
      d.event.wall_time = std::time(nullptr);
      ds.push_back(std::move(d));
    }
    std::vector<std::uint64_t> ids;
    if (!enqueue(ds, ids)) return ipc::Reply::failure("alert-test: could not write the spool");
    return ipc::Reply::success({{"jobs", ids}});
  }
  return ipc::Reply::failure("alert-test: no route named " + route);
}

ipc::Reply AlertEngine::alerts_command() const {
  ipc::Json queue = ipc::Json::array();
  for (const auto& [id, p] : pending_) {
    queue.push_back({{"id", id},
                     {"route", p.job.route},
                     {"sender", p.job.sender},
                     {"subject", p.job.subject},
                     {"attempts", p.job.attempts},
                     {"in_flight", p.in_flight},
                     {"last_error", p.job.last_error}});
  }
  ipc::Json recent = ipc::Json::array();
  for (const Recent& r : recent_) {
    recent.push_back({{"id", r.id},
                      {"route", r.route},
                      {"sender", r.sender},
                      {"subject", r.subject},
                      {"status", r.status},
                      {"error", r.error},
                      {"attempts", r.attempts},
                      {"time", r.time}});
  }
  return ipc::Reply::success({{"queue", queue}, {"recent", recent}, {"stats", status()}});
}

ipc::Json AlertEngine::status() const {
  ipc::Json j = {{"pending", pending_.size()},
                 {"delivered", delivered_},
                 {"failed_attempts", failed_attempts_},
                 {"rejected_events", rejected_events_}};
  if (cfg_) {
    j["spool_dir"] = cfg_->spool_dir;
    j["senders"] = cfg_->senders.size();
    j["routes"] = cfg_->routes.size();
  }
  if (spool_) {
    const SpoolStats& s = spool_->stats();
    j["spool"] = {{"loaded", s.loaded},
                  {"garbage", s.garbage},
                  {"written", s.written},
                  {"write_failures", s.write_failures},
                  {"completed", s.completed}};
  }
  if (policy_) {
    const PolicyStats& p = policy_->stats();
    j["policy"] = {{"events", p.events},
                   {"unrouted", p.unrouted},
                   {"sent", p.sent},
                   {"suppressed_alertafter", p.suppressed_alertafter},
                   {"suppressed_alertevery", p.suppressed_alertevery},
                   {"suppressed_numalerts", p.suppressed_numalerts},
                   {"held_quiet", p.held_quiet},
                   {"dropped_quiet", p.dropped_quiet}};
  }
  return j;
}

}  // namespace tandem::alerts
