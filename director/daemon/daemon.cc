#include "director/daemon/daemon.h"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "common/log/log.h"
#include "director/daemon/convert.h"
#include "director/daemon/vip_guard.h"
#include "director/io/bpf_filter.h"

namespace tandem::director::daemon {

std::size_t worker_count(std::uint32_t configured) {
  if (configured >= 1) return std::min<std::size_t>(configured, 64);
  cpu_set_t set;
  CPU_ZERO(&set);
  std::size_t cpus = 1;
  if (::sched_getaffinity(0, sizeof(set), &set) == 0)
    cpus = static_cast<std::size_t>(CPU_COUNT(&set));
  return std::clamp<std::size_t>(cpus, 1, 64);
}

namespace {

std::string device_of(const config::Config& cfg, const std::string& node,
                      const config::Interface& i) {
  for (const auto& n : cfg.nodes) {
    if (n.name != node) continue;
    if (auto it = n.devices.find(i.name); it != n.devices.end()) return it->second;
  }
  return i.device.empty() ? i.name : i.device;
}

std::vector<std::uint32_t> vrrp_vips(const config::Config& cfg) {
  std::vector<std::uint32_t> out;
  for (const auto& inst : cfg.vrrp.instances)
    for (const auto& p : inst.virtual_addresses) out.push_back(p.address.value);
  return out;
}

}  // namespace

Daemon::Daemon(runner::Runner& runner) : runner_(runner), dp_(runner.io()), timer_(runner.io()) {
  dp_.on_served_change([this](const ServedView& v) {
    live_ = v;
    update_served();
  });
}

Daemon::~Daemon() {
  stop();
}

void Daemon::start_dataplane(const config::Config& cfg) {
  DataplaneConfig dc;
  std::vector<LinkInfo> infos;
  for (const auto& i : cfg.interfaces) {
    std::string err;
    const std::string dev = device_of(cfg, runner_.options().node, i);
    auto li = read_link(dev, err);
    if (!li) {
      log::error("director: " + err + "; that link is not used");
      continue;
    }
    dc.links.push_back(li->link);
    infos.push_back(*li);
    devices_.push_back(dev);
  }
  manage_offloads(cfg.global.manage_offloads);
  dc.workers = workers_ = worker_count(cfg.global.workers);
  dc.director = to_core(cfg.global, dc.workers);
  std::vector<std::uint32_t> masks;
  for (const auto& s : cfg.services) {
    dc.steering.vips.push_back(s.address);
    dc.filter.vips.push_back(s.address);
    if (s.persistence.enabled) masks.push_back(to_core(s).persistence_mask);
  }
  dc.steering.mask = widest_mask(masks);
  for (const auto& l : dc.links) dc.filter.macs.push_back(l.mac);
  for (const auto& inst : cfg.vrrp.instances) {
    net::Mac vmac;
    vmac.bytes = {0x00, 0x00, 0x5e, 0x00, 0x01, static_cast<std::uint8_t>(inst.vrid)};
    dc.filter.macs.push_back(vmac);
  }
  filter_macs_ = dc.filter.macs;
  if (auto err = dp_.start(dc)) {
    log::error("director: data plane not started: " + *err);
    return;
  }
  log::info("director: forwarding with " + std::to_string(dp_.size()) + " worker(s) on " +
            std::to_string(dc.links.size()) + " link(s)");
  neighbours_ = std::make_unique<Neighbours>(infos);
  schedule_refresh();
  served_ = served_by(cfg);
  if (auto err = install_guard(served_)) {
    guard_error_ = *err;
    log::error("director: nftables guard not installed: " + *err);
  } else {
    guard_installed_ = true;
  }
}

void Daemon::manage_offloads(bool on) {
  if (!on) {
    for (const auto& o : offloads_)
      if (auto err = restore_offloads(o)) log::error("director: restoring GRO/LRO: " + *err);
    offloads_.clear();
    offload_errors_.clear();
    return;
  }
  for (const auto& dev : devices_) {
    if (std::any_of(offloads_.begin(), offloads_.end(),
                    [&](const Offloads& o) { return o.device == dev; }))
      continue;
    std::string err;
    if (auto before = disable_offloads(dev, err)) {
      if (before->gro || before->lro)
        log::info("director: " + dev + ": GRO/LRO turned off while we forward on it");
      offloads_.push_back(*before);
    } else {
      // Forwarding still works; merged super-frames are then dropped as too_big.
      log::warn("director: could not turn GRO/LRO off: " + err);
      offload_errors_.push_back(err);
    }
  }
}

void Daemon::update_served() {
  if (applied_) update_served(*applied_, true);
}

void Daemon::update_served(const config::Config& cfg, bool running) {
  const ServedView view = merge(served_by(cfg), live_);
  const bool changed = !(view == served_);
  served_ = view;
  // VIP sets: we answer ARP only for VIPs no vrrp instance carries (vrrpd's
  // macvlan answers for those with the virtual MAC).
  std::unordered_set<std::uint32_t> arp;
  vips_.clear();
  const auto vips = vips_of(view);
  for (const auto& v : vips) {
    vips_.insert(v.value);
    if (std::find(carried_.begin(), carried_.end(), v.value) == carried_.end()) arp.insert(v.value);
  }
  dp_.each([all = vips_, arp](Forwarder& f) { f.set_vips(all, arp); });
  set_targets(cfg, view);
  if (!running || !changed || !dp_.running()) return;
  SteeringSpec steering;
  steering.vips = vips;
  steering.mask = steering_mask(view);
  if (auto err = dp_.set_steering(steering)) log::error("director: " + *err);
  io::FilterSpec filter;
  filter.vips = vips;
  filter.macs = filter_macs_;
  if (auto err = dp_.set_filter(filter)) log::error("director: ring filter not updated: " + *err);
  if (auto err = install_guard(view)) {
    guard_error_ = *err;
    log::error("director: nftables guard not updated: " + *err);
  } else {
    guard_error_.clear();
    guard_installed_ = true;
  }
}

void Daemon::set_targets(const config::Config& cfg, const ServedView& view) {
  if (!neighbours_) return;
  // One entry per address; an address some service reaches by DR is never
  // routed (DR rewrites only the MAC: a router would send the frame back).
  std::map<std::uint32_t, NeighbourTarget> targets;
  for (const auto& s : view.services)
    for (const auto& r : s.servers) {
      auto& t = targets[r.address.value];
      t.address = r.address;
      t.may_route = t.may_route && r.method != Forwarding::dr;
    }
  // DR servers off our links, named as the config names them; ones added
  // at run time (tandemctl -a) by service and address.
  std::vector<std::string> dr_off_link;
  std::set<std::uint32_t> named;
  auto off_link = [&](net::Ipv4 a, config::Forwarding how) {
    named.insert(a.value);
    return how == config::Forwarding::dr && !neighbours_->on_link(a);
  };
  for (const auto& s : cfg.services) {
    for (const auto& r : s.real_servers)
      if (off_link(r.address, r.forwarding)) dr_off_link.push_back(s.name + "/" + r.name);
    if (s.fallback && off_link(s.fallback->address, s.fallback->forwarding))
      dr_off_link.push_back(s.name + "/fallback");
  }
  for (const auto& s : view.services)
    for (const auto& r : s.servers)
      if (r.method == Forwarding::dr && !named.contains(r.address.value) &&
          !neighbours_->on_link(r.address))
        dr_off_link.push_back(s.vip.to_string() + ":" + std::to_string(s.port) + "/" +
                              r.address.to_string());
  for (const auto& n : dr_off_link)
    if (std::find(dr_not_on_link_.begin(), dr_not_on_link_.end(), n) == dr_not_on_link_.end())
      log::error("director: real server " + n +
                 " uses DR but is on no subnet of our interfaces: DR needs the real server on "
                 "the same link (use nat or tun to reach it through a router); not forwarded");
  dr_not_on_link_ = std::move(dr_off_link);
  std::vector<NeighbourTarget> list;
  for (const auto& [ip, t] : targets) list.push_back(t);
  neighbours_->set_targets(list);
}

void Daemon::schedule_refresh() {
  timer_.expires_after(std::chrono::milliseconds(250));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_ || !neighbours_) return;
    if (neighbours_->refresh(std::chrono::steady_clock::now())) {
      auto table = neighbours_->table();
      dp_.each([table](Forwarder& f) { f.set_neighbours(table); });
    }
    schedule_refresh();
  });
}

void Daemon::apply(const config::Config& cfg) {
  const bool first = !applied_.has_value();
  if (first) start_dataplane(cfg);
  auto before = applied_ ? std::make_shared<const config::Config>(*applied_) : nullptr;
  auto after = std::make_shared<const config::Config>(cfg);
  auto report = std::make_shared<ReconcileReport>();
  dp_.apply(
      [before, after, report](Director& shard, std::size_t index) {
        auto r = reconcile(shard, before.get(), *after);
        if (index == 0) *report = std::move(r);
      },
      [this, report] {
        last_reconcile_error_.clear();
        for (const auto& e : report->errors) {
          log::error("director: " + e);
          last_reconcile_error_ = e;
        }
        log::info("director: services +" + std::to_string(report->services_added) + " ~" +
                  std::to_string(report->services_edited) + " -" +
                  std::to_string(report->services_deleted) + ", servers +" +
                  std::to_string(report->servers_added) + " ~" +
                  std::to_string(report->servers_edited) + " -" +
                  std::to_string(report->servers_deleted));
      });

  carried_ = vrrp_vips(cfg);
  update_served(cfg, !first);
  if (!first) {
    // Compared with what runs, so going back to the running count is quiet.
    if (cfg.global.workers != applied_->global.workers &&
        worker_count(cfg.global.workers) != workers_ && dp_.running())
      log::warn(
          "director: global.workers changed to " +
          (cfg.global.workers == 0 ? std::string("auto") : std::to_string(cfg.global.workers)) +
          ": it takes effect at the next restart; still forwarding with " +
          std::to_string(workers_) + " worker(s)");
    if (cfg.global.manage_offloads != applied_->global.manage_offloads)
      manage_offloads(cfg.global.manage_offloads);
  }
  uses_vrrp_ = !cfg.vrrp.instances.empty();
  if (uses_vrrp_ && !vrrp_) {
    const std::string dir = runner_.socket_path().substr(0, runner_.socket_path().rfind('/'));
    ipc::ClientOptions opts;
    opts.topics = {"vrrp.state"};
    vrrp_ = std::make_unique<ipc::ControlClient>(runner_.io(), dir + "/vrrpd.sock", opts);
    vrrp_->on_event([this](const ipc::Event& e) { on_vrrp(e.data); });
    vrrp_->on_state([this](bool connected, const std::string&) {
      if (!connected || !vrrp_) return;
      vrrp_->request("vrrp", ipc::Json::object(), [this](const ipc::Response& r) {
        if (!r.ok) return;
        const ipc::Json& list = r.result.contains("instances") ? r.result["instances"] : r.result;
        if (!list.is_array()) return;
        for (const auto& inst : list) on_vrrp(inst);
      });
    });
    vrrp_->start();
  }
  applied_ = cfg;
  update_active();
}

void Daemon::on_vrrp(const ipc::Json& inst) {
  if (!inst.is_object()) return;
  const std::string name = inst.value("instance", inst.value("name", std::string()));
  const std::string state = inst.value("state", std::string());
  if (name.empty()) return;
  bool ours = false;
  if (const auto it = inst.find("vips"); it != inst.end() && it->is_array()) {
    for (const auto& v : *it) {
      if (!v.is_string()) continue;
      const auto p = net::Ipv4Prefix::parse(v.get<std::string>());
      if (p && vips_.contains(p->address.value)) ours = true;
    }
  }
  if (!ours) return;
  vrrp_master_[name] = state == "master";
  update_active();
}

void Daemon::update_active() {
  bool active = !uses_vrrp_;
  for (const auto& [name, master] : vrrp_master_) active = active || master;
  if (dp_.active().exchange(active) != active)
    log::info(std::string("director: ") + (active ? "active" : "standby"));
}

void Daemon::stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  if (vrrp_) vrrp_->stop();
  dp_.stop();
  manage_offloads(false);
  if (guard_installed_) {
    if (auto err = remove_guard()) log::error("director: removing nftables guard: " + *err);
    guard_installed_ = false;
  }
}

ipc::Json Daemon::status() const {
  ipc::Json j = dp_.status();
  const auto* cfg = runner_.config();
  if (cfg) {
    std::size_t reals = 0;
    for (const auto& s : cfg->services) reals += s.real_servers.size();
    j["services"] = cfg->services.size();
    j["real_servers"] = reals;
    j["interfaces"] = cfg->interfaces.size();
    j["max_connections"] = cfg->global.max_connections;
  }
  j["nftables_guard"] = guard_installed_;
  if (!guard_error_.empty()) j["nftables_error"] = guard_error_;
  j["neighbours_unresolved"] = neighbours_ ? neighbours_->unresolved() : 0;
  j["next_hops_routed"] = neighbours_ ? neighbours_->routed() : 0;
  j["next_hops_unreachable"] = neighbours_ ? neighbours_->unreachable() : 0;
  if (!dr_not_on_link_.empty()) j["dr_not_on_link"] = dr_not_on_link_;
  j["workers_configured"] = applied_ && applied_->global.workers != 0
                                ? ipc::Json(applied_->global.workers)
                                : ipc::Json("auto");
  j["offloads_managed"] = offloads_.size();
  if (!offload_errors_.empty()) j["offload_errors"] = offload_errors_;
  j["vrrp"] = uses_vrrp_;
  if (!last_reconcile_error_.empty()) j["last_error"] = last_reconcile_error_;
  return j;
}

}  // namespace tandem::director::daemon
