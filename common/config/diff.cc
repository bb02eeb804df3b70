#include "common/config/diff.h"

namespace tandem::config {
namespace {

template <class T>
NamedChanges compare(const std::vector<T>& before, const std::vector<T>& after) {
  NamedChanges out;
  auto find = [](const std::vector<T>& items, const std::string& name) -> const T* {
    for (const T& item : items) {
      if (item.name == name) return &item;
    }
    return nullptr;
  };
  for (const T& item : after) {
    const T* old = find(before, item.name);
    if (!old) {
      out.added.push_back(item.name);
    } else if (!(*old == item)) {
      out.changed.push_back(item.name);
    } else {
      out.unchanged.push_back(item.name);
    }
  }
  for (const T& item : before) {
    if (!find(after, item.name)) out.removed.push_back(item.name);
  }
  return out;
}

}  // namespace

bool ConfigDiff::any() const {
  return nodes || global || interfaces || sync || control || alerts || monitors.any() ||
         services.any() || vrrp_instances.any() || sync_groups.any() || senders.any() ||
         routes.any();
}

ConfigDiff diff(const Config& before, const Config& after) {
  ConfigDiff d;
  d.nodes = !(before.nodes == after.nodes);
  d.global = !(before.global == after.global);
  d.interfaces = !(before.interfaces == after.interfaces);
  d.sync = !(before.sync == after.sync);
  d.control = !(before.control == after.control);
  d.alerts = !(before.alerts == after.alerts);
  d.monitors = compare(before.monitors, after.monitors);
  d.services = compare(before.services, after.services);
  d.vrrp_instances = compare(before.vrrp.instances, after.vrrp.instances);
  d.sync_groups = compare(before.vrrp.sync_groups, after.vrrp.sync_groups);
  d.senders = compare(before.alerts.senders, after.alerts.senders);
  d.routes = compare(before.alerts.routes, after.alerts.routes);
  return d;
}

NamedChanges diff_real_servers(const Service& before, const Service& after) {
  return compare(before.real_servers, after.real_servers);
}

}  // namespace tandem::config
