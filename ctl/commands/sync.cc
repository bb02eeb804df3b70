// `tandemctl sync`: role, peer, counters, rejections and lag of tandem-syncd;
// `tandemctl sync resync` asks the peer for its whole table;
// `tandemctl sync role master|backup|none|auto` overrides the role vrrpd gives.

#include <cstdio>
#include <iostream>
#include <string>

#include "ctl/commands.h"
#include "ctl/daemons.h"
#include "ctl/table.h"

namespace tandem::ctl {
namespace {

using ipc::Json;

int simple(const Globals& g, const std::string& cmd, const Json& args) {
  auto reply = query(g, "syncd", cmd, args);
  const std::string error = error_of(reply);
  if (!error.empty()) {
    std::cerr << "tandemctl: syncd: " << error << "\n";
    return kExitFailed;
  }
  const Json& result = std::get<ipc::Response>(reply).result;
  if (g.json) {
    print_json(result);
  } else if (cmd == "sync-role") {
    std::cout << "role " << result.value("role", "?") << "\n";
  } else {
    std::cout << "resync requested\n";
  }
  return kExitOk;
}

std::string num(const Json& j, const char* key) {
  const Json v = j.value(key, Json());
  return v.is_number() ? v.dump() : "-";
}

int run(const Globals& g, std::span<const std::string> args) {
  if (!args.empty() && args[0] == "resync") {
    if (args.size() != 1) return usage_error("sync resync");
    return simple(g, "sync-resync", Json::object());
  }
  if (!args.empty() && args[0] == "role") {
    if (args.size() != 2) return usage_error("sync role master|backup|none|auto");
    return simple(g, "sync-role", {{"role", args[1]}});
  }
  if (!args.empty()) return usage_error("sync [resync | role ROLE]");
  auto reply = query(g, "syncd", "sync");
  const std::string error = error_of(reply);
  if (!error.empty()) {
    std::cerr << "tandemctl: syncd: " << error << "\n";
    return kExitFailed;
  }
  const Json& r = std::get<ipc::Response>(reply).result;
  if (g.json) {
    print_json(r);
    return kExitOk;
  }
  if (!r.value("enabled", false)) {
    std::cout << "sync: disabled\n";
    return kExitOk;
  }
  std::cout << "role:      " << r.value("role", "?") << " (from " << r.value("role_source", "?")
            << ")\n"
            << "transport: " << r.value("transport", "?") << " to " << r.value("destination", "?")
            << ", syncid " << num(r, "syncid") << "\n"
            << "director:  "
            << (r.value("director_connected", false) ? "connected" : "not connected") << ", "
            << num(r, "mirror") << " entries known\n";
  if (!r.value("udp_error", std::string()).empty())
    std::cout << "socket:    " << r.value("udp_error", std::string()) << "\n";
  const Json lag = r.value("lag_ms", Json::object());
  char buf[128];
  std::snprintf(buf, sizeof buf, "p50 %.1f ms, p99 %.1f ms, max %.1f ms over %d batches",
                lag.value("p50", 0.0), lag.value("p99", 0.0), lag.value("max", 0.0),
                lag.value("samples", 0));
  std::cout << "send lag:  " << buf << "\n";
  const Json c = r.value("counters", Json::object());
  std::cout << "sent:      " << num(c, "sent_records") << " records in " << num(c, "sent_datagrams")
            << " datagrams (" << num(c, "sent_bytes") << " bytes)\n"
            << "received:  " << num(c, "received_records") << " records, " << num(c, "installs")
            << " installed\n"
            << "rejected:  " << num(r, "rejected_total");
  const Json rej = r.value("rejected", Json::object());
  for (auto it = rej.begin(); it != rej.end(); ++it)
    std::cout << " " << it.key() << "=" << it.value();
  std::cout << "\n"
            << "resync:    " << num(c, "resyncs_served") << " served, "
            << num(c, "resyncs_completed") << " received, " << num(c, "resync_requests_sent")
            << " asked\n";
  Table peers({"PEER", "ALIVE", "LAST-SEEN", "SEQ", "GAPS", "RESYNCING"});
  for (const auto& p : r.value("peers", Json::array())) {
    char id[32], seen[32];
    std::snprintf(id, sizeof id, "%016llx",
                  static_cast<unsigned long long>(p.value("sender_id", std::uint64_t{0})));
    std::snprintf(seen, sizeof seen, "%.1fs ago", p.value("last_seen_s", 0.0));
    peers.add({id, p.value("alive", false) ? "yes" : "no", seen, num(p, "highest_seq"),
               num(p, "open_gaps"), p.value("awaiting_resync", false) ? "yes" : "no"});
  }
  std::cout << peers.render();
  return kExitOk;
}

}  // namespace

Command sync_command() {
  return {"sync", "[resync | role master|backup|none|auto]",
          "connection sync: role, peer, counters, lag (syncd)", run};
}

}  // namespace tandem::ctl
