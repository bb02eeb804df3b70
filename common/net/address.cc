#include "common/net/address.h"

#include <charconv>
#include <cstdio>

namespace tandem::net {
namespace {

template <typename T>
bool parse_uint(std::string_view s, T max, T& out, int base = 10) {
  if (s.empty()) return false;
  unsigned long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc{} || p != s.data() + s.size() || v > static_cast<unsigned long>(max)) {
    return false;
  }
  out = static_cast<T>(v);
  return true;
}

}  // namespace

std::optional<Ipv4> Ipv4::parse(std::string_view text) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    auto dot = text.find('.');
    std::string_view part = i < 3 ? text.substr(0, dot) : text;
    if ((i < 3 && dot == std::string_view::npos) || part.size() > 3) return std::nullopt;
    // Leading zeros are refused: inet_aton would read them as octal.
    if (part.size() > 1 && part[0] == '0') return std::nullopt;
    unsigned octet = 0;
    if (!parse_uint(part, 255U, octet)) return std::nullopt;
    value = value << 8 | octet;
    if (i < 3) text.remove_prefix(dot + 1);
  }
  return Ipv4{value};
}

std::string Ipv4::to_string() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", value >> 24, (value >> 16) & 0xffU,
                (value >> 8) & 0xffU, value & 0xffU);
  return buf;
}

std::optional<Ipv4Prefix> Ipv4Prefix::parse(std::string_view text) {
  auto slash = text.find('/');
  auto addr = Ipv4::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  int len = 32;
  if (slash != std::string_view::npos && !parse_uint(text.substr(slash + 1), 32, len)) {
    return std::nullopt;
  }
  return Ipv4Prefix{*addr, len};
}

std::string Ipv4Prefix::to_string() const {
  return address.to_string() + "/" + std::to_string(length);
}

std::optional<Mac> Mac::parse(std::string_view text) {
  Mac mac;
  if (text.size() != 17) return std::nullopt;
  for (int i = 0; i < 6; ++i) {
    if (i < 5 && text[static_cast<std::size_t>(i * 3 + 2)] != ':') return std::nullopt;
    if (!parse_uint(text.substr(static_cast<std::size_t>(i * 3), 2), std::uint8_t{255},
                    mac.bytes[static_cast<std::size_t>(i)], 16)) {
      return std::nullopt;
    }
  }
  return mac;
}

std::string Mac::to_string() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                bytes[3], bytes[4], bytes[5]);
  return buf;
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
  auto colon = text.rfind(':');
  auto addr = Ipv4::parse(text.substr(0, colon));
  if (!addr) return std::nullopt;
  std::uint16_t port = 0;
  if (colon != std::string_view::npos &&
      !parse_uint(text.substr(colon + 1), std::uint16_t{65535}, port)) {
    return std::nullopt;
  }
  return Endpoint{*addr, port};
}

std::string Endpoint::to_string() const {
  return address.to_string() + ":" + std::to_string(port);
}

}  // namespace tandem::net
