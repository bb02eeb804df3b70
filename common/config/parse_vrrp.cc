// VRRP instances and sync groups (RFC 3768 v2, RFC 5798 v3).

#include "common/config/duration.h"
#include "common/config/sections.h"

namespace tandem::config::detail {
namespace {

// A track list entry: a bare name (weight 0: FAULT while down) or
// {name, weight} (the weight is added to the priority while down).
template <class Resolve>
void parse_track_list(const Value& v, Resolve resolve) {
  for (const Value& item : v.items()) {
    std::optional<Value> name_value;
    int weight = 0;
    if (item.is_map()) {
      Map m(item, {"name", "weight"});
      name_value = m.require("name");
      m.read_int("weight", weight, -254, 254);
    } else {
      name_value = item;
    }
    if (name_value) resolve(*name_value, weight);
  }
}

void parse_track(const Value& v, VrrpInstance& inst, const Config& cfg) {
  Map m(v, {"interfaces", "daemons", "services"});
  if (auto i = m.get("interfaces")) {
    parse_track_list(*i, [&](const Value& name, int weight) {
      auto s = name.string();
      if (!s) return;
      if (!find_named(cfg.interfaces, *s)) {
        unknown_reference(name, "interface", *s, names_of(cfg.interfaces));
      }
      inst.track.interfaces.push_back(TrackEntry{*s, weight});
    });
  }
  if (auto d = m.get("daemons")) {
    parse_track_list(*d, [&](const Value& name, int weight) {
      if (auto daemon = name.enumeration<TrackDaemon>()) {
        inst.track.daemons.push_back(TrackDaemonEntry{*daemon, weight});
      }
    });
  }
  if (auto s = m.get("services")) {
    parse_track_list(*s, [&](const Value& name, int weight) {
      auto text = name.string();
      if (!text) return;
      if (!find_named(cfg.services, *text)) {
        unknown_reference(name, "service", *text, names_of(cfg.services));
      }
      inst.track.services.push_back(TrackEntry{*text, weight});
    });
  }
}

void parse_auth(const Value& v, VrrpAuth& auth) {
  Map m(v, {"type", "key", "key_file"});
  if (!m.valid()) return;
  if (auto t = m.require("type")) {
    if (auto type = t->enumeration<VrrpAuthType>()) auth.type = *type;
  }
  m.read("key", auth.key);
  m.read_path("key_file", auth.key_file);
  if (auth.type == VrrpAuthType::none) {
    if (m.has("key") || m.has("key_file")) {
      m.get(m.has("key") ? "key" : "key_file")->error("authentication type none takes no key");
    }
    return;
  }
  if (m.has("key") && m.has("key_file")) {
    m.get("key_file")->error("give either `key` or `key_file`, not both");
  } else if (!m.has("key") && !m.has("key_file")) {
    m.error("hmac-sha256 authentication needs `key` or `key_file`");
  } else if (m.has("key") && auth.key.size() < 16) {
    m.get("key")->error("key must be at least 16 characters");
  }
}

void check_advert(const Map& m, const VrrpInstance& inst) {
  auto at = m.get("advert_interval");
  if (!at) return;
  const Duration d = inst.advert_interval;
  if (inst.version == 2) {
    if (d % 1s != Duration::zero() || d < 1s || d > 255s) {
      at->error("VRRP version 2 advert intervals are whole seconds from 1s to 255s, got " +
                format_duration(d));
    }
  } else if (d % 10ms != Duration::zero() || d < 10ms || d > 40950ms) {
    at->error("VRRP version 3 advert intervals are whole centiseconds from 0.01s to 40.95s, got " +
              format_duration(d));
  }
}

void parse_instance(const Value& v, Config& cfg) {
  Map m(v, {"name", "interface", "vrid", "version", "priority", "advert_interval",
            "virtual_addresses", "preempt", "preempt_delay", "use_vmac", "unicast_peers",
            "authentication", "track", "garp", "notify"});
  if (!m.valid()) return;
  VrrpInstance inst;
  if (auto n = m.require("name")) {
    if (auto s = n->string(); s && check_name(*n, *s)) {
      if (find_named(cfg.vrrp.instances, *s)) {
        n->error("vrrp instance name " + quote(*s) + " is already used");
      }
      inst.name = *s;
    }
  }
  if (auto i = m.require("interface")) {
    if (auto s = i->string()) {
      if (!find_named(cfg.interfaces, *s)) {
        unknown_reference(*i, "interface", *s, names_of(cfg.interfaces));
      }
      inst.interface = *s;
    }
  }
  if (auto id = m.require("vrid")) {
    if (auto n = id->integer(1, 255)) {
      inst.vrid = static_cast<int>(*n);
      for (const VrrpInstance& other : cfg.vrrp.instances) {
        if (other.interface == inst.interface && other.vrid == inst.vrid) {
          id->error("vrid " + std::to_string(inst.vrid) + " is already used on interface " +
                    quote(inst.interface) + " by instance " + quote(other.name));
        }
      }
    }
  }
  if (auto ver = m.get("version")) {
    if (auto n = ver->integer(2, 3)) inst.version = static_cast<int>(*n);
  }
  if (auto p = m.get("priority")) {
    if (auto n = p->integer(1, 255)) inst.priority = static_cast<int>(*n);
  }
  m.read("advert_interval", inst.advert_interval, 0s, 255s);
  check_advert(m, inst);
  if (auto vas = m.require("virtual_addresses")) {
    std::vector<Value> items = vas->items(true);
    if (items.empty()) vas->error("an instance needs at least one virtual address");
    for (const Value& item : items) {
      auto p = item.prefix();
      if (!p) continue;
      for (const VrrpInstance& other : cfg.vrrp.instances) {
        for (const net::Ipv4Prefix& theirs : other.virtual_addresses) {
          if (theirs.address == p->address) {
            item.error("virtual address " + p->address.to_string() +
                       " is already held by instance " + quote(other.name));
          }
        }
      }
      bool twice = false;
      for (const net::Ipv4Prefix& mine : inst.virtual_addresses)
        twice = twice || mine.address == p->address;
      if (twice) {
        item.error("virtual address " + p->address.to_string() + " is listed twice");
        continue;
      }
      inst.virtual_addresses.push_back(*p);
    }
  }
  m.read("preempt", inst.preempt);
  m.read("preempt_delay", inst.preempt_delay, 0s, 1000s);
  m.read("use_vmac", inst.use_vmac);
  if (auto peers = m.get("unicast_peers")) {
    for (const Value& item : peers->items(true)) {
      auto ip = item.ipv4();
      if (!ip) continue;
      for (const net::Ipv4& seen : inst.unicast_peers) {
        if (seen == *ip) item.error("unicast peer " + ip->to_string() + " is listed twice");
      }
      inst.unicast_peers.push_back(*ip);
    }
  }
  if (auto a = m.get("authentication")) parse_auth(*a, inst.authentication);
  if (auto t = m.get("track")) parse_track(*t, inst, cfg);
  if (auto g = m.get("garp")) {
    Map gm(*g, {"count", "interval", "refresh"});
    gm.read_int("count", inst.garp.count, 0, 100);
    gm.read("interval", inst.garp.interval, 0s, 10s);
    gm.read("refresh", inst.garp.refresh, 0s, std::chrono::hours(24));
  }
  m.read_path("notify", inst.notify);
  cfg.vrrp.instances.push_back(std::move(inst));
}

void parse_sync_group(const Value& v, Config& cfg) {
  Map m(v, {"name", "instances"});
  if (!m.valid()) return;
  SyncGroup group;
  if (auto n = m.require("name")) {
    if (auto s = n->string(); s && check_name(*n, *s)) {
      if (find_named(cfg.vrrp.sync_groups, *s)) {
        n->error("sync group name " + quote(*s) + " is already used");
      }
      group.name = *s;
    }
  }
  if (auto list = m.require("instances")) {
    std::vector<Value> items = list->items(true);
    if (items.empty()) list->error("a sync group needs at least one instance");
    for (const Value& item : items) {
      auto s = item.string();
      if (!s) continue;
      if (!find_named(cfg.vrrp.instances, *s)) {
        unknown_reference(item, "vrrp instance", *s, names_of(cfg.vrrp.instances));
      }
      // One instance follows one group, or the groups could disagree.
      for (const SyncGroup& other : cfg.vrrp.sync_groups) {
        for (const std::string& member : other.instances) {
          if (member == *s) {
            item.error("instance " + quote(*s) + " is already in sync group " + quote(other.name));
          }
        }
      }
      for (const std::string& member : group.instances) {
        if (member == *s) item.error("instance " + quote(*s) + " is listed twice");
      }
      group.instances.push_back(*s);
    }
  }
  cfg.vrrp.sync_groups.push_back(std::move(group));
}

}  // namespace

void parse_vrrp(const Value& v, Config& cfg) {
  Map m(v, {"instances", "sync_groups"});
  if (auto list = m.get("instances")) {
    for (const Value& item : list->items()) parse_instance(item, cfg);
  }
  if (auto list = m.get("sync_groups")) {
    for (const Value& item : list->items()) parse_sync_group(item, cfg);
  }
}

}  // namespace tandem::config::detail
