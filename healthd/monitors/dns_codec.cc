#include "healthd/monitors/dns_codec.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace tandem::health {

namespace {

constexpr std::size_t kHeader = 12;
constexpr int kMaxRecords = 256;
constexpr std::size_t kMaxName = 255;  // wire length, RFC 1035 2.3.4

std::uint16_t u16(std::span<const std::uint8_t> m, std::size_t at) {
  return static_cast<std::uint16_t>(m[at] << 8 | m[at + 1]);
}

std::uint32_t u32(std::span<const std::uint8_t> m, std::size_t at) {
  return std::uint32_t{u16(m, at)} << 16 | u16(m, at + 2);
}

// Reads a possibly compressed name at `pos`; on success `pos` moves past the
// name as it appears at that position (a pointer counts two bytes).
bool read_name(std::span<const std::uint8_t> m, std::size_t& pos, std::string& out) {
  out.clear();
  std::size_t at = pos;
  std::size_t wire_len = 0;
  bool jumped = false;
  // Each pointer must point before the label that holds it, so every jump
  // strictly decreases `at` and a chain ends within m.size() steps.
  std::size_t limit = at;
  while (true) {
    if (at >= m.size()) return false;
    const std::uint8_t len = m[at];
    if ((len & 0xC0) == 0xC0) {
      if (at + 1 >= m.size()) return false;
      const std::size_t target = static_cast<std::size_t>((len & 0x3F) << 8 | m[at + 1]);
      if (target >= limit) return false;
      if (!jumped) pos = at + 2;
      jumped = true;
      at = limit = target;
      continue;
    }
    if ((len & 0xC0) != 0) return false;  // 0x40/0x80: obsolete label types
    wire_len += 1u + len;
    if (wire_len > kMaxName) return false;
    if (len == 0) {
      if (!jumped) pos = at + 1;
      return true;
    }
    if (at + 1 + len > m.size()) return false;
    if (!out.empty()) out.push_back('.');
    for (std::size_t i = at + 1; i <= at + len; ++i) {
      const auto c = static_cast<unsigned char>(m[i]);
      if (c == '.' || c == '\\' || c <= 0x20 || c >= 0x7f) {
        char esc[5];
        std::snprintf(esc, sizeof esc, "\\%03u", c);
        out += esc;
      } else {
        out.push_back(static_cast<char>(std::tolower(c)));
      }
    }
    at += 1u + len;
    if (!jumped) limit = at;
  }
}

bool render_rdata(std::span<const std::uint8_t> m, std::size_t at, std::size_t len,
                  std::uint16_t type, std::string& out) {
  const auto rd = m.subspan(at, len);
  std::size_t p = at;
  switch (static_cast<DnsType>(type)) {
    case DnsType::kA: {
      if (len != 4) return false;
      char buf[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, rd.data(), buf, sizeof buf);
      out = buf;
      return true;
    }
    case DnsType::kAaaa: {
      if (len != 16) return false;
      char buf[INET6_ADDRSTRLEN];
      inet_ntop(AF_INET6, rd.data(), buf, sizeof buf);
      out = buf;
      return true;
    }
    case DnsType::kNs:
    case DnsType::kCname:
      return read_name(m, p, out) && p == at + len;
    case DnsType::kMx: {
      if (len < 3) return false;
      const auto pref = u16(m, at);
      p = at + 2;
      std::string host;
      if (!read_name(m, p, host) || p != at + len) return false;
      out = std::to_string(pref) + " " + host;
      return true;
    }
    case DnsType::kTxt: {
      out.clear();
      std::size_t i = 0;
      while (i < len) {
        const std::size_t n = rd[i];
        if (i + 1 + n > len) return false;
        out.append(reinterpret_cast<const char*>(rd.data()) + i + 1, n);
        i += 1 + n;
      }
      return true;
    }
    case DnsType::kSoa: {
      std::string mname, rname;
      if (!read_name(m, p, mname) || !read_name(m, p, rname) || p + 20 != at + len) return false;
      out = mname + " " + rname + " " + std::to_string(u32(m, p));
      return true;
    }
  }
  out.clear();  // a type we do not render: present, no value
  return true;
}

}  // namespace

std::optional<DnsType> dns_type_from_name(std::string_view name) {
  std::string n(name);
  for (auto& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (n == "A") return DnsType::kA;
  if (n == "AAAA") return DnsType::kAaaa;
  if (n == "CNAME") return DnsType::kCname;
  if (n == "MX") return DnsType::kMx;
  if (n == "TXT") return DnsType::kTxt;
  if (n == "NS") return DnsType::kNs;
  if (n == "SOA") return DnsType::kSoa;
  return std::nullopt;
}

std::vector<std::uint8_t> dns_encode_query(std::uint16_t id, std::string_view name, DnsType type) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return {};
  std::vector<std::uint8_t> q = {static_cast<std::uint8_t>(id >> 8),
                                 static_cast<std::uint8_t>(id & 0xFF),
                                 0x01,  // RD: let a recursive server answer too
                                 0x00,
                                 0x00,
                                 0x01,
                                 0x00,
                                 0x00,
                                 0x00,
                                 0x00,
                                 0x00,
                                 0x00};
  while (!name.empty()) {
    const auto dot = name.find('.');
    const auto label = name.substr(0, dot);
    if (label.empty() || label.size() > 63) return {};
    q.push_back(static_cast<std::uint8_t>(label.size()));
    q.insert(q.end(), label.begin(), label.end());
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
    if (name.empty()) return {};  // "a..b" or a trailing dot after stripping one
  }
  const auto t = static_cast<std::uint16_t>(type);
  q.insert(q.end(), {0x00, static_cast<std::uint8_t>(t >> 8), static_cast<std::uint8_t>(t & 0xFF),
                     0x00, 0x01});
  return q;
}

DnsParse dns_parse_response(std::span<const std::uint8_t> m) {
  DnsParse r;
  auto err = [&](DnsError e) {
    r.error = e;
    return r;
  };
  if (m.size() < kHeader) return err(DnsError::kShort);
  auto& resp = r.response;
  resp.id = u16(m, 0);
  const std::uint8_t flags = m[2];
  if ((flags & 0x80) == 0 || ((flags >> 3) & 0x0F) != 0) return err(DnsError::kNotAResponse);
  resp.truncated = (flags & 0x02) != 0;
  resp.rcode = m[3] & 0x0F;
  const int qd = u16(m, 4), an = u16(m, 6);
  if (qd > 1 || an > kMaxRecords) return err(DnsError::kTooManyRecords);
  std::size_t pos = kHeader;
  if (qd == 1) {
    if (!read_name(m, pos, resp.question_name)) return err(DnsError::kBadName);
    if (pos + 4 > m.size()) return err(DnsError::kShort);
    resp.question_type = u16(m, pos);
    pos += 4;
  }
  for (int i = 0; i < an; ++i) {
    DnsRecord rec;
    if (!read_name(m, pos, rec.name)) return err(DnsError::kBadName);
    if (pos + 10 > m.size()) return err(DnsError::kShort);
    rec.type = u16(m, pos);
    rec.ttl = u32(m, pos + 4);
    const std::size_t rdlen = u16(m, pos + 8);
    pos += 10;
    if (pos + rdlen > m.size()) return err(DnsError::kShort);
    if (!render_rdata(m, pos, rdlen, rec.type, rec.value)) return err(DnsError::kBadRecord);
    pos += rdlen;
    resp.answers.push_back(std::move(rec));
  }
  // Authority and additional sections are not needed to judge the answer.
  return r;
}

const char* dns_error_text(DnsError e) {
  switch (e) {
    case DnsError::kNone:
      return "ok";
    case DnsError::kShort:
      return "truncated message";
    case DnsError::kNotAResponse:
      return "not a response";
    case DnsError::kBadName:
      return "malformed name";
    case DnsError::kBadRecord:
      return "malformed record";
    case DnsError::kTooManyRecords:
      return "too many records";
  }
  return "?";
}

const char* dns_rcode_name(int rcode) {
  static const char* const kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                       "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                       "NXRRSET", "NOTAUTH", "NOTZONE"};
  if (rcode >= 0 && rcode < static_cast<int>(std::size(kNames))) return kNames[rcode];
  return "RCODE?";
}

}  // namespace tandem::health
