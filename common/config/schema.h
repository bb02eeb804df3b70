#pragma once
// The typed configuration of the whole suite: plain structs whose member
// initialisers are the documented defaults (docs/configuration.md). Source
// positions are deliberately not stored here, so that `==` on a section
// means "same behaviour" and survives lines moving in the file on reload.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/net/address.h"
#include "common/util/clock.h"

namespace tandem::config {

using namespace std::chrono_literals;

enum class LogLevel { debug, info, notice, warning, error };
enum class Protocol { tcp, udp };
enum class Scheduler { rr, wrr, lc, wlc, sed, nq, dh, sh, mh, lblc, lblcr, fo, ovf, twos };
enum class SchedulerFlag { sh_fallback, sh_port, mh_fallback, mh_port };
enum class Forwarding { dr, nat, tun };
enum class OnFailure { remove, quiesce };
enum class InterfaceRole { outside, inside };
enum class MonitorType { http, https, telnet, dns, tcp, ping, exec };
enum class HttpMethod { get, head };
enum class DnsType { a, aaaa, cname, mx, ns, ptr, soa, srv, txt };
enum class DnsRcode { noerror, formerr, servfail, nxdomain, notimp, refused };
enum class DnsTransport { udp, tcp };
enum class VrrpAuthType { none, hmac_sha256 };
enum class TrackDaemon { director, healthd, syncd };
enum class SyncTransport { multicast, unicast };
enum class SenderType { mail, page, exec };
enum class Severity { info, warning, critical };
enum class EventKind {
  server_down,
  server_up,
  quorum_lost,
  quorum_restored,
  vrrp_master,
  vrrp_backup,
  vrrp_fault,
  sync_peer_lost,
  sync_peer_restored,
  cert_expiry,
  daemon_down,
  daemon_up,
};
enum class Weekday { mon, tue, wed, thu, fri, sat, sun };

// ---- nodes, global, interfaces, control ------------------------------------

struct Node {
  std::string name;
  net::Ipv4 address;                           // inside / sync address of this director
  int priority = 100;                          // default VRRP priority of this node's instances
  std::map<std::string, std::string> devices;  // interface name -> device override
  bool operator==(const Node&) const = default;
};

struct TcpTimeouts {
  Duration none = 2s;
  Duration established = 900s;
  Duration syn_sent = 120s;
  Duration syn_recv = 60s;
  Duration fin_wait = 120s;
  Duration time_wait = 120s;
  Duration close = 10s;
  Duration close_wait = 60s;
  Duration last_ack = 30s;
  Duration listen = 120s;
  Duration synack = 120s;
  bool operator==(const TcpTimeouts&) const = default;
};

struct Global {
  LogLevel log_level = LogLevel::info;
  std::string run_dir = "/run/tandem";
  std::uint32_t max_connections = 1048576;
  TcpTimeouts tcp_timeouts;
  Duration udp_timeout = 300s;
  bool expire_nodest_conn = false;
  bool expire_quiescent_template = false;
  int conn_reuse_mode = 1;
  bool sloppy_tcp = false;
  std::uint32_t workers = 0;    // director packet workers; 0 = "auto" (one per usable CPU)
  bool manage_offloads = true;  // director turns GRO/LRO off on its links
  bool operator==(const Global&) const = default;
};

struct Interface {
  std::string name;
  std::string device;
  InterfaceRole role = InterfaceRole::outside;
  bool operator==(const Interface&) const = default;
};

struct Control {
  std::string socket_group = "tandem";
  std::uint32_t socket_mode = 0660;
  std::uint32_t max_message_size = 1048576;
  bool operator==(const Control&) const = default;
};

// ---- monitors --------------------------------------------------------------

struct StatusRange {
  int first = 200;
  int last = 299;
  bool operator==(const StatusRange&) const = default;
};

// http and https; the TLS fields are only read for https.
struct HttpCheck {
  HttpMethod method = HttpMethod::get;
  std::string path = "/";
  std::string host;  // Host header; empty = the target address
  std::vector<StatusRange> expect_status{StatusRange{200, 299}};
  std::string expect_body;        // substring; empty = not checked
  std::string expect_body_regex;  // POSIX extended (as healthd matches); empty = not checked
  std::string sni;                // empty = host, else none
  bool verify_certificate = true;
  std::string ca_file;                      // empty = system store
  Duration cert_expiry_warning = 1209600s;  // 14 days; 0 = off
  bool operator==(const HttpCheck&) const = default;
};

struct TelnetCheck {
  std::string send;    // sent after connecting; empty = nothing
  std::string expect;  // substring of what the server sends; empty = connect only
  bool operator==(const TelnetCheck&) const = default;
};

struct DnsCheck {
  std::string query;
  DnsType query_type = DnsType::a;
  DnsRcode expect_rcode = DnsRcode::noerror;
  bool require_answer = false;
  std::string expect_answer;  // an answer must equal this (implies require_answer)
  DnsTransport transport = DnsTransport::udp;
  bool operator==(const DnsCheck&) const = default;
};

struct ExecCheck {
  std::string path;
  std::vector<std::string> args;
  bool mon_compatible = false;  // hosts appended as arguments, mon exit-code rules
  bool operator==(const ExecCheck&) const = default;
};

struct Monitor {
  std::string name;           // template name, or the inline monitor's name
  std::string template_name;  // template it was made from; empty = inline
  MonitorType type = MonitorType::tcp;
  Duration interval = 10s;
  Duration timeout = 5s;
  int rise = 1;  // consecutive successes before up
  int fall = 1;  // consecutive failures before down
  Duration retry_delay = 1s;
  Duration start_jitter = 1s;
  std::optional<net::Ipv4> address;  // target override; unset = real server address
  std::uint16_t port = 0;            // target override; 0 = real server port
  HttpCheck http;
  TelnetCheck telnet;
  DnsCheck dns;
  ExecCheck exec;
  bool operator==(const Monitor&) const = default;
};

// ---- services --------------------------------------------------------------

struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  bool operator==(const PortRange&) const = default;
};

struct SchedulerFlags {
  bool sh_fallback = false;
  bool sh_port = false;
  bool mh_fallback = false;
  bool mh_port = false;
  bool operator==(const SchedulerFlags&) const = default;
};

struct Persistence {
  bool enabled = false;
  Duration timeout = 360s;
  int netmask = 32;  // prefix length of the client address that is remembered
  bool operator==(const Persistence&) const = default;
};

struct Quorum {
  int min_up = 1;
  int hysteresis = 0;
  bool operator==(const Quorum&) const = default;
};

struct Fallback {
  net::Ipv4 address;
  std::uint16_t port = 0;  // resolved: the service port when omitted
  Forwarding forwarding = Forwarding::dr;
  bool operator==(const Fallback&) const = default;
};

struct RealServer {
  std::string name;
  net::Ipv4 address;
  std::uint16_t port = 0;  // resolved; 0 = keep the connection's own port (multi-port)
  std::uint32_t weight = 1;
  Forwarding forwarding = Forwarding::dr;  // resolved from the service when omitted
  std::uint32_t upper_threshold = 0;       // 0 = none
  std::uint32_t lower_threshold = 0;       // 0 = 3/4 of upper
  bool maintenance = false;
  std::vector<Monitor> monitors;  // resolved: templates applied, overrides merged
  bool operator==(const RealServer&) const = default;
};

struct Service {
  std::string name;
  Protocol protocol = Protocol::tcp;
  net::Ipv4 address;
  std::vector<PortRange> ports;  // one range of one port for an ordinary service
  Scheduler scheduler = Scheduler::wlc;
  SchedulerFlags scheduler_flags;
  Persistence persistence;
  bool one_packet = false;
  Forwarding forwarding = Forwarding::dr;
  OnFailure on_failure = OnFailure::remove;
  Quorum quorum;
  std::optional<Fallback> fallback;
  bool maintenance = false;
  std::vector<RealServer> real_servers;

  // True for a service on one port (possibly 0); false for a port group.
  bool single_port() const { return ports.size() == 1 && ports[0].first == ports[0].last; }
  // The virtual port of a single-port service; 0 for groups (as IPVS keys them).
  std::uint16_t port() const { return single_port() ? ports[0].first : 0; }
  bool operator==(const Service&) const = default;
};

// ---- vrrp ------------------------------------------------------------------

struct TrackEntry {
  std::string name;
  int weight = 0;  // 0 = the instance goes to FAULT; else added to the priority
  bool operator==(const TrackEntry&) const = default;
};

struct TrackDaemonEntry {
  TrackDaemon daemon = TrackDaemon::director;
  int weight = 0;
  bool operator==(const TrackDaemonEntry&) const = default;
};

struct Track {
  std::vector<TrackEntry> interfaces;
  std::vector<TrackDaemonEntry> daemons;
  std::vector<TrackEntry> services;  // a service is "up" while it has quorum
  bool operator==(const Track&) const = default;
};

struct VrrpAuth {
  VrrpAuthType type = VrrpAuthType::none;
  std::string key;
  std::string key_file;
  bool operator==(const VrrpAuth&) const = default;
};

struct Garp {
  int count = 5;
  Duration interval = 200ms;
  Duration refresh = 0s;  // 0 = no periodic refresh while master
  bool operator==(const Garp&) const = default;
};

struct VrrpInstance {
  std::string name;
  std::string interface;  // a key of `interfaces`
  int vrid = 0;
  int version = 3;
  std::optional<int> priority;  // unset = the node's priority, else 100
  Duration advert_interval = 1s;
  std::vector<net::Ipv4Prefix> virtual_addresses;
  bool preempt = true;
  Duration preempt_delay = 0s;
  bool use_vmac = true;
  std::vector<net::Ipv4> unicast_peers;  // empty = multicast 224.0.0.18
  VrrpAuth authentication;
  Track track;
  Garp garp;
  std::string notify;  // script run on every state change; empty = none
  bool operator==(const VrrpInstance&) const = default;
};

struct SyncGroup {
  std::string name;
  std::vector<std::string> instances;
  bool operator==(const SyncGroup&) const = default;
};

struct Vrrp {
  std::vector<VrrpInstance> instances;
  std::vector<SyncGroup> sync_groups;
  bool operator==(const Vrrp&) const = default;
};

// ---- sync ------------------------------------------------------------------

struct SyncKey {
  int id = 0;
  std::string key;
  std::string key_file;
  bool operator==(const SyncKey&) const = default;
};

struct SyncAuth {
  std::vector<SyncKey> keys;  // empty = unauthenticated
  int active_key = 0;
  bool operator==(const SyncAuth&) const = default;
};

struct Resync {
  bool enabled = true;
  Duration timeout = 30s;
  std::uint32_t max_rate = 0;  // records per second; 0 = unlimited
  bool operator==(const Resync&) const = default;
};

struct Sync {
  bool enabled = false;
  std::string interface;  // a key of `interfaces`
  SyncTransport transport = SyncTransport::multicast;
  net::Ipv4 group{0xE0000051};  // 224.0.0.81
  std::uint16_t port = 8848;
  int ttl = 1;
  std::optional<net::Ipv4> peer;  // unicast; unset = the other node's address
  int syncid = 0;
  SyncAuth authentication;
  Resync resync;
  Duration flush_interval = 20ms;  // keeps the lag p99 of a lone update under 50 ms
  Duration refresh_interval = 120s;
  bool operator==(const Sync&) const = default;
};

// ---- alerts ----------------------------------------------------------------

struct MailSender {
  std::string server;
  std::uint16_t port = 25;
  bool starttls = true;
  std::string user;
  std::string password_file;
  std::string ca_file;  // PEM CAs for the server certificate; empty = system store
  std::string from;
  std::vector<std::string> to;
  Duration timeout = 30s;
  bool operator==(const MailSender&) const = default;
};

struct PageSender {
  std::string url;
  std::map<std::string, std::string> headers;
  Duration timeout = 10s;
  bool operator==(const PageSender&) const = default;
};

struct ExecSender {
  std::string path;
  std::vector<std::string> args;
  bool mon_compatible = false;  // mon's -s -g -h -t [-u] before args
  Duration timeout = 30s;
  bool operator==(const ExecSender&) const = default;
};

struct Sender {
  std::string name;
  SenderType type = SenderType::mail;
  MailSender mail;
  PageSender page;
  ExecSender exec;
  bool operator==(const Sender&) const = default;
};

// mon's alertafter: N consecutive failures (period 0), failing for T
// (count 0), or N failures within T (both set).
struct AlertAfter {
  int count = 1;
  Duration period = 0s;
  bool operator==(const AlertAfter&) const = default;
};

struct QuietPeriod {
  std::vector<Weekday> days;  // empty = every day
  int start_minute = 0;       // minutes after midnight, local time
  int end_minute = 0;         // may be before start: crosses midnight
  bool operator==(const QuietPeriod&) const = default;
};

struct RouteMatch {  // each empty list matches everything
  std::vector<Severity> severities;
  std::vector<std::string> services;
  std::vector<EventKind> events;
  bool operator==(const RouteMatch&) const = default;
};

struct Route {
  std::string name;
  RouteMatch match;
  std::vector<std::string> senders;
  bool alert = true;
  bool upalert = false;
  AlertAfter alertafter;
  Duration alertevery = 0s;  // 0 = every failing check may alert again
  int numalerts = 0;         // 0 = unlimited
  Duration upalertafter = 0s;
  bool observe_detail = false;
  std::vector<QuietPeriod> quiet;
  bool operator==(const Route&) const = default;
};

struct Alerts {
  std::string spool_dir = "/var/spool/tandem";
  // Both directors check the same servers; only the active one speaks for them.
  bool backup_alerts = false;
  std::vector<Sender> senders;
  std::vector<Route> routes;
  bool operator==(const Alerts&) const = default;
};

// ---- the whole file --------------------------------------------------------

struct Config {
  std::vector<Node> nodes;  // empty = single-node configuration
  Global global;
  std::vector<Interface> interfaces;
  std::vector<Monitor> monitors;  // templates, referenced by name
  std::vector<Service> services;
  Vrrp vrrp;
  Sync sync;
  Alerts alerts;
  Control control;
  bool operator==(const Config&) const = default;
};

}  // namespace tandem::config
