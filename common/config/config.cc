#include "common/config/config.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>

#include "common/config/sections.h"

namespace tandem::config {
namespace {

// A config file is a few kilobytes; anything this large is not one, and
// reading it whole would only cost memory.
constexpr std::streamoff kMaxFileSize = std::streamoff{16} * 1024 * 1024;

void parse_root(const detail::Value& root, Config& cfg) {
  detail::Map m(root, {"nodes", "global", "interfaces", "monitors", "services", "vrrp", "sync",
                       "alerts", "control"});
  if (!m.valid()) return;
  // Order matters: each section may refer to the ones before it.
  if (auto v = m.get("global")) detail::parse_global(*v, cfg.global);
  if (auto v = m.get("interfaces")) detail::parse_interfaces(*v, cfg);
  if (auto v = m.get("nodes")) detail::parse_nodes(*v, cfg);
  if (auto v = m.get("control")) detail::parse_control(*v, cfg.control);
  if (auto v = m.get("monitors")) detail::parse_monitor_templates(*v, cfg);
  if (auto v = m.get("services")) detail::parse_services(*v, cfg);
  if (auto v = m.get("vrrp")) detail::parse_vrrp(*v, cfg);
  if (auto v = m.get("sync")) detail::parse_sync(*v, cfg);
  if (auto v = m.get("alerts")) detail::parse_alerts(*v, cfg);
}

}  // namespace

LoadResult load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return {
        std::nullopt,
        {Diagnostic{{path, 0, 0}, "", std::string("cannot open file: ") + std::strerror(errno)}}};
  }
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size > kMaxFileSize) {
    return {std::nullopt,
            {Diagnostic{{path, 0, 0}, "", "file is larger than 16 MiB: not a configuration"}}};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return load_string(ss.str(), path);
}

namespace {

// Records where each document starts, building nothing.
class DocumentStarts final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> marks;
  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Where a second document starts, if there is one. Not YAML::LoadAll: on
// some malformed input (a stray ',' at the top level) yaml-cpp 0.7's parser
// reports one more empty document on every call without consuming anything,
// and LoadAll loops forever allocating (fixed upstream after 0.7, PR #1319).
// Asking for at most two documents bounds the work whatever the input.
std::optional<YAML::Mark> second_document(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  for (int i = 0; i < 2 && parser.HandleNextDocument(starts); ++i) {
  }
  if (starts.marks.size() < 2) return std::nullopt;
  return starts.marks[1];
}

}  // namespace

LoadResult load_string(std::string_view yaml, const std::string& name) {
  detail::Diags diags(name);
  Config cfg;
  try {
    YAML::Node root;
    std::optional<YAML::Mark> second;
    try {
      const std::string text(yaml);
      root = YAML::Load(text);
      second = second_document(text);
    } catch (const YAML::ParserException& e) {
      diags.error(e.mark, "", "YAML syntax error: " + e.msg);
      return {std::nullopt, diags.take()};
    }
    if (second) {
      diags.error(*second, "", "more than one YAML document (or stray content after the first)");
    }
    parse_root(detail::Value(diags, root, "", YAML::Mark()), cfg);
  } catch (const std::exception& e) {
    // Not expected: every read is checked. Refuse the file rather than crash.
    diags.error(YAML::Mark::null_mark(), "", std::string("internal error: ") + e.what());
  }
  std::vector<Diagnostic> errors = diags.take();
  // Sections are read in dependency order; operators read top to bottom.
  std::stable_sort(errors.begin(), errors.end(), [](const Diagnostic& a, const Diagnostic& b) {
    auto key = [](const Diagnostic& d) {
      return std::pair(d.pos.line == 0 ? INT_MAX : d.pos.line, d.pos.column);
    };
    return key(a) < key(b);
  });
  if (!errors.empty()) return {std::nullopt, std::move(errors)};
  return {std::move(cfg), {}};
}

const Node* resolve_node(const Config& cfg, std::string_view name) {
  return detail::find_named(cfg.nodes, name);
}

std::string device_of(const Config& cfg, const Node* node, std::string_view interface) {
  if (node) {
    if (auto it = node->devices.find(std::string(interface)); it != node->devices.end()) {
      return it->second;
    }
  }
  const Interface* iface = detail::find_named(cfg.interfaces, interface);
  return iface ? iface->device : std::string();
}

int vrrp_priority(const VrrpInstance& instance, const Node* node) {
  if (instance.priority) return *instance.priority;
  return node ? node->priority : 100;
}

std::optional<net::Ipv4> sync_peer(const Config& cfg, const Node* self) {
  if (cfg.sync.peer) return cfg.sync.peer;
  if (cfg.nodes.size() != 2 || self == nullptr) return std::nullopt;
  const Node& other = cfg.nodes[0].name == self->name ? cfg.nodes[1] : cfg.nodes[0];
  if (other.name == self->name) return std::nullopt;
  return other.address;
}

}  // namespace tandem::config
