#include "director/io/bpf_filter.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace tandem::director::io {
namespace {

// Runs the classic BPF subset the builder may emit, the way the kernel does:
// a load past the end of the packet ends the program with 0 (drop). Any
// other opcode fails the test, so the builder cannot quietly start using
// instructions this model does not check.
std::optional<std::uint32_t> run(const std::vector<sock_filter>& prog,
                                 const std::vector<std::uint8_t>& pkt) {
  std::uint32_t a = 0;
  std::size_t pc = 0;
  for (int steps = 0; steps < 10000 && pc < prog.size(); ++steps) {
    const sock_filter& i = prog[pc];
    switch (i.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (i.k + 4 > pkt.size()) return 0U;
        a = (std::uint32_t{pkt[i.k]} << 24) | (std::uint32_t{pkt[i.k + 1]} << 16) |
            (std::uint32_t{pkt[i.k + 2]} << 8) | pkt[i.k + 3];
        ++pc;
        break;
      case BPF_LD | BPF_H | BPF_ABS:
        if (i.k + 2 > pkt.size()) return 0U;
        a = (std::uint32_t{pkt[i.k]} << 8) | pkt[i.k + 1];
        ++pc;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += 1 + (a == i.k ? i.jt : i.jf);
        break;
      case BPF_JMP | BPF_JA:
        pc += 1 + i.k;
        break;
      case BPF_RET | BPF_K:
        return i.k;
      default:
        ADD_FAILURE() << "unexpected opcode " << i.code << " at " << pc;
        return std::nullopt;
    }
  }
  ADD_FAILURE() << "program ran off its end or looped";
  return std::nullopt;
}

net::Ipv4 ip(const char* s) {
  return *net::Ipv4::parse(s);
}
net::Mac mac(const char* s) {
  return *net::Mac::parse(s);
}

// 42-byte Ethernet + IPv4 + UDP header to 198.18.0.10 from 198.18.1.1, with
// dst MAC 02:00:00:00:00:01. Offsets: ethertype 12-13, IPv4 dst 30-33.
std::vector<std::uint8_t> ipv4_frame(std::uint32_t dst = 0xC612000A,
                                     std::array<std::uint8_t, 6> dmac = {2, 0, 0, 0, 0, 1}) {
  std::vector<std::uint8_t> f = {
      0,    0,    0,    0,    0,    0,                  // dst MAC (below)
      0x02, 0x00, 0x00, 0x00, 0x00, 0x99,               // src MAC
      0x08, 0x00,                                       // IPv4
      0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00,   // ver/ihl, tos, len 28, id, frag
      0x40, 0x11, 0x00, 0x00,                           // ttl 64, UDP, checksum (unused)
      0xc6, 0x12, 0x01, 0x01,                           // src 198.18.1.1
      0,    0,    0,    0,                              // dst (below)
      0x30, 0x39, 0x00, 0x50, 0x00, 0x08, 0x00, 0x00};  // UDP 12345 -> 80
  for (int i = 0; i < 6; ++i) f[i] = dmac[i];
  f[30] = static_cast<std::uint8_t>(dst >> 24);
  f[31] = static_cast<std::uint8_t>(dst >> 16);
  f[32] = static_cast<std::uint8_t>(dst >> 8);
  f[33] = static_cast<std::uint8_t>(dst);
  return f;
}

// ARP request: who has `target` (offset 38-41), broadcast.
std::vector<std::uint8_t> arp_frame(std::uint32_t target) {
  std::vector<std::uint8_t> f = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0,    0,    0,    0,
      0x99, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,  // Ethernet/IPv4, request
      0x02, 0,    0,    0,    0,    0x99, 0xc6, 0x12, 0x01, 0x01,        // sender MAC/IP
      0,    0,    0,    0,    0,    0,    0,    0,    0,    0};          // target MAC, target IP
  f[38] = static_cast<std::uint8_t>(target >> 24);
  f[39] = static_cast<std::uint8_t>(target >> 16);
  f[40] = static_cast<std::uint8_t>(target >> 8);
  f[41] = static_cast<std::uint8_t>(target);
  return f;
}

TEST(BpfFilter, EmptySpecPassesIpv4AndArpOnly) {
  auto p = build_filter({});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(run(*p, ipv4_frame()), kFilterAccept);
  EXPECT_EQ(run(*p, arp_frame(0x01020304)), kFilterAccept);
  auto v6 = ipv4_frame();
  v6[12] = 0x86;
  v6[13] = 0xdd;
  EXPECT_EQ(run(*p, v6), 0U);
  auto tagged = ipv4_frame();
  tagged[12] = 0x81;
  tagged[13] = 0x00;
  EXPECT_EQ(run(*p, tagged), 0U);
}

TEST(BpfFilter, Ipv4PassesOnlyForAVip) {
  FilterSpec s;
  s.vips = {ip("198.18.0.10"), ip("198.18.0.11")};
  auto p = build_filter(s);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(run(*p, ipv4_frame(0xC612000A)), kFilterAccept);
  EXPECT_EQ(run(*p, ipv4_frame(0xC612000B)), kFilterAccept);
  EXPECT_EQ(run(*p, ipv4_frame(0xC612000C)), 0U);
}

TEST(BpfFilter, ArpPassesOnlyForAVipTarget) {
  FilterSpec s;
  s.vips = {ip("198.18.0.10")};
  auto p = build_filter(s);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(run(*p, arp_frame(0xC612000A)), kFilterAccept);
  EXPECT_EQ(run(*p, arp_frame(0xC612000B)), 0U);
}

TEST(BpfFilter, AnyIpv4OrArpToOurMacPasses) {
  FilterSpec s;
  s.vips = {ip("198.18.0.10")};
  s.macs = {mac("00:00:5e:00:01:33"), mac("02:00:00:00:00:01")};
  auto p = build_filter(s);
  ASSERT_TRUE(p.ok());
  // Not a VIP, but sent to our second MAC: a NAT reply.
  EXPECT_EQ(run(*p, ipv4_frame(0xC6120202, {2, 0, 0, 0, 0, 1})), kFilterAccept);
  EXPECT_EQ(run(*p, ipv4_frame(0xC6120202, {0, 0, 0x5e, 0, 1, 0x33})), kFilterAccept);
  // Same low four bytes, different first two: must not match.
  EXPECT_EQ(run(*p, ipv4_frame(0xC6120202, {4, 0, 0, 0, 0, 1})), 0U);
  EXPECT_EQ(run(*p, ipv4_frame(0xC6120202, {2, 0, 0, 0, 0, 2})), 0U);
  // The ethertype check still comes first.
  auto v6 = ipv4_frame(0xC612000A, {2, 0, 0, 0, 0, 1});
  v6[12] = 0x86;
  v6[13] = 0xdd;
  EXPECT_EQ(run(*p, v6), 0U);
}

TEST(BpfFilter, ShortFramesAreDropped) {
  FilterSpec s;
  s.vips = {ip("198.18.0.10")};
  auto p = build_filter(s);
  ASSERT_TRUE(p.ok());
  auto f = ipv4_frame();
  f.resize(31);  // cut inside the destination address
  EXPECT_EQ(run(*p, f), 0U);
  f.resize(5);
  EXPECT_EQ(run(*p, f), 0U);
}

TEST(BpfFilter, ManyVipsKeepEveryJumpInRange) {
  FilterSpec s;
  for (std::uint32_t i = 0; i < 600; ++i) s.vips.push_back(net::Ipv4{0xC6120000 + i});
  auto p = build_filter(s);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(run(*p, ipv4_frame(0xC6120000 + 599)), kFilterAccept);
  EXPECT_EQ(run(*p, arp_frame(0xC6120000 + 598)), kFilterAccept);
  EXPECT_EQ(run(*p, ipv4_frame(0xC6120000 + 600)), 0U);
}

TEST(BpfFilter, TooManyEntriesIsAnErrorNotATruncatedProgram) {
  FilterSpec s;
  for (std::uint32_t i = 0; i < 1100; ++i) s.vips.push_back(net::Ipv4{0xC6120000 + i});
  auto p = build_filter(s);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("too many"), std::string::npos);
}

}  // namespace
}  // namespace tandem::director::io
