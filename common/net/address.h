#pragma once
// Value types for addresses. Stored in host byte order; conversion to and
// from wire order happens only in codecs.

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tandem::net {

struct Ipv4 {
  std::uint32_t value = 0;  // host order: 198.18.0.1 == 0xC6120001

  static std::optional<Ipv4> parse(std::string_view text);
  std::string to_string() const;
  auto operator<=>(const Ipv4&) const = default;
};

// An IPv4 prefix such as 198.18.0.0/15; parse accepts "a.b.c.d/len" and a
// bare address (len 32).
struct Ipv4Prefix {
  Ipv4 address;
  int length = 32;

  static std::optional<Ipv4Prefix> parse(std::string_view text);
  std::uint32_t mask() const { return length == 0 ? 0 : ~std::uint32_t{0} << (32 - length); }
  bool contains(Ipv4 a) const { return (a.value & mask()) == (address.value & mask()); }
  std::string to_string() const;
  auto operator<=>(const Ipv4Prefix&) const = default;
};

struct Mac {
  std::array<std::uint8_t, 6> bytes{};

  static std::optional<Mac> parse(std::string_view text);  // "00:00:5e:00:01:33"
  std::string to_string() const;
  auto operator<=>(const Mac&) const = default;
};

// "host:port" with an optional port; IPv6 "[addr]:port" is reserved for later.
struct Endpoint {
  Ipv4 address;
  std::uint16_t port = 0;

  static std::optional<Endpoint> parse(std::string_view text);
  std::string to_string() const;
  auto operator<=>(const Endpoint&) const = default;
};

}  // namespace tandem::net
