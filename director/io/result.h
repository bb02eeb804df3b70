#pragma once
// Setup steps (socket options, mmap, bind) fail with an errno worth showing
// to the operator; they return this instead of throwing so a caller on the
// packet path never has to catch anything.

#include <string>
#include <utility>
#include <variant>

namespace tandem::director::io {

struct Error {
  std::string message;  // "PACKET_RX_RING on eth0: Cannot allocate memory"
};

// Set errno-derived text: "<what>: <strerror(errno)>".
Error errno_error(const std::string& what);

template <class T>
class Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Expected(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  const Error& error() const { return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace tandem::director::io
