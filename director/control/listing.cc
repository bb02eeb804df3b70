#include "director/control/listing.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <tuple>
#include <vector>

namespace tandem::director::control {
namespace {

using ipc::Json;

// printf into a std::string; the formats are ipvsadm's, kept verbatim.
std::string fmt(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* format, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, format);
  const int n = std::vsnprintf(buf, sizeof buf, format, ap);
  va_end(ap);
  if (n < 0) return {};
  return std::string(buf, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1));
}

// Every read tolerates a missing or mistyped field: the listing is for a
// human and must not die on a daemon of another version.
std::string str(const Json& j, const char* key, const std::string& def = "") {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : def;
}
std::uint64_t num(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  if (it->is_number_unsigned()) return it->get<std::uint64_t>();
  if (it->is_number_integer()) return static_cast<std::uint64_t>(std::max<std::int64_t>(0, it->get<std::int64_t>()));
  return static_cast<std::uint64_t>(std::max(0.0, it->get<double>()));
}
std::int64_t snum(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  return static_cast<std::int64_t>(it->get<double>());
}
const Json& sub(const Json& j, const char* key) {
  static const Json empty = Json::object();
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}
const Json& arr(const Json& j, const char* key) {
  static const Json empty = Json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : empty;
}

std::uint32_t addr_value(const std::string& a) {
  auto ip = net::Ipv4::parse(a);
  return ip ? ip->value : 0;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return s;
}

// "198.18.0.100:80", or "198.18.0.100:8000-8010,9000" for a port group.
std::string vname(const Json& svc) {
  std::string out = str(svc, "address", "0.0.0.0") + ":";
  const Json& ports = arr(svc, "ports");
  if (ports.empty()) return out + std::to_string(num(svc, "port"));
  bool first = true;
  for (const Json& r : ports) {
    if (!r.is_array() || r.size() != 2 || !r[0].is_number() || !r[1].is_number()) continue;
    const auto a = r[0].get<std::uint64_t>(), b = r[1].get<std::uint64_t>();
    out += (first ? "" : ",") + std::to_string(a) + (a == b ? "" : "-" + std::to_string(b));
    first = false;
  }
  return out;
}

std::string dname(const Json& d) {
  return str(d, "address", "0.0.0.0") + ":" + std::to_string(num(d, "port"));
}

const char* fwd_name(const std::string& method) {
  if (method == "nat") return "Masq";
  if (method == "tun") return "Tunnel";
  return "Route";
}
const char* fwd_switch(const std::string& method) {
  if (method == "nat") return "-m";
  if (method == "tun") return "-i";
  return "-g";
}

std::string flags_text(const Json& svc) {
  std::string out;
  for (const Json& f : arr(svc, "flags")) {
    if (!f.is_string()) continue;
    out += (out.empty() ? "" : ",") + f.get<std::string>();
  }
  return out;
}

auto service_order(const Json& s) {
  const std::string p = str(s, "protocol");
  return std::make_tuple(p == "tcp" ? 6 : p == "udp" ? 17 : 255, addr_value(str(s, "address")),
                         num(s, "port"));
}

std::vector<const Json*> sorted(const Json& list, bool nosort, bool services) {
  std::vector<const Json*> out;
  for (const Json& e : list)
    if (e.is_object()) out.push_back(&e);
  if (nosort) return out;
  std::stable_sort(out.begin(), out.end(), [services](const Json* a, const Json* b) {
    if (services) return service_order(*a) < service_order(*b);
    return std::make_pair(addr_value(str(*a, "address")), num(*a, "port")) <
           std::make_pair(addr_value(str(*b, "address")), num(*b, "port"));
  });
  return out;
}

std::string five(const Json& j, const char* a, const char* b, const char* c, const char* d,
                 const char* e, bool exact) {
  return large_number(num(j, a), exact) + large_number(num(j, b), exact) +
         large_number(num(j, c), exact) + large_number(num(j, d), exact) +
         large_number(num(j, e), exact);
}

std::string title(const ListOptions& o) {
  if (o.stats)
    return fmt("%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port",
               "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes");
  if (o.rate)
    return fmt("%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n", "Prot LocalAddress:Port",
               "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS");
  if (o.thresholds)
    return "Prot LocalAddress:Port\n"
           "  -> RemoteAddress:Port            Uthreshold Lthreshold ActiveConn InActConn\n";
  if (o.persistent_conn)
    return "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn\n"
           "  -> RemoteAddress:Port\n";
  return "Prot LocalAddress:Port Scheduler Flags\n"
         "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";
}

std::string service_entry(const Json& svc, const ListOptions& o) {
  const std::string name = upper(str(svc, "protocol", "?")) + "  " + vname(svc);
  std::string out;
  if (o.stats) {
    out = fmt("%-33s", name.c_str()) +
          five(sub(svc, "stats"), "conns", "inpkts", "outpkts", "inbytes", "outbytes", o.exact);
  } else if (o.rate) {
    out = fmt("%-33s", name.c_str()) +
          five(sub(svc, "rates"), "cps", "inpps", "outpps", "inbps", "outbps", o.exact);
  } else {
    out = name + " " + str(svc, "scheduler", "?");
    const std::string flags = flags_text(svc);
    if (!flags.empty()) out += " (" + flags + ")";
    auto p = svc.find("persistent");
    if (p != svc.end() && p->is_object()) {
      out += " persistent " + std::to_string(num(*p, "timeout"));
      const std::string mask = str(*p, "netmask", "255.255.255.255");
      if (mask != "255.255.255.255") out += " mask " + mask;
    }
    auto op = svc.find("one_packet");
    if (op != svc.end() && op->is_boolean() && op->get<bool>()) out += " ops";
  }
  out += "\n";
  for (const Json* dp : sorted(arr(svc, "servers"), o.nosort, false)) {
    const Json& d = *dp;
    const std::string dn = dname(d);
    if (o.stats) {
      out += fmt("  -> %-28s", dn.c_str()) +
             five(sub(d, "stats"), "conns", "inpkts", "outpkts", "inbytes", "outbytes", o.exact) +
             "\n";
    } else if (o.rate) {
      out += fmt("  -> %-28s", dn.c_str()) +
             five(sub(d, "rates"), "cps", "inpps", "outpps", "inbps", "outbps", o.exact) + "\n";
    } else if (o.thresholds) {
      out += fmt("  -> %-28s %-10" PRIu64 " %-10" PRIu64 " %-10" PRIu64 " %-10" PRIu64 "\n",
                 dn.c_str(), num(d, "upper_threshold"), num(d, "lower_threshold"),
                 num(d, "active"), num(d, "inactive"));
    } else if (o.persistent_conn) {
      out += fmt("  -> %-28s %-7s %-6" PRId64 " %-10" PRIu64 " %-10" PRIu64 " %-10" PRIu64 "\n",
                 dn.c_str(), fwd_name(str(d, "method")), snum(d, "weight"), num(d, "active"),
                 num(d, "inactive"), num(d, "persistent"));
    } else {
      out += fmt("  -> %-28s %-7s %-6" PRId64 " %-10" PRIu64 " %-10" PRIu64 "\n", dn.c_str(),
                 fwd_name(str(d, "method")), snum(d, "weight"), num(d, "active"),
                 num(d, "inactive"));
    }
  }
  return out;
}

bool same_service(const Json& svc, const Json& want) {
  return str(svc, "protocol") == str(want, "protocol") &&
         str(svc, "address") == str(want, "address") && num(svc, "port") == num(want, "port");
}

}  // namespace

std::string large_number(std::uint64_t n, bool exact) {
  if (exact) {
    const int len = std::snprintf(nullptr, 0, "%" PRIu64, n);
    return fmt("%*" PRIu64, len <= 8 ? 9 : len + 1, n);
  }
  if (n < 100000000ULL) return fmt("%9" PRIu64, n);
  if (n < 1000000000ULL) return fmt("%8" PRIu64 "K", n / 1000);
  if (n < 100000000000ULL) return fmt("%8" PRIu64 "M", n / 1000000);
  if (n < 100000000000000ULL) return fmt("%8" PRIu64 "G", static_cast<std::uint64_t>(n / 1000000000ULL));
  return fmt("%8" PRIu64 "T", static_cast<std::uint64_t>(n / 1000000000000ULL));
}

std::string expire_text(std::int64_t seconds) {
  if (seconds < 0) seconds = 0;
  return fmt("%02" PRId64 ":%02" PRId64, seconds / 60, seconds % 60);
}

std::optional<std::string> format_list(const Json& services, const ListOptions& opt,
                                       const std::optional<Json>& only) {
  const Json& list = arr(services, "services");
  if (only) {
    for (const Json& s : list) {
      if (s.is_object() && same_service(s, *only)) return title(opt) + service_entry(s, opt);
    }
    return std::nullopt;
  }
  std::string out = "IP Virtual Server version 1.2.1 (size=" +
                    std::to_string(num(sub(services, "table"), "size")) + ")\n";
  out += title(opt);
  for (const Json* s : sorted(list, opt.nosort, true)) out += service_entry(*s, opt);
  return out;
}

std::string format_connections(const Json& connections, const ListOptions& opt) {
  std::string out = "IPVS connection entries\n";
  if (opt.persistent_conn) {
    out += fmt("pro expire %-11s %-18s %-18s %-18s %s\n", "state", "source", "virtual",
               "destination", "pe name pe_data");
  } else {
    out += fmt("pro expire %-11s %-18s %-18s %s\n", "state", "source", "virtual", "destination");
  }
  for (const Json& c : arr(connections, "connections")) {
    if (!c.is_object()) continue;
    const std::string expire = expire_text(snum(c, "expires"));
    out += fmt("%-3s %-6s %-11s %-18s %-18s %s\n", upper(str(c, "protocol", "?")).c_str(),
               expire.c_str(), str(c, "state", "?").c_str(), str(c, "client").c_str(),
               str(c, "virtual").c_str(), str(c, "real").c_str());
  }
  return out;
}

std::string format_save(const Json& services) {
  std::string out;
  for (const Json* sp : sorted(arr(services, "services"), false, true)) {
    const Json& svc = *sp;
    const std::string sel = (str(svc, "protocol") == "udp" ? "-u " : "-t ") + vname(svc);
    const bool group = !arr(svc, "ports").empty();
    // ipvsadm has no port groups: say so instead of writing a rule that
    // would restore as something else.
    const std::string lead = group ? "# port group, not expressible as ipvsadm rules: " : "";
    out += lead + "-A " + sel + " -s " + str(svc, "scheduler", "wlc");
    const std::string flags = flags_text(svc);
    if (!flags.empty()) out += " -b " + flags;
    auto p = svc.find("persistent");
    if (p != svc.end() && p->is_object()) {
      out += " -p " + std::to_string(num(*p, "timeout"));
      const std::string mask = str(*p, "netmask", "255.255.255.255");
      if (mask != "255.255.255.255") out += " -M " + mask;
    }
    auto op = svc.find("one_packet");
    if (op != svc.end() && op->is_boolean() && op->get<bool>()) out += " -o";
    out += "\n";
    for (const Json* dp : sorted(arr(svc, "servers"), false, false)) {
      const Json& d = *dp;
      out += lead + "-a " + sel + " -r " + dname(d) + " " + fwd_switch(str(d, "method")) +
             " -w " + std::to_string(snum(d, "weight"));
      if (num(d, "upper_threshold") != 0)
        out += " -x " + std::to_string(num(d, "upper_threshold"));
      if (num(d, "lower_threshold") != 0)
        out += " -y " + std::to_string(num(d, "lower_threshold"));
      out += "\n";
    }
  }
  return out;
}

}  // namespace tandem::director::control
