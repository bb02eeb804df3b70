#pragma once
// The director's control operations as values: parsed from control requests
// (or health actions) on the control thread, applied to each shard on that
// shard's thread, and snapshots taken the same way and merged afterwards.
// Pure: no sockets, no threads, no clock ("now" comes in).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/ipc/message.h"
#include "director/core/director.h"

namespace tandem::director::control {

// A service's identity, as every shard knows it.
struct ServiceKey {
  Protocol protocol = Protocol::tcp;
  net::Ipv4 vip;
  std::uint16_t port = 0;
  std::vector<PortRange> group;  // non-empty for a port group (port 0)
};

struct Op {
  enum class Kind {
    add_service,
    edit_service,
    delete_service,
    add_server,
    edit_server,
    delete_server,
    zero,  // has_service: that service; else all
    clear,
    // From healthd: set the weight of a server that must exist.
    set_weight,
    // From healthd ("restore"): add the server if absent, else set its weight.
    ensure_server,
    // From healthd: delete the server; already gone is not an error.
    remove_server,
  };
  Kind kind = Kind::clear;
  bool has_service = false;
  ServiceKey service;
  // Service fields, only those given (add fills the rest with defaults).
  std::optional<SchedulerKind> scheduler;
  std::optional<SchedulerFlags> flags;
  std::optional<Duration> persistence;  // zero = not persistent
  std::optional<std::uint32_t> netmask;
  std::optional<bool> one_packet;
  // Real-server fields, only those given.
  net::Ipv4 server;
  std::optional<std::uint16_t> port;  // absent: the service's port
  std::optional<Forwarding> method;
  std::optional<std::uint32_t> weight;
  std::optional<std::uint32_t> upper_threshold;
  std::optional<std::uint32_t> lower_threshold;
};

// A mutating control request (service.add|edit|delete, server.add|edit|
// delete, zero, clear) as operations; the reason when it is malformed.
std::variant<std::vector<Op>, std::string> ops_from_request(const std::string& cmd,
                                                            const ipc::Json& args);

// Applies one operation to one shard. "" on success, else ipvsadm's message
// ("Service already exists", "No such service", "No such destination", ...).
std::string apply_op(Director& shard, const Op& op);

// Outcome of a list of operations on one shard: the first failure stops it.
struct Outcome {
  std::size_t applied = 0;
  std::string error;  // "" when all were applied
};
Outcome apply_ops(Director& shard, const std::vector<Op>& ops);

// The service that has exactly this identity (groups compared range by
// range), or kNone.
ServiceId find_exact(const Director& shard, const ServiceKey& key);

// ----------------------------------------------------------- snapshots

struct ServerSnap {
  RealServerConfig config;
  std::int64_t active = 0, inactive = 0, persistent = 0;
  Counters counters;
  Rates rates;
};
struct ServiceSnap {
  ServiceConfig config;
  std::vector<ServerSnap> servers;  // scheduling order
  Counters counters;
  Rates rates;
};
struct ShardSnap {
  std::vector<ServiceSnap> services;
  TableStats table;
};
ShardSnap snapshot(const Director& shard);

// The weight a real server has in the configuration file, if it is there
// (healthd restores it; ipvsadm-added servers have none).
using ConfigWeight =
    std::function<std::optional<std::uint32_t>(const ServiceConfig&, const RealServerConfig&)>;

// The `services` answer: every service of shard 0 with counters, rates and
// connection counts summed over all shards, sorted by protocol, address,
// port.
ipc::Json services_json(const std::vector<ShardSnap>& shards, const ConfigWeight& config_weight);

struct ConnSnap {
  Protocol protocol = Protocol::tcp;
  bool is_template = false;
  net::Ipv4 caddr, vaddr, daddr;
  std::uint16_t cport = 0, vport = 0, dport = 0;
  TcpState state = TcpState::none;
  Forwarding method = Forwarding::dr;
  std::int64_t expires_s = 0;  // whole seconds left
};
// At most `limit` entries of one shard.
std::vector<ConnSnap> connections(const Director& shard, TimePoint now, std::size_t limit);
// {"connections":[{protocol,client,virtual,real,state,expires,template,method}],
//  "total":N,"truncated":bool}
ipc::Json connections_json(const std::vector<std::vector<ConnSnap>>& shards, std::size_t total,
                           std::size_t limit);

// Names as the control protocol spells them.
const char* protocol_name(Protocol p);
const char* method_name(Forwarding f);
std::optional<SchedulerKind> scheduler_of(const std::string& name);

}  // namespace tandem::director::control
