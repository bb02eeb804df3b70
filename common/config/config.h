#pragma once
// The suite's configuration: one YAML file, typed. Every daemon loads the
// whole file and reads the sections it needs; validation is shared so that
// `tandemctl check-config` and `<daemon> --check-config` agree exactly.
// The schema is in schema.h and documented in docs/configuration.md;
// dump.h prints the effective config and its fingerprint, diff.h compares
// two generations for reload.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/schema.h"
#include "common/util/diag.h"

namespace tandem::config {

// On any error `config` is empty, so a reloading daemon keeps the one it
// has. Every error in the file is reported, in file order per section.
struct LoadResult {
  std::optional<Config> config;
  std::vector<Diagnostic> errors;
  bool ok() const { return config.has_value() && errors.empty(); }
};

// Never throw. `name` is what diagnostics call the input (usually a path).
LoadResult load_file(const std::string& path);
LoadResult load_string(std::string_view yaml, const std::string& name);

// The node a daemon runs as (from --node, default the short hostname), or
// nullptr when the file has no such node. A file without `nodes` is a
// single-node configuration: nullptr is then expected and the helpers
// below fall back to the shared values.
const Node* resolve_node(const Config& cfg, std::string_view name);

// The device of a named interface on `node`: the node's override, else the
// interface's device; "" for an undeclared interface.
std::string device_of(const Config& cfg, const Node* node, std::string_view interface);

// Instance priority, else the node's priority, else 100.
int vrrp_priority(const VrrpInstance& instance, const Node* node);

// The unicast sync peer: sync.peer, else the address of the other node of a
// two-node file; nullopt when neither applies.
std::optional<net::Ipv4> sync_peer(const Config& cfg, const Node* self);

}  // namespace tandem::config
