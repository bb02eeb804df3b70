#pragma once
// ipvsadm's command line, as tandemctl and `restore` understand it. Pure:
// words in, an Invocation (or the reason it is wrong) out, and the control
// request that carries it to tandem-director. `tandemctl ipvsadm -A ...`,
// `tandemctl -A ...` and every line of `ipvsadm -S` output (for -R) go
// through the same parser, so what -S prints, -R reads back.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/ipc/message.h"
#include "common/net/address.h"

namespace tandem::director::control {

enum class Verb {
  list,
  add_service,
  edit_service,
  delete_service,
  add_server,
  edit_server,
  delete_server,
  zero,
  clear,
  save,
  restore,
};

struct ListOptions {
  bool connections = false;  // -c
  bool stats = false;
  bool rate = false;
  bool exact = false;
  bool thresholds = false;
  bool persistent_conn = false;
  bool nosort = false;
};

struct Invocation {
  Verb verb = Verb::list;
  // -t / -u; absent for -L, -Z, -C, -S, -R over everything.
  std::optional<std::string> protocol;  // "tcp" | "udp"
  net::Endpoint service;
  // Service options, only those given.
  std::optional<std::string> scheduler;
  std::optional<std::uint32_t> persistent;  // seconds; 0 = turn off (edit)
  std::optional<net::Ipv4> netmask;
  bool one_packet = false;
  std::optional<std::vector<std::string>> sched_flags;
  // Real-server options, only those given.
  std::optional<net::Ipv4> real;
  std::optional<std::uint16_t> real_port;  // absent: the service's port
  std::optional<std::string> method;       // "dr" | "nat" | "tun"
  std::optional<std::uint32_t> weight;
  std::optional<std::uint32_t> upper_threshold;
  std::optional<std::uint32_t> lower_threshold;
  ListOptions list;
};

inline constexpr std::uint32_t kDefaultPersistence = 360;
inline constexpr std::uint32_t kMaxPersistence = 2678400;

// The words after `ipvsadm` (or `tandemctl`). Bundled short flags work as
// in ipvsadm (-Ln, -lcn, -t1.2.3.4:80). -n is accepted and ignored:
// listings are always numeric.
std::variant<Invocation, std::string> parse_ipvsadm(const std::vector<std::string>& words);

// The control request for a mutating verb (not list/save/restore), e.g.
// {"service.add", {"service":{...},"scheduler":"rr"}}.
struct Request {
  std::string cmd;
  ipc::Json args;
};
Request to_request(const Invocation& inv);

// {"protocol":"tcp","address":"198.18.0.100","port":80}
ipc::Json service_json(const std::string& protocol, const net::Endpoint& ep);

// -R input: one ipvsadm command per line (-A -E -D -a -e -d -Z -C); blank
// lines and lines starting with '#' are skipped. The whole text is checked
// before anything is applied; an error names the line ("line 3: ...").
std::variant<std::vector<Request>, std::string> parse_restore(std::string_view text);

// Whitespace-separated words (ipvsadm -R does no quoting either).
std::vector<std::string> split_words(std::string_view line);

}  // namespace tandem::director::control
