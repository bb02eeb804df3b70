// Writes adverts as Ethernet frames (source: the virtual MAC, destination:
// 01:00:5e:00:00:12, IPv4 TTL 255, protocol 112, to 224.0.0.18) into a pcap
// and asks tshark to decode them with checksum validation on.

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/net/checksum.h"
#include "vrrpd/core/advert.h"
#include "vrrpd/core/hmac_auth.h"

namespace tandem::vrrp {
namespace {

const net::Ipv4 kSrc{0xC6120002};
const net::Ipv4 kGroup{kMulticastGroup};

void put16(std::vector<std::uint8_t>& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put32(std::vector<std::uint8_t>& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}
void put32le(std::vector<std::uint8_t>& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::vector<std::uint8_t> frame(std::uint8_t vrid, std::span<const std::uint8_t> options,
                                std::span<const std::uint8_t> message) {
  std::vector<std::uint8_t> f = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0x00,
                                 0x00, 0x5e, 0x00, 0x01, vrid, 0x08, 0x00};
  const std::size_t ip_at = f.size();
  const std::size_t ihl = 20 + options.size();
  f.push_back(static_cast<std::uint8_t>(0x40 | ihl / 4));
  f.push_back(0xc0);  // DSCP CS6, as keepalived sends
  put16(f, static_cast<std::uint16_t>(ihl + message.size()));
  put32(f, 0);  // id, flags, fragment offset
  f.push_back(kTtl);
  f.push_back(kProtocol);
  put16(f, 0);
  put32(f, kSrc.value);
  put32(f, kGroup.value);
  f.insert(f.end(), options.begin(), options.end());
  const std::uint16_t sum = net::internet_checksum(std::span(f).subspan(ip_at, ihl));
  f[ip_at + 10] = static_cast<std::uint8_t>(sum >> 8);
  f[ip_at + 11] = static_cast<std::uint8_t>(sum);
  f.insert(f.end(), message.begin(), message.end());
  return f;
}

void write_pcap(const std::string& path, const std::vector<std::vector<std::uint8_t>>& frames) {
  std::vector<std::uint8_t> out;
  put32le(out, 0xa1b2c3d4);
  out.insert(out.end(), {2, 0, 4, 0});  // version 2.4
  put32le(out, 0);                      // thiszone
  put32le(out, 0);                      // sigfigs
  put32le(out, 65535);                  // snaplen
  put32le(out, 1);                      // Ethernet
  std::uint32_t t = 0;
  for (const auto& f : frames) {
    put32le(out, ++t);
    put32le(out, 0);
    put32le(out, static_cast<std::uint32_t>(f.size()));
    put32le(out, static_cast<std::uint32_t>(f.size()));
    out.insert(out.end(), f.begin(), f.end());
  }
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
}

std::string run(const std::string& cmd) {
  std::string text;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    std::array<char, 4096> buf{};
    while (std::size_t n = fread(buf.data(), 1, buf.size(), p)) text.append(buf.data(), n);
    pclose(p);
  }
  return text;
}

std::vector<std::uint8_t> encoded(const Advert& a) {
  std::vector<std::uint8_t> b(kMaxMessageSize);
  b.resize(encode(a, kSrc, kGroup, b));
  return b;
}

TEST(VrrpTshark, DecodesOurAdvertsWithGoodChecksums) {
  if (std::getenv("TANDEM_INTEGRATION") == nullptr) GTEST_SKIP() << "set TANDEM_INTEGRATION=1";
  if (std::system("command -v tshark >/dev/null 2>&1") != 0) GTEST_SKIP() << "no tshark";

  Advert v3;
  v3.vrid = 51;
  v3.priority = 150;
  v3.interval = 100;
  v3.addresses = {net::Ipv4{0xC6120064}, net::Ipv4{0xC6120065}};
  Advert v2 = v3;
  v2.version = Version::kV2;
  v2.interval = 1;
  v2.auth_type = 1;
  v2.auth_data = {'t', 'a', 'n', 'd', 'e', 'm', 0, 0};
  const auto m3 = encoded(v3);
  AuthKey key{1, {'k'}};
  const AuthOption opt = sign_advert(key, 42, kSrc, kGroup, m3);

  const auto dir = std::filesystem::temp_directory_path() / "tandem-vrrp-tshark";
  std::filesystem::create_directories(dir);
  const std::string pcap = (dir / "adverts.pcap").string();
  auto broken = m3;
  broken[7] ^= 1;  // shows tshark really checks: this one must come out bad
  write_pcap(pcap, {frame(51, {}, m3), frame(51, {}, encoded(v2)), frame(51, opt, m3),
                    frame(51, {}, broken)});

  const std::string out =
      run("tshark -r " + pcap +
          " -o ip.check_checksum:TRUE -T fields -E separator=, -e vrrp.version -e vrrp.prio"
          " -e vrrp.checksum.status -e vrrp.ip_addr -e ip.checksum.status -e vrrp.auth_string"
          " 2>/dev/null");
  std::filesystem::remove_all(dir);
  // checksum.status 1 = good, 0 = bad. Third frame: the HMAC IPv4 option
  // (IHL 12) must not disturb the VRRP decode.
  EXPECT_EQ(out,
            "3,150,1,198.18.0.100,198.18.0.101,1,\n"
            "2,150,1,198.18.0.100,198.18.0.101,1,tandem\n"
            "3,150,1,198.18.0.100,198.18.0.101,1,\n"
            "3,150,0,198.18.0.100,198.18.0.101,1,\n");
}

}  // namespace
}  // namespace tandem::vrrp
