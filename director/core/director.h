#pragma once
// The director's decision core for one packet worker: virtual services, real
// servers, schedulers, one connection-table shard, persistence templates and
// the IPVS knobs. The packet path calls on_packet(); the control path calls
// the add/edit/delete methods; a timer calls tick(). No I/O, no clock, no
// threads: each worker owns one Director and "now" is always passed in.
//
// Sharding: the adapter runs one Director per worker and applies every
// control operation to all of them. Packets must be steered by
// shard_of(client address & widest persistence mask), so that a client's
// connections, its NAT replies (whose destination is the client) and its
// persistence templates all meet in one shard. Scheduler state (rr/wrr
// position, lblc tables) and ActiveConn/InActConn are per shard: lc/wlc
// balance each shard's own load, thresholds apply per shard, and listings
// sum the shards. This costs nothing per packet and needs no shared
// memory; the price is that balancing is exact only within a shard.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/net/address.h"
#include "common/util/clock.h"
#include "director/core/conn_table.h"
#include "director/core/model.h"
#include "director/core/scheduler.h"
#include "director/core/stats.h"
#include "director/core/sync_log.h"
#include "director/core/tcp_state.h"

namespace tandem::director {

enum class Direction : std::uint8_t {
  in,   // client -> virtual service
  out,  // real server -> client (NAT replies)
};

struct PacketMeta {
  Protocol protocol = Protocol::tcp;
  Direction direction = Direction::in;
  net::Ipv4 src;
  std::uint16_t sport = 0;
  net::Ipv4 dst;
  std::uint16_t dport = 0;
  std::uint8_t tcp_flags = 0;  // tcp_flag::*
  std::uint32_t length = 0;    // IP datagram bytes, for the byte counters
};

enum class Verdict : std::uint8_t {
  forward,
  drop,
  pass,  // not for a virtual service: leave it to the host
};

enum class DropReason : std::uint8_t {
  none,
  no_service,     // (pass) no virtual service matches
  no_connection,  // (pass) reply that matches no NAT connection
  no_server,      // no eligible real server
  table_full,     // connection table at its limit
  not_syn,        // TCP packet that may not create a connection
  server_gone,    // connection's server removed, expire_nodest_conn = 0
};

struct Decision {
  Verdict verdict = Verdict::pass;
  DropReason reason = DropReason::none;
  Forwarding method = Forwarding::dr;
  DestId server = kNone;
  // Inbound: where to send it. Outbound: unused.
  net::Ipv4 real_addr;
  std::uint16_t real_port = 0;
  // Outbound (NAT replies): the source to restore.
  net::Ipv4 vip;
  std::uint16_t vport = 0;
  EntryId entry = kNone;  // kNone for one-packet scheduling
};

struct Knobs {
  bool expire_nodest_conn = false;
  bool expire_quiescent_template = false;
  // Bit 1: a SYN hitting TIME_WAIT/CLOSE reschedules. Bit 2: also FIN_WAIT
  // of DR/TUN connections. 0: never.
  int conn_reuse_mode = 1;
  bool sloppy_tcp = false;  // any TCP packet may create a connection
};

struct DirectorConfig {
  ConnTableConfig table;
  Timeouts timeouts;
  Knobs knobs;
  LocalityConfig locality;
};

struct Service {
  ServiceConfig config;
  ServiceId id = kNone;
  std::vector<RealServer*> servers;  // scheduling order = insertion order
  std::vector<RealServer*> trash;    // removed but still referenced
  std::unique_ptr<Scheduler> scheduler;
  Stats stats;
};

enum class ControlError : std::uint8_t {
  ok,
  exists,          // "Service already exists" / "Destination already exists"
  no_service,      // "No such service"
  no_destination,  // "No such destination"
  invalid,         // rejected configuration (see the check in each method)
};

struct ControlResult {
  ControlError error = ControlError::ok;
  std::uint32_t id = kNone;
};

struct DirectorCounters {
  std::uint64_t no_service = 0;
  std::uint64_t no_connection = 0;
  std::uint64_t no_server = 0;
  std::uint64_t table_full = 0;
  std::uint64_t not_syn = 0;
  std::uint64_t server_gone = 0;
  std::uint64_t rescheduled = 0;  // conn_reuse / expire_nodest_conn
  std::uint64_t expired = 0;
  std::uint64_t icmp_related = 0;    // ICMP errors matched to a connection
  std::uint64_t icmp_unrelated = 0;  // ICMP errors that matched none
};

struct TableStats {
  std::size_t connections = 0;
  std::size_t templates = 0;
  std::size_t max_entries = 0;
  ConnTableMemory memory;
};

std::uint32_t shard_of(net::Ipv4 client, std::uint32_t mask, std::uint32_t shards);

class Director {
 public:
  explicit Director(const DirectorConfig& cfg = {});
  ~Director();
  Director(const Director&) = delete;
  Director& operator=(const Director&) = delete;

  Decision on_packet(const PacketMeta& meta, TimePoint now);
  // An ICMP error about a datagram of a connection, as IPVS's
  // ip_vs_in_icmp/ip_vs_out_icmp: `quoted` is the quoted TCP/UDP header as
  // its sender wrote it (src/sport/dst/dport), `direction` where the error
  // travels and `length` the error's own datagram bytes. in: from the
  // client side about our reply (VIP:vport -> client:cport), any method;
  // out: from a real server about a request it received (client:cport ->
  // RIP:rport), NAT only. Finds the connection by the reversed tuple and
  // counts the packet on its server; never creates an entry, never changes
  // a state or a timer (tcp_flags is ignored). pass with no_connection when
  // none matches.
  Decision on_icmp_error(const PacketMeta& quoted, TimePoint now);
  // Expiry, rate estimation (every 2 s) and scheduler housekeeping.
  void tick(TimePoint now);

  ControlResult add_service(const ServiceConfig& cfg);
  // Changes scheduler, flags, persistence and one_packet; the identity
  // (protocol, VIP, port, group) must stay the same.
  ControlError edit_service(ServiceId id, const ServiceConfig& cfg);
  ControlError delete_service(ServiceId id);
  ServiceId find_service(Protocol p, net::Ipv4 vip, std::uint16_t port) const;

  ControlResult add_server(ServiceId svc, const RealServerConfig& cfg);
  ControlError edit_server(DestId id, const RealServerConfig& cfg);
  ControlError set_weight(DestId id, std::uint32_t weight);
  ControlError delete_server(DestId id);
  DestId find_server(ServiceId svc, net::Ipv4 addr, std::uint16_t port) const;

  const Service* service(ServiceId id) const;
  const RealServer* server(DestId id) const;
  std::vector<ServiceId> services() const;
  // Bumped by every service/server add, edit and delete (never by
  // traffic), so an adapter can tell cheaply whether what it derived from
  // the services (VIP filters, next hops) is stale.
  std::uint64_t generation() const { return generation_; }

  void zero_stats();
  void zero_stats(ServiceId id);

  Knobs& knobs() { return cfg_.knobs; }
  Timeouts& timeouts() { return cfg_.timeouts; }
  const ConnTable& table() const { return table_; }
  TableStats table_stats() const;
  const DirectorCounters& counters() const { return counters_; }

  // Recounts every server's ActiveConn/InActConn/templates and references
  // from the table and checks them against the counters; O(entries), for
  // tests and fuzzing. Empty string when consistent.
  std::string audit() const;

  // ---- connection sync (tandem-syncd) ----
  // With sync on, new entries, TCP state changes and refreshes are logged
  // for the control thread to drain; off, the log costs one branch.
  void set_sync_log(const SyncLogConfig& cfg);
  // Moves the logged events to out (appending); returns how many were
  // dropped since the last drain because the log was full.
  std::size_t take_sync_events(std::vector<SyncConn>& out);
  // Every live entry, for a full dump to syncd.
  void sync_snapshot(std::vector<SyncConn>& out, TimePoint now) const;
  // Installs or updates an entry received from the peer director without
  // scheduling and without logging it back. The caller picks the shard.
  SyncInstall install_synced(const SyncConn& c, TimePoint now);
  std::uint64_t sync_dropped() const { return sync_dropped_total_; }

 private:
  Decision handle_in(const PacketMeta& m, TimePoint now);
  Decision handle_out(const PacketMeta& m, TimePoint now);
  Decision schedule_new(const PacketMeta& m, TimePoint now);
  RealServer* schedule_persistent(Service& svc, const PacketMeta& m, TimePoint now, EntryId& tmpl,
                                  bool& full);
  bool template_valid(const ConnEntry& t) const;
  void discard_template(EntryId id);
  void transition(EntryId id, Direction dir, std::uint8_t flags, TimePoint now);
  void count_packet(RealServer* d, Direction dir, std::uint32_t len);
  void note_sync(EntryId id, TimePoint now);
  void maybe_refresh_sync(EntryId id, TimePoint now);
  // Handles an entry whose time is up; true if it was freed.
  bool expire(EntryId id, TimePoint now);
  bool lookup_expired(EntryId id, TimePoint now);
  void release_conn(EntryId id);
  void release_template(EntryId id);
  void bind(RealServer* d);
  void unbind(RealServer* d);
  void put_dest(RealServer* d);
  void detach_server(Service& svc, RealServer* d);
  Service* lookup_service(Protocol p, net::Ipv4 vip, std::uint16_t port);
  RealServer* dest(DestId id) { return id < dests_.size() ? dests_[id].get() : nullptr; }
  Service* svc_ptr(ServiceId id) { return id < services_.size() ? services_[id].get() : nullptr; }
  static std::uint64_t service_key(Protocol p, net::Ipv4 vip, std::uint16_t port);

  DirectorConfig cfg_;
  ConnTable table_;
  std::vector<std::unique_ptr<Service>> services_;
  std::vector<std::unique_ptr<RealServer>> dests_;
  std::vector<DestId> free_dests_;
  std::unordered_map<std::uint64_t, ServiceId> by_port_;              // (proto, vip, port)
  std::unordered_map<std::uint64_t, std::vector<ServiceId>> groups_;  // (proto, vip, 0)
  std::size_t templates_ = 0;
  DirectorCounters counters_;
  TimePoint last_housekeeping_{};
  bool housekeeping_started_ = false;
  SyncLogConfig sync_cfg_;
  std::vector<SyncConn> sync_log_;
  std::size_t sync_dropped_ = 0;
  std::uint64_t sync_dropped_total_ = 0;
  std::uint64_t generation_ = 0;
};

}  // namespace tandem::director
