#include "vrrpd/daemon/engine.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "common/log/log.h"
#include "common/net/arp.h"

namespace tandem::vrrp {

namespace asio = boost::asio;
using ipc::Json;

namespace {

constexpr auto kPollPeriod = std::chrono::milliseconds(100);
constexpr std::size_t kIpHeader = 20;

const char* state_name(State s) {
  return s == State::kInitialize ? "init" : to_string(s);
}

// keepalived's notify script argument.
const char* script_state(State s) {
  switch (s) {
    case State::kMaster:
      return "MASTER";
    case State::kBackup:
      return "BACKUP";
    case State::kFault:
      return "FAULT";
    case State::kInitialize:
      return "STOP";
  }
  return "UNKNOWN";
}

const char* daemon_name(config::TrackDaemon d) {
  switch (d) {
    case config::TrackDaemon::director:
      return "director";
    case config::TrackDaemon::healthd:
      return "healthd";
    case config::TrackDaemon::syncd:
      return "syncd";
  }
  return "director";
}

asio::steady_timer::time_point to_asio(TimePoint t) {
  return asio::steady_timer::time_point(
      std::chrono::duration_cast<asio::steady_timer::duration>(t.time_since_epoch()));
}

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
std::uint32_t get32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

std::optional<std::string> read_key(const config::VrrpAuth& auth) {
  if (!auth.key.empty()) return auth.key;
  std::ifstream f(auth.key_file);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  std::string key = ss.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  return key;
}

}  // namespace

std::string vmac_name(int vrid) {
  return "vrrp." + std::to_string(vrid);
}

struct TrackRef {
  enum class Kind { kLink, kDaemon, kService } kind;
  std::string name;  // device, daemon or service
  bool own = false;  // the instance's own interface: needs an IPv4 address too
};

struct Engine::Runtime {
  explicit Runtime(asio::io_context& io) : timer(io), garp_timer(io), refresh_timer(io) {}

  config::VrrpInstance cfg;
  std::string device;
  int priority = 100;
  LinkInfo base;
  bool use_vmac = false;  // a vmac exists for this instance
  std::string vmac;
  net::Mac vmac_mac;
  int vmac_ifindex = 0;
  bool vmac_up = false;
  std::unique_ptr<Instance> inst;
  std::vector<net::Ipv4> addrs;
  std::vector<net::Ipv4> peers;
  AuthKeyRing keys;
  std::unique_ptr<AuthVerifier> verifier;
  std::uint64_t seq = 0;
  std::vector<TrackRef> tracks;
  asio::steady_timer timer, garp_timer, refresh_timer;
  std::uint64_t timer_gen = 0;
  int group = -1;
  std::size_t member = 0;
  State previous = State::kInitialize;
  std::optional<net::Ipv4> master;
  std::optional<net::Ipv4> last_sender;
  std::string reason = "startup";
  int garp_left = 0;
  bool held = false;

  struct Counters {
    std::uint64_t adverts_sent = 0, adverts_received = 0, send_errors = 0, host_errors = 0,
                  garp_sent = 0, became_master = 0, became_backup = 0, became_fault = 0,
                  priority_zero_received = 0, priority_zero_sent = 0;
  } c;
  std::array<std::uint64_t, static_cast<std::size_t>(RxError::kCount_)> rx_errors{};
  std::string last_error;
};

struct Engine::Socket {
  std::vector<Runtime*> rts;
  std::vector<RxInstance> rx;
  bool multicast = false;
};

struct Engine::Listener {
  Listener(asio::io_context& io, std::string dev, std::string tgt, int index)
      : device(std::move(dev)), target(std::move(tgt)), ifindex(index), sd(io) {}
  std::string device;  // bound to
  std::string target;  // the lower device whose instances check what it reads
  int ifindex;
  asio::posix::stream_descriptor sd;
};

Engine::Engine(asio::io_context& io, Host& host, const Clock& clock, Publish publish,
               std::string run_dir, bool open_sockets)
    : io_(io),
      host_(host),
      clock_(clock),
      publish_(std::move(publish)),
      run_dir_(std::move(run_dir)),
      open_sockets_(open_sockets),
      poll_timer_(io) {}

Engine::~Engine() {
  daemon_clients_.clear();
  quorum_client_.reset();
  listeners_.clear();
  sockets_.clear();
}

// ---- configuration ----------------------------------------------------------

void Engine::apply(const config::Config& cfg, const config::Node* node) {
  if (stopped_) return;
  // Keep instances whose effective settings are unchanged, so a reload that
  // touches something else never moves a VIP.
  std::vector<std::unique_ptr<Runtime>> old = std::move(rts_);
  rts_.clear();
  std::vector<std::unique_ptr<Runtime>> keep;
  for (auto& rt : old) {
    bool same = false;
    for (const auto& vi : cfg.vrrp.instances) {
      if (vi == rt->cfg && config::device_of(cfg, node, vi.interface) == rt->device &&
          config::vrrp_priority(vi, node) == rt->priority) {
        same = true;
        break;
      }
    }
    if (same) {
      keep.push_back(std::move(rt));
    } else {
      shutdown_one(*rt);
    }
  }
  old.clear();
  build(cfg, node, keep);
  rebuild_groups(cfg);
  rebuild_sockets();
  start_trackers(cfg);
  // Start every new instance first and let the groups follow afterwards: a
  // member that starts as master must pull members that start after it.
  std::vector<std::pair<Runtime*, Output>> started;
  for (auto& rt : rts_) {
    if (rt->inst->state() == State::kInitialize && rt->reason == "startup") {
      Output out = rt->inst->startup(now());
      handle(*rt, out, false);
      started.emplace_back(rt.get(), std::move(out));
    }
  }
  for (auto& [rt, out] : started) follow_group(*rt, out);
  arm_poll();
}

void Engine::build(const config::Config& cfg, const config::Node* node,
                   std::vector<std::unique_ptr<Runtime>>& keep) {
  std::set<std::string> vmac_names;
  for (const auto& k : keep)
    if (k->use_vmac) vmac_names.insert(k->vmac);
  for (const auto& vi : cfg.vrrp.instances) {
    auto kept = std::find_if(keep.begin(), keep.end(),
                             [&](const auto& k) { return k && k->cfg.name == vi.name; });
    if (kept != keep.end()) {
      rts_.push_back(std::move(*kept));
      continue;
    }
    auto rt = std::make_unique<Runtime>(io_);
    rt->cfg = vi;
    rt->device = config::device_of(cfg, node, vi.interface);
    rt->priority = config::vrrp_priority(vi, node);
    if (auto info = host_.link(rt->device)) {
      rt->base = *info;
    } else {
      rt->last_error = "no device " + rt->device;
      log::error("vrrp " + vi.name + ": " + rt->last_error);
    }
    if (!rt->base.primary)
      log::warn("vrrp " + vi.name + ": " + rt->device +
                " has no IPv4 address; the instance stays in fault until it has one");

    for (const auto& a : vi.virtual_addresses) rt->addrs.push_back(a.address);
    rt->peers = vi.unicast_peers;

    if (vi.use_vmac && rt->base.ifindex > 0) {
      std::string name = vmac_name(vi.vrid);
      if (vmac_names.count(name))
        name = "vrrp" + std::to_string(rt->base.ifindex) + "." + std::to_string(vi.vrid);
      rt->vmac_mac = net::Mac{{0x00, 0x00, 0x5e, 0x00, 0x01, static_cast<std::uint8_t>(vi.vrid)}};
      std::string err = host_.create_vmac(rt->device, name, rt->vmac_mac);
      if (err.empty()) err = host_.tune_arp(name);
      if (err.empty()) err = host_.tune_arp(rt->device);
      auto vinfo = host_.link(name);
      if (err.empty() && vinfo) {
        rt->use_vmac = true;
        rt->vmac = name;
        rt->vmac_ifindex = vinfo->ifindex;
        vmac_names.insert(name);
      } else {
        ++rt->c.host_errors;
        rt->last_error = err.empty() ? "vmac " + name + " missing after creation" : err;
        log::error("vrrp " + vi.name + ": cannot create vmac " + name + ": " + rt->last_error +
                   "; using " + rt->device + " with its own MAC");
      }
    }

    if (vi.authentication.type == config::VrrpAuthType::hmac_sha256) {
      auto key = read_key(vi.authentication);
      if (!key || key->empty()) {
        rt->last_error = "cannot read authentication key";
        log::error("vrrp " + vi.name + ": " + rt->last_error + "; adverts will be refused");
      }
      const std::string secret = key.value_or("");
      rt->keys.add(AuthKey{1, std::vector<std::uint8_t>(secret.begin(), secret.end())});
      rt->keys.set_send_key(1);
      rt->verifier = std::make_unique<AuthVerifier>(rt->keys);
      // The sequence must keep growing across restarts: seed from the wall clock.
      rt->seq = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
    }

    InstanceConfig ic;
    ic.version = vi.version == 2 ? Version::kV2 : Version::kV3;
    ic.vrid = static_cast<std::uint8_t>(vi.vrid);
    ic.priority = static_cast<std::uint8_t>(std::clamp(rt->priority, 1, 255));
    ic.advert_interval = vi.advert_interval;
    ic.preempt = vi.preempt;
    ic.preempt_delay = vi.preempt_delay;
    ic.garp_repeat_delay = Duration::zero();  // bursts and refresh are ours (garp.*)
    ic.primary = rt->base.primary.value_or(net::Ipv4{});
    for (auto a : rt->addrs) ic.addresses.push_back(a);

    const bool own_up = rt->base.up && rt->base.primary.has_value();
    rt->tracks.push_back({TrackRef::Kind::kLink, rt->device, true});
    ic.tracks.push_back({"interface " + rt->device, 0, own_up});
    for (const auto& t : vi.track.interfaces) {
      const std::string dev = config::device_of(cfg, node, t.name);
      auto info = host_.link(dev);
      rt->tracks.push_back({TrackRef::Kind::kLink, dev, false});
      ic.tracks.push_back({"interface " + dev, t.weight, info && info->up});
    }
    for (const auto& t : vi.track.daemons) {
      const std::string d = daemon_name(t.daemon);
      rt->tracks.push_back({TrackRef::Kind::kDaemon, d, false});
      ic.tracks.push_back({"daemon " + d, t.weight, daemon_alive_[d]});
    }
    for (const auto& t : vi.track.services) {
      rt->tracks.push_back({TrackRef::Kind::kService, t.name, false});
      auto q = service_quorum_.find(t.name);
      ic.tracks.push_back({"service " + t.name, t.weight, q == service_quorum_.end() || q->second});
    }
    rt->inst = std::make_unique<Instance>(std::move(ic));
    rts_.push_back(std::move(rt));
  }
}

void Engine::rebuild_groups(const config::Config& cfg) {
  groups_.clear();
  group_names_.clear();
  for (auto& rt : rts_) rt->group = -1;
  for (const auto& g : cfg.vrrp.sync_groups) {
    std::vector<Instance*> members;
    for (const auto& name : g.instances) {
      for (auto& rt : rts_) {
        if (rt->cfg.name != name) continue;
        rt->group = static_cast<int>(groups_.size());
        rt->member = members.size();
        members.push_back(rt->inst.get());
      }
    }
    groups_.push_back(std::make_unique<SyncGroup>(std::move(members)));
    group_names_.push_back(g.name);
  }
}

void Engine::rebuild_sockets() {
  sockets_.clear();
  for (auto& rt : rts_) {
    auto& sp = sockets_[rt->device];
    if (!sp) sp = std::make_unique<Socket>();
    sp->rts.push_back(rt.get());
    if (rt->peers.empty()) sp->multicast = true;
  }
  for (auto& [dev, s] : sockets_) {
    for (Runtime* rt : s->rts) {
      RxInstance r;
      r.version = rt->cfg.version == 2 ? Version::kV2 : Version::kV3;
      r.vrid = static_cast<std::uint8_t>(rt->cfg.vrid);
      r.priority = static_cast<std::uint8_t>(std::clamp(rt->priority, 1, 255));
      const auto cs = std::chrono::duration_cast<std::chrono::milliseconds>(rt->cfg.advert_interval)
                          .count();
      r.interval = static_cast<std::uint16_t>(r.version == Version::kV2 ? cs / 1000 : cs / 10);
      r.addresses = rt->addrs;
      r.primary = rt->base.primary.value_or(net::Ipv4{});
      r.unicast_peers = rt->peers;
      r.hmac = rt->verifier.get();
      s->rx.push_back(r);
    }
  }
  open_listeners();
}

void Engine::open_listeners() {
  if (!open_sockets_) return;
  std::map<std::string, std::string> want;  // bound device -> target
  for (auto& rt : rts_) {
    want[rt->device] = rt->device;
    if (rt->use_vmac) want[rt->vmac] = rt->device;
  }
  std::erase_if(listeners_, [&](const auto& kv) {
    auto it = want.find(kv.first);
    const int index = static_cast<int>(::if_nametoindex(kv.first.c_str()));
    return it == want.end() || it->second != kv.second->target || index != kv.second->ifindex ||
           !kv.second->sd.is_open();
  });
  for (const auto& [dev, target] : want) {
    if (listeners_.count(dev)) continue;
    const int index = static_cast<int>(::if_nametoindex(dev.c_str()));
    if (index == 0) continue;  // retried by poll_links when it appears
    const int fd = ::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kProtocol);
    if (fd < 0) {
      log::error("vrrp: raw socket for " + dev + ": " + std::strerror(errno));
      continue;
    }
    std::string err;
    if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev.c_str(),
                     static_cast<socklen_t>(dev.size())) != 0)
      err = std::string("bind to device: ") + std::strerror(errno);
    if (err.empty() && sockets_[target]->multicast) {
      ip_mreqn mreq{};
      mreq.imr_multiaddr.s_addr = htonl(kMulticastGroup);
      mreq.imr_ifindex = index;
      if (::setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0)
        err = std::string("join 224.0.0.18: ") + std::strerror(errno);
    }
    if (!err.empty()) {
      ::close(fd);
      log::error("vrrp: receive socket on " + dev + ": " + err + " (retrying)");
      continue;
    }
    auto l = std::make_unique<Listener>(io_, dev, target, index);
    l->sd.assign(fd);
    read_socket(*l);
    listeners_[dev] = std::move(l);
  }
}

void Engine::start_trackers(const config::Config& cfg) {
  std::set<std::string> daemons;
  bool services = false;
  for (const auto& vi : cfg.vrrp.instances) {
    for (const auto& t : vi.track.daemons) daemons.insert(daemon_name(t.daemon));
    services = services || !vi.track.services.empty();
  }
  std::erase_if(daemon_clients_, [&](const auto& kv) { return !daemons.count(kv.first); });
  for (const auto& d : daemons) {
    if (daemon_clients_.count(d)) continue;
    auto client =
        std::make_unique<ipc::ControlClient>(io_, run_dir_ + "/" + d + ".sock", ipc::ClientOptions{});
    client->on_state([this, d](bool connected, const std::string& why) {
      if (!connected) log::info("vrrp: tracked daemon " + d + " unreachable: " + why);
      set_daemon_alive(d, connected);
    });
    client->start();
    daemon_clients_[d] = std::move(client);
  }
  if (!services) {
    quorum_client_.reset();
    return;
  }
  if (quorum_client_) return;
  ipc::ClientOptions opts;
  opts.topics = {"health.quorum_lost", "health.quorum_restored"};
  quorum_client_ = std::make_unique<ipc::ControlClient>(io_, run_dir_ + "/healthd.sock", opts);
  quorum_client_->on_event([this](const ipc::Event& e) {
    if (!e.data.is_object()) return;
    const auto svc = e.data.value("service", std::string());
    if (!svc.empty()) set_service_quorum(svc, e.topic == "health.quorum_restored");
  });
  quorum_client_->on_state([this](bool connected, const std::string&) {
    // While healthd is away the last known quorum holds: a healthd restart
    // must not move the VIPs. Its liveness is a separate track.
    if (!connected) return;
    quorum_client_->request("health", Json::object(), [this](const ipc::Response& r) {
      if (!r.ok || !r.result.is_object()) return;
      const Json services_json = r.result.value("services", Json::array());
      if (!services_json.is_array()) return;
      for (const auto& s : services_json) {
        if (!s.is_object()) continue;
        const auto name = s.value("service", std::string());
        const auto q = s.find("has_quorum");
        if (!name.empty() && q != s.end() && q->is_boolean()) set_service_quorum(name, q->get<bool>());
      }
    });
  });
  quorum_client_->start();
}

void Engine::stop() {
  if (stopped_) return;
  for (auto& rt : rts_) shutdown_one(*rt);
  stopped_ = true;
  poll_timer_.cancel();
  daemon_clients_.clear();
  quorum_client_.reset();
  listeners_.clear();
}

void Engine::shutdown_one(Runtime& rt) {
  rt.reason = "shutdown";
  handle(rt, rt.inst->shutdown(now()), false);
  ++rt.timer_gen;
  rt.timer.cancel();
  rt.garp_timer.cancel();
  rt.refresh_timer.cancel();
  if (rt.held) release(rt);
  if (rt.use_vmac) {
    const std::string err = host_.delete_link(rt.vmac);
    if (!err.empty()) log::warn("vrrp " + rt.cfg.name + ": " + err);
    rt.use_vmac = false;
  }
}

// ---- events -----------------------------------------------------------------

void Engine::handle(Runtime& rt, const Output& out, bool follow) {
  for (const auto& a : out.actions) perform(rt, a);
  arm(rt, out);
  if (follow) follow_group(rt, out);
}

void Engine::follow_group(Runtime& rt, const Output& out) {
  if (rt.group < 0) return;
  auto& group = *groups_[static_cast<std::size_t>(rt.group)];
  for (auto& mo : group.follow(now(), rt.member, out)) {
    for (auto& other : rts_) {
      if (other->group != rt.group || other->member != mo.member) continue;
      other->reason = "sync group " + group_names_[static_cast<std::size_t>(rt.group)] +
                      " follows " + rt.cfg.name + " (" + rt.reason + ")";
      handle(*other, mo.output, false);
    }
  }
}

void Engine::arm(Runtime& rt, const Output& out) {
  const std::uint64_t gen = ++rt.timer_gen;
  rt.timer.cancel();
  if (!out.next_deadline || stopped_) return;
  rt.timer.expires_at(to_asio(*out.next_deadline));
  Runtime* p = &rt;
  rt.timer.async_wait([this, p, gen](const boost::system::error_code& ec) {
    if (ec || p->timer_gen != gen || stopped_) return;
    p->reason = p->inst->state() == State::kBackup ? "master down timer expired" : "timer";
    handle(*p, p->inst->on_timer(now()), true);
  });
}

void Engine::perform(Runtime& rt, const Action& a) {
  switch (a.kind) {
    case ActionKind::kSendAdvert:
      send_advert(rt, a.priority);
      break;
    case ActionKind::kTakeAddresses:
      take(rt);
      break;
    case ActionKind::kSendGratuitousArp:
      start_garp(rt);
      break;
    case ActionKind::kReleaseAddresses:
      release(rt);
      break;
    case ActionKind::kRoleChanged:
      role_changed(rt, a.from, a.to);
      break;
  }
}

void Engine::send_advert(Runtime& rt, std::uint8_t priority) {
  const Advert advert = rt.inst->make_advert(priority);
  const net::Ipv4 src = rt.base.primary.value_or(net::Ipv4{});
  std::vector<net::Ipv4> dsts = rt.peers;
  const bool multicast = dsts.empty();
  if (multicast) dsts.push_back(net::Ipv4{kMulticastGroup});
  // Multicast leaves from the vmac while it is up, so the source MAC is the
  // virtual one; unicast follows the lower device's routes.
  const int oif = multicast && rt.use_vmac && rt.vmac_up ? rt.vmac_ifindex : rt.base.ifindex;
  const std::size_t header = kIpHeader + (rt.verifier ? kAuthOptionSize : 0);
  std::array<std::uint8_t, kIpHeader + kAuthOptionSize + kMaxMessageSize> buf{};
  for (const auto& dst : dsts) {
    const std::size_t n =
        encode(advert, src, dst, std::span(buf).subspan(header, buf.size() - header));
    if (n == 0) {
      ++rt.c.send_errors;
      rt.last_error = "advert cannot be encoded";
      continue;
    }
    std::uint8_t* ip = buf.data();
    ip[0] = static_cast<std::uint8_t>(0x40 | (header / 4));
    ip[1] = 0xc0;  // precedence "internetwork control", as routers send VRRP
    put16(ip + 2, static_cast<std::uint16_t>(header + n));
    put16(ip + 4, 0);  // id: the kernel fills it in
    put16(ip + 6, 0);
    ip[8] = kTtl;
    ip[9] = kProtocol;
    put16(ip + 10, 0);  // checksum: the kernel fills it in
    put32(ip + 12, src.value);
    put32(ip + 16, dst.value);
    if (rt.verifier) {
      if (const AuthKey* key = rt.keys.send_key()) {
        const AuthOption opt =
            sign_advert(*key, ++rt.seq, src, dst, std::span(buf).subspan(header, n));
        std::memcpy(ip + kIpHeader, opt.data(), opt.size());
      }
    }
    const std::string err = host_.send_ip(oif, dst, std::span(buf).first(header + n));
    if (err.empty()) {
      ++rt.c.adverts_sent;
      if (priority == 0) ++rt.c.priority_zero_sent;
    } else {
      ++rt.c.send_errors;
      if (rt.last_error != err) log::warn("vrrp " + rt.cfg.name + ": advert: " + err);
      rt.last_error = err;
    }
  }
}

void Engine::take(Runtime& rt) {
  const std::string& dev = rt.use_vmac ? rt.vmac : rt.device;
  std::string err;
  if (rt.use_vmac) {
    err = host_.set_up(rt.vmac, true);
    if (err.empty()) rt.vmac_up = true;
  }
  for (const auto& a : rt.cfg.virtual_addresses) {
    const std::string e = host_.set_address(dev, a, true);
    if (err.empty()) err = e;
  }
  rt.held = true;
  if (!err.empty()) {
    ++rt.c.host_errors;
    rt.last_error = err;
    log::error("vrrp " + rt.cfg.name + ": taking the addresses: " + err);
  }
}

void Engine::release(Runtime& rt) {
  rt.garp_left = 0;
  rt.garp_timer.cancel();
  rt.refresh_timer.cancel();
  const std::string& dev = rt.use_vmac ? rt.vmac : rt.device;
  std::string err;
  for (const auto& a : rt.cfg.virtual_addresses) {
    const std::string e = host_.set_address(dev, a, false);
    // With the vmac it goes down below anyway; an address already gone is fine.
    if (err.empty() && !rt.use_vmac) err = e;
  }
  if (rt.use_vmac) {
    err = host_.set_up(rt.vmac, false);
    rt.vmac_up = false;
  }
  rt.held = false;
  if (!err.empty()) {
    ++rt.c.host_errors;
    rt.last_error = err;
    log::error("vrrp " + rt.cfg.name + ": releasing the addresses: " + err);
  }
}

void Engine::start_garp(Runtime& rt) {
  rt.garp_left = rt.cfg.garp.count;
  rt.garp_timer.cancel();
  garp_tick(rt);
}

void Engine::garp_tick(Runtime& rt) {
  if (rt.inst->state() != State::kMaster && !rt.held) return;
  if (rt.garp_left > 0) {
    const int ifindex = rt.use_vmac ? rt.vmac_ifindex : rt.base.ifindex;
    const net::Mac mac = rt.use_vmac ? rt.vmac_mac : rt.base.mac;
    std::array<std::uint8_t, net::kArpFrameLen> frame{};
    for (auto a : rt.addrs) {
      const std::size_t n = net::build_gratuitous_arp(frame, a, mac);
      const std::string err = n ? host_.send_frame(ifindex, std::span(frame).first(n)) : "ARP build";
      if (err.empty()) {
        ++rt.c.garp_sent;
      } else {
        ++rt.c.send_errors;
        rt.last_error = "gratuitous ARP: " + err;
      }
    }
    --rt.garp_left;
  }
  Runtime* p = &rt;
  if (rt.garp_left > 0) {
    rt.garp_timer.expires_after(rt.cfg.garp.interval);
    rt.garp_timer.async_wait([this, p](const boost::system::error_code& ec) {
      if (!ec && !stopped_) garp_tick(*p);
    });
  } else if (rt.cfg.garp.refresh > Duration::zero()) {
    rt.refresh_timer.expires_after(rt.cfg.garp.refresh);
    rt.refresh_timer.async_wait([this, p](const boost::system::error_code& ec) {
      if (!ec && !stopped_ && p->inst->state() == State::kMaster) start_garp(*p);
    });
  }
}

void Engine::role_changed(Runtime& rt, State from, State to) {
  rt.previous = from;
  switch (to) {
    case State::kMaster:
      ++rt.c.became_master;
      rt.master = rt.base.primary;
      break;
    case State::kBackup:
      ++rt.c.became_backup;
      rt.master = from == State::kMaster ? rt.last_sender : std::nullopt;
      break;
    case State::kFault:
      ++rt.c.became_fault;
      rt.master.reset();
      break;
    case State::kInitialize:
      rt.master.reset();
      break;
  }
  log::info("vrrp " + rt.cfg.name + ": " + state_name(from) + " -> " + state_name(to) + " (" +
            rt.reason + ")");
  if (publish_) publish_("vrrp.state", describe(rt));
  if (!rt.cfg.notify.empty())
    host_.spawn({rt.cfg.notify, "INSTANCE", rt.cfg.name, script_state(to),
                 std::to_string(rt.inst->effective_priority())});
}

void Engine::receive(const std::string& device, std::span<const std::uint8_t> p) {
  if (stopped_) return;
  ++rx_packets_;
  auto it = sockets_.find(device);
  if (it == sockets_.end()) return;
  Socket& s = *it->second;
  if (p.size() < kIpHeader || (p[0] >> 4) != 4) {
    ++rx_malformed_ip_;
    return;
  }
  const std::size_t ihl = std::size_t{p[0] & 0x0fu} * 4;
  const std::size_t total = (std::size_t{p[2]} << 8) | p[3];
  if (ihl < kIpHeader || ihl > p.size() || total < ihl || total > p.size()) {
    ++rx_malformed_ip_;
    return;
  }
  RxPacket pkt;
  pkt.ttl = p[8];
  pkt.src = net::Ipv4{get32(p.data() + 12)};
  pkt.dst = net::Ipv4{get32(p.data() + 16)};
  pkt.ip_options = p.subspan(kIpHeader, ihl - kIpHeader);
  pkt.payload = p.subspan(ihl, total - ihl);
  const RxResult r = check_receive(pkt, s.rx);
  const auto e = static_cast<std::size_t>(r.error);
  if (r.error != RxError::kOk) {
    // Checks that come before the VRID lookup (TTL, checksum, ...) still
    // belong to an instance when the VRID byte names one of ours.
    int index = r.instance;
    if (index < 0 && pkt.payload.size() >= 2)
      for (std::size_t i = 0; i < s.rx.size(); ++i)
        if (s.rx[i].vrid == pkt.payload[1]) index = static_cast<int>(i);
    if (index >= 0 && static_cast<std::size_t>(index) < s.rts.size())
      ++s.rts[static_cast<std::size_t>(index)]->rx_errors[e];
    else
      ++unmatched_errors_[e];
    if (log::enabled(log::Level::kDebug))
      log::debug("vrrp: dropped advert from " + pkt.src.to_string() + " on " + device + ": " +
                 to_string(r.error));
    return;
  }
  Runtime& rt = *s.rts[static_cast<std::size_t>(r.instance)];
  ++rt.c.adverts_received;
  if (r.advert.priority == 0) ++rt.c.priority_zero_received;
  if (r.advert.priority > 0) rt.last_sender = pkt.src;
  rt.reason = "advert from " + pkt.src.to_string() + " priority " +
              std::to_string(r.advert.priority);
  handle(rt, rt.inst->advert_received(now(), r.advert, pkt.src), true);
  if (rt.inst->state() == State::kBackup) {
    if (r.advert.priority > 0) rt.master = pkt.src;
    else rt.master.reset();
  }
}

void Engine::read_socket(Listener& l) {
  Listener* p = &l;
  l.sd.async_wait(asio::posix::stream_descriptor::wait_read,
                  [this, p](const boost::system::error_code& ec) {
                    if (ec || stopped_) return;
                    std::array<std::uint8_t, 4096> buf;
                    for (int i = 0; i < 64; ++i) {
                      const ssize_t n = ::recv(p->sd.native_handle(), buf.data(), buf.size(), 0);
                      if (n < 0) break;
                      receive(p->target, std::span(buf).first(static_cast<std::size_t>(n)));
                      if (stopped_) return;
                    }
                    read_socket(*p);
                  });
}

// ---- tracking ---------------------------------------------------------------

void Engine::set_track(Runtime& rt, std::size_t track, bool up, const std::string& why) {
  if (rt.inst->config().tracks.size() <= track) return;
  rt.reason = why;
  handle(rt, rt.inst->track_changed(now(), track, up), true);
}

void Engine::poll_links() {
  if (stopped_) return;
  host_.reap();
  bool reopen = false;
  for (auto& rt : rts_) {
    const auto& tracks = rt->inst->config().tracks;
    for (std::size_t i = 0; i < rt->tracks.size() && i < tracks.size(); ++i) {
      const TrackRef& t = rt->tracks[i];
      if (t.kind != TrackRef::Kind::kLink) continue;
      auto info = host_.link(t.name);
      bool up = info && info->up;
      if (t.own) {
        // The instance was built with the address it advertises from; a
        // device that has none (yet) cannot take part.
        up = up && info->primary && rt->base.primary && *info->primary == *rt->base.primary;
        if (info && info->ifindex != rt->base.ifindex) reopen = true;
      }
      if (up != tracks[i].up)
        set_track(*rt, i, up, "link " + t.name + (up ? " up" : " down"));
    }
  }
  if (open_sockets_) {
    std::set<std::string> want;
    for (auto& rt : rts_) {
      want.insert(rt->device);
      if (rt->use_vmac) want.insert(rt->vmac);
    }
    // Missing listeners (a device that was not there yet) are opened here.
    if (reopen || listeners_.size() < want.size()) open_listeners();
  }
}

void Engine::arm_poll() {
  poll_timer_.expires_after(kPollPeriod);
  poll_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    poll_links();
    arm_poll();
  });
}

void Engine::set_daemon_alive(const std::string& daemon, bool alive) {
  daemon_alive_[daemon] = alive;
  if (stopped_) return;
  for (auto& rt : rts_) {
    const auto& tracks = rt->inst->config().tracks;
    for (std::size_t i = 0; i < rt->tracks.size(); ++i)
      if (rt->tracks[i].kind == TrackRef::Kind::kDaemon && rt->tracks[i].name == daemon &&
          tracks[i].up != alive)
        set_track(*rt, i, alive, "daemon " + daemon + (alive ? " up" : " down"));
  }
}

void Engine::set_service_quorum(const std::string& service, bool has_quorum) {
  service_quorum_[service] = has_quorum;
  if (stopped_) return;
  for (auto& rt : rts_) {
    const auto& tracks = rt->inst->config().tracks;
    for (std::size_t i = 0; i < rt->tracks.size(); ++i)
      if (rt->tracks[i].kind == TrackRef::Kind::kService && rt->tracks[i].name == service &&
          tracks[i].up != has_quorum)
        set_track(*rt, i, has_quorum,
                  "service " + service + (has_quorum ? " quorum restored" : " quorum lost"));
  }
}

// ---- reporting --------------------------------------------------------------

Json Engine::describe(const Runtime& rt) const {
  Json vips = Json::array();
  for (const auto& a : rt.cfg.virtual_addresses) vips.push_back(a.to_string());
  Json j = {{"instance", rt.cfg.name},
            {"group", rt.group >= 0 ? Json(group_names_[static_cast<std::size_t>(rt.group)])
                                    : Json(nullptr)},
            {"vrid", rt.cfg.vrid},
            {"interface", rt.device},
            {"state", state_name(rt.inst->state())},
            {"previous", state_name(rt.previous)},
            {"priority", rt.inst->effective_priority()},
            {"master", rt.master ? Json(rt.master->to_string()) : Json(nullptr)},
            {"reason", rt.reason},
            {"vips", vips}};
  return j;
}

Json Engine::instances() const {
  Json list = Json::array();
  for (const auto& rt : rts_) {
    Json j = describe(*rt);
    j["config_priority"] = rt->priority;
    j["version"] = rt->cfg.version;
    j["advert_interval_ms"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(rt->cfg.advert_interval).count();
    j["master_adver_interval_ms"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(rt->inst->master_adver_interval())
            .count();
    j["primary"] = rt->base.primary ? Json(rt->base.primary->to_string()) : Json(nullptr);
    j["vmac"] = rt->use_vmac ? Json(rt->vmac) : Json(nullptr);
    j["preempt"] = rt->cfg.preempt;
    j["unicast_peers"] = Json::array();
    for (auto p : rt->peers) j["unicast_peers"].push_back(p.to_string());
    Json tracks = Json::array();
    for (const auto& t : rt->inst->config().tracks)
      tracks.push_back({{"name", t.name}, {"weight", t.weight}, {"up", t.up}});
    j["tracks"] = tracks;
    Json rx = Json::object();
    std::uint64_t rx_total = 0;
    for (std::size_t e = 1; e < rt->rx_errors.size(); ++e) {
      rx[to_string(static_cast<RxError>(e))] = rt->rx_errors[e];
      rx_total += rt->rx_errors[e];
    }
    j["counters"] = {{"adverts_sent", rt->c.adverts_sent},
                     {"adverts_received", rt->c.adverts_received},
                     {"priority_zero_sent", rt->c.priority_zero_sent},
                     {"priority_zero_received", rt->c.priority_zero_received},
                     {"became_master", rt->c.became_master},
                     {"became_backup", rt->c.became_backup},
                     {"became_fault", rt->c.became_fault},
                     {"garp_sent", rt->c.garp_sent},
                     {"send_errors", rt->c.send_errors},
                     {"host_errors", rt->c.host_errors},
                     {"rx_dropped", rx_total},
                     {"rx_errors", rx}};
    j["last_error"] = rt->last_error;
    list.push_back(std::move(j));
  }
  Json unmatched = Json::object();
  for (std::size_t e = 1; e < unmatched_errors_.size(); ++e)
    unmatched[to_string(static_cast<RxError>(e))] = unmatched_errors_[e];
  return {{"instances", list},
          {"counters",
           {{"rx_packets", rx_packets_},
            {"rx_malformed_ip", rx_malformed_ip_},
            {"rx_unmatched_errors", unmatched}}}};
}

Json Engine::status() const {
  Json states = Json::object();
  std::size_t masters = 0, addresses = 0;
  for (const auto& rt : rts_) {
    states[rt->cfg.name] = state_name(rt->inst->state());
    if (rt->inst->state() == State::kMaster) ++masters;
    addresses += rt->cfg.virtual_addresses.size();
  }
  return {{"instances", rts_.size()},
          {"sync_groups", groups_.size()},
          {"virtual_addresses", addresses},
          {"masters", masters},
          {"states", states}};
}

}  // namespace tandem::vrrp
