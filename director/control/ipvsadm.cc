#include "director/control/ipvsadm.h"

#include <array>
#include <charconv>
#include <map>

#include "director/core/scheduler.h"

namespace tandem::director::control {
namespace {

using ipc::Json;

enum class Opt {
  // commands
  add_service,
  edit_service,
  delete_service,
  clear,
  restore,
  save,
  add_server,
  edit_server,
  delete_server,
  list,
  zero,
  unsupported,
  // options with a value
  tcp,
  udp,
  fwmark,
  scheduler,
  persistent,  // optional value
  netmask,
  real,
  weight,
  upper,
  lower,
  sched_flags,
  // flags
  one_packet,
  dr,
  tun,
  nat,
  numeric,
  connection,
  stats,
  rate,
  exact,
  thresholds,
  persistent_conn,
  nosort,
};

const std::map<char, Opt>& short_opts() {
  static const std::map<char, Opt> m = {
      {'A', Opt::add_service}, {'E', Opt::edit_service}, {'D', Opt::delete_service},
      {'C', Opt::clear},       {'R', Opt::restore},      {'S', Opt::save},
      {'a', Opt::add_server},  {'e', Opt::edit_server},  {'d', Opt::delete_server},
      {'L', Opt::list},        {'l', Opt::list},         {'Z', Opt::zero},
      {'t', Opt::tcp},         {'u', Opt::udp},          {'f', Opt::fwmark},
      {'s', Opt::scheduler},   {'p', Opt::persistent},   {'M', Opt::netmask},
      {'r', Opt::real},        {'w', Opt::weight},       {'x', Opt::upper},
      {'y', Opt::lower},       {'b', Opt::sched_flags},  {'o', Opt::one_packet},
      {'g', Opt::dr},          {'i', Opt::tun},          {'m', Opt::nat},
      {'n', Opt::numeric},     {'c', Opt::connection},
  };
  return m;
}

const std::map<std::string, Opt, std::less<>>& long_opts() {
  static const std::map<std::string, Opt, std::less<>> m = {
      {"add-service", Opt::add_service},
      {"edit-service", Opt::edit_service},
      {"delete-service", Opt::delete_service},
      {"clear", Opt::clear},
      {"restore", Opt::restore},
      {"save", Opt::save},
      {"add-server", Opt::add_server},
      {"edit-server", Opt::edit_server},
      {"delete-server", Opt::delete_server},
      {"list", Opt::list},
      {"zero", Opt::zero},
      {"set", Opt::unsupported},
      {"start-daemon", Opt::unsupported},
      {"stop-daemon", Opt::unsupported},
      {"tcp-service", Opt::tcp},
      {"udp-service", Opt::udp},
      {"fwmark-service", Opt::fwmark},
      {"scheduler", Opt::scheduler},
      {"persistent", Opt::persistent},
      {"netmask", Opt::netmask},
      {"real-server", Opt::real},
      {"weight", Opt::weight},
      {"u-threshold", Opt::upper},
      {"l-threshold", Opt::lower},
      {"sched-flags", Opt::sched_flags},
      {"ops", Opt::one_packet},
      {"gatewaying", Opt::dr},
      {"ipip", Opt::tun},
      {"masquerading", Opt::nat},
      {"numeric", Opt::numeric},
      {"connection", Opt::connection},
      {"stats", Opt::stats},
      {"rate", Opt::rate},
      {"exact", Opt::exact},
      {"thresholds", Opt::thresholds},
      {"persistent-conn", Opt::persistent_conn},
      {"sort", Opt::numeric},  // ipvsadm's --sort is the default anyway
      {"nosort", Opt::nosort},
  };
  return m;
}

bool is_command(Opt o) {
  return o <= Opt::unsupported;
}
bool takes_value(Opt o) {
  return o >= Opt::tcp && o <= Opt::sched_flags;
}

template <class T>
bool parse_num(std::string_view s, T max, T& out) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty() || v > max) return false;
  out = static_cast<T>(v);
  return true;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool known_scheduler(const std::string& name) {
  for (int k = 0; k <= static_cast<int>(SchedulerKind::lblcr); ++k) {
    if (name == scheduler_name(static_cast<SchedulerKind>(k))) return true;
  }
  return false;
}

// One option with its value (if any), as the scanner found it.
struct Item {
  Opt opt;
  std::string name;  // as written, for messages
  std::optional<std::string> value;
};

std::variant<std::vector<Item>, std::string> scan(const std::vector<std::string>& words) {
  std::vector<Item> items;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    // -p's value is optional: take the next word only when it is a number.
    const auto take_value = [&](Item& it, std::optional<std::string> attached) -> bool {
      if (attached) {
        it.value = std::move(attached);
        return true;
      }
      if (it.opt == Opt::persistent) {
        if (i + 1 < words.size() && all_digits(words[i + 1])) it.value = words[++i];
        return true;
      }
      if (i + 1 >= words.size()) return false;
      it.value = words[++i];
      return true;
    };
    if (w.starts_with("--")) {
      std::string name = w.substr(2);
      std::optional<std::string> attached;
      if (auto eq = name.find('='); eq != std::string::npos) {
        attached = name.substr(eq + 1);
        name.resize(eq);
      }
      auto it = long_opts().find(name);
      if (it == long_opts().end()) return "unknown option: " + w;
      if (it->second == Opt::unsupported) return w + " is not supported by tandem";
      Item item{it->second, "--" + name, {}};
      if (takes_value(item.opt)) {
        if (!take_value(item, attached)) return "option " + item.name + " needs a value";
      } else if (attached) {
        return "option " + item.name + " takes no value";
      }
      items.push_back(std::move(item));
    } else if (w.size() >= 2 && w[0] == '-') {
      // Bundled short options: flags until one that takes a value, which
      // takes the rest of the word (or the next word).
      for (std::size_t k = 1; k < w.size(); ++k) {
        auto it = short_opts().find(w[k]);
        if (it == short_opts().end()) return std::string("unknown option: -") + w[k];
        Item item{it->second, std::string("-") + w[k], {}};
        if (takes_value(item.opt)) {
          std::optional<std::string> attached;
          if (k + 1 < w.size()) attached = w.substr(k + 1);
          if (!take_value(item, attached)) return "option " + item.name + " needs a value";
          items.push_back(std::move(item));
          break;
        }
        items.push_back(std::move(item));
      }
    } else {
      return "unexpected argument: " + w;
    }
  }
  return items;
}

Verb verb_of(Opt o) {
  switch (o) {
    case Opt::add_service:
      return Verb::add_service;
    case Opt::edit_service:
      return Verb::edit_service;
    case Opt::delete_service:
      return Verb::delete_service;
    case Opt::clear:
      return Verb::clear;
    case Opt::restore:
      return Verb::restore;
    case Opt::save:
      return Verb::save;
    case Opt::add_server:
      return Verb::add_server;
    case Opt::edit_server:
      return Verb::edit_server;
    case Opt::delete_server:
      return Verb::delete_server;
    case Opt::zero:
      return Verb::zero;
    default:
      return Verb::list;
  }
}

bool service_verb(Verb v) {
  return v == Verb::add_service || v == Verb::edit_service || v == Verb::delete_service;
}
bool server_verb(Verb v) {
  return v == Verb::add_server || v == Verb::edit_server || v == Verb::delete_server;
}

}  // namespace

std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    if (j > i) out.emplace_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

std::variant<Invocation, std::string> parse_ipvsadm(const std::vector<std::string>& words) {
  auto scanned = scan(words);
  if (auto* err = std::get_if<std::string>(&scanned)) return *err;
  const auto& items = std::get<std::vector<Item>>(scanned);

  Invocation inv;
  std::optional<Opt> command;
  bool service_given = false, real_given = false, method_given = false;
  for (const Item& it : items) {
    if (it.opt == Opt::unsupported) return it.name + " is not supported by tandem";
    if (it.opt == Opt::fwmark)
      return "fwmark services (-f) are not supported; use a port group in the configuration";
    if (is_command(it.opt)) {
      if (command && *command != it.opt) return "only one command at a time";
      command = it.opt;
      continue;
    }
    const std::string& v = it.value ? *it.value : std::string();
    switch (it.opt) {
      case Opt::tcp:
      case Opt::udp: {
        if (service_given) return "only one service at a time";
        auto ep = net::Endpoint::parse(v);
        if (!ep) return "illegal virtual server address[:port] specified";
        inv.protocol = it.opt == Opt::tcp ? "tcp" : "udp";
        inv.service = *ep;
        service_given = true;
        break;
      }
      case Opt::scheduler:
        if (!known_scheduler(v)) return "Scheduler or persistence engine not found: " + v;
        inv.scheduler = v;
        break;
      case Opt::persistent: {
        std::uint32_t t = kDefaultPersistence;
        if (it.value && !parse_num(v, kMaxPersistence, t))
          return "illegal timeout for persistent service";
        inv.persistent = t;
        break;
      }
      case Opt::netmask: {
        auto m = net::Ipv4::parse(v);
        // A netmask is contiguous ones from the top.
        if (!m || (m->value != 0 && ((~m->value + 1) & ~m->value) != 0))
          return "illegal virtual server netmask specified";
        inv.netmask = *m;
        break;
      }
      case Opt::real: {
        auto colon = v.rfind(':');
        auto ep = net::Endpoint::parse(v);
        if (!ep) return "illegal real server address[:port] specified";
        inv.real = ep->address;
        if (colon != std::string::npos) inv.real_port = ep->port;
        real_given = true;
        break;
      }
      case Opt::weight: {
        std::uint32_t w = 0;
        if (!parse_num(v, std::uint32_t{65535}, w)) return "illegal weight specified";
        inv.weight = w;
        break;
      }
      case Opt::upper: {
        std::uint32_t x = 0;
        if (!parse_num(v, std::uint32_t{0x7fffffff}, x)) return "illegal upper threshold specified";
        inv.upper_threshold = x;
        break;
      }
      case Opt::lower: {
        std::uint32_t y = 0;
        if (!parse_num(v, std::uint32_t{0x7fffffff}, y)) return "illegal lower threshold specified";
        inv.lower_threshold = y;
        break;
      }
      case Opt::sched_flags: {
        std::vector<std::string> flags;
        std::size_t start = 0;
        while (start <= v.size()) {
          auto comma = v.find(',', start);
          std::string f = v.substr(start, comma == std::string::npos ? std::string::npos
                                                                    : comma - start);
          if (f != "sh-fallback" && f != "sh-port" && f != "mh-fallback" && f != "mh-port")
            return "invalid scheduler flag: " + f;
          flags.push_back(f);
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
        inv.sched_flags = flags;
        break;
      }
      case Opt::one_packet:
        inv.one_packet = true;
        break;
      case Opt::dr:
      case Opt::tun:
      case Opt::nat: {
        const char* m = it.opt == Opt::dr ? "dr" : it.opt == Opt::nat ? "nat" : "tun";
        if (method_given && inv.method != m) return "only one forwarding method at a time";
        inv.method = m;
        method_given = true;
        break;
      }
      case Opt::numeric:
        break;
      case Opt::connection:
        inv.list.connections = true;
        break;
      case Opt::stats:
        inv.list.stats = true;
        break;
      case Opt::rate:
        inv.list.rate = true;
        break;
      case Opt::exact:
        inv.list.exact = true;
        break;
      case Opt::thresholds:
        inv.list.thresholds = true;
        break;
      case Opt::persistent_conn:
        inv.list.persistent_conn = true;
        break;
      case Opt::nosort:
        inv.list.nosort = true;
        break;
      default:
        break;
    }
  }
  // ipvsadm: -c alone lists connections.
  if (!command) {
    if (!inv.list.connections && !inv.list.stats && !inv.list.rate)
      return "no command given (one of -A -E -D -a -e -d -L -Z -C -S -R)";
    command = Opt::list;
  }
  inv.verb = verb_of(*command);
  const Verb v = inv.verb;
  const bool service_opts = inv.scheduler || inv.persistent || inv.netmask || inv.one_packet ||
                            inv.sched_flags;
  const bool server_opts = real_given || method_given || inv.weight || inv.upper_threshold ||
                           inv.lower_threshold;
  const bool list_opts = inv.list.connections || inv.list.stats || inv.list.rate ||
                         inv.list.exact || inv.list.thresholds || inv.list.persistent_conn ||
                         inv.list.nosort;
  if ((service_verb(v) || server_verb(v)) && !service_given)
    return "no service given (-t or -u)";
  if (service_opts && v != Verb::add_service && v != Verb::edit_service)
    return "service options (-s -p -M -o -b) go with -A or -E";
  if (server_opts && v != Verb::add_server && v != Verb::edit_server &&
      !(v == Verb::delete_server && real_given && !method_given && !inv.weight &&
        !inv.upper_threshold && !inv.lower_threshold))
    return "real server options (-r -g -m -i -w -x -y) go with -a or -e (-d takes only -r)";
  if (server_verb(v) && !real_given) return "no real server given (-r)";
  if (list_opts && v != Verb::list) return "listing options go with -L";
  if ((v == Verb::clear || v == Verb::save || v == Verb::restore) && service_given)
    return "-C, -S and -R take no service";
  if (inv.list.stats + inv.list.rate + inv.list.thresholds + inv.list.persistent_conn > 1)
    return "only one of --stats, --rate, --thresholds, --persistent-conn";
  if (inv.one_packet && inv.protocol != "udp")
    return "One-Packet Scheduling is only for UDP virtual services";
  if (v == Verb::add_service && inv.service.port == 0 && (!inv.persistent || *inv.persistent == 0))
    return "Zero port specified for non-persistent service";
  if (inv.netmask && !inv.persistent && v == Verb::add_service)
    return "-M needs a persistent service (-p)";
  return inv;
}

Json service_json(const std::string& protocol, const net::Endpoint& ep) {
  return {{"protocol", protocol}, {"address", ep.address.to_string()}, {"port", ep.port}};
}

Request to_request(const Invocation& inv) {
  Json args = Json::object();
  if (inv.protocol) args["service"] = service_json(*inv.protocol, inv.service);
  switch (inv.verb) {
    case Verb::add_service:
    case Verb::edit_service: {
      if (inv.scheduler) args["scheduler"] = *inv.scheduler;
      if (inv.sched_flags) args["flags"] = *inv.sched_flags;
      if (inv.persistent) {
        if (*inv.persistent == 0) {
          args["persistent"] = nullptr;
        } else {
          Json p = {{"timeout", *inv.persistent}};
          if (inv.netmask) p["netmask"] = inv.netmask->to_string();
          args["persistent"] = p;
        }
      } else if (inv.netmask) {
        args["persistent"] = {{"netmask", inv.netmask->to_string()}};
      }
      if (inv.one_packet) args["one_packet"] = true;
      return {inv.verb == Verb::add_service ? "service.add" : "service.edit", args};
    }
    case Verb::delete_service:
      return {"service.delete", args};
    case Verb::add_server:
    case Verb::edit_server:
    case Verb::delete_server: {
      Json s = Json::object();
      if (inv.real) s["address"] = inv.real->to_string();
      if (inv.real_port) s["port"] = *inv.real_port;
      if (inv.method) s["method"] = *inv.method;
      if (inv.weight) s["weight"] = *inv.weight;
      if (inv.upper_threshold) s["upper_threshold"] = *inv.upper_threshold;
      if (inv.lower_threshold) s["lower_threshold"] = *inv.lower_threshold;
      args["server"] = s;
      const char* cmd = inv.verb == Verb::add_server    ? "server.add"
                        : inv.verb == Verb::edit_server ? "server.edit"
                                                        : "server.delete";
      return {cmd, args};
    }
    case Verb::zero:
      return {"zero", args};
    case Verb::clear:
      return {"clear", args};
    case Verb::save:
      return {"save", args};
    case Verb::restore:
      return {"restore", args};
    case Verb::list:
      break;
  }
  return {inv.list.connections ? "connections" : "services", args};
}

std::variant<std::vector<Request>, std::string> parse_restore(std::string_view text) {
  std::vector<Request> out;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.size() - pos
                                                                          : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    auto words = split_words(line);
    if (words.empty() || words[0].starts_with("#")) continue;
    auto parsed = parse_ipvsadm(words);
    if (auto* err = std::get_if<std::string>(&parsed))
      return "line " + std::to_string(line_no) + ": " + *err;
    const Invocation& inv = std::get<Invocation>(parsed);
    if (inv.verb == Verb::list || inv.verb == Verb::save || inv.verb == Verb::restore)
      return "line " + std::to_string(line_no) + ": only -A -E -D -a -e -d -Z -C may be restored";
    out.push_back(to_request(inv));
  }
  return out;
}

}  // namespace tandem::director::control
