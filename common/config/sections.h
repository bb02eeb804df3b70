#pragma once
// Per-section parsers (internal). load_string calls them in dependency
// order, so each one can check its references against sections already
// read: interfaces before nodes, monitor templates before services, services
// before vrrp tracking and alert routes, vrrp instances before sync groups.

#include <string>
#include <string_view>
#include <vector>

#include "common/config/reader.h"
#include "common/config/schema.h"

namespace tandem::config::detail {

void parse_global(const Value& v, Global& out);
void parse_interfaces(const Value& v, Config& cfg);
void parse_nodes(const Value& v, Config& cfg);
void parse_control(const Value& v, Control& out);
void parse_monitor_templates(const Value& v, Config& cfg);
void parse_services(const Value& v, Config& cfg);
void parse_vrrp(const Value& v, Config& cfg);
void parse_sync(const Value& v, Config& cfg);
void parse_alerts(const Value& v, Config& cfg);

// A monitor list entry: a template name, or a mapping that is either
// `use: <template>` plus overrides or an inline monitor with `type`.
std::vector<Monitor> parse_monitor_list(const Value& v, const Config& cfg);

// Names of things other keys refer to: letters, digits, '_', '-', '.', ':';
// starting with a letter or digit; at most 63 characters.
bool check_name(const Value& at, std::string_view name);
// A Linux interface name: 1..15 characters, no '/', ':' or whitespace.
bool check_device(const Value& at, std::string_view device);

// "unknown <what> 'x' (did you mean 'y'?)" against the names defined.
void unknown_reference(const Value& at, std::string_view what, std::string_view name,
                       const std::vector<std::string_view>& defined);

template <class T>
const T* find_named(const std::vector<T>& items, std::string_view name) {
  for (const T& item : items) {
    if (item.name == name) return &item;
  }
  return nullptr;
}

template <class T>
std::vector<std::string_view> names_of(const std::vector<T>& items) {
  std::vector<std::string_view> out;
  for (const T& item : items) out.push_back(item.name);
  return out;
}

}  // namespace tandem::config::detail
