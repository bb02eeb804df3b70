// The fanout program computes the same worker index as shard_of() of the
// client: run through a classic BPF interpreter here, with the kernel's
// fanout view (loads by SKF_NET_OFF / SKF_AD_PROTOCOL).
#include "director/daemon/steering.h"

#include <gtest/gtest.h>

#include <random>

#include "director/core/director.h"
#include "frames.h"

namespace tandem::director::daemon {
namespace {

// Enough of classic BPF for build_steering: fails the test on anything else.
std::uint32_t run_cbpf(const std::vector<sock_filter>& p, const std::vector<std::uint8_t>& frame) {
  std::uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};
  auto load = [&](std::uint32_t k, int size, bool& ok) -> std::uint32_t {
    std::size_t off = 0;
    if (k == static_cast<std::uint32_t>(SKF_AD_OFF + SKF_AD_PROTOCOL))
      return (std::uint32_t{frame[12]} << 8) | frame[13];
    if (k >= static_cast<std::uint32_t>(SKF_NET_OFF) && k < static_cast<std::uint32_t>(SKF_AD_OFF))
      off = 14 + (k - static_cast<std::uint32_t>(SKF_NET_OFF));
    else
      off = k;
    if (off + static_cast<std::size_t>(size) > frame.size()) {
      ok = false;
      return 0;
    }
    std::uint32_t v = 0;
    for (int i = 0; i < size; ++i) v = (v << 8) | frame[off + static_cast<std::size_t>(i)];
    return v;
  };
  for (std::size_t pc = 0; pc < p.size(); ++pc) {
    const sock_filter& i = p[pc];
    bool ok = true;
    switch (i.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        a = load(i.k, 4, ok);
        break;
      case BPF_LD | BPF_H | BPF_ABS:
        a = load(i.k, 2, ok);
        break;
      case BPF_LD | BPF_B | BPF_ABS:
        a = load(i.k, 1, ok);
        break;
      case BPF_LD | BPF_W | BPF_IND:
        a = load(i.k + x, 4, ok);
        break;
      case BPF_LD | BPF_B | BPF_IND:
        a = load(i.k + x, 1, ok);
        break;
      case BPF_LDX | BPF_B | BPF_MSH:
        x = 4 * (load(i.k, 1, ok) & 0xf);
        break;
      case BPF_LD | BPF_MEM:
        a = mem[i.k];
        break;
      case BPF_LDX | BPF_MEM:
        x = mem[i.k];
        break;
      case BPF_ST:
        mem[i.k] = a;
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        a &= i.k;
        break;
      case BPF_ALU | BPF_MUL | BPF_K:
        a *= i.k;
        break;
      case BPF_ALU | BPF_RSH | BPF_K:
        a >>= i.k;
        break;
      case BPF_ALU | BPF_ADD | BPF_X:
        a += x;
        break;
      case BPF_JMP | BPF_JA:
        pc += i.k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += a == i.k ? i.jt : i.jf;
        break;
      case BPF_RET | BPF_K:
        return i.k;
      case BPF_RET | BPF_A:
        return a;
      default:
        ADD_FAILURE() << "unexpected opcode " << i.code;
        return ~0u;
    }
    if (!ok) return 0;  // the kernel ends the program with 0 on a bad load
  }
  ADD_FAILURE() << "fell off the program";
  return ~0u;
}

TEST(Steering, ProgramMatchesShardOfClient) {
  SteeringSpec s;
  s.vips = {*net::Ipv4::parse("198.18.0.100"), *net::Ipv4::parse("198.18.0.101")};
  std::mt19937 rng(7);
  for (std::uint32_t workers : {1u, 2u, 3u, 4u, 7u, 64u}) {
    for (std::uint32_t mask : {0xFFFFFFFFu, 0xFFFFFF00u}) {
      s.workers = workers;
      s.mask = mask;
      const auto prog = build_steering(s);
      for (int n = 0; n < 500; ++n) {
        const net::Ipv4 client{0xC6120000u | static_cast<std::uint32_t>(rng() & 0x1FFFFu)};
        testing::TcpSpec t;
        t.src = client;
        t.dst = s.vips[static_cast<std::size_t>(n) % 2];
        const auto in = testing::tcp_frame(t);
        const std::uint32_t want = shard_of(client, mask, workers);
        ASSERT_EQ(run_cbpf(prog, in), want) << workers << " " << client.to_string();
        EXPECT_EQ(steer(in, s), want);
        // The NAT reply to that client lands on the same worker.
        t.src = *net::Ipv4::parse("198.18.1.11");
        t.dst = client;
        const auto reply = testing::tcp_frame(t);
        ASSERT_EQ(run_cbpf(prog, reply), want);
        EXPECT_EQ(steer(reply, s), want);
      }
    }
  }
}

// An ICMP error to a VIP comes from a router, not the client: it must reach
// the worker of the client its quoted packet was going to.
std::vector<std::uint8_t> icmp_error_to_vip(net::Ipv4 router, net::Ipv4 vip, net::Ipv4 client,
                                            std::uint8_t type, std::uint8_t ihl_words = 5) {
  testing::TcpSpec quoted;
  quoted.src = vip;
  quoted.dst = client;
  const auto q = testing::tcp_frame(quoted);
  const std::size_t ihl = std::size_t{4} * ihl_words;
  std::vector<std::uint8_t> f(14 + ihl + 8 + 28, 0);
  f[12] = 0x08;
  f[13] = 0x00;
  f[14] = static_cast<std::uint8_t>(0x40 | ihl_words);
  f[14 + 9] = 1;  // ICMP
  for (int i = 0; i < 4; ++i) {
    f[14 + 12 + static_cast<std::size_t>(i)] =
        static_cast<std::uint8_t>(router.value >> (24 - 8 * i));
    f[14 + 16 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(vip.value >> (24 - 8 * i));
  }
  f[14 + ihl] = type;
  std::copy(q.begin() + 14, q.begin() + 14 + 28,
            f.begin() + static_cast<std::ptrdiff_t>(14 + ihl + 8));
  return f;
}

TEST(Steering, IcmpErrorToVipFollowsTheQuotedClient) {
  SteeringSpec s;
  s.vips = {*net::Ipv4::parse("198.18.0.100")};
  const net::Ipv4 router = *net::Ipv4::parse("198.18.5.1");
  std::mt19937 rng(11);
  for (std::uint32_t workers : {2u, 3u, 8u}) {
    s.workers = workers;
    const auto prog = build_steering(s);
    int differs = 0;
    for (int n = 0; n < 200; ++n) {
      const net::Ipv4 client{0xC6120000u | static_cast<std::uint32_t>(rng() & 0x1FFFFu)};
      const std::uint32_t want = shard_of(client, s.mask, workers);
      for (std::uint8_t type : {3, 4, 11, 12}) {
        for (std::uint8_t ihl : {5, 6}) {
          const auto f = icmp_error_to_vip(router, s.vips[0], client, type, ihl);
          ASSERT_EQ(run_cbpf(prog, f), want) << int(type) << " " << int(ihl);
          EXPECT_EQ(steer(f, s), want);
        }
      }
      // Echo requests are the sender's own: hashed on the source.
      auto echo = icmp_error_to_vip(client, s.vips[0], router, 8);
      EXPECT_EQ(run_cbpf(prog, echo), shard_of(client, s.mask, workers));
      EXPECT_EQ(steer(echo, s), shard_of(client, s.mask, workers));
      differs += shard_of(router, s.mask, workers) != want;
    }
    EXPECT_GT(differs, 0);  // hashing the router instead would have failed
    // Truncated before the quote: worker 0, as the kernel ends the program.
    auto cut = icmp_error_to_vip(router, s.vips[0], router, 3);
    cut.resize(14 + 20 + 8 + 12);
    EXPECT_EQ(run_cbpf(prog, cut), 0u);
    EXPECT_EQ(steer(cut, s), 0u);
  }
}

TEST(Steering, NonIpGoesToWorkerZero) {
  SteeringSpec s;
  s.workers = 4;
  const auto arp =
      testing::arp_who_has({}, *net::Ipv4::parse("198.18.0.10"), *net::Ipv4::parse("198.18.0.100"));
  EXPECT_EQ(run_cbpf(build_steering(s), arp), 0u);
  EXPECT_EQ(steer(arp, s), 0u);
}

TEST(Steering, ManyVipsStillFitEightBitJumps) {
  SteeringSpec s;
  s.workers = 3;
  for (std::uint32_t i = 0; i < 600; ++i) s.vips.push_back(net::Ipv4{0xC6120000u + i});
  const auto prog = build_steering(s);
  testing::TcpSpec t;
  t.src = *net::Ipv4::parse("198.19.7.9");
  t.dst = s.vips.back();
  EXPECT_EQ(run_cbpf(prog, testing::tcp_frame(t)), shard_of(t.src, s.mask, 3));
}

TEST(Steering, WidestMask) {
  const std::uint32_t masks[] = {0xFFFFFFFFu, 0xFFFF0000u, 0xFFFFFF00u};
  EXPECT_EQ(widest_mask(masks), 0xFFFF0000u);
  EXPECT_EQ(widest_mask({}), 0xFFFFFFFFu);
}

}  // namespace
}  // namespace tandem::director::daemon
