// Monitor templates (`monitors:`) and the monitor lists of services and
// real servers, which name a template, override one, or define one inline.

#include <algorithm>

#include "common/config/regex_check.h"
#include "common/config/sections.h"

namespace tandem::config::detail {
namespace {

constexpr std::string_view kCommonKeys[] = {"type",         "interval", "timeout",
                                            "rise",         "fall",     "retry_delay",
                                            "start_jitter", "address",  "port"};
constexpr std::string_view kHttpKeys[] = {"method",        "path",        "host",
                                          "expect_status", "expect_body", "expect_body_regex"};
constexpr std::string_view kTlsKeys[] = {"sni", "verify_certificate", "ca_file",
                                         "cert_expiry_warning"};
constexpr std::string_view kTelnetKeys[] = {"send", "expect"};
constexpr std::string_view kDnsKeys[] = {"query",          "query_type",    "expect_rcode",
                                         "require_answer", "expect_answer", "transport"};
constexpr std::string_view kExecKeys[] = {"path", "args", "mon_compatible"};

enum class Place { template_def, list_entry };

// The keys valid in one monitor mapping. An unknown type allows every
// monitor key, so a typo in `type` does not also flag each of its fields.
std::vector<std::string_view> monitor_keys(std::optional<MonitorType> type, Place place) {
  std::vector<std::string_view> keys(std::begin(kCommonKeys), std::end(kCommonKeys));
  auto add = [&](std::span<const std::string_view> more) {
    for (std::string_view k : more) {
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    }
  };
  if (!type || *type == MonitorType::http || *type == MonitorType::https) add(kHttpKeys);
  if (!type || *type == MonitorType::https) add(kTlsKeys);
  if (!type || *type == MonitorType::telnet) add(kTelnetKeys);
  if (!type || *type == MonitorType::dns) add(kDnsKeys);
  if (!type || *type == MonitorType::exec) add(kExecKeys);
  if (place == Place::list_entry) {
    keys.push_back("name");
    keys.push_back("use");
  }
  return keys;
}

std::optional<StatusRange> parse_status(const Value& v) {
  std::string s = v.text();
  auto dash = s.find('-');
  auto num = [](std::string_view t) -> int {
    if (t.size() != 3) return -1;
    int n = 0;
    for (char c : t) {
      if (c < '0' || c > '9') return -1;
      n = n * 10 + (c - '0');
    }
    return n >= 100 && n <= 599 ? n : -1;
  };
  StatusRange r;
  if (dash == std::string::npos) {
    r.first = r.last = num(s);
  } else {
    r.first = num(std::string_view(s).substr(0, dash));
    r.last = num(std::string_view(s).substr(dash + 1));
  }
  if (!v.is_scalar() || r.first < 0 || r.last < 0 || r.first > r.last) {
    v.error("expected an HTTP status from 100 to 599 or a range such as \"200-299\", got " +
            (v.is_scalar() ? quote(s) : v.kind()));
    return std::nullopt;
  }
  return r;
}

void read_http(const Map& m, HttpCheck& h, MonitorType type) {
  m.read_enum("method", h.method);
  if (auto p = m.get("path")) {
    if (auto s = p->string()) {
      if (s->empty() || s->front() != '/') {
        p->error("expected a request path starting with /, got " + quote(*s));
      } else {
        h.path = *s;
      }
    }
  }
  m.read("host", h.host);
  if (auto st = m.get("expect_status")) {
    std::vector<StatusRange> ranges;
    bool ok = true;
    for (const Value& item : st->items(true)) {
      auto r = parse_status(item);
      ok = ok && r.has_value();
      if (r) ranges.push_back(*r);
    }
    if (ok && ranges.empty()) {
      st->error("expect_status must name at least one status");
    } else if (ok) {
      h.expect_status = std::move(ranges);
    }
  }
  m.read("expect_body", h.expect_body);
  if (auto re = m.get("expect_body_regex")) {
    if (auto s = re->string()) {
      if (std::string why = regex_error(*s); why.empty()) {
        h.expect_body_regex = *s;
      } else {
        re->error("invalid regular expression " + quote(*s) + ": " + why);
      }
    }
  }
  if (type != MonitorType::https) return;
  m.read("sni", h.sni);
  m.read("verify_certificate", h.verify_certificate);
  m.read_path("ca_file", h.ca_file);
  m.read("cert_expiry_warning", h.cert_expiry_warning, 0s, std::chrono::hours(24 * 365));
}

void read_dns(const Map& m, DnsCheck& d) {
  if (auto q = m.get("query")) {
    if (auto s = q->string()) {
      bool ok = !s->empty() && s->size() <= 253;
      for (char c : *s) {
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_');
      }
      if (ok) {
        d.query = *s;
      } else {
        q->error("expected a domain name such as lab.tandem.test, got " + quote(*s));
      }
    }
  }
  m.read_enum("query_type", d.query_type);
  m.read_enum("expect_rcode", d.expect_rcode);
  m.read("require_answer", d.require_answer);
  m.read_enum("transport", d.transport);
  if (auto a = m.get("expect_answer")) {
    if (auto s = a->string()) {
      if (d.query_type == DnsType::a && !net::Ipv4::parse(*s)) {
        a->error("an A query's expected answer must be an IPv4 address, got " + quote(*s));
      } else {
        d.expect_answer = *s;
        d.require_answer = true;
      }
    }
  }
}

// Fields of one monitor mapping read over `base`, which carries the defaults
// or the template being overridden.
void read_fields(const Map& m, Monitor& mon) {
  m.read("interval", mon.interval, 100ms, std::chrono::hours(24));
  m.read("timeout", mon.timeout, 10ms, std::chrono::hours(1));
  m.read_int("rise", mon.rise, 1, 100);
  m.read_int("fall", mon.fall, 1, 100);
  m.read("retry_delay", mon.retry_delay, 0s, std::chrono::hours(1));
  m.read("start_jitter", mon.start_jitter, 0s, std::chrono::hours(24));
  if (auto a = m.get("address")) {
    if (auto ip = a->ipv4()) mon.address = *ip;
  }
  m.read_int("port", mon.port, 1, 65535);
  switch (mon.type) {
    case MonitorType::http:
    case MonitorType::https:
      read_http(m, mon.http, mon.type);
      break;
    case MonitorType::telnet:
      m.read("send", mon.telnet.send);
      m.read("expect", mon.telnet.expect);
      break;
    case MonitorType::dns:
      read_dns(m, mon.dns);
      break;
    case MonitorType::exec:
      m.read_path("path", mon.exec.path);
      m.read("args", mon.exec.args);
      m.read("mon_compatible", mon.exec.mon_compatible);
      break;
    case MonitorType::tcp:
    case MonitorType::ping:
      break;
  }
}

// Rules over the merged result. `complete` is false for an override of a
// template: the template was checked for required keys on its own.
void check_monitor(const Map& m, const Monitor& mon, bool complete) {
  if (mon.timeout > mon.interval) {
    Value at = m.get("timeout").value_or(m.get("interval").value_or(m.value()));
    at.error("timeout must not be longer than interval");
  }
  if (!complete) return;
  if (mon.type == MonitorType::dns) m.require("query");
  if (mon.type == MonitorType::exec) m.require("path");
}

std::optional<MonitorType> peek_type(const Value& v) {
  auto t = v.peek("type");
  return t ? from_string<MonitorType>(t->text()) : std::nullopt;
}

Monitor parse_entry(const Value& v, const Config& cfg) {
  if (v.is_scalar()) {
    const std::string& name = v.text();
    if (const Monitor* t = find_named(cfg.monitors, name)) {
      Monitor mon = *t;
      mon.template_name = name;
      return mon;
    }
    unknown_reference(v, "monitor template", name, names_of(cfg.monitors));
    return Monitor{};
  }
  if (!v.is_map()) {
    v.error("expected a monitor template name or a monitor mapping, got " + v.kind());
    return Monitor{};
  }
  Monitor mon;
  const Monitor* tmpl = nullptr;
  bool template_missing = false;
  if (auto use = v.peek("use")) {
    tmpl = use->is_scalar() ? find_named(cfg.monitors, use->text()) : nullptr;
    template_missing = tmpl == nullptr;
  }
  std::optional<MonitorType> type = tmpl ? std::optional(tmpl->type) : peek_type(v);
  Map m(v, monitor_keys(type, Place::list_entry));
  if (tmpl) {
    mon = *tmpl;
    mon.template_name = tmpl->name;
    if (auto t = m.get("type")) {
      if (auto given = t->enumeration<MonitorType>(); given && *given != tmpl->type) {
        t->error("type " + quote(to_string(*given)) + " differs from template " +
                 quote(tmpl->name) + ", which is " + quote(to_string(tmpl->type)));
      }
    }
  } else if (template_missing) {
    auto use = m.get("use");
    if (auto s = use->string())
      unknown_reference(*use, "monitor template", *s, names_of(cfg.monitors));
  } else if (auto t = m.require("type")) {
    if (auto given = t->enumeration<MonitorType>()) mon.type = *given;
  }
  if (!tmpl) mon.name = std::string(to_string(mon.type));
  if (auto n = m.get("name")) {
    if (auto s = n->string(); s && check_name(*n, *s)) mon.name = *s;
  }
  read_fields(m, mon);
  check_monitor(m, mon, tmpl == nullptr && !template_missing);
  return mon;
}

}  // namespace

void parse_monitor_templates(const Value& v, Config& cfg) {
  for (const Value::Entry& e : v.entries()) {
    check_name(e.value, e.key);
    Monitor mon;
    mon.name = e.key;
    Map m(e.value, monitor_keys(peek_type(e.value), Place::template_def));
    if (auto t = m.require("type")) {
      if (auto given = t->enumeration<MonitorType>()) mon.type = *given;
    }
    read_fields(m, mon);
    check_monitor(m, mon, true);
    cfg.monitors.push_back(std::move(mon));
  }
}

std::vector<Monitor> parse_monitor_list(const Value& v, const Config& cfg) {
  std::vector<Monitor> out;
  for (const Value& item : v.items()) {
    Monitor mon = parse_entry(item, cfg);
    if (find_named(out, mon.name)) {
      item.error("a monitor named " + quote(mon.name) +
                 " is already in this list; give this one a distinct `name`");
    }
    out.push_back(std::move(mon));
  }
  return out;
}

}  // namespace tandem::config::detail
