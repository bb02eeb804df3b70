#include "healthd/core/snapshot.h"

#include <nlohmann/json.hpp>

namespace tandem::health {

namespace {

constexpr int kVersion = 1;
constexpr int kMaxCount = 1 << 30;

bool get_string(const nlohmann::json& j, const char* key, std::string& out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

bool get_bool(const nlohmann::json& j, const char* key, bool& out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_boolean()) return false;
  out = it->get<bool>();
  return true;
}

bool get_count(const nlohmann::json& j, const char* key, int& out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return false;
  const auto v = it->get<std::int64_t>();
  if (v < 0 || v > kMaxCount) return false;
  out = static_cast<int>(v);
  return true;
}

}  // namespace

std::string snapshot_to_json(const std::vector<ServiceSnapshot>& services) {
  nlohmann::json svcs = nlohmann::json::array();
  for (const auto& s : services) {
    nlohmann::json servers = nlohmann::json::array();
    for (const auto& r : s.servers) {
      servers.push_back({{"id", r.id},
                         {"monitor", r.monitor},
                         {"check", r.check_signature},
                         {"up", r.checked_up},
                         {"successes", r.successes},
                         {"failures", r.failures},
                         {"maintenance", r.maintenance}});
    }
    svcs.push_back({{"service", s.service}, {"quorum", s.has_quorum}, {"servers", servers}});
  }
  nlohmann::json doc = {{"version", kVersion}, {"services", svcs}};
  // Replace invalid UTF-8 rather than throw: ids come from the config file.
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::vector<ServiceSnapshot>> snapshot_from_json(std::string_view text) {
  const auto doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  auto ver = doc.find("version");
  if (ver == doc.end() || !ver->is_number_integer() || ver->get<std::int64_t>() != kVersion) {
    return std::nullopt;
  }
  auto svcs = doc.find("services");
  if (svcs == doc.end() || !svcs->is_array()) return std::nullopt;
  std::vector<ServiceSnapshot> out;
  for (const auto& s : *svcs) {
    if (!s.is_object()) return std::nullopt;
    ServiceSnapshot snap;
    if (!get_string(s, "service", snap.service) || !get_bool(s, "quorum", snap.has_quorum)) {
      return std::nullopt;
    }
    auto servers = s.find("servers");
    if (servers == s.end() || !servers->is_array()) return std::nullopt;
    for (const auto& r : *servers) {
      if (!r.is_object()) return std::nullopt;
      ServerSnapshot ss;
      // "monitor" came with per-monitor state; older files have one
      // unnamed monitor per server.
      if (r.contains("monitor") && !get_string(r, "monitor", ss.monitor)) return std::nullopt;
      if (!get_string(r, "id", ss.id) || !get_string(r, "check", ss.check_signature) ||
          !get_bool(r, "up", ss.checked_up) || !get_count(r, "successes", ss.successes) ||
          !get_count(r, "failures", ss.failures) || !get_bool(r, "maintenance", ss.maintenance)) {
        return std::nullopt;
      }
      snap.servers.push_back(std::move(ss));
    }
    out.push_back(std::move(snap));
  }
  return out;
}

}  // namespace tandem::health
