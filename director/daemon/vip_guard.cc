#include "director/daemon/vip_guard.h"

#include <sys/wait.h>

#include <cstdio>
#include <set>
#include <sstream>
#include <tuple>

namespace tandem::director::daemon {

std::string guard_script(const config::Config& cfg) {
  return guard_script(served_by(cfg));
}

std::string guard_script(const ServedView& view) {
  std::set<std::string> vips;
  std::set<std::tuple<std::string, std::string, int>> replies;
  std::set<std::pair<std::string, std::string>> reply_hosts;  // port-0 servers
  for (const auto& s : view.services) {
    vips.insert(s.vip.to_string());
    const std::string proto = s.protocol == Protocol::udp ? "udp" : "tcp";
    for (const auto& r : s.servers) {
      if (r.method != Forwarding::nat) continue;
      if (r.port == 0)
        reply_hosts.insert({r.address.to_string(), proto});
      else
        replies.insert({r.address.to_string(), proto, r.port});
    }
  }
  std::ostringstream o;
  // Declaring then deleting makes the script replace the table in one
  // transaction whether or not it existed.
  o << "table inet tandem\ndelete table inet tandem\n";
  o << "table inet tandem {\n";
  o << "  set vips {\n    type ipv4_addr\n";
  if (!vips.empty()) {
    o << "    elements = { ";
    const char* sep = "";
    for (const auto& v : vips) o << sep << v, sep = ", ";
    o << " }\n";
  }
  o << "  }\n  set nat_replies {\n    type ipv4_addr . inet_proto . inet_service\n";
  if (!replies.empty()) {
    o << "    elements = { ";
    const char* sep = "";
    for (const auto& [a, p, port] : replies)
      o << sep << a << " . " << p << " . " << port, sep = ", ";
    o << " }\n";
  }
  o << "  }\n  set nat_reply_hosts {\n    type ipv4_addr . inet_proto\n";
  if (!reply_hosts.empty()) {
    o << "    elements = { ";
    const char* sep = "";
    for (const auto& [a, p] : reply_hosts) o << sep << a << " . " << p, sep = ", ";
    o << " }\n";
  }
  o << "  }\n";
  o << "  chain prerouting {\n"
       "    type filter hook prerouting priority raw; policy accept;\n"
       "    ip daddr @vips drop\n"
       "    fib daddr type local accept\n"
       "    ip saddr . meta l4proto . th sport @nat_replies drop\n"
       "    ip saddr . meta l4proto @nat_reply_hosts drop\n"
       "  }\n}\n";
  return o.str();
}

std::optional<std::string> run_nft(const std::string& script) {
  FILE* p = ::popen("nft -f - 2>&1", "w");
  if (p == nullptr) return std::string("cannot run nft");
  std::fwrite(script.data(), 1, script.size(), p);
  const int st = ::pclose(p);
  if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
    return "nft -f - failed (status " + std::to_string(st) + ")";
  return std::nullopt;
}

std::optional<std::string> install_guard(const ServedView& view) {
  return run_nft(guard_script(view));
}

std::optional<std::string> remove_guard() {
  return run_nft("table inet tandem\ndelete table inet tandem\n");
}

}  // namespace tandem::director::daemon
