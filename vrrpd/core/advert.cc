#include "vrrpd/core/advert.h"

#include <algorithm>

#include "common/net/checksum.h"

namespace tandem::vrrp {
namespace {

std::uint16_t load16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}

std::uint32_t load32(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) << 24 | static_cast<std::uint32_t>(b[at + 1]) << 16 |
         static_cast<std::uint32_t>(b[at + 2]) << 8 | b[at + 3];
}

void store16(std::span<std::uint8_t> b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}

std::uint16_t compute_checksum(Version v, std::span<const std::uint8_t> message, net::Ipv4 src,
                               net::Ipv4 dst) {
  net::ChecksumAccumulator acc;
  if (v == Version::kV3) {
    net::add_ipv4_pseudo_header(acc, src.value, dst.value, kProtocol,
                                static_cast<std::uint16_t>(message.size()));
  }
  acc.add(message);
  return acc.finish();
}

}  // namespace

AddressList::AddressList(std::initializer_list<net::Ipv4> list) {
  for (auto a : list) push_back(a);
}

bool AddressList::push_back(net::Ipv4 a) {
  if (size_ == items_.size()) return false;
  items_[size_++] = a;
  return true;
}

bool AddressList::operator==(const AddressList& o) const {
  return std::ranges::equal(view(), o.view());
}

std::size_t message_size(Version v, std::size_t n_addresses) {
  return kHeaderSize + 4 * n_addresses + (v == Version::kV2 ? kV2AuthSize : 0);
}

Decoded decode(std::span<const std::uint8_t> bytes) {
  Decoded out;
  if (bytes.size() < kHeaderSize) {
    out.error = DecodeError::kTooShort;
    return out;
  }
  Advert& a = out.advert;
  const std::uint8_t version = bytes[0] >> 4;
  if (version != 2 && version != 3) {
    out.error = DecodeError::kBadVersion;
    return out;
  }
  a.version = static_cast<Version>(version);
  a.type = bytes[0] & 0x0f;
  if (a.type != kTypeAdvertisement) {
    out.error = DecodeError::kBadType;
    return out;
  }
  a.vrid = bytes[1];
  a.priority = bytes[2];
  const std::size_t count = bytes[3];
  if (a.version == Version::kV3) {
    // The 4 reserved bits are ignored on receive as RFC 5798 5.2.6 asks.
    a.interval = load16(bytes, 4) & kV3MaxInterval;
  } else {
    a.auth_type = bytes[4];
    a.interval = bytes[5];
  }
  a.checksum = load16(bytes, 6);
  out.length = message_size(a.version, count);
  if (bytes.size() < out.length) {
    out.error = DecodeError::kTruncated;
    return out;
  }
  if (bytes.size() > out.length) {
    out.error = DecodeError::kTrailingBytes;
    return out;
  }
  for (std::size_t i = 0; i < count; ++i) {
    a.addresses.push_back(net::Ipv4{load32(bytes, kHeaderSize + 4 * i)});
  }
  if (a.version == Version::kV2) {
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(kHeaderSize + 4 * count), kV2AuthSize,
                a.auth_data.begin());
  }
  return out;
}

bool verify_checksum(Version v, std::span<const std::uint8_t> message, net::Ipv4 src,
                     net::Ipv4 dst) {
  // With the received checksum in place a correct message sums to 0xffff,
  // whose complement is 0.
  return compute_checksum(v, message, src, dst) == 0;
}

std::size_t encode(const Advert& a, net::Ipv4 src, net::Ipv4 dst, std::span<std::uint8_t> out) {
  const std::size_t n = a.addresses.size();
  const std::size_t size = message_size(a.version, n);
  if (out.size() < size) return 0;
  if (a.version == Version::kV3 && a.interval > kV3MaxInterval) return 0;
  if (a.version == Version::kV2 && a.interval > 0xff) return 0;
  out[0] = static_cast<std::uint8_t>(static_cast<unsigned>(a.version) << 4 | (a.type & 0x0f));
  out[1] = a.vrid;
  out[2] = a.priority;
  out[3] = static_cast<std::uint8_t>(n);
  if (a.version == Version::kV3) {
    store16(out, 4, a.interval);
  } else {
    out[4] = a.auth_type;
    out[5] = static_cast<std::uint8_t>(a.interval);
  }
  store16(out, 6, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t v = a.addresses[i].value;
    const std::size_t at = kHeaderSize + 4 * i;
    store16(out, at, static_cast<std::uint16_t>(v >> 16));
    store16(out, at + 2, static_cast<std::uint16_t>(v));
  }
  if (a.version == Version::kV2) {
    std::copy(a.auth_data.begin(), a.auth_data.end(),
              out.begin() + static_cast<std::ptrdiff_t>(kHeaderSize + 4 * n));
  }
  store16(out, 6, compute_checksum(a.version, out.first(size), src, dst));
  return size;
}

const char* to_string(DecodeError e) {
  switch (e) {
    case DecodeError::kOk:
      return "ok";
    case DecodeError::kTooShort:
      return "too-short";
    case DecodeError::kTruncated:
      return "truncated";
    case DecodeError::kTrailingBytes:
      return "trailing-bytes";
    case DecodeError::kBadVersion:
      return "bad-version";
    case DecodeError::kBadType:
      return "bad-type";
  }
  return "unknown";
}

}  // namespace tandem::vrrp
