#pragma once
// vrrpd's engine: the adapter between the pure core (vrrpd/core) and the
// world. It owns one Instance per configured VRRP instance and one SyncGroup
// per group, drives them from Asio timers with the time passed in, feeds
// them the adverts the receive sockets read, and carries out what they
// return through Host (vmac, addresses, adverts, gratuitous ARP, scripts).
// Tracking (links, local daemons over IPC, healthd quorum) becomes
// track_changed events. Role changes are published as `vrrp.state`.
//
// Nothing here throws into the event loop: OS failures are counted per
// instance and logged, and the instance keeps running.

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.h"
#include "common/ipc/client.h"
#include "common/ipc/message.h"
#include "common/util/clock.h"
#include "vrrpd/core/hmac_auth.h"
#include "vrrpd/core/instance.h"
#include "vrrpd/core/receive.h"
#include "vrrpd/core/sync_group.h"
#include "vrrpd/daemon/host.h"

namespace tandem::vrrp {

class Engine {
 public:
  using Publish = std::function<void(std::string_view topic, const ipc::Json& data)>;

  // `open_sockets` false: no receive sockets (tests deliver packets with
  // receive()). `run_dir` locates the tracked daemons' control sockets.
  Engine(boost::asio::io_context& io, Host& host, const Clock& clock, Publish publish,
         std::string run_dir, bool open_sockets = true);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Initial and every reloaded config. Instances whose settings did not
  // change keep running untouched; others restart (a changed master resigns
  // with priority 0 first).
  void apply(const config::Config& cfg, const config::Node* node);
  // Resign every instance (priority 0 from masters), release the addresses,
  // remove the vmacs. The engine is inert afterwards.
  void stop();

  // One IPv4 packet (header included) read on `device`.
  void receive(const std::string& device, std::span<const std::uint8_t> packet);
  // Re-reads link state of every tracked interface (also run by a timer).
  void poll_links();
  // Daemon liveness and service quorum, as the IPC trackers see them.
  void set_daemon_alive(const std::string& daemon, bool alive);
  void set_service_quorum(const std::string& service, bool has_quorum);

  ipc::Json status() const;
  ipc::Json instances() const;  // the `vrrp` command's answer

  struct Runtime;
  struct Socket;
  struct Listener;

 private:
  void build(const config::Config& cfg, const config::Node* node,
             std::vector<std::unique_ptr<Runtime>>& keep);
  void rebuild_groups(const config::Config& cfg);
  void rebuild_sockets();
  void start_trackers(const config::Config& cfg);
  void handle(Runtime& rt, const Output& out, bool follow_group);
  void follow_group(Runtime& rt, const Output& out);
  void perform(Runtime& rt, const Action& a);
  void arm(Runtime& rt, const Output& out);
  void send_advert(Runtime& rt, std::uint8_t priority);
  void start_garp(Runtime& rt);
  void garp_tick(Runtime& rt);
  void take(Runtime& rt);
  void release(Runtime& rt);
  void role_changed(Runtime& rt, State from, State to);
  void set_track(Runtime& rt, std::size_t track, bool up, const std::string& why);
  void shutdown_one(Runtime& rt);
  ipc::Json describe(const Runtime& rt) const;
  void open_listeners();
  void read_socket(Listener& l);
  void arm_poll();
  TimePoint now() const { return clock_.now(); }

  boost::asio::io_context& io_;
  Host& host_;
  const Clock& clock_;
  Publish publish_;
  std::string run_dir_;
  bool open_sockets_;
  bool stopped_ = false;
  std::vector<std::unique_ptr<Runtime>> rts_;
  std::vector<std::unique_ptr<SyncGroup>> groups_;
  std::vector<std::string> group_names_;
  std::map<std::string, std::unique_ptr<Socket>> sockets_;  // receive checks, by lower device
  // Raw sockets by the device they are bound to: each lower device and each
  // vmac. A peer's advert sent from the same virtual MAC as our own vmac is
  // handed by the macvlan driver to our vmac, not to the lower device, so
  // while we are master (vmac up) it only arrives there.
  std::map<std::string, std::unique_ptr<Listener>> listeners_;
  std::map<std::string, std::unique_ptr<ipc::ControlClient>> daemon_clients_;
  std::unique_ptr<ipc::ControlClient> quorum_client_;
  std::map<std::string, bool> daemon_alive_;
  std::map<std::string, bool> service_quorum_;
  boost::asio::steady_timer poll_timer_;
  std::array<std::uint64_t, static_cast<std::size_t>(RxError::kCount_)> unmatched_errors_{};
  std::uint64_t rx_packets_ = 0;
  std::uint64_t rx_malformed_ip_ = 0;
};

// keepalived's vmac name, vrrp.<vrid>.
std::string vmac_name(int vrid);

}  // namespace tandem::vrrp
