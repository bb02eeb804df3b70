// Connection-state sync between the two directors.

#include "common/config/duration.h"
#include "common/config/sections.h"

namespace tandem::config::detail {
namespace {

void parse_keys(const Value& v, SyncAuth& auth) {
  Map m(v, {"keys", "active_key"});
  if (!m.valid()) return;
  if (auto keys = m.require("keys")) {
    std::vector<Value> items = keys->items();
    if (items.empty()) keys->error("list at least one key, or leave out `authentication`");
    for (const Value& item : items) {
      Map km(item, {"id", "key", "key_file"});
      if (!km.valid()) continue;
      SyncKey key;
      if (auto id = km.require("id")) {
        if (auto n = id->integer(0, 255)) {
          key.id = static_cast<int>(*n);
          for (const SyncKey& seen : auth.keys) {
            if (seen.id == key.id)
              id->error("key id " + std::to_string(key.id) + " is listed twice");
          }
        }
      }
      km.read("key", key.key);
      km.read_path("key_file", key.key_file);
      if (km.has("key") && km.has("key_file")) {
        km.get("key_file")->error("give either `key` or `key_file`, not both");
      } else if (!km.has("key") && !km.has("key_file")) {
        km.error("a sync key needs `key` or `key_file`");
      } else if (km.has("key") && key.key.size() < 16) {
        km.get("key")->error("key must be at least 16 characters");
      }
      auth.keys.push_back(std::move(key));
    }
  }
  if (auto active = m.get("active_key")) {
    if (auto n = active->integer(0, 255)) {
      auth.active_key = static_cast<int>(*n);
      bool found = false;
      for (const SyncKey& k : auth.keys) found = found || k.id == auth.active_key;
      if (!found && !auth.keys.empty()) {
        active->error("active_key " + std::to_string(*n) + " is not the id of a listed key");
      }
    }
  } else if (auth.keys.size() == 1) {
    auth.active_key = auth.keys[0].id;
  } else if (auth.keys.size() > 1) {
    m.error("active_key is required when more than one key is listed");
  }
}

}  // namespace

void parse_sync(const Value& v, Config& cfg) {
  Sync& s = cfg.sync;
  Map m(v, {"enabled", "interface", "transport", "group", "port", "ttl", "peer", "syncid",
            "authentication", "resync", "flush_interval", "refresh_interval"});
  if (!m.valid()) return;
  m.read("enabled", s.enabled);
  if (auto i = s.enabled ? m.require("interface") : m.get("interface")) {
    if (auto name = i->string()) {
      if (!find_named(cfg.interfaces, *name)) {
        unknown_reference(*i, "interface", *name, names_of(cfg.interfaces));
      }
      s.interface = *name;
    }
  }
  m.read_enum("transport", s.transport);
  if (auto g = m.get("group")) {
    if (auto ip = g->ipv4()) {
      if ((ip->value >> 28) != 0xE) {
        g->error("group must be an IPv4 multicast address (224.0.0.0/4), got " + ip->to_string());
      } else {
        s.group = *ip;
      }
    }
  }
  m.read_int("port", s.port, 1, 65535);
  m.read_int("ttl", s.ttl, 1, 255);
  if (auto p = m.get("peer")) {
    if (auto ip = p->ipv4()) s.peer = *ip;
    if (s.transport != SyncTransport::unicast) p->error("peer applies only to unicast transport");
  } else if (s.enabled && s.transport == SyncTransport::unicast && cfg.nodes.size() != 2) {
    m.error("unicast sync needs `peer`, or exactly two `nodes` to take the peer from (found " +
            std::to_string(cfg.nodes.size()) + ")");
  }
  m.read_int("syncid", s.syncid, 0, 255);
  if (auto a = m.get("authentication")) parse_keys(*a, s.authentication);
  if (auto r = m.get("resync")) {
    Map rm(*r, {"enabled", "timeout", "max_rate"});
    rm.read("enabled", s.resync.enabled);
    rm.read("timeout", s.resync.timeout, 1s, std::chrono::hours(1));
    rm.read_int("max_rate", s.resync.max_rate, 0, 100000000);
  }
  m.read("flush_interval", s.flush_interval, 1ms, 10s);
  m.read("refresh_interval", s.refresh_interval, 1s, std::chrono::hours(24));
  if ((s.enabled || m.has("refresh_interval")) &&
      s.refresh_interval >= cfg.global.tcp_timeouts.established) {
    // The backup's copy of an idle but established connection would expire.
    m.get("refresh_interval")
        .value_or(m.value())
        .error("refresh_interval (" + format_duration(s.refresh_interval) +
               ") must be shorter than global.tcp_timeouts.established (" +
               format_duration(cfg.global.tcp_timeouts.established) + ")");
  }
}

}  // namespace tandem::config::detail
