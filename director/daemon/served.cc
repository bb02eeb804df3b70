#include "director/daemon/served.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "director/daemon/convert.h"
#include "director/daemon/steering.h"

namespace tandem::director::daemon {
namespace {

auto key(const ServedService& s) {
  return std::make_tuple(s.vip.value, static_cast<int>(s.protocol), s.port);
}
auto key(const ServedServer& r) {
  return std::make_tuple(r.address.value, r.port, static_cast<int>(r.method));
}

Forwarding method(config::Forwarding f) {
  switch (f) {
    case config::Forwarding::dr:
      return Forwarding::dr;
    case config::Forwarding::nat:
      return Forwarding::nat;
    case config::Forwarding::tun:
      return Forwarding::tun;
  }
  return Forwarding::dr;
}

void normalise(ServedView& v) {
  for (auto& s : v.services) {
    std::sort(s.servers.begin(), s.servers.end(),
              [](const auto& a, const auto& b) { return key(a) < key(b); });
    s.servers.erase(std::unique(s.servers.begin(), s.servers.end()), s.servers.end());
  }
  std::sort(v.services.begin(), v.services.end(),
            [](const auto& a, const auto& b) { return key(a) < key(b); });
}

}  // namespace

ServedView served_by(const Director& d) {
  ServedView v;
  for (ServiceId id : d.services()) {
    const Service* s = d.service(id);
    if (s == nullptr) continue;
    ServedService out;
    out.protocol = s->config.protocol;
    out.vip = s->config.vip;
    out.port = s->config.port;
    if (s->config.persistence_timeout.count() > 0)
      out.persistence_mask = s->config.persistence_mask;
    for (const RealServer* r : s->servers)
      out.servers.push_back({r->config.address, r->config.port, r->config.method});
    v.services.push_back(std::move(out));
  }
  normalise(v);
  return v;
}

ServedView served_by(const config::Config& cfg) {
  ServedView v;
  for (const auto& s : cfg.services) {
    const ServiceConfig core = to_core(s);
    ServedService out;
    out.protocol = core.protocol;
    out.vip = core.vip;
    out.port = core.port;
    if (s.persistence.enabled) out.persistence_mask = core.persistence_mask;
    for (const auto& r : s.real_servers) {
      const RealServerConfig rc = to_core(r, s);
      out.servers.push_back({rc.address, rc.port, rc.method});
    }
    if (s.fallback)
      out.servers.push_back(
          {s.fallback->address, s.fallback->port, method(s.fallback->forwarding)});
    v.services.push_back(std::move(out));
  }
  normalise(v);
  return v;
}

ServedView merge(const ServedView& a, const ServedView& b) {
  ServedView v = a;
  for (const auto& s : b.services) {
    auto it = std::find_if(v.services.begin(), v.services.end(),
                           [&](const ServedService& x) { return key(x) == key(s); });
    if (it == v.services.end()) {
      v.services.push_back(s);
      continue;
    }
    it->persistence_mask &= s.persistence_mask;
    it->servers.insert(it->servers.end(), s.servers.begin(), s.servers.end());
  }
  normalise(v);
  return v;
}

std::vector<net::Ipv4> vips_of(const ServedView& v) {
  std::set<std::uint32_t> seen;
  std::vector<net::Ipv4> out;
  for (const auto& s : v.services)
    if (seen.insert(s.vip.value).second) out.push_back(s.vip);
  return out;
}

std::uint32_t steering_mask(const ServedView& v) {
  std::vector<std::uint32_t> masks;
  for (const auto& s : v.services) masks.push_back(s.persistence_mask);
  return widest_mask(masks);
}

}  // namespace tandem::director::daemon
