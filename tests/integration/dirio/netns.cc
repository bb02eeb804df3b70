#include "tests/integration/dirio/netns.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace tandem::director::io::testing {

int sh(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Netns::Netns(std::string name) : name_(std::move(name)) {
  sh("ip netns del " + name_ + " 2>/dev/null");
  ok_ = sh("ip netns add " + name_) == 0;
  // No IPv6: router solicitations and MLD reports would add frames the
  // tests do not expect to count.
  if (ok_)
    ok_ =
        exec("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1") ==
            0 &&
        exec("ip link set lo up") == 0;
}

Netns::~Netns() {
  sh("ip netns del " + name_ + " 2>/dev/null");
}

int Netns::exec(const std::string& command) const {
  return sh("ip netns exec " + name_ + " " + command);
}

InNetns::InNetns(const Netns& ns) {
  home_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  const int target = ::open(("/run/netns/" + ns.name()).c_str(), O_RDONLY | O_CLOEXEC);
  ok_ = home_ >= 0 && target >= 0 && ::setns(target, CLONE_NEWNET) == 0;
  if (target >= 0) ::close(target);
}

InNetns::~InNetns() {
  if (home_ >= 0) {
    if (::setns(home_, CLONE_NEWNET) != 0) std::abort();  // never run on in the wrong namespace
    ::close(home_);
  }
}

bool make_veth(const Netns& a, const std::string& a_name, const Netns& b,
               const std::string& b_name) {
  return a.exec("ip link add name " + a_name + " type veth peer name " + b_name) == 0 &&
         a.exec("ip link set " + b_name + " netns " + b.name()) == 0 &&
         a.exec("ip link set " + a_name + " up") == 0 &&
         b.exec("ip link set " + b_name + " up") == 0;
}

std::vector<unsigned char> link_mac(const Netns& ns, const std::string& dev) {
  InNetns in(ns);
  std::vector<unsigned char> mac;
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (!in.ok() || fd < 0 || dev.size() >= IFNAMSIZ) return mac;
  ifreq req{};
  std::memcpy(req.ifr_name, dev.c_str(), dev.size());
  if (::ioctl(fd, SIOCGIFHWADDR, &req) == 0)
    for (int i = 0; i < 6; ++i)
      mac.push_back(static_cast<unsigned char>(req.ifr_hwaddr.sa_data[i]));
  ::close(fd);
  return mac;
}

}  // namespace tandem::director::io::testing
