#pragma once
// The VRRP advertisement (RFC 3768 v2, RFC 5798 v3 over IPv4) as a value, and
// its wire codec. Decoding never throws and never reads past the input: every
// malformed message maps to one DecodeError so vrrpd can count it.
//
// Wire layout (offsets in bytes, network order):
//   v3:  0 ver<<4|type  1 VRID  2 priority  3 count
//        4 rsvd(4 bits)|max advert interval (12 bits, centiseconds)
//        6 checksum     8 count x IPv4 address
//        checksum over an IPv4 pseudo-header (src, dst, 0, 112, length)
//        followed by the message.
//   v2:  0 ver<<4|type  1 VRID  2 priority  3 count  4 auth type
//        5 advert interval (seconds)  6 checksum  8 count x IPv4 address
//        then 8 bytes of authentication data; checksum over the message only.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/net/address.h"

namespace tandem::vrrp {

inline constexpr std::uint8_t kProtocol = 112;
inline constexpr std::uint8_t kTtl = 255;
inline constexpr std::uint32_t kMulticastGroup = 0xE0000012;  // 224.0.0.18
inline constexpr std::uint8_t kTypeAdvertisement = 1;
inline constexpr std::size_t kHeaderSize = 8;
inline constexpr std::size_t kV2AuthSize = 8;
inline constexpr std::size_t kMaxAddresses = 255;  // the count field is one octet
inline constexpr std::size_t kMaxMessageSize = kHeaderSize + 4 * kMaxAddresses + kV2AuthSize;
inline constexpr std::uint16_t kV3MaxInterval = 0x0fff;  // centiseconds

enum class Version : std::uint8_t { kV2 = 2, kV3 = 3 };

// RFC 3768 auth types; 2 (IP AH) was removed by RFC 3768 and is refused.
enum class V2AuthType : std::uint8_t { kNone = 0, kSimpleText = 1 };

// Fixed capacity so decoding never allocates on the packet path.
class AddressList {
 public:
  AddressList() = default;
  AddressList(std::initializer_list<net::Ipv4> list);
  bool push_back(net::Ipv4 a);  // false when full
  std::size_t size() const { return size_; }
  std::span<const net::Ipv4> view() const { return {items_.data(), size_}; }
  net::Ipv4 operator[](std::size_t i) const { return items_[i]; }
  bool operator==(const AddressList& o) const;

 private:
  std::array<net::Ipv4, kMaxAddresses> items_{};
  std::size_t size_ = 0;
};

struct Advert {
  Version version = Version::kV3;
  std::uint8_t type = kTypeAdvertisement;
  std::uint8_t vrid = 0;
  std::uint8_t priority = 0;
  // Wire units: centiseconds (12 bits) for v3, seconds for v2.
  std::uint16_t interval = 0;
  std::uint8_t auth_type = 0;                         // v2 only
  std::array<std::uint8_t, kV2AuthSize> auth_data{};  // v2 only
  std::uint16_t checksum = 0;                         // as found on decode; computed on encode
  AddressList addresses;
};

enum class DecodeError : std::uint8_t {
  kOk = 0,
  kTooShort,       // fewer bytes than the fixed 8-byte header
  kTruncated,      // the count promises more addresses / auth data than present
  kTrailingBytes,  // more bytes than the count and version account for
  kBadVersion,     // neither 2 nor 3
  kBadType,        // not an ADVERTISEMENT
};

struct Decoded {
  DecodeError error = DecodeError::kOk;
  Advert advert;
  std::size_t length = 0;  // bytes the message occupies (header + addresses [+ auth])
};

// Size on the wire of a message of this version carrying n addresses.
std::size_t message_size(Version v, std::size_t n_addresses);

// Parses structure only; the checksum is checked by verify_checksum so callers
// can order the RFC checks as they must.
Decoded decode(std::span<const std::uint8_t> bytes);

// True when the checksum in `message` is correct. v3 folds in the pseudo-header
// built from the IPv4 source and destination (host order).
bool verify_checksum(Version v, std::span<const std::uint8_t> message, net::Ipv4 src,
                     net::Ipv4 dst);

// Writes the message (checksum computed) into out; returns the bytes written or
// 0 when out is too small or a field cannot be represented (v3 interval > 4095).
std::size_t encode(const Advert& advert, net::Ipv4 src, net::Ipv4 dst, std::span<std::uint8_t> out);

const char* to_string(DecodeError e);

}  // namespace tandem::vrrp
