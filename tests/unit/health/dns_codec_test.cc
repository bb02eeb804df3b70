#include "healthd/monitors/dns_codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tandem::health {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Builds a byte vector from numbers and string pieces, so each vector below
// reads like the hex dump it was checked against.
struct B {
  Bytes v;
  B& operator()(std::initializer_list<int> xs) {
    for (int x : xs) v.push_back(static_cast<std::uint8_t>(x));
    return *this;
  }
  B& operator()(std::string_view s) {
    v.insert(v.end(), s.begin(), s.end());
    return *this;
  }
};

TEST(DnsCodec, EncodesAQuery) {
  // 12 34 | 01 00 (RD) | qd=1 an=0 ns=0 ar=0 | 3www 7example 3com 0 | A | IN
  const Bytes want = B{}({0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0})({3})("www")({7})(
                         "example")({3})("com")({0, 0, 1, 0, 1})
                         .v;
  EXPECT_EQ(dns_encode_query(0x1234, "www.example.com", DnsType::kA), want);
  EXPECT_EQ(dns_encode_query(0x1234, "www.example.com.", DnsType::kA), want);
}

TEST(DnsCodec, EncodeRejectsInvalidNames) {
  EXPECT_TRUE(dns_encode_query(1, "", DnsType::kA).empty());
  EXPECT_TRUE(dns_encode_query(1, ".", DnsType::kA).empty());
  EXPECT_TRUE(dns_encode_query(1, "a..b", DnsType::kA).empty());
  EXPECT_TRUE(dns_encode_query(1, std::string(64, 'a') + ".com", DnsType::kA).empty());
  std::string long_name;
  for (int i = 0; i < 64; ++i) long_name += "abc.";
  EXPECT_TRUE(dns_encode_query(1, long_name + "x", DnsType::kA).empty());
  EXPECT_FALSE(dns_encode_query(1, std::string(63, 'a') + ".com", DnsType::kA).empty());
}

// www.example.com CNAME web.example.com, web.example.com A 198.18.0.100.
//  0: 12 34 81 80 00 01 00 02 00 00 00 00      id, QR RD RA, qd=1 an=2
// 12: 03 www 07 example 03 com 00 00 01 00 01  question (name at 12, "example" at 16)
// 33: c0 0c 00 05 00 01 00 00 0e 10 00 06      ->12, CNAME, IN, ttl 3600, rdlen 6
// 45: 03 web c0 10                             "web" + ->16 (example.com)
// 51: c0 2d 00 01 00 01 00 00 00 3c 00 04      ->45 (web.example.com), A, IN, ttl 60, rdlen 4
// 63: c6 12 00 64                              198.18.0.100
Bytes cname_response() {
  return B{}({0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0})({3})("www")({7})("example")({3})(
             "com")({0, 0, 1, 0, 1})({0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0x0e, 0x10, 0, 6})({3})("web")(
             {0xc0, 0x10})({0xc0, 0x2d, 0, 1, 0, 1, 0, 0, 0, 0x3c, 0, 4})({0xc6, 0x12, 0x00, 0x64})
      .v;
}

TEST(DnsCodec, ParsesCompressedAnswers) {
  const auto msg = cname_response();
  ASSERT_EQ(msg.size(), 67u);
  const auto r = dns_parse_response(msg);
  ASSERT_EQ(r.error, DnsError::kNone);
  EXPECT_EQ(r.response.id, 0x1234);
  EXPECT_EQ(r.response.rcode, 0);
  EXPECT_FALSE(r.response.truncated);
  EXPECT_EQ(r.response.question_name, "www.example.com");
  EXPECT_EQ(r.response.question_type, 1);
  ASSERT_EQ(r.response.answers.size(), 2u);
  EXPECT_EQ(r.response.answers[0].type, 5);
  EXPECT_EQ(r.response.answers[0].ttl, 3600u);
  EXPECT_EQ(r.response.answers[0].value, "web.example.com");
  EXPECT_EQ(r.response.answers[1].name, "web.example.com");
  EXPECT_EQ(r.response.answers[1].value, "198.18.0.100");
}

TEST(DnsCodec, EveryTruncationIsRejected) {
  const auto msg = cname_response();
  for (std::size_t n = 0; n < msg.size(); ++n) {
    const auto r = dns_parse_response(std::span(msg.data(), n));
    EXPECT_NE(r.error, DnsError::kNone) << n;
  }
}

Bytes header(int qd, int an, int flags = 0x8180) {
  return B{}({0xab, 0xcd, flags >> 8, flags & 0xff, 0, qd, 0, an, 0, 0, 0, 0}).v;
}

TEST(DnsCodec, PointerToItselfIsRejected) {
  // Answer name at 12 is c0 0c: a pointer to itself.
  auto m = header(0, 1);
  B more{m};
  more({0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4});
  EXPECT_EQ(dns_parse_response(more.v).error, DnsError::kBadName);
}

TEST(DnsCodec, PointerLoopThroughALabelIsRejected) {
  // 12: 01 'a' c0 0c: "a" then back to 12, which would repeat "a" forever.
  B m{header(0, 1)};
  m({1})("a")({0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4});
  EXPECT_EQ(dns_parse_response(m.v).error, DnsError::kBadName);
}

TEST(DnsCodec, ForwardPointerIsRejected) {
  // 12: c0 0e -> 14, which is after the pointer: never produced by a real
  // encoder and the way two pointers would ping-pong.
  B m{header(0, 1)};
  m({0xc0, 0x0e, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4});
  EXPECT_EQ(dns_parse_response(m.v).error, DnsError::kBadName);
}

TEST(DnsCodec, PointerPastTheEndIsRejected) {
  B m{header(0, 1)};
  m({0xc0});
  EXPECT_NE(dns_parse_response(m.v).error, DnsError::kNone);
}

TEST(DnsCodec, ReservedLabelTypesAreRejected) {
  B m{header(0, 1)};
  m({0x41, 0x00, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(dns_parse_response(m.v).error, DnsError::kBadName);
}

TEST(DnsCodec, OverlongNameIsRejected) {
  // 5 labels of 63 = 320 bytes on the wire > 255.
  B m{header(0, 1)};
  for (int i = 0; i < 5; ++i) m({63})(std::string(63, 'x'));
  m({0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4});
  EXPECT_EQ(dns_parse_response(m.v).error, DnsError::kBadName);
}

TEST(DnsCodec, QueryIsNotAResponse) {
  const auto q = dns_encode_query(7, "a.b", DnsType::kA);
  EXPECT_EQ(dns_parse_response(q).error, DnsError::kNotAResponse);
}

TEST(DnsCodec, RcodeAndTcAreReported) {
  // NXDOMAIN (rcode 3) with TC set: flags 0x8383.
  B m{header(0, 0, 0x8383)};
  const auto r = dns_parse_response(m.v);
  ASSERT_EQ(r.error, DnsError::kNone);
  EXPECT_EQ(r.response.rcode, 3);
  EXPECT_TRUE(r.response.truncated);
  EXPECT_STREQ(dns_rcode_name(3), "NXDOMAIN");
}

TEST(DnsCodec, RendersMxTxtAaaaSoaNs) {
  // Answers with root owner (00) to keep the vector short.
  B m{header(0, 5)};
  m({0, 0, 15, 0, 1, 0, 0, 0, 1, 0, 6})({0, 10})({2})("mx")({0});      // MX 10 mx
  m({0, 0, 16, 0, 1, 0, 0, 0, 1, 0, 12})({5})("hello")({5})("world");  // TXT
  m({0, 0, 28, 0, 1, 0, 0, 0, 1, 0, 16})(
      {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});  // AAAA 2001:db8::1
  m({0, 0, 6, 0, 1, 0, 0, 0, 1, 0, 30})({2})("ns")({0})({4})("host")({0})(
      {0, 0, 0, 42, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4});  // SOA ns host 42
  m({0, 0, 2, 0, 1, 0, 0, 0, 1, 0, 4})({2})("NS")({0});                // NS, upper case in the wire
  const auto r = dns_parse_response(m.v);
  ASSERT_EQ(r.error, DnsError::kNone) << dns_error_text(r.error);
  ASSERT_EQ(r.response.answers.size(), 5u);
  EXPECT_EQ(r.response.answers[0].value, "10 mx");
  EXPECT_EQ(r.response.answers[1].value, "helloworld");
  EXPECT_EQ(r.response.answers[2].value, "2001:db8::1");
  EXPECT_EQ(r.response.answers[3].value, "ns host 42");
  EXPECT_EQ(r.response.answers[4].value, "ns");
}

TEST(DnsCodec, ShortRdataIsRejected) {
  B a{header(0, 1)};
  a({0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 3, 1, 2, 3});  // A with 3 bytes
  EXPECT_EQ(dns_parse_response(a.v).error, DnsError::kBadRecord);
  B t{header(0, 1)};
  t({0, 0, 16, 0, 1, 0, 0, 0, 1, 0, 2, 5, 'h'});  // TXT string longer than rdata
  EXPECT_EQ(dns_parse_response(t.v).error, DnsError::kBadRecord);
  B c{header(0, 1)};
  c({0, 0, 5, 0, 1, 0, 0, 0, 1, 0, 2, 1, 'a', 0});  // CNAME rdlen 2, its name ends at 3
  EXPECT_NE(dns_parse_response(c.v).error, DnsError::kNone);
}

TEST(DnsCodec, OddBytesInLabelsAreEscaped) {
  B m{header(1, 0)};
  m({3, 'a', '.', 0x01, 0, 0, 1, 0, 1});
  const auto r = dns_parse_response(m.v);
  ASSERT_EQ(r.error, DnsError::kNone);
  EXPECT_EQ(r.response.question_name, "a\\046\\001");
}

TEST(DnsCodec, TypeNames) {
  EXPECT_EQ(dns_type_from_name("aaaa"), DnsType::kAaaa);
  EXPECT_EQ(dns_type_from_name("MX"), DnsType::kMx);
  EXPECT_FALSE(dns_type_from_name("PTR"));
}

}  // namespace
}  // namespace tandem::health
