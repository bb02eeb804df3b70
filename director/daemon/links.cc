#include "director/daemon/links.h"

#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "common/net/packet.h"

namespace tandem::director::daemon {
namespace {

bool ioctl_ifr(int fd, unsigned long req, const std::string& dev, ifreq& r) {
  std::memset(&r, 0, sizeof(r));
  std::strncpy(r.ifr_name, dev.c_str(), IF_NAMESIZE - 1);
  return ::ioctl(fd, req, &r) == 0;
}

std::uint32_t addr_of(const sockaddr& sa) {
  sockaddr_in in{};
  std::memcpy(&in, &sa, sizeof(in));
  return ntohl(in.sin_addr.s_addr);
}

bool ethtool_io(int fd, const std::string& dev, std::uint32_t cmd, std::uint32_t& data) {
  struct ethtool_value v{};
  v.cmd = cmd;
  v.data = data;
  ifreq r;
  std::memset(&r, 0, sizeof(r));
  std::strncpy(r.ifr_name, dev.c_str(), IF_NAMESIZE - 1);
  r.ifr_data = reinterpret_cast<char*>(&v);
  if (::ioctl(fd, SIOCETHTOOL, &r) != 0) return false;
  data = v.data;
  return true;
}

}  // namespace

std::optional<Offloads> read_offloads(const std::string& device, std::string& error) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return std::nullopt;
  }
  Offloads o;
  o.device = device;
  std::uint32_t gro = 0, flags = 0;
  const bool ok = ethtool_io(fd, device, ETHTOOL_GGRO, gro) &&
                  ethtool_io(fd, device, ETHTOOL_GFLAGS, flags);
  if (!ok) error = device + ": reading GRO/LRO: " + std::strerror(errno);
  ::close(fd);
  if (!ok) return std::nullopt;
  o.gro = gro != 0;
  o.lro = (flags & ETH_FLAG_LRO) != 0;
  return o;
}

namespace {

bool set_offloads(const std::string& device, bool gro, bool lro, const Offloads& now,
                  std::string& error) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  bool ok = true;
  if (gro != now.gro) {
    std::uint32_t v = gro ? 1 : 0;
    if (!ethtool_io(fd, device, ETHTOOL_SGRO, v)) {
      ok = false;
      error = device + ": setting GRO: " + std::strerror(errno);
    }
  }
  if (ok && lro != now.lro) {
    std::uint32_t flags = 0;
    ok = ethtool_io(fd, device, ETHTOOL_GFLAGS, flags);
    flags = lro ? (flags | ETH_FLAG_LRO) : (flags & ~static_cast<std::uint32_t>(ETH_FLAG_LRO));
    if (!ok || !ethtool_io(fd, device, ETHTOOL_SFLAGS, flags)) {
      ok = false;
      error = device + ": setting LRO: " + std::strerror(errno);
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

std::optional<Offloads> disable_offloads(const std::string& device, std::string& error) {
  auto before = read_offloads(device, error);
  if (!before) return std::nullopt;
  if (!set_offloads(device, false, false, *before, error)) {
    // Put back whatever the half-done change touched.
    if (auto now = read_offloads(device, error)) {
      std::string ignored;
      set_offloads(device, before->gro, before->lro, *now, ignored);
    }
    return std::nullopt;
  }
  return before;
}

std::optional<std::string> restore_offloads(const Offloads& before) {
  std::string error;
  auto now = read_offloads(before.device, error);
  if (!now) return error;
  if (!set_offloads(before.device, before.gro, before.lro, *now, error)) return error;
  return std::nullopt;
}

std::optional<KernelRoute> parse_route_reply(std::span<const std::uint8_t> msg,
                                             std::string& error) {
  if (msg.size() < sizeof(nlmsghdr)) {
    error = "short netlink reply";
    return std::nullopt;
  }
  nlmsghdr nh;
  std::memcpy(&nh, msg.data(), sizeof(nh));
  if (nh.nlmsg_len < sizeof(nh) || nh.nlmsg_len > msg.size()) {
    error = "malformed netlink reply";
    return std::nullopt;
  }
  if (nh.nlmsg_type == NLMSG_ERROR) {
    nlmsgerr e{};
    if (nh.nlmsg_len >= NLMSG_LENGTH(sizeof(e))) std::memcpy(&e, msg.data() + NLMSG_HDRLEN, sizeof(e));
    error = e.error != 0 ? std::strerror(-e.error) : "no route";
    return std::nullopt;
  }
  if (nh.nlmsg_type != RTM_NEWROUTE || nh.nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) {
    error = "unexpected netlink reply";
    return std::nullopt;
  }
  rtmsg rt;
  std::memcpy(&rt, msg.data() + NLMSG_HDRLEN, sizeof(rt));
  if (rt.rtm_type != RTN_UNICAST) {
    error = rt.rtm_type == RTN_LOCAL ? "address is local" : "route is not unicast";
    return std::nullopt;
  }
  KernelRoute out;
  std::size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(rtmsg));
  const std::size_t end = nh.nlmsg_len;
  while (off + sizeof(rtattr) <= end) {
    rtattr a;
    std::memcpy(&a, msg.data() + off, sizeof(a));
    if (a.rta_len < sizeof(a) || off + a.rta_len > end) break;
    const std::uint8_t* p = msg.data() + off + RTA_LENGTH(0);
    const std::size_t n = a.rta_len - RTA_LENGTH(0);
    if (a.rta_type == RTA_OIF && n >= 4) {
      std::memcpy(&out.oif, p, 4);
    } else if (a.rta_type == RTA_GATEWAY && n >= 4) {
      std::uint32_t g;
      std::memcpy(&g, p, 4);
      out.gateway = net::Ipv4{ntohl(g)};
    }
    off += RTA_ALIGN(a.rta_len);
  }
  if (out.oif == 0) {
    error = "route has no output interface";
    return std::nullopt;
  }
  return out;
}

std::optional<KernelRoute> kernel_route(net::Ipv4 dst, std::string& error) {
  const int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    error = std::string("netlink: ") + std::strerror(errno);
    return std::nullopt;
  }
  timeval tv{1, 0};  // the kernel answers at once; never hang the io thread
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  struct {
    nlmsghdr nh;
    rtmsg rt;
    alignas(4) std::uint8_t attr[RTA_SPACE(4)];
  } req{};
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg)) + RTA_SPACE(4);
  req.nh.nlmsg_type = RTM_GETROUTE;
  req.nh.nlmsg_flags = NLM_F_REQUEST;
  req.nh.nlmsg_seq = 1;
  req.rt.rtm_family = AF_INET;
  req.rt.rtm_dst_len = 32;
  rtattr a{static_cast<unsigned short>(RTA_LENGTH(4)), RTA_DST};
  std::memcpy(req.attr, &a, sizeof(a));
  const std::uint32_t be = htonl(dst.value);
  std::memcpy(req.attr + RTA_LENGTH(0), &be, 4);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  std::optional<KernelRoute> out;
  if (::sendto(fd, &req, req.nh.nlmsg_len, 0, reinterpret_cast<const sockaddr*>(&kernel),
               sizeof(kernel)) < 0) {
    error = std::string("netlink send: ") + std::strerror(errno);
  } else {
    std::vector<std::uint8_t> buf(8192);
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) {
      error = std::string("netlink recv: ") + std::strerror(errno);
    } else {
      out = parse_route_reply({buf.data(), static_cast<std::size_t>(n)}, error);
    }
  }
  ::close(fd);
  return out;
}

std::optional<LinkInfo> read_link(const std::string& device, std::string& error) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return std::nullopt;
  }
  LinkInfo li;
  li.link.device = device;
  ifreq r;
  bool ok = true;
  if (ok && (ok = ioctl_ifr(fd, SIOCGIFINDEX, device, r))) li.link.ifindex = r.ifr_ifindex;
  if (ok && (ok = ioctl_ifr(fd, SIOCGIFHWADDR, device, r)))
    std::memcpy(li.link.mac.bytes.data(), r.ifr_hwaddr.sa_data, 6);
  if (ok && (ok = ioctl_ifr(fd, SIOCGIFMTU, device, r)))
    li.link.mtu = static_cast<std::uint16_t>(std::min(r.ifr_mtu, 65535));
  if (!ok) error = "interface " + device + ": " + std::strerror(errno);
  // An interface without an address can still carry DR traffic; ICMP
  // errors and TUN then lack a source, which we report.
  if (ok && ioctl_ifr(fd, SIOCGIFADDR, device, r)) {
    li.link.address = net::Ipv4{addr_of(r.ifr_addr)};
    li.subnet.address = li.link.address;
    if (ioctl_ifr(fd, SIOCGIFNETMASK, device, r))
      li.subnet.length = __builtin_popcount(addr_of(r.ifr_netmask));
  }
  ::close(fd);
  if (!ok) return std::nullopt;
  return li;
}

std::map<std::uint32_t, net::Mac> parse_proc_arp(const std::string& text,
                                                 const std::string& device) {
  // IP address  HW type  Flags  HW address  Mask  Device
  std::map<std::uint32_t, net::Mac> out;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string ip, hw, flags, mac, mask, dev;
    if (!(f >> ip >> hw >> flags >> mac >> mask >> dev) || dev != device) continue;
    const unsigned long fl = std::strtoul(flags.c_str(), nullptr, 16);
    if ((fl & 0x2) == 0) continue;  // ATF_COM: resolved
    const auto a = net::Ipv4::parse(ip);
    const auto m = net::Mac::parse(mac);
    if (a && m && *m != net::Mac{}) out[a->value] = *m;
  }
  return out;
}

std::vector<std::uint8_t> arp_request(const net::Mac& src_mac, net::Ipv4 src_ip,
                                      net::Ipv4 target) {
  std::vector<std::uint8_t> f(60, 0);
  std::memset(f.data(), 0xff, 6);
  std::memcpy(f.data() + 6, src_mac.bytes.data(), 6);
  f[12] = 0x08;
  f[13] = 0x06;
  const std::uint8_t head[8] = {0, 1, 8, 0, 6, 4, 0, 1};  // Ethernet/IPv4, request
  std::memcpy(f.data() + 14, head, 8);
  std::memcpy(f.data() + 22, src_mac.bytes.data(), 6);
  auto put32 = [&](std::size_t o, std::uint32_t v) {
    f[o] = static_cast<std::uint8_t>(v >> 24);
    f[o + 1] = static_cast<std::uint8_t>(v >> 16);
    f[o + 2] = static_cast<std::uint8_t>(v >> 8);
    f[o + 3] = static_cast<std::uint8_t>(v);
  };
  put32(28, src_ip.value);
  put32(38, target.value);
  return f;
}

Neighbours::Neighbours(std::vector<LinkInfo> links) : links_(std::move(links)) {
  for (const auto& l : links_) {
    int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ARP));
    if (fd >= 0) {
      sockaddr_ll a{};
      a.sll_family = AF_PACKET;
      a.sll_protocol = htons(ETH_P_ARP);
      a.sll_ifindex = l.link.ifindex;
      if (::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0) {
        ::close(fd);
        fd = -1;
      }
    }
    fds_.push_back(fd);
  }
}

Neighbours::~Neighbours() {
  for (int fd : fds_)
    if (fd >= 0) ::close(fd);
}

void Neighbours::set_targets(const std::vector<NeighbourTarget>& targets) {
  targets_ = targets;
  paths_stale_ = true;
}

int Neighbours::link_for(net::Ipv4 ip) const {
  for (std::size_t i = 0; i < links_.size(); ++i)
    if (links_[i].link.address.value != 0 && links_[i].subnet.contains(ip))
      return static_cast<int>(i);
  return -1;
}

std::size_t Neighbours::unresolved() const {
  std::size_t n = 0;
  for (const auto& t : targets_) n += table_.contains(t.address.value) ? 0 : 1;
  return n;
}

std::size_t Neighbours::routed() const {
  std::size_t n = 0;
  for (const auto& [ip, p] : paths_) n += p.routed && p.link >= 0 ? 1 : 0;
  return n;
}

std::size_t Neighbours::unreachable() const {
  std::size_t n = 0;
  for (const auto& [ip, p] : paths_) n += p.link < 0 ? 1 : 0;
  return n;
}

void Neighbours::update_paths(std::chrono::steady_clock::time_point now, bool& changed) {
  if (!paths_stale_ && now - paths_at_ < std::chrono::seconds(1)) return;
  paths_stale_ = false;
  paths_at_ = now;
  std::unordered_map<std::uint32_t, Path> next;
  for (const auto& t : targets_) {
    Path p;
    p.link = link_for(t.address);
    p.via = t.address.value;
    if (p.link < 0 && t.may_route) {
      std::string err;
      if (auto r = kernel_route(t.address, err)) {
        for (std::size_t i = 0; i < links_.size(); ++i)
          if (links_[i].link.ifindex == r->oif) p.link = static_cast<int>(i);
        if (r->gateway.value != 0) p.via = r->gateway.value;
        p.routed = true;
      }
    }
    next[t.address.value] = p;
  }
  // A target whose way out changed forgets its MAC: it is learned again for
  // the new gateway (usually in the same round, from the kernel's table).
  for (auto it = table_.begin(); it != table_.end();) {
    const auto n = next.find(it->first);
    const auto o = paths_.find(it->first);
    if (n == next.end() || n->second.link < 0 ||
        (o != paths_.end() && !(o->second == n->second))) {
      it = table_.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  paths_ = std::move(next);
}

bool Neighbours::refresh(std::chrono::steady_clock::time_point now) {
  bool changed = false;
  update_paths(now, changed);
  auto learn = [&](std::uint32_t ip, const net::Mac& mac, std::size_t link) {
    const NextHop hop{mac, static_cast<std::uint16_t>(link)};
    auto it = table_.find(ip);
    if (it != table_.end() && it->second.mac == hop.mac && it->second.link == hop.link) return;
    table_[ip] = hop;
    changed = true;
  };
  // Replies to our requests (and any ARP the link carries) for the
  // addresses we resolve: targets, or the gateways of routed ones.
  for (std::size_t i = 0; i < fds_.size(); ++i) {
    if (fds_[i] < 0) continue;
    std::uint8_t buf[128];
    for (int k = 0; k < 256; ++k) {
      const ssize_t n = ::recv(fds_[i], buf, sizeof(buf), 0);
      if (n <= 0) break;
      net::ParsedFrame v;
      if (net::parse_frame({buf, static_cast<std::size_t>(n)}, {}, v) != net::DropReason::kNone ||
          v.l3 != net::L3Kind::kArp)
        continue;
      for (const auto& [ip, p] : paths_)
        if (p.via == v.arp.sender_ip.value && p.link == static_cast<int>(i))
          learn(ip, v.arp.sender_mac, i);
    }
  }
  std::ifstream f("/proc/net/arp");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  for (std::size_t i = 0; i < links_.size(); ++i) {
    const auto kernel = parse_proc_arp(text, links_[i].link.device);
    for (const auto& [ip, p] : paths_) {
      if (p.link != static_cast<int>(i)) continue;
      if (auto it = kernel.find(p.via); it != kernel.end()) learn(ip, it->second, i);
    }
  }
  // Ask for the missing ones, and refresh known ones now and then so a
  // replaced server's (or gateway's) new MAC is learned. One request per
  // address even when many servers share a gateway.
  for (const auto& [ip, p] : paths_) {
    if (p.link < 0 || fds_[static_cast<std::size_t>(p.link)] < 0) continue;
    const auto every = table_.contains(ip) ? std::chrono::seconds(30) : std::chrono::seconds(1);
    auto it = asked_.find(p.via);
    if (it != asked_.end() && now - it->second < every) continue;
    asked_[p.via] = now;
    const Link& l = links_[static_cast<std::size_t>(p.link)].link;
    const auto req = arp_request(l.mac, l.address, net::Ipv4{p.via});
    [[maybe_unused]] const ssize_t n =
        ::send(fds_[static_cast<std::size_t>(p.link)], req.data(), req.size(), 0);
  }
  return changed;
}

}  // namespace tandem::director::daemon
