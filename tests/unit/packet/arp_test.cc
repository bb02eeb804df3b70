#include "common/net/arp.h"

#include <gtest/gtest.h>

#include <array>

#include "tests/unit/packet/frames.h"

namespace tandem::net {
namespace {

using packet_test::Bytes;

const Mac kVipMac{{0x00, 0x00, 0x5e, 0x00, 0x01, 0x33}};  // VRRP virtual MAC, VRID 0x33
const Ipv4 kVip{0xc6120064};                              // 198.18.0.100

Bytes arp_request_for(std::uint8_t last_octet) {
  return {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x06,
      0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
      0xc6, 0x12, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc6, 0x12, 0x00, last_octet,
  };
}

TEST(Arp, ReplyBytes) {
  ParsedFrame req;
  ASSERT_EQ(parse_frame(arp_request_for(0x64), {}, req), DropReason::kNone);
  std::array<std::uint8_t, kArpFrameLen> out{};
  out.fill(0xaa);
  ASSERT_EQ(build_arp_reply(out, req, kVip, kVipMac), kArpFrameLen);
  const Bytes expected = {
      0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  // to the asker
      0x00, 0x00, 0x5e, 0x00, 0x01, 0x33,  // from the VIP's MAC
      0x08, 0x06,                          //
      0x00, 0x01, 0x08, 0x00, 0x06, 0x04,  // Ethernet/IPv4
      0x00, 0x02,                          // reply
      0x00, 0x00, 0x5e, 0x00, 0x01, 0x33,  // sender MAC
      0xc6, 0x12, 0x00, 0x64,              // sender IP: the VIP
      0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  // target MAC: the asker
      0xc6, 0x12, 0x00, 0x0a,              // target IP: the asker
  };
  EXPECT_EQ(Bytes(out.begin(), out.begin() + 42), expected);
  EXPECT_EQ(Bytes(out.begin() + 42, out.end()), Bytes(18, 0));  // padding to 60
}

TEST(Arp, ReplyKeepsVlanTag) {
  Bytes f = arp_request_for(0x64);
  const Bytes tag = {0x81, 0x00, 0x00, 0x0a};
  f.insert(f.begin() + 12, tag.begin(), tag.end());
  ParsedFrame req;
  ASSERT_EQ(parse_frame(f, {}, req), DropReason::kNone);
  std::array<std::uint8_t, kArpFrameLen> out{};
  ASSERT_EQ(build_arp_reply(out, req, kVip, kVipMac), kArpFrameLen);
  EXPECT_EQ(Bytes(out.begin() + 12, out.begin() + 18), (Bytes{0x81, 0x00, 0x00, 0x0a, 0x08, 0x06}));
  EXPECT_EQ(out[18 + 7], 0x02);
  ParsedFrame back;
  ASSERT_EQ(parse_frame(out, {}, back), DropReason::kNone);
  EXPECT_EQ(back.arp.op, kArpOpReply);
  EXPECT_EQ(back.arp.sender_ip, kVip);
  EXPECT_EQ(back.arp.target_ip, Ipv4{0xc612000a});
}

TEST(Arp, DeclinesWhatIsNotARequestForTheVip) {
  std::array<std::uint8_t, kArpFrameLen> out{};
  ParsedFrame v;
  ASSERT_EQ(parse_frame(arp_request_for(0x65), {}, v), DropReason::kNone);
  EXPECT_EQ(build_arp_reply(out, v, kVip, kVipMac), 0U);

  Bytes reply = arp_request_for(0x64);
  reply[21] = 0x02;
  ASSERT_EQ(parse_frame(reply, {}, v), DropReason::kNone);
  EXPECT_EQ(build_arp_reply(out, v, kVip, kVipMac), 0U);

  ASSERT_EQ(parse_frame(packet_test::tcp_syn_frame(), {}, v), DropReason::kNone);
  EXPECT_EQ(build_arp_reply(out, v, kVip, kVipMac), 0U);

  ASSERT_EQ(parse_frame(arp_request_for(0x64), {}, v), DropReason::kNone);
  std::array<std::uint8_t, kArpFrameLen - 1> small{};
  EXPECT_EQ(build_arp_reply(small, v, kVip, kVipMac), 0U);
}

TEST(Arp, GratuitousBytes) {
  std::array<std::uint8_t, 64> out{};
  ASSERT_EQ(build_gratuitous_arp(out, kVip, kVipMac), kArpFrameLen);
  const Bytes expected = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // broadcast
      0x00, 0x00, 0x5e, 0x00, 0x01, 0x33,  //
      0x08, 0x06,                          //
      0x00, 0x01, 0x08, 0x00, 0x06, 0x04,  //
      0x00, 0x01,                          // request (RFC 5227 announcement)
      0x00, 0x00, 0x5e, 0x00, 0x01, 0x33,  // sender MAC
      0xc6, 0x12, 0x00, 0x64,              // sender IP = VIP
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // target MAC zero
      0xc6, 0x12, 0x00, 0x64,              // target IP = VIP
  };
  EXPECT_EQ(Bytes(out.begin(), out.begin() + 42), expected);
}

TEST(Arp, GratuitousWithVlan) {
  std::array<std::uint8_t, kArpFrameLen> out{};
  ASSERT_EQ(build_gratuitous_arp(out, kVip, kVipMac, std::uint16_t{0x0064}), kArpFrameLen);
  EXPECT_EQ(Bytes(out.begin() + 12, out.begin() + 18), (Bytes{0x81, 0x00, 0x00, 0x64, 0x08, 0x06}));
  ParsedFrame v;
  ASSERT_EQ(parse_frame(out, {}, v), DropReason::kNone);
  EXPECT_EQ(v.arp.sender_ip, kVip);
  EXPECT_EQ(v.arp.target_ip, kVip);
  EXPECT_EQ(v.arp.sender_mac, kVipMac);
}

}  // namespace
}  // namespace tandem::net
