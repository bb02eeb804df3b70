#include "vrrpd/core/receive.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace tandem::vrrp {
namespace {

const net::Ipv4 kPeer{0xC6120002};  // 198.18.0.2, the sender
const net::Ipv4 kMe{0xC6120001};    // 198.18.0.1, the receiver
const net::Ipv4 kGroup{kMulticastGroup};
const std::array<net::Ipv4, 1> kVips = {net::Ipv4{0xC6120064}};

struct Fixture : ::testing::Test {
  RxInstance inst;
  Advert advert;
  std::vector<std::uint8_t> bytes;
  RxPacket pkt;

  Fixture() {
    inst.version = Version::kV3;
    inst.vrid = 51;
    inst.priority = 100;
    inst.interval = 100;
    inst.addresses = kVips;
    inst.primary = kMe;
    advert.version = Version::kV3;
    advert.vrid = 51;
    advert.priority = 150;
    advert.interval = 100;
    advert.addresses = {kVips[0]};
    pkt.src = kPeer;
    pkt.dst = kGroup;
    pkt.ttl = 255;
    build();
  }
  void build() {
    bytes.assign(kMaxMessageSize, 0);
    bytes.resize(encode(advert, pkt.src, pkt.dst, bytes));
    pkt.payload = bytes;
  }
  RxResult check() { return check_receive(pkt, std::span(&inst, 1)); }
  void v2() {
    inst.version = Version::kV2;
    inst.interval = 1;
    advert.version = Version::kV2;
    advert.interval = 1;
    build();
  }
};

using VrrpReceive = Fixture;

TEST_F(VrrpReceive, AcceptsAValidAdvert) {
  RxResult r = check();
  EXPECT_EQ(r.error, RxError::kOk);
  EXPECT_EQ(r.instance, 0);
  EXPECT_EQ(r.warnings, kWarnNone);
  EXPECT_EQ(r.advert.priority, 150);
}

TEST_F(VrrpReceive, AcceptsAValidV2Advert) {
  v2();
  EXPECT_EQ(check().error, RxError::kOk);
}

TEST_F(VrrpReceive, TtlMustBe255) {
  for (std::uint8_t ttl : {0, 1, 64, 254}) {
    pkt.ttl = ttl;
    EXPECT_EQ(check().error, RxError::kBadTtl) << int(ttl);
  }
}

TEST_F(VrrpReceive, TruncatedAtEveryLength) {
  const auto full = bytes;
  for (std::size_t len = 0; len < full.size(); ++len) {
    pkt.payload = std::span(full).first(len);
    EXPECT_EQ(check().error, len < kHeaderSize ? RxError::kTooShort : RxError::kTruncated) << len;
  }
}

TEST_F(VrrpReceive, TrailingBytes) {
  bytes.push_back(0);
  pkt.payload = bytes;
  EXPECT_EQ(check().error, RxError::kTrailingBytes);
}

TEST_F(VrrpReceive, VersionMustMatchTheInstance) {
  v2();
  inst.version = Version::kV3;
  EXPECT_EQ(check().error, RxError::kBadVersion);
  bytes[0] = 0x41;
  EXPECT_EQ(check().error, RxError::kBadVersion);
}

TEST_F(VrrpReceive, TypeMustBeAdvertisement) {
  advert.type = 2;
  build();
  EXPECT_EQ(check().error, RxError::kBadType);
}

TEST_F(VrrpReceive, Checksum) {
  bytes[6] ^= 1;
  EXPECT_EQ(check().error, RxError::kBadChecksum);
}

TEST_F(VrrpReceive, V3ChecksumFromAnotherSourceFails) {
  pkt.src = net::Ipv4{0xC6120003};
  EXPECT_EQ(check().error, RxError::kBadChecksum);
}

TEST_F(VrrpReceive, UnknownVrid) {
  inst.vrid = 52;
  RxResult r = check();
  EXPECT_EQ(r.error, RxError::kUnknownVrid);
  EXPECT_EQ(r.instance, -1);
}

TEST_F(VrrpReceive, PicksTheInstanceByVrid) {
  std::array<RxInstance, 2> two = {inst, inst};
  two[0].vrid = 7;
  RxResult r = check_receive(pkt, two);
  EXPECT_EQ(r.error, RxError::kOk);
  EXPECT_EQ(r.instance, 1);
}

TEST_F(VrrpReceive, OwnerDropsAdvertsForItsVrid) {
  inst.priority = 255;
  EXPECT_EQ(check().error, RxError::kOwnerConflict);
}

TEST_F(VrrpReceive, MulticastModeWantsTheGroup) {
  pkt.dst = kMe;
  build();
  EXPECT_EQ(check().error, RxError::kBadDestination);
}

TEST_F(VrrpReceive, UnicastModeWantsUsAndAKnownPeer) {
  const std::array<net::Ipv4, 1> peers = {kPeer};
  inst.unicast_peers = peers;
  EXPECT_EQ(check().error, RxError::kBadDestination);  // still to the group
  pkt.dst = kMe;
  build();
  EXPECT_EQ(check().error, RxError::kOk);
  pkt.src = net::Ipv4{0xC6120009};
  build();
  EXPECT_EQ(check().error, RxError::kUnknownPeer);
}

TEST_F(VrrpReceive, OwnAdvertLoopedBack) {
  pkt.src = kMe;
  build();
  EXPECT_EQ(check().error, RxError::kLoopedBack);
}

TEST_F(VrrpReceive, ZeroInterval) {
  advert.interval = 0;
  build();
  EXPECT_EQ(check().error, RxError::kZeroInterval);
}

TEST_F(VrrpReceive, V3IntervalDifferenceIsOnlyLogged) {
  advert.interval = 50;
  build();
  RxResult r = check();
  EXPECT_EQ(r.error, RxError::kOk);
  EXPECT_EQ(r.warnings, kWarnIntervalDiffers);
}

TEST_F(VrrpReceive, V2IntervalMismatchDrops) {
  v2();
  advert.interval = 2;
  build();
  EXPECT_EQ(check().error, RxError::kIntervalMismatch);
}

TEST_F(VrrpReceive, V2AuthTypeMismatch) {
  v2();
  advert.auth_type = 1;
  build();
  EXPECT_EQ(check().error, RxError::kAuthTypeMismatch);
  advert.auth_type = 2;  // IP AH, gone since RFC 3768
  build();
  EXPECT_EQ(check().error, RxError::kAuthTypeMismatch);
}

TEST_F(VrrpReceive, V2SimplePassword) {
  v2();
  inst.v2_auth = V2AuthType::kSimpleText;
  inst.v2_password = {'t', 'a', 'n', 'd', 'e', 'm', 0, 0};
  advert.auth_type = 1;
  advert.auth_data = inst.v2_password;
  build();
  EXPECT_EQ(check().error, RxError::kOk);
  advert.auth_data[5] = 'M';
  build();
  EXPECT_EQ(check().error, RxError::kAuthDataMismatch);
}

TEST_F(VrrpReceive, AddressMismatchFromNonOwnerDrops) {
  advert.addresses = {net::Ipv4{0xC6120065}};
  build();
  EXPECT_EQ(check().error, RxError::kAddressMismatch);
  advert.addresses = {kVips[0], net::Ipv4{0xC6120065}};
  build();
  EXPECT_EQ(check().error, RxError::kAddressMismatch);
  advert.addresses = {};
  build();
  EXPECT_EQ(check().error, RxError::kAddressMismatch);
}

TEST_F(VrrpReceive, AddressMismatchFromOwnerIsOnlyLogged) {
  advert.priority = 255;
  advert.addresses = {net::Ipv4{0xC6120065}};
  build();
  RxResult r = check();
  EXPECT_EQ(r.error, RxError::kOk);
  EXPECT_EQ(r.warnings, kWarnAddressMismatchFromOwner);
}

TEST_F(VrrpReceive, AddressOrderDoesNotMatter) {
  const std::array<net::Ipv4, 2> vips = {net::Ipv4{0xC6120064}, net::Ipv4{0xC6120065}};
  inst.addresses = vips;
  advert.addresses = {vips[1], vips[0]};
  build();
  EXPECT_EQ(check().error, RxError::kOk);
  advert.addresses = {vips[0], vips[0]};
  build();
  EXPECT_EQ(check().error, RxError::kAddressMismatch);
}

TEST_F(VrrpReceive, AddressCheckCanBeTurnedOff) {
  inst.check_addresses = false;
  advert.addresses = {};
  build();
  EXPECT_EQ(check().error, RxError::kOk);
}

TEST_F(VrrpReceive, FirstFailingRuleWins) {
  // Bad TTL and bad checksum together count as bad TTL, as the RFC orders them.
  pkt.ttl = 1;
  bytes[6] ^= 1;
  EXPECT_EQ(check().error, RxError::kBadTtl);
}

TEST_F(VrrpReceive, EveryReasonHasAName) {
  for (int i = 0; i < static_cast<int>(RxError::kCount_); ++i) {
    EXPECT_STRNE(to_string(static_cast<RxError>(i)), "unknown") << i;
  }
}

struct HmacFixture : Fixture {
  AuthKeyRing ring;
  AuthVerifier verifier{ring};
  AuthOption option{};
  HmacFixture() {
    ring.add({1, {'k', 'e', 'y', '-', 'o', 'n', 'e'}});
    ring.set_send_key(1);
    inst.hmac = &verifier;
  }
  void sign(std::uint64_t seq) {
    option = sign_advert(*ring.send_key(), seq, pkt.src, pkt.dst, pkt.payload);
    pkt.ip_options = option;
  }
};

using VrrpReceiveHmac = HmacFixture;

TEST_F(VrrpReceiveHmac, AcceptsSignedAndRefusesReplay) {
  sign(1000);
  EXPECT_EQ(check().error, RxError::kOk);
  EXPECT_EQ(check().error, RxError::kHmacReplay);
  sign(1001);
  EXPECT_EQ(check().error, RxError::kOk);
}

TEST_F(VrrpReceiveHmac, MissingOption) {
  EXPECT_EQ(check().error, RxError::kHmacMissing);
}

TEST_F(VrrpReceiveHmac, TamperedMessage) {
  sign(1);
  advert.priority = 254;  // re-encoded with a valid checksum, MAC now stale
  build();
  EXPECT_EQ(check().error, RxError::kHmacBadMac);
}

TEST_F(VrrpReceiveHmac, UnknownKey) {
  sign(1);
  option[2] = 9;
  EXPECT_EQ(check().error, RxError::kHmacUnknownKey);
}

TEST_F(VrrpReceiveHmac, MalformedOption) {
  sign(1);
  option[1] = 40;  // runs past the options
  EXPECT_EQ(check().error, RxError::kHmacMalformed);
}

}  // namespace
}  // namespace tandem::vrrp
