#include "common/net/checksum.h"

namespace tandem::net {

void ChecksumAccumulator::add(std::span<const std::uint8_t> bytes) {
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) {
    sum_ += static_cast<std::uint32_t>(bytes[i] << 8 | bytes[i + 1]);
  }
  if (i < bytes.size()) sum_ += static_cast<std::uint32_t>(bytes[i] << 8);
}

void ChecksumAccumulator::add_u16(std::uint16_t v) { sum_ += v; }

void ChecksumAccumulator::add_u32(std::uint32_t v) { sum_ += (v >> 16) + (v & 0xffffU); }

std::uint16_t ChecksumAccumulator::finish() const {
  std::uint64_t s = sum_;
  while (s >> 16) s = (s & 0xffffU) + (s >> 16);
  return static_cast<std::uint16_t>(~s & 0xffffU);
}

std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes) {
  ChecksumAccumulator acc;
  acc.add(bytes);
  return acc.finish();
}

std::uint16_t checksum_update16(std::uint16_t checksum, std::uint16_t old_value,
                                std::uint16_t new_value) {
  std::uint32_t s = static_cast<std::uint16_t>(~checksum);
  s += static_cast<std::uint16_t>(~old_value);
  s += new_value;
  while (s >> 16) s = (s & 0xffffU) + (s >> 16);
  return static_cast<std::uint16_t>(~s & 0xffffU);
}

std::uint16_t checksum_update32(std::uint16_t checksum, std::uint32_t old_value,
                                std::uint32_t new_value) {
  checksum = checksum_update16(checksum, static_cast<std::uint16_t>(old_value >> 16),
                               static_cast<std::uint16_t>(new_value >> 16));
  return checksum_update16(checksum, static_cast<std::uint16_t>(old_value & 0xffffU),
                           static_cast<std::uint16_t>(new_value & 0xffffU));
}

void add_ipv4_pseudo_header(ChecksumAccumulator& acc, std::uint32_t src, std::uint32_t dst,
                            std::uint8_t protocol, std::uint16_t length) {
  acc.add_u32(src);
  acc.add_u32(dst);
  acc.add_u16(protocol);
  acc.add_u16(length);
}

}  // namespace tandem::net
