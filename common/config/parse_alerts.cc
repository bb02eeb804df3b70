// Alert senders and routes, with mon's policy knobs.

#include "common/config/duration.h"
#include "common/config/sections.h"

namespace tandem::config::detail {
namespace {

constexpr Duration kMaxPolicy = std::chrono::hours(24 * 31);

bool looks_like_mail(std::string_view s) {
  auto at = s.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < s.size() &&
         s.find_first_of(" \t<>,") == std::string_view::npos;
}

void parse_mail(const Map& m, MailSender& mail) {
  if (auto s = m.require("server")) {
    if (auto host = s->string()) {
      if (host->empty() || host->find_first_of(" \t/") != std::string::npos) {
        s->error("expected a host name or IPv4 address, got " + quote(*host));
      } else {
        mail.server = *host;
      }
    }
  }
  m.read_int("port", mail.port, 1, 65535);
  m.read("starttls", mail.starttls);
  m.read("user", mail.user);
  m.read_path("password_file", mail.password_file);
  m.read_path("ca_file", mail.ca_file);
  if (m.has("user") != m.has("password_file")) {
    m.get(m.has("user") ? "user" : "password_file")
        ->error("`user` and `password_file` go together");
  }
  if (auto f = m.require("from")) {
    if (auto s = f->string()) {
      if (looks_like_mail(*s)) {
        mail.from = *s;
      } else {
        f->error("expected a mail address such as tandem@example.org, got " + quote(*s));
      }
    }
  }
  if (auto to = m.require("to")) {
    std::vector<Value> items = to->items(true);
    if (items.empty()) to->error("list at least one recipient");
    for (const Value& item : items) {
      auto s = item.string();
      if (!s) continue;
      if (!looks_like_mail(*s)) {
        item.error("expected a mail address such as ops@example.org, got " + quote(*s));
        continue;
      }
      mail.to.push_back(*s);
    }
  }
  m.read("timeout", mail.timeout, 1s, 600s);
}

void parse_page(const Map& m, PageSender& page) {
  if (auto u = m.require("url")) {
    if (auto s = u->string()) {
      bool ok = (s->starts_with("http://") && s->size() > 7) ||
                (s->starts_with("https://") && s->size() > 8);
      if (ok && s->find_first_of(" \t\r\n") == std::string::npos) {
        page.url = *s;
      } else {
        u->error("expected an http:// or https:// URL, got " + quote(*s));
      }
    }
  }
  if (auto h = m.get("headers")) {
    for (const Value::Entry& e : h->entries()) {
      auto s = e.value.string();
      if (!s) continue;
      // A header name or value with a line break would inject headers.
      if (e.key.find_first_of(" :\r\n") != std::string::npos || e.key.empty() ||
          s->find_first_of("\r\n") != std::string::npos) {
        e.value.error("header names have no spaces or ':', and no header has line breaks");
        continue;
      }
      page.headers[e.key] = *s;
    }
  }
  m.read("timeout", page.timeout, 1s, 600s);
}

void parse_sender(const Value::Entry& e, Config& cfg) {
  Sender sender;
  sender.name = e.key;
  check_name(e.value, e.key);
  // The type picks the valid keys; an unknown type allows them all so that
  // only the type itself is reported.
  auto t = e.value.peek("type");
  auto peeked = t ? from_string<SenderType>(t->text()) : std::nullopt;
  const bool known = peeked.has_value();
  const SenderType type = peeked.value_or(SenderType::mail);
  std::vector<std::string_view> keys = {"type", "timeout"};
  if (!known || type == SenderType::mail) {
    keys.insert(keys.end(),
                {"server", "port", "starttls", "user", "password_file", "ca_file", "from", "to"});
  }
  if (!known || type == SenderType::page) keys.insert(keys.end(), {"url", "headers"});
  if (!known || type == SenderType::exec) {
    keys.insert(keys.end(), {"path", "args", "mon_compatible"});
  }
  Map m(e.value, keys);
  if (!m.valid()) return;
  if (auto tv = m.require("type")) {
    if (auto given = tv->enumeration<SenderType>()) sender.type = *given;
  }
  if (!known) {
    cfg.alerts.senders.push_back(std::move(sender));
    return;
  }
  switch (sender.type) {
    case SenderType::mail:
      parse_mail(m, sender.mail);
      break;
    case SenderType::page:
      parse_page(m, sender.page);
      break;
    case SenderType::exec:
      m.require("path");
      m.read_path("path", sender.exec.path);
      m.read("args", sender.exec.args);
      m.read("mon_compatible", sender.exec.mon_compatible);
      m.read("timeout", sender.exec.timeout, 1s, 600s);
      break;
  }
  cfg.alerts.senders.push_back(std::move(sender));
}

// mon's forms: "N" consecutive failures, "T" failing for a duration, or
// "N T" N failures within T. A bare number is a count here, not seconds.
void parse_alertafter(const Value& v, AlertAfter& out) {
  std::string s = v.text();
  auto count = [](std::string_view t) -> int {
    if (t.empty() || t.size() > 6) return -1;
    int n = 0;
    for (char c : t) {
      if (c < '0' || c > '9') return -1;
      n = n * 10 + (c - '0');
    }
    return n;
  };
  auto space = s.find(' ');
  std::string_view first = std::string_view(s).substr(0, space);
  std::string_view rest =
      space == std::string::npos ? std::string_view() : std::string_view(s).substr(space + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  AlertAfter a;
  bool ok = v.is_scalar();
  if (ok && rest.empty()) {
    if (int n = count(first); n >= 0) {
      a.count = n;
      a.period = 0s;
      ok = n >= 1;
    } else if (auto d = parse_duration(first)) {
      a.count = 0;
      a.period = *d;
      ok = *d > 0s && *d <= kMaxPolicy;
    } else {
      ok = false;
    }
  } else if (ok) {
    int n = count(first);
    auto d = parse_duration(rest);
    ok = n >= 1 && d && *d > 0s && *d <= kMaxPolicy;
    if (ok) a = AlertAfter{n, *d};
  }
  if (!ok) {
    v.error("expected alertafter as a count (3), a duration (5m) or both (\"3 10m\"), got " +
            (v.is_scalar() ? quote(s) : v.kind()));
    return;
  }
  out = a;
}

std::optional<int> parse_clock(const Value& v) {
  std::string s = v.text();
  int minutes = -1;
  if (v.is_scalar() && s.size() == 5 && s[2] == ':') {
    auto digit = [&](std::size_t i) { return s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -100; };
    int h = digit(0) * 10 + digit(1);
    int mi = digit(3) * 10 + digit(4);
    if (h >= 0 && h <= 24 && mi >= 0 && mi <= 59 && (h < 24 || mi == 0)) minutes = h * 60 + mi;
  }
  if (minutes < 0) {
    v.error("expected a time of day as HH:MM from 00:00 to 24:00, got " +
            (v.is_scalar() ? quote(s) : v.kind()));
    return std::nullopt;
  }
  return minutes;
}

void parse_quiet(const Value& v, Route& route) {
  for (const Value& item : v.items()) {
    Map m(item, {"days", "from", "to"});
    if (!m.valid()) continue;
    QuietPeriod q;
    if (auto d = m.get("days")) {
      for (const Value& day : d->items(true)) {
        if (auto wd = day.enumeration<Weekday>()) q.days.push_back(*wd);
      }
    }
    auto from = m.require("from");
    auto to = m.require("to");
    int f = from ? parse_clock(*from).value_or(-1) : -1;
    int t = to ? parse_clock(*to).value_or(-1) : -1;
    if (f >= 0 && t >= 0) {
      if (f == t % 1440) to->error("a quiet period must not start and end at the same time");
      q.start_minute = f;
      q.end_minute = t;
    }
    route.quiet.push_back(std::move(q));
  }
}

void parse_match(const Value& v, RouteMatch& match, const Config& cfg) {
  Map m(v, {"severity", "services", "events"});
  if (auto s = m.get("severity")) {
    for (const Value& item : s->items(true)) {
      if (auto sev = item.enumeration<Severity>()) match.severities.push_back(*sev);
    }
  }
  if (auto s = m.get("services")) {
    for (const Value& item : s->items(true)) {
      auto name = item.string();
      if (!name) continue;
      if (!find_named(cfg.services, *name)) {
        unknown_reference(item, "service", *name, names_of(cfg.services));
      }
      match.services.push_back(*name);
    }
  }
  if (auto s = m.get("events")) {
    for (const Value& item : s->items(true)) {
      if (auto ev = item.enumeration<EventKind>()) match.events.push_back(*ev);
    }
  }
}

void parse_route(const Value& v, Config& cfg) {
  Map m(v, {"name", "match", "senders", "alert", "upalert", "alertafter", "alertevery", "numalerts",
            "upalertafter", "observe_detail", "quiet"});
  if (!m.valid()) return;
  Route route;
  if (auto n = m.require("name")) {
    if (auto s = n->string(); s && check_name(*n, *s)) {
      if (find_named(cfg.alerts.routes, *s))
        n->error("route name " + quote(*s) + " is already used");
      route.name = *s;
    }
  }
  if (auto mt = m.get("match")) parse_match(*mt, route.match, cfg);
  if (auto ss = m.require("senders")) {
    std::vector<Value> items = ss->items(true);
    if (items.empty()) ss->error("a route needs at least one sender");
    for (const Value& item : items) {
      auto name = item.string();
      if (!name) continue;
      if (!find_named(cfg.alerts.senders, *name)) {
        unknown_reference(item, "sender", *name, names_of(cfg.alerts.senders));
      }
      route.senders.push_back(*name);
    }
  }
  m.read("alert", route.alert);
  m.read("upalert", route.upalert);
  if (auto a = m.get("alertafter")) parse_alertafter(*a, route.alertafter);
  m.read("alertevery", route.alertevery, 0s, kMaxPolicy);
  m.read_int("numalerts", route.numalerts, 0, 1000000);
  m.read("upalertafter", route.upalertafter, 0s, kMaxPolicy);
  m.read("observe_detail", route.observe_detail);
  if (auto q = m.get("quiet")) parse_quiet(*q, route);
  cfg.alerts.routes.push_back(std::move(route));
}

}  // namespace

void parse_alerts(const Value& v, Config& cfg) {
  Map m(v, {"spool_dir", "backup_alerts", "senders", "routes"});
  if (!m.valid()) return;
  // A relative spool_dir is resolved against the daemon's run directory, so
  // two alertd on one host (the lab's directors) never share a spool.
  if (auto sd = m.get("spool_dir")) {
    if (auto text = sd->string()) {
      if (text->empty() || text->find('\0') != std::string::npos)
        sd->error("expected a path");
      else
        cfg.alerts.spool_dir = *text;
    }
  }
  m.read("backup_alerts", cfg.alerts.backup_alerts);
  if (auto s = m.get("senders")) {
    for (const Value::Entry& e : s->entries()) parse_sender(e, cfg);
  }
  if (auto r = m.get("routes")) {
    for (const Value& item : r->items()) parse_route(item, cfg);
  }
}

}  // namespace tandem::config::detail
