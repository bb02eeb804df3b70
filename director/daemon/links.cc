#include "director/daemon/links.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
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

}  // namespace

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

void Neighbours::set_targets(const std::vector<net::Ipv4>& targets) {
  targets_ = targets;
}

std::size_t Neighbours::unresolved() const {
  std::size_t n = 0;
  for (const auto& t : targets_) n += table_.contains(t.value) ? 0 : 1;
  return n;
}

bool Neighbours::refresh(std::chrono::steady_clock::time_point now) {
  bool changed = false;
  auto learn = [&](std::uint32_t ip, const net::Mac& mac, std::size_t link) {
    const NextHop hop{mac, static_cast<std::uint16_t>(link)};
    auto it = table_.find(ip);
    if (it != table_.end() && it->second.mac == hop.mac && it->second.link == hop.link) return;
    table_[ip] = hop;
    changed = true;
  };
  auto wanted_on = [&](net::Ipv4 ip) -> int {
    for (std::size_t i = 0; i < links_.size(); ++i)
      if (links_[i].link.address.value != 0 && links_[i].subnet.contains(ip))
        return static_cast<int>(i);
    return -1;
  };
  // Replies to our requests (and any ARP the link carries) for targets.
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
      for (const auto& t : targets_)
        if (t == v.arp.sender_ip && wanted_on(t) == static_cast<int>(i))
          learn(t.value, v.arp.sender_mac, i);
    }
  }
  std::ifstream f("/proc/net/arp");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  for (std::size_t i = 0; i < links_.size(); ++i) {
    const auto kernel = parse_proc_arp(text, links_[i].link.device);
    for (const auto& t : targets_) {
      if (wanted_on(t) != static_cast<int>(i)) continue;
      if (auto it = kernel.find(t.value); it != kernel.end()) learn(t.value, it->second, i);
    }
  }
  // Ask for the missing ones, and refresh known ones now and then so a
  // replaced server's new MAC is learned.
  for (const auto& t : targets_) {
    const int li = wanted_on(t);
    if (li < 0 || fds_[static_cast<std::size_t>(li)] < 0) continue;
    const auto every = table_.contains(t.value) ? std::chrono::seconds(30) : std::chrono::seconds(1);
    auto it = asked_.find(t.value);
    if (it != asked_.end() && now - it->second < every) continue;
    asked_[t.value] = now;
    const Link& l = links_[static_cast<std::size_t>(li)].link;
    const auto req = arp_request(l.mac, l.address, t);
    [[maybe_unused]] const ssize_t n =
        ::send(fds_[static_cast<std::size_t>(li)], req.data(), req.size(), 0);
  }
  return changed;
}

}  // namespace tandem::director::daemon
