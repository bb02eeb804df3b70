#pragma once
// A small DNS message encoder/decoder for the dns monitor: one question out,
// the answer section back as text. Responses are untrusted: lengths, counts
// and compression pointers are all checked, pointers may only point backward
// (so they cannot loop), and errors come back as values.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::health {

enum class DnsType : std::uint16_t {
  kA = 1,
  kNs = 2,
  kCname = 5,
  kSoa = 6,
  kMx = 15,
  kTxt = 16,
  kAaaa = 28,
};

std::optional<DnsType> dns_type_from_name(std::string_view name);  // "A", "mx", ...

// Empty when the name is not a valid DNS name (empty label, label > 63,
// total > 253 characters).
std::vector<std::uint8_t> dns_encode_query(std::uint16_t id, std::string_view name, DnsType type);

struct DnsRecord {
  std::string name;  // lower case, no trailing dot
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  // A: "198.18.0.1"; AAAA: RFC 5952 text; NS/CNAME: a name; MX: "10 mx.example";
  // TXT: the strings joined; SOA: "mname rname serial"; other types: empty.
  std::string value;
};

struct DnsResponse {
  std::uint16_t id = 0;
  std::uint8_t rcode = 0;
  bool truncated = false;  // TC bit
  std::string question_name;
  std::uint16_t question_type = 0;
  std::vector<DnsRecord> answers;
};

enum class DnsError {
  kNone,
  kShort,           // shorter than a header, or a section runs past the end
  kNotAResponse,    // QR bit clear or opcode not QUERY
  kBadName,         // malformed label, pointer forward/loop, name too long
  kBadRecord,       // RDATA shorter than its type needs
  kTooManyRecords,  // counts beyond what we accept
};

const char* dns_error_text(DnsError e);

struct DnsParse {
  DnsError error = DnsError::kNone;
  DnsResponse response;
};

DnsParse dns_parse_response(std::span<const std::uint8_t> msg);

const char* dns_rcode_name(int rcode);  // "NOERROR", "NXDOMAIN", ...

}  // namespace tandem::health
