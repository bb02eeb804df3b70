// global, interfaces, nodes, control, and the name checks shared by all
// sections.

#include <charconv>

#include "common/config/sections.h"

namespace tandem::config::detail {
namespace {

constexpr Duration kMaxStateTimeout = std::chrono::hours(24 * 31);

bool name_char(char c) {
  // ':' so that a real server's default name "address:port" is a name too.
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == ':';
}

}  // namespace

bool check_name(const Value& at, std::string_view name) {
  bool ok = !name.empty() && name.size() <= 63 && name_char(name[0]) && name[0] != '_' &&
            name[0] != '-' && name[0] != '.' && name[0] != ':';
  for (char c : name) ok = ok && name_char(c);
  if (!ok) {
    at.error("invalid name " + quote(name) +
             ": use 1 to 63 letters, digits, '_', '-', '.' or ':', starting with a letter or "
             "digit");
  }
  return ok;
}

bool check_device(const Value& at, std::string_view device) {
  bool ok = !device.empty() && device.size() <= 15 && device != "." && device != "..";
  for (char c : device) ok = ok && c != '/' && c != ':' && c > ' ' && c != 0x7f;
  if (!ok) {
    at.error("invalid device name " + quote(device) +
             ": Linux interface names have 1 to 15 characters without '/', ':' or spaces");
  }
  return ok;
}

void unknown_reference(const Value& at, std::string_view what, std::string_view name,
                       const std::vector<std::string_view>& defined) {
  std::string message = "unknown " + std::string(what) + " " + quote(name);
  if (auto best = did_you_mean(name, defined)) {
    message += " (did you mean " + quote(*best) + "?)";
  } else if (defined.empty()) {
    message += " (none are defined)";
  } else {
    message += "; defined: " + join(defined);
  }
  at.error(message);
}

void parse_global(const Value& v, Global& out) {
  Map m(v, {"log_level", "run_dir", "max_connections", "tcp_timeouts", "udp_timeout",
            "expire_nodest_conn", "expire_quiescent_template", "conn_reuse_mode", "sloppy_tcp",
            "workers", "manage_offloads"});
  m.read_enum("log_level", out.log_level);
  m.read_path("run_dir", out.run_dir);
  m.read_int("max_connections", out.max_connections, 1024, 268435456);
  m.read("udp_timeout", out.udp_timeout, 1s, kMaxStateTimeout);
  m.read("expire_nodest_conn", out.expire_nodest_conn);
  m.read("expire_quiescent_template", out.expire_quiescent_template);
  m.read_int("conn_reuse_mode", out.conn_reuse_mode, 0, 1);
  m.read("sloppy_tcp", out.sloppy_tcp);
  m.read("manage_offloads", out.manage_offloads);
  if (auto w = m.get("workers")) {
    const std::string s = w->text();
    std::uint32_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s == "auto") {
      out.workers = 0;
    } else if (!s.empty() && ec == std::errc() && end == s.data() + s.size() && n >= 1 && n <= 64) {
      out.workers = n;
    } else {
      w->error("expected \"auto\" or an integer in 1..64, got " +
               (w->is_scalar() ? quote(s) : w->kind()));
    }
  }
  if (auto t = m.get("tcp_timeouts")) {
    Map tm(*t, {"none", "established", "syn_sent", "syn_recv", "fin_wait", "time_wait", "close",
                "close_wait", "last_ack", "listen", "synack"});
    TcpTimeouts& o = out.tcp_timeouts;
    std::pair<std::string_view, Duration*> fields[] = {
        {"none", &o.none},         {"established", &o.established},
        {"syn_sent", &o.syn_sent}, {"syn_recv", &o.syn_recv},
        {"fin_wait", &o.fin_wait}, {"time_wait", &o.time_wait},
        {"close", &o.close},       {"close_wait", &o.close_wait},
        {"last_ack", &o.last_ack}, {"listen", &o.listen},
        {"synack", &o.synack}};
    for (auto& [key, field] : fields) tm.read(key, *field, 1s, kMaxStateTimeout);
  }
}

void parse_interfaces(const Value& v, Config& cfg) {
  for (const Value::Entry& e : v.entries()) {
    Interface iface;
    iface.name = e.key;
    check_name(e.value, e.key);
    Map m(e.value, {"device", "role"});
    if (auto d = m.require("device")) {
      if (auto s = d->string(); s && check_device(*d, *s)) iface.device = *s;
    }
    if (auto r = m.require("role")) {
      if (auto role = r->enumeration<InterfaceRole>()) iface.role = *role;
    }
    cfg.interfaces.push_back(std::move(iface));
  }
}

void parse_nodes(const Value& v, Config& cfg) {
  for (const Value::Entry& e : v.entries()) {
    Node node;
    node.name = e.key;
    check_name(e.value, e.key);
    Map m(e.value, {"address", "priority", "devices"});
    if (auto a = m.require("address")) {
      if (auto ip = a->ipv4()) {
        for (const Node& other : cfg.nodes) {
          if (other.address == *ip) {
            a->error("address " + ip->to_string() + " is already used by node " +
                     quote(other.name));
          }
        }
        node.address = *ip;
      }
    }
    m.read_int("priority", node.priority, 1, 255);
    if (auto d = m.get("devices")) {
      for (const Value::Entry& dev : d->entries()) {
        if (!find_named(cfg.interfaces, dev.key)) {
          // Point at the key: the value is fine, the interface is not declared.
          Value at(dev.value.diags(), YAML::Node(), dev.value.path(), dev.key_mark);
          unknown_reference(at, "interface", dev.key, names_of(cfg.interfaces));
          continue;
        }
        if (auto s = dev.value.string(); s && check_device(dev.value, *s)) {
          node.devices[dev.key] = *s;
        }
      }
    }
    cfg.nodes.push_back(std::move(node));
  }
}

void parse_control(const Value& v, Control& out) {
  Map m(v, {"socket_group", "socket_mode", "max_message_size"});
  if (auto g = m.get("socket_group")) {
    if (auto s = g->string()) {
      if (s->empty()) {
        g->error("socket_group must not be empty");
      } else {
        out.socket_group = *s;
      }
    }
  }
  if (auto mode = m.get("socket_mode")) {
    // Always octal, as chmod reads it: YAML would take 0660 as decimal 660.
    std::string s = mode->text();
    bool ok = mode->is_scalar() && !s.empty() && s.size() <= 4;
    std::uint32_t bits = 0;
    for (char c : s) {
      ok = ok && c >= '0' && c <= '7';
      bits = bits * 8 + static_cast<std::uint32_t>(c - '0');
    }
    if (!ok || bits > 0777) {
      mode->error("expected an octal file mode from 0000 to 0777 such as \"0660\", got " +
                  (mode->is_scalar() ? quote(s) : mode->kind()));
    } else {
      out.socket_mode = bits;
    }
  }
  m.read_int("max_message_size", out.max_message_size, 4096, 67108864);
}

}  // namespace tandem::config::detail
