#include "alerts/engine/intake.h"

namespace tandem::alerts {

namespace {

using ipc::Json;

// A string field, or nullopt when absent or of another type.
std::optional<std::string> str(const Json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::string str_or(const Json& o, const char* key, std::string fallback) {
  return str(o, key).value_or(std::move(fallback));
}

// Any scalar as text for the detail lines; null and containers are skipped
// by the caller.
std::string scalar_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return {};
}

Event server_event(bool up, const std::string& service, const std::string& server,
                   const std::string& summary, const std::string& detail) {
  Event ev;
  ev.kind = up ? EventKind::kServerUp : EventKind::kServerDown;
  ev.severity = up ? Severity::kInfo : Severity::kWarning;
  ev.service = service;
  ev.server = server;
  ev.summary = summary;
  ev.detail = detail;
  return ev;
}

Event quorum_event(bool has, const std::string& service, const std::string& summary,
                   const std::string& detail) {
  Event ev;
  ev.kind = has ? EventKind::kQuorumRestored : EventKind::kQuorumLost;
  ev.severity = has ? Severity::kInfo : Severity::kCritical;
  ev.service = service;
  ev.summary = summary;
  ev.detail = detail;
  return ev;
}

Severity role_severity(const std::string& state, const std::string& previous) {
  if (state == "fault") return Severity::kCritical;
  if (state == "master" || previous == "master") return Severity::kWarning;
  return Severity::kInfo;
}

// Instances from `vrrp`'s answer: a bare list or {"instances": [...]}, so a
// change of envelope on vrrpd's side does not blind alertd.
const Json* instance_list(const Json& result) {
  if (result.is_array()) return &result;
  if (result.is_object()) {
    auto it = result.find("instances");
    if (it != result.end() && it->is_array()) return &*it;
  }
  return nullptr;
}

}  // namespace

bool Intake::silenced_as_backup() const {
  if (backup_alerts_ || roles_.empty()) return false;
  for (const auto& [instance, state] : roles_) {
    if (state == "master") return false;
  }
  return true;
}

void Intake::hold(std::vector<Event> events) {
  constexpr std::size_t kMaxHeld = 4096;  // bounded whatever healthd sends
  for (Event& ev : events) {
    auto key = std::make_pair(ev.service, ev.server);
    if (is_recovery(ev.kind)) {
      held_.erase(key);
    } else if (is_failure(ev.kind) || ev.kind == EventKind::kCertExpiry) {
      if (held_.size() < kMaxHeld || held_.count(key) != 0) held_[key] = std::move(ev);
    }
  }
}

std::vector<Event> Intake::release() {
  std::vector<Event> out;
  out.reserve(held_.size());
  for (auto& [key, ev] : held_) out.push_back(std::move(ev));
  held_.clear();
  return out;
}

std::vector<Event> Intake::cert_event(const Json& data) {
  auto service = data.is_object() ? str(data, "service") : std::nullopt;
  auto server = data.is_object() ? str(data, "server") : std::nullopt;
  if (!service || service->empty() || !server || server->empty()) {
    ++stats_.malformed;
    return {};
  }
  ++stats_.events;
  Event ev;
  ev.kind = EventKind::kCertExpiry;
  ev.severity = Severity::kWarning;
  ev.service = *service;
  ev.server = *server;
  ev.summary = str_or(data, "summary", "certificate expires soon");
  ev.detail = "reported by tandem-healthd (health.cert_expiry, monitor " +
              str_or(data, "monitor", "?") + ")";
  return {ev};
}

std::vector<Event> Intake::health_event(std::string_view topic, const Json& data) {
  const bool down = topic == "health.server_down", up = topic == "health.server_up";
  const bool lost = topic == "health.quorum_lost", restored = topic == "health.quorum_restored";
  if (topic == "health.cert_expiry") return cert_event(data);
  if (!down && !up && !lost && !restored) {
    ++stats_.ignored;
    return {};
  }
  auto service = data.is_object() ? str(data, "service") : std::nullopt;
  if (!service || service->empty()) {
    ++stats_.malformed;
    return {};
  }
  const std::string summary = str_or(data, "summary", "");
  const std::string detail = "reported by tandem-healthd (" + std::string(topic) + ")";
  ++stats_.events;
  if (lost || restored) {
    quorum_[*service] = restored;
    return {quorum_event(restored, *service, summary, detail)};
  }
  auto server = str(data, "server");
  if (!server || server->empty()) {
    --stats_.events;
    ++stats_.malformed;
    return {};
  }
  servers_[{*service, *server}] = {up, summary};
  return {server_event(up, *service, *server, summary, detail)};
}

std::vector<Event> Intake::health_snapshot(const Json& result) {
  auto services = result.is_object() ? result.find("services") : result.end();
  if (!result.is_object() || services == result.end() || !services->is_array()) {
    ++stats_.malformed;
    return {};
  }
  const bool first = !health_seen_;
  health_seen_ = true;
  std::vector<Event> out;
  const std::string detail = "found when alertd (re)connected to tandem-healthd";
  for (const Json& svc : *services) {
    if (!svc.is_object()) continue;
    auto name = str(svc, "service");
    if (!name) continue;
    auto q = svc.find("has_quorum");
    if (q != svc.end() && q->is_boolean()) {
      auto known = quorum_.find(*name);
      const bool has = q->get<bool>();
      if (!first && known != quorum_.end() && known->second != has) {
        out.push_back(quorum_event(has, *name, has ? "quorum restored" : "quorum lost", detail));
      }
      quorum_[*name] = has;
    }
    auto servers = svc.find("servers");
    if (servers == svc.end() || !servers->is_array()) continue;
    for (const Json& s : *servers) {
      if (!s.is_object()) continue;
      auto id = str(s, "server");
      auto state = str(s, "state");
      // "pending" has no verdict yet: neither up nor down.
      if (!id || !state || (*state != "up" && *state != "down" && *state != "maintenance")) {
        continue;
      }
      const bool up = *state == "up";
      std::string summary = "state " + *state;
      auto last = s.find("last");
      if (last != s.end() && last->is_object()) {
        if (auto ls = str(*last, "summary"); ls && !ls->empty()) summary = *ls;
      }
      if (*state == "maintenance") summary = "maintenance";
      auto key = std::make_pair(*name, *id);
      auto known = servers_.find(key);
      if (!first && known != servers_.end() && known->second.up != up) {
        out.push_back(server_event(up, *name, *id, summary, detail));
      }
      servers_[key] = {up, summary};
    }
  }
  stats_.caught_up += out.size();
  return out;
}

std::optional<Event> Intake::vrrp_change(const std::string& instance, const std::string& previous,
                                         const Json& data) {
  const std::string state = str_or(data, "state", "");
  if (state.empty()) return std::nullopt;
  Event ev;
  ev.kind = state == "master"  ? EventKind::kVrrpMaster
            : state == "fault" ? EventKind::kVrrpFault
                               : EventKind::kVrrpBackup;
  ev.severity = role_severity(state, previous);
  ev.service = instance;
  ev.summary = instance + " is " + state;
  if (!previous.empty()) ev.summary += " (was " + previous + ")";
  if (auto reason = str(data, "reason"); reason && !reason->empty()) ev.summary += ": " + *reason;
  // Everything else vrrpd said, one "key: value" line each, for the body.
  ev.detail = "reported by tandem-vrrpd\n";
  for (const char* key : {"group", "vrid", "interface", "priority", "master"}) {
    auto it = data.find(key);
    if (it == data.end()) continue;
    std::string v = scalar_text(*it);
    if (!v.empty()) ev.detail += std::string(key) + ": " + v + "\n";
  }
  auto vips = data.find("vips");
  if (vips != data.end() && vips->is_array()) {
    std::string list;
    for (const Json& v : *vips) {
      if (!v.is_string()) continue;
      if (!list.empty()) list += ", ";
      list += v.get<std::string>();
    }
    if (!list.empty()) ev.detail += "vips: " + list + "\n";
  }
  return ev;
}

std::vector<Event> Intake::vrrp_event(const Json& data) {
  auto instance = data.is_object() ? str(data, "instance") : std::nullopt;
  auto state = data.is_object() ? str(data, "state") : std::nullopt;
  if (!instance || instance->empty() || !state || state->empty()) {
    ++stats_.malformed;
    return {};
  }
  // vrrpd says what it was; if it does not, what alertd last knew.
  std::string previous = str_or(data, "previous", "");
  if (previous.empty()) {
    auto known = roles_.find(*instance);
    if (known != roles_.end()) previous = known->second;
  }
  roles_[*instance] = *state;
  auto ev = vrrp_change(*instance, previous, data);
  if (!ev) return {};
  ++stats_.events;
  return {std::move(*ev)};
}

std::vector<Event> Intake::vrrp_snapshot(const Json& result) {
  const Json* list = instance_list(result);
  if (list == nullptr) {
    ++stats_.malformed;
    return {};
  }
  const bool first = !vrrp_seen_;
  vrrp_seen_ = true;
  std::vector<Event> out;
  for (const Json& inst : *list) {
    if (!inst.is_object()) continue;
    auto name = str(inst, "instance");
    auto state = str(inst, "state");
    if (!name || !state || state->empty()) continue;
    auto known = roles_.find(*name);
    if (!first && known != roles_.end() && known->second != *state) {
      // The stored reason belongs to the last change, which alertd missed
      // or already reported; say how this one was found instead.
      Json data = inst;
      data["reason"] = "found when alertd (re)connected to tandem-vrrpd";
      if (auto ev = vrrp_change(*name, known->second, data)) out.push_back(std::move(*ev));
    }
    roles_[*name] = *state;
  }
  stats_.caught_up += out.size();
  return out;
}

}  // namespace tandem::alerts
