// `tandemctl alerts`: alertd's queue (jobs not delivered yet) and its recent
// deliveries; `tandemctl alert test ROUTE`: a test message through ROUTE.

#include <ctime>
#include <iostream>
#include <string>

#include "ctl/commands.h"
#include "ctl/daemons.h"
#include "ctl/table.h"

namespace tandem::ctl {

namespace {

using ipc::Json;

std::string local_time(std::int64_t t) {
  if (t <= 0) return "-";
  std::time_t tt = static_cast<std::time_t>(t);
  struct tm tm {};
  localtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string text(const Json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end()) return "-";
  if (it->is_string()) return it->get<std::string>().empty() ? "-" : it->get<std::string>();
  if (it->is_number() || it->is_boolean()) return it->dump();
  return "-";
}

// Shown on one table line: a control byte or line break in a subject must
// not break the table (alertd sanitises, but tandemctl trusts no daemon).
std::string one_line(std::string s, std::size_t max = 100) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  if (s.size() > max) s = s.substr(0, max - 3) + "...";
  return s;
}

int print_error(const std::string& what, const Reply& reply) {
  std::cerr << "tandemctl: " << what << ": " << error_of(reply) << "\n";
  return kExitFailed;
}

int show(const Globals& g, std::span<const std::string> args) {
  if (!args.empty()) return usage_error("alerts takes no argument");
  auto reply = query(g, "alertd", "alerts");
  if (!error_of(reply).empty()) return print_error("alertd", reply);
  const Json& result = std::get<ipc::Response>(reply).result;
  if (g.json) {
    print_json(result);
    return kExitOk;
  }
  const Json queue = result.value("queue", Json::array());
  const Json recent = result.value("recent", Json::array());
  std::cout << "Queue (" << (queue.is_array() ? queue.size() : 0) << " pending):\n";
  Table q({"ID", "ROUTE", "SENDER", "ATTEMPTS", "STATE", "LAST-ERROR", "SUBJECT"});
  for (const Json& j : queue.is_array() ? queue : Json::array()) {
    if (!j.is_object()) continue;
    q.add({text(j, "id"), text(j, "route"), text(j, "sender"), text(j, "attempts"),
           j.value("in_flight", false) ? "sending" : "waiting", one_line(text(j, "last_error"), 60),
           one_line(text(j, "subject"))});
  }
  std::cout << q.render();
  std::cout << "\nRecent deliveries (newest last):\n";
  Table r({"TIME", "ID", "ROUTE", "SENDER", "STATUS", "ATTEMPTS", "SUBJECT / ERROR"});
  for (const Json& j : recent.is_array() ? recent : Json::array()) {
    if (!j.is_object()) continue;
    std::string status = text(j, "status");
    std::string what = status == "delivered" ? text(j, "subject") : text(j, "error");
    r.add({local_time(j.value("time", std::int64_t{0})), text(j, "id"), text(j, "route"),
           text(j, "sender"), status, text(j, "attempts"), one_line(what)});
  }
  std::cout << r.render();
  return kExitOk;
}

int test(const Globals& g, std::span<const std::string> args) {
  if (args.size() != 2 || args[0] != "test") return usage_error("alert test ROUTE");
  auto reply = query(g, "alertd", "alert-test", Json{{"route", args[1]}});
  if (!error_of(reply).empty()) return print_error("alert test", reply);
  const Json& result = std::get<ipc::Response>(reply).result;
  if (g.json) {
    print_json(result);
    return kExitOk;
  }
  const Json jobs = result.value("jobs", Json::array());
  std::cout << "test alert queued through route " << args[1] << " as job(s)";
  for (const Json& id : jobs) std::cout << " " << id.dump();
  std::cout << "; see `tandemctl alerts` for delivery\n";
  return kExitOk;
}

}  // namespace

Command alerts_command() {
  return {"alerts", "", "alertd's queue and recent deliveries", show};
}

Command alert_command() {
  return {"alert", "test ROUTE", "send a test alert through ROUTE's senders", test};
}

}  // namespace tandem::ctl
