// tandem-healthcheck: runs one check from the command line, the way healthd
// would, and reports in mon's convention (first line = summary, exit 0 = ok),
// so an operator can try a check before putting it in the config, and the
// integration tests can drive every monitor against real peers.
#include <charconv>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "healthd/monitors/monitor.h"

namespace {

using namespace tandem;
using namespace tandem::health;

constexpr const char* kUsage = R"(usage: tandem-healthcheck TYPE HOST:PORT [options]
types: tcp http https telnet dns ping exec
  --timeout MS            deadline of the check (default 5000)
http/https:
  --method GET|HEAD  --path P  --host H  --status 200-299,301  --body TEXT  --regex RE
  --sni NAME  --verify  --ca FILE  --expiry-warn DAYS
telnet:   --send TEXT  --expect TEXT
dns:      --name N  --type A|AAAA|CNAME|MX|TXT|NS|SOA  --rcode N  --value V
          --require-answer  --tcp
ping:     --socket auto|dgram|raw
exec:     --program PATH  --arg A (repeatable, {host} {port} replaced)  --grace MS
          --no-host (do not append the host, as exec without mon_compatible)
prints the summary on the first line; exit 0 = ok, 1 = failed, 2 = usage
)";

std::optional<long> number(std::string_view s) {
  long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

bool parse_status(std::string_view s, std::vector<StatusRange>& out) {
  out.clear();
  while (!s.empty()) {
    const auto comma = s.find(',');
    std::string_view item = s.substr(0, comma);
    const auto dash = item.find('-');
    auto lo = number(item.substr(0, dash));
    auto hi = dash == std::string_view::npos ? lo : number(item.substr(dash + 1));
    if (!lo || !hi) return false;
    out.push_back({static_cast<int>(*lo), static_cast<int>(*hi)});
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return !out.empty();
}

int usage(const std::string& why) {
  if (!why.empty()) std::cerr << "tandem-healthcheck: " << why << "\n";
  std::cerr << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  // Like every Tandem program: asked for, help goes to stdout and exits 0.
  if (args.size() == 1 && args[0] == "--version") {
    std::cout << "tandem-healthcheck " << TANDEM_VERSION << "\n";
    return 0;
  }
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << kUsage;
    return 0;
  }
  if (args.size() < 2) return usage("");
  const std::string type(args[0]);
  const auto target = net::Endpoint::parse(args[1]);
  if (!target) return usage("bad HOST:PORT " + std::string(args[1]));

  HttpParams http;
  TelnetParams telnet;
  DnsParams dns;
  PingParams ping;
  ExecParams exec;
  long timeout_ms = 5000;
  for (std::size_t i = 2; i < args.size(); ++i) {
    const std::string_view opt = args[i];
    if (opt == "--verify") {
      if (!http.tls) http.tls.emplace();
      http.tls->verify = true;
      continue;
    }
    if (opt == "--require-answer" || opt == "--tcp" || opt == "--no-host") {
      if (opt == "--require-answer") dns.require_answer = true;
      if (opt == "--tcp") dns.tcp = true;
      if (opt == "--no-host") exec.append_host = false;
      continue;
    }
    if (i + 1 >= args.size()) return usage("missing value for " + std::string(opt));
    const std::string v(args[++i]);
    auto num = [&]() -> std::optional<long> { return number(v); };
    auto tls = [&]() -> TlsParams& {
      if (!http.tls) http.tls.emplace();
      return *http.tls;
    };
    if (opt == "--timeout" && num()) {
      timeout_ms = *num();
    } else if (opt == "--method") {
      http.method = v;
    } else if (opt == "--path") {
      http.path = v;
    } else if (opt == "--host") {
      http.host = v;
    } else if (opt == "--status") {
      if (!parse_status(v, http.expect_status)) return usage("bad --status " + v);
    } else if (opt == "--body") {
      http.expect_body = v;
    } else if (opt == "--regex") {
      http.expect_regex = v;
    } else if (opt == "--sni") {
      tls().sni = v;
    } else if (opt == "--ca") {
      tls().ca_file = v;
    } else if (opt == "--expiry-warn" && num()) {
      tls().expiry_warning_days = static_cast<int>(*num());
    } else if (opt == "--send") {
      telnet.send = v;
    } else if (opt == "--expect") {
      telnet.expect = v;
    } else if (opt == "--name") {
      dns.name = v;
    } else if (opt == "--type") {
      dns.type = v;
    } else if (opt == "--rcode" && num()) {
      dns.expect_rcode = static_cast<int>(*num());
    } else if (opt == "--value") {
      dns.expect_value = v;
    } else if (opt == "--socket") {
      ping.socket = v == "raw"     ? PingParams::Socket::kRaw
                    : v == "dgram" ? PingParams::Socket::kDatagram
                                   : PingParams::Socket::kAuto;
    } else if (opt == "--program") {
      exec.program = v;
    } else if (opt == "--arg") {
      exec.args.push_back(v);
    } else if (opt == "--grace" && num()) {
      exec.kill_grace = std::chrono::milliseconds(*num());
    } else {
      return usage("bad option " + std::string(opt) + " " + v);
    }
  }

  MonitorParams params;
  if (type == "tcp") {
    params = TcpParams{};
  } else if (type == "http" || type == "https") {
    if (type == "https" && !http.tls) http.tls.emplace();
    if (type == "http") http.tls.reset();
    params = http;
  } else if (type == "telnet") {
    params = telnet;
  } else if (type == "dns") {
    params = dns;
  } else if (type == "ping") {
    params = ping;
  } else if (type == "exec") {
    params = exec;
  } else {
    return usage("unknown type " + type);
  }

  boost::asio::io_context io;
  auto monitor = make_monitor(io, params);
  std::optional<CheckResult> result;
  monitor->start(*target, std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms),
                 [&](CheckResult r) { result = std::move(r); });
  io.run();
  if (!result) {
    std::cout << "no result\n";
    return 1;
  }
  std::cout << result->summary << "\nlatency_ms="
            << std::chrono::duration_cast<std::chrono::milliseconds>(result->latency).count()
            << "\n";
  return result->ok ? 0 : 1;
}
