#include "vrrpd/daemon/host.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

extern char** environ;

namespace tandem::vrrp {

namespace {

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

std::string write_sysctl(const std::string& path, const char* value) {
  std::ofstream f(path);
  if (!f) return "cannot open " + path;
  f << value;
  f.flush();
  return f ? "" : "cannot write " + path;
}

bool copy_name(const std::string& device, char (&out)[IFNAMSIZ]) {
  if (device.empty() || device.size() >= IFNAMSIZ) return false;
  std::memset(out, 0, sizeof out);
  std::memcpy(out, device.data(), device.size());
  return true;
}

}  // namespace

std::string run_program(const std::vector<std::string>& argv) {
  if (argv.empty()) return "empty command";
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return errno_text("pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(pipefd[1]);
  if (rc != 0) {
    ::close(pipefd[0]);
    return argv[0] + ": " + std::strerror(rc);
  }
  // ip writes a line or two at most; reading to EOF before waiting cannot
  // block on a full pipe.
  std::string err;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(pipefd[0], buf, sizeof buf);
    if (n > 0) {
      if (err.size() < 4096) err.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  return cmd + " failed" + (err.empty() ? "" : ": " + err);
}

LinuxHost::LinuxHost() {
  ioctl_fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ip_fd_ = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_RAW);
  if (ip_fd_ >= 0) {
    // Our own adverts must not come back to us (the receive check would drop
    // them anyway, but as noise in the looped-back counter).
    const int off = 0;
    ::setsockopt(ip_fd_, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof off);
  }
  packet_fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

LinuxHost::~LinuxHost() {
  for (int fd : {ioctl_fd_, ip_fd_, packet_fd_})
    if (fd >= 0) ::close(fd);
  reap();
}

std::optional<LinkInfo> LinuxHost::link(const std::string& device) {
  ifreq ifr{};
  if (ioctl_fd_ < 0 || !copy_name(device, ifr.ifr_name)) return std::nullopt;
  LinkInfo info;
  if (::ioctl(ioctl_fd_, SIOCGIFINDEX, &ifr) != 0) return std::nullopt;
  info.ifindex = ifr.ifr_ifindex;
  if (::ioctl(ioctl_fd_, SIOCGIFFLAGS, &ifr) != 0) return std::nullopt;
  info.up = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
  if (::ioctl(ioctl_fd_, SIOCGIFHWADDR, &ifr) == 0)
    std::memcpy(info.mac.bytes.data(), ifr.ifr_hwaddr.sa_data, 6);
  // SIOCGIFADDR gives the primary (first) address of the device.
  ifr.ifr_addr.sa_family = AF_INET;
  if (::ioctl(ioctl_fd_, SIOCGIFADDR, &ifr) == 0) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ifr.ifr_addr);
    info.primary = net::Ipv4{ntohl(sin->sin_addr.s_addr)};
  }
  return info;
}

std::string LinuxHost::create_vmac(const std::string& base, const std::string& name,
                                   const net::Mac& mac) {
  if (link(name)) delete_link(name);
  // private: the vmac never talks to other macvlans of the same lower device.
  return run_program({"ip", "link", "add", "link", base, "name", name, "address",
                      mac.to_string(), "type", "macvlan", "mode", "private"});
}

std::string LinuxHost::delete_link(const std::string& device) {
  return run_program({"ip", "link", "del", device});
}

std::string LinuxHost::set_up(const std::string& device, bool up) {
  return run_program({"ip", "link", "set", "dev", device, up ? "up" : "down"});
}

std::string LinuxHost::set_address(const std::string& device, const net::Ipv4Prefix& address,
                                   bool add) {
  if (add)
    return run_program({"ip", "addr", "replace", address.to_string(), "dev", device});
  return run_program({"ip", "addr", "del", address.to_string(), "dev", device});
}

std::string LinuxHost::tune_arp(const std::string& device) {
  const std::string base = "/proc/sys/net/ipv4/conf/" + device + "/";
  // arp_ignore 1: the lower device must not answer for the VIPs with its own
  // MAC, nor the vmac for the lower device's address. arp_announce 2: ARP
  // requests carry the device's own address, so a peer's entry for a VIP is
  // never pointed at the lower device's MAC.
  std::string err = write_sysctl(base + "arp_ignore", "1");
  const std::string err2 = write_sysctl(base + "arp_announce", "2");
  return err.empty() ? err2 : err;
}

std::string LinuxHost::send_ip(int ifindex, net::Ipv4 dst, std::span<const std::uint8_t> packet) {
  if (ip_fd_ < 0) return "no raw IP socket (needs CAP_NET_RAW)";
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(dst.value);
  // The outgoing device per packet: the vmac while master, so the advert
  // leaves with the virtual MAC as source as RFC 5798 7.3 asks.
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in_pktinfo))]{};
  iovec iov{const_cast<std::uint8_t*>(packet.data()), packet.size()};
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = IPPROTO_IP;
  c->cmsg_type = IP_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
  in_pktinfo info{};
  info.ipi_ifindex = ifindex;
  std::memcpy(CMSG_DATA(c), &info, sizeof info);
  if (::sendmsg(ip_fd_, &msg, 0) < 0) return errno_text("sendmsg");
  return "";
}

std::string LinuxHost::send_frame(int ifindex, std::span<const std::uint8_t> frame) {
  if (packet_fd_ < 0) return "no packet socket (needs CAP_NET_RAW)";
  if (frame.size() < 14) return "short frame";
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = ifindex;
  to.sll_halen = 6;
  std::memcpy(to.sll_addr, frame.data(), 6);
  if (::sendto(packet_fd_, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to),
               sizeof to) < 0)
    return errno_text("sendto");
  return "";
}

void LinuxHost::spawn(const std::vector<std::string>& argv) {
  reap();
  if (argv.empty()) return;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  if (::posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ) == 0)
    children_.push_back(pid);
  posix_spawn_file_actions_destroy(&fa);
}

void LinuxHost::reap() {
  std::erase_if(children_, [](int pid) {
    int status = 0;
    return ::waitpid(pid, &status, WNOHANG) != 0;
  });
}

}  // namespace tandem::vrrp
