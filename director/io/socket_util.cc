#include "director/io/socket_util.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <system_error>

namespace tandem::director::io {

Error errno_error(const std::string& what) {
  const int err = errno;
  return Error{what + ": " + std::system_category().message(err)};
}

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

Mapping::Mapping(Mapping&& o) noexcept : base_(o.base_), size_(o.size_) {
  o.base_ = nullptr;
  o.size_ = 0;
}

Mapping& Mapping::operator=(Mapping&& o) noexcept {
  if (this != &o) {
    reset();
    base_ = o.base_;
    size_ = o.size_;
    o.base_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

Mapping::~Mapping() {
  reset();
}

void Mapping::reset() {
  if (base_ != nullptr) ::munmap(base_, size_);
  base_ = nullptr;
  size_ = 0;
}

std::string interface_label(const InterfaceRef& ref) {
  if (ref.index != 0) return "ifindex " + std::to_string(ref.index);
  return ref.name;
}

Expected<int> resolve_interface(const InterfaceRef& ref) {
  if (ref.index > 0) return ref.index;
  if (ref.name.empty() || ref.name.size() >= IF_NAMESIZE)
    return Error{"interface: no usable name or index given"};
  const unsigned index = ::if_nametoindex(ref.name.c_str());
  if (index == 0) return errno_error("interface " + ref.name);
  return static_cast<int>(index);
}

Expected<int> interface_mtu(int ifindex) {
  char name[IF_NAMESIZE] = {};
  if (::if_indextoname(static_cast<unsigned>(ifindex), name) == nullptr)
    return errno_error("ifindex " + std::to_string(ifindex));
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return errno_error("socket for SIOCGIFMTU");
  ifreq req{};
  std::memcpy(req.ifr_name, name, sizeof(name));
  if (::ioctl(fd.get(), SIOCGIFMTU, &req) < 0)
    return errno_error(std::string("SIOCGIFMTU on ") + name);
  return req.ifr_mtu;
}

std::optional<Error> set_option(int fd, int level, int name, const void* value, std::size_t size,
                                const std::string& what) {
  if (::setsockopt(fd, level, name, value, static_cast<socklen_t>(size)) < 0)
    return errno_error(what);
  return std::nullopt;
}

Expected<Mapping> map_ring(int fd, std::size_t size, const std::string& what) {
  // MAP_POPULATE: fault the ring in now rather than on the first packets.
  void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (base == MAP_FAILED) return errno_error(what);
  return Mapping(static_cast<std::uint8_t*>(base), size);
}

std::size_t page_size() {
  const long size = ::sysconf(_SC_PAGESIZE);
  return size > 0 ? static_cast<std::size_t>(size) : 4096;
}

}  // namespace tandem::director::io
