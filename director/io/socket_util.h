#pragma once
// Small RAII owners for the file descriptors and mappings the rings use.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "director/io/result.h"

namespace tandem::director::io {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

class Mapping {
 public:
  Mapping() = default;
  Mapping(std::uint8_t* base, std::size_t size) : base_(base), size_(size) {}
  Mapping(Mapping&& o) noexcept;
  Mapping& operator=(Mapping&& o) noexcept;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping();

  std::uint8_t* data() const { return base_; }
  std::size_t size() const { return size_; }

 private:
  void reset();
  std::uint8_t* base_ = nullptr;
  std::size_t size_ = 0;
};

// An interface named or numbered: a non-zero index wins over the name.
struct InterfaceRef {
  std::string name;
  int index = 0;
};

// Resolved in the caller's network namespace.
Expected<int> resolve_interface(const InterfaceRef& ref);
Expected<int> interface_mtu(int ifindex);
std::string interface_label(const InterfaceRef& ref);

// setsockopt with the option's name in the error text.
std::optional<Error> set_option(int fd, int level, int name, const void* value, std::size_t size,
                                const std::string& what);

Expected<Mapping> map_ring(int fd, std::size_t size, const std::string& what);

std::size_t page_size();

}  // namespace tandem::director::io
