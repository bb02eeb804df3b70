#pragma once
// The monitor interface: one check run at a time per Monitor, on the
// caller's io_context, never blocking and never throwing into it. Every run
// that is not cancelled ends in exactly one callback, posted (never called
// from inside start), with a timeout when the deadline passes first.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/net/address.h"
#include "healthd/core/result.h"
#include "healthd/monitors/http_parser.h"

namespace tandem::health {

using MonoTime = std::chrono::steady_clock::time_point;
using Callback = std::function<void(CheckResult)>;

class Monitor {
 public:
  virtual ~Monitor() = default;
  // Starts one check of `target`. A run still going is cancelled first.
  virtual void start(const net::Endpoint& target, MonoTime deadline, Callback done) = 0;
  // Ends the running check now, and its callback will not be called: after a
  // reload or at shutdown a stale result must not reach the new state. The
  // destructor cancels too.
  virtual void cancel() = 0;
};

// A check may probe another address or port than the real server it
// judges, e.g. a DR real server's own address instead of the VIP.
struct TargetOverride {
  std::optional<net::Ipv4> address;
  std::optional<std::uint16_t> port;
};

inline net::Endpoint check_target(const net::Endpoint& real, const TargetOverride& o) {
  return net::Endpoint{o.address.value_or(real.address), o.port.value_or(real.port)};
}

struct TcpParams {};

struct StatusRange {
  int low = 200;
  int high = 299;
};

struct TlsParams {
  std::string sni;              // empty: no SNI (an IP address is not sent)
  bool verify = false;          // verify the chain and the name (sni, else Host)
  std::string ca_file;          // empty with verify: the system's store
  int expiry_warning_days = 0;  // > 0: say so in the summary this close to notAfter
};

struct HttpParams {
  std::string method = "GET";  // GET or HEAD
  std::string path = "/";
  std::string host;  // Host header; empty: the target's address
  std::vector<StatusRange> expect_status = {{200, 299}};
  std::string expect_body;   // substring of the (bounded) body
  std::string expect_regex;  // POSIX extended, searched in the (bounded) body
  HttpLimits limits;
  std::optional<TlsParams> tls;  // set: https
};

struct TelnetParams {
  std::string send;              // written right after connecting, if any
  std::string expect = "login";  // in the text left after option negotiation
  std::size_t max_bytes = 8192;
};

struct DnsParams {
  std::string name;
  std::string type = "A";
  int expect_rcode = 0;        // NOERROR
  std::string expect_value;    // empty: any answer (or none) will do
  bool require_answer = false;  // an empty answer section fails
  bool tcp = false;             // ask over TCP (length-prefixed) instead of UDP
};

struct PingParams {
  enum class Socket { kAuto, kDatagram, kRaw };
  Socket socket = Socket::kAuto;  // auto: unprivileged ICMP socket, else raw
  std::size_t payload = 56;
};

struct ExecParams {
  std::string program;
  // "{host}" and "{port}" are replaced. The child also finds them in
  // TANDEM_CHECK_HOST and TANDEM_CHECK_PORT.
  std::vector<std::string> args;
  // mon's convention: the host is the last argument, after args.
  bool append_host = true;
  std::chrono::milliseconds kill_grace{1000};  // SIGTERM, then this, then SIGKILL
  std::size_t max_output = 4096;
};

using MonitorParams =
    std::variant<TcpParams, HttpParams, TelnetParams, DnsParams, PingParams, ExecParams>;

std::unique_ptr<Monitor> make_monitor(boost::asio::io_context& io, const MonitorParams& params);

}  // namespace tandem::health
