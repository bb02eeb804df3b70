#include "common/sync/record.h"

#include <algorithm>
#include <cstring>

#include "common/sync/wire.h"

namespace tandem::sync {
namespace {

std::size_t fixed_size(bool ipv6) {
  return ipv6 ? kIpv6RecordSize : kIpv4RecordSize;
}

void put_seq(std::uint8_t* p, const SeqAdjust& s) {
  wire::put32(p, s.init_seq);
  wire::put32(p + 4, s.delta);
  wire::put32(p + 8, s.previous_delta);
}

SeqAdjust get_seq(const std::uint8_t* p) {
  return SeqAdjust{wire::get32(p), wire::get32(p + 4), wire::get32(p + 8)};
}

}  // namespace

SyncAddr SyncAddr::from_v4(net::Ipv4 a) {
  SyncAddr s;
  wire::put32(s.bytes.data(), a.value);
  return s;
}

net::Ipv4 SyncAddr::to_v4() const {
  return net::Ipv4{wire::get32(bytes.data())};
}

std::size_t encoded_record_size(const ConnRecord& r) {
  if (r.pe_data.size() > kPeDataMax || r.pe_name.size() > kPeNameMax) return 0;
  std::size_t n = fixed_size(r.ipv6);
  if (r.seq) n += 2 + kSeqOptionSize;
  if (!r.pe_data.empty()) n += 2 + r.pe_data.size();
  if (!r.pe_name.empty()) n += 2 + r.pe_name.size();
  return n;
}

SyncError encode_record(const ConnRecord& r, std::span<std::uint8_t> out, std::size_t& written) {
  written = 0;
  const std::size_t n = encoded_record_size(r);
  if (n == 0) return SyncError::kFieldTooLong;
  if (n > out.size()) return SyncError::kMessageFull;
  std::uint8_t* p = out.data();
  std::memset(p, 0, n);
  p[0] = r.ipv6 ? 1 : 0;
  p[1] = r.protocol;
  wire::put16(p + 2, static_cast<std::uint16_t>(n & kMaxRecordSize));  // version 0
  // The hashed bit describes our table, not the connection; the kernel strips it too.
  wire::put32(p + 4, r.flags & ~kFlagHashed);
  wire::put16(p + 8, r.state);
  wire::put16(p + 10, r.cport);
  wire::put16(p + 12, r.vport);
  wire::put16(p + 14, r.dport);
  wire::put32(p + 16, r.fwmark);
  wire::put32(p + 20, r.timeout_s);
  const std::size_t alen = r.ipv6 ? 16 : 4;
  std::memcpy(p + 24, r.caddr.bytes.data(), alen);
  std::memcpy(p + 24 + alen, r.vaddr.bytes.data(), alen);
  std::memcpy(p + 24 + 2 * alen, r.daddr.bytes.data(), alen);
  std::size_t off = fixed_size(r.ipv6);
  if (r.seq) {
    p[off] = kOptSeqData;
    p[off + 1] = kSeqOptionSize;
    put_seq(p + off + 2, r.seq->in);
    put_seq(p + off + 14, r.seq->out);
    off += 2 + kSeqOptionSize;
  }
  if (!r.pe_data.empty()) {
    p[off] = kOptPeData;
    p[off + 1] = static_cast<std::uint8_t>(r.pe_data.size());
    std::memcpy(p + off + 2, r.pe_data.data(), r.pe_data.size());
    off += 2 + r.pe_data.size();
  }
  if (!r.pe_name.empty()) {
    p[off] = kOptPeName;
    p[off + 1] = static_cast<std::uint8_t>(r.pe_name.size());
    std::memcpy(p + off + 2, r.pe_name.data(), r.pe_name.size());
    off += 2 + r.pe_name.size();
  }
  written = off;
  return SyncError::kOk;
}

SyncError append_record(const ConnRecord& r, std::vector<std::uint8_t>& out) {
  const std::size_t n = encoded_record_size(r);
  if (n == 0) return SyncError::kFieldTooLong;
  const std::size_t at = out.size();
  out.resize(at + n);
  std::size_t written = 0;
  return encode_record(r, std::span<std::uint8_t>(out).subspan(at), written);
}

RecordDecode decode_record(std::span<const std::uint8_t> in, ConnRecord& out) {
  RecordDecode res;
  // The kernel demands a full IPv4-sized header before it looks at the type.
  if (in.size() < kIpv4RecordSize) {
    res.error = SyncError::kTruncated;
    return res;
  }
  const std::uint8_t* p = in.data();
  const std::uint16_t ver_size = wire::get16(p + 2);
  res.size = ver_size & kMaxRecordSize;
  if (res.size > in.size()) {
    res.error = SyncError::kTruncated;
    return res;
  }
  if ((ver_size >> 12) != 0) {
    res.error = SyncError::kBadRecordVersion;
    return res;
  }
  bool ipv6;
  if (p[0] & 1) {
    ipv6 = true;
  } else if (p[0] == 0) {
    ipv6 = false;
  } else {
    res.error = SyncError::kBadRecordType;
    return res;
  }
  const std::size_t fixed = fixed_size(ipv6);
  if (res.size < fixed) {
    res.error = SyncError::kBadRecordSize;
    return res;
  }

  ConnRecord r;
  r.ipv6 = ipv6;
  r.protocol = p[1];
  r.flags = wire::get32(p + 4);
  r.state = wire::get16(p + 8);
  r.cport = wire::get16(p + 10);
  r.vport = wire::get16(p + 12);
  r.dport = wire::get16(p + 14);
  r.fwmark = wire::get32(p + 16);
  r.timeout_s = wire::get32(p + 20);
  const std::size_t alen = ipv6 ? 16 : 4;
  std::memcpy(r.caddr.bytes.data(), p + 24, alen);
  std::memcpy(r.vaddr.bytes.data(), p + 24 + alen, alen);
  std::memcpy(r.daddr.bytes.data(), p + 24 + 2 * alen, alen);

  // Option walk, bounded by the record's own length.
  bool seen_seq = false, seen_pe_data = false, seen_pe_name = false, unknown_mandatory = false;
  std::size_t off = fixed;
  while (off < res.size) {
    if (off + 2 > res.size) {
      res.error = SyncError::kBadOption;
      return res;
    }
    const std::uint8_t type = p[off];
    const std::size_t len = p[off + 1];
    off += 2;
    if (len == 0 || off + len > res.size) {
      res.error = SyncError::kBadOption;
      return res;
    }
    const std::uint8_t* data = p + off;
    switch (type & ~kOptSkippable) {
      case kOptSeqData:
        if (len != kSeqOptionSize) {
          res.error = SyncError::kBadOption;
          return res;
        }
        if (seen_seq) {
          res.error = SyncError::kDuplicateOption;
          return res;
        }
        seen_seq = true;
        r.seq = SeqOption{get_seq(data), get_seq(data + 12)};
        break;
      case kOptPeData:
        if (seen_pe_data) {
          res.error = SyncError::kDuplicateOption;
          return res;
        }
        seen_pe_data = true;
        r.pe_data.assign(data, data + len);
        break;
      case kOptPeName:
        if (len > kPeNameMax) {
          res.error = SyncError::kBadOption;
          return res;
        }
        if (seen_pe_name) {
          res.error = SyncError::kDuplicateOption;
          return res;
        }
        seen_pe_name = true;
        r.pe_name.assign(reinterpret_cast<const char*>(data), len);
        break;
      default:
        // Keep walking: a later framing error still condemns the whole message.
        if (type & kOptSkippable) {
          ++res.skipped_options;
        } else {
          unknown_mandatory = true;
        }
        break;
    }
    off += len;
  }
  if (unknown_mandatory) {
    res.error = SyncError::kUnknownOption;
    return res;
  }
  if (seen_pe_data && !seen_pe_name) {
    res.error = SyncError::kBadPeData;
    return res;
  }
  out = std::move(r);
  return res;
}

bool is_record_local(SyncError e) {
  return e == SyncError::kUnknownOption || e == SyncError::kBadPeData;
}

SyncError decode_stream_record(std::span<const std::uint8_t> frame, ConnRecord& out) {
  ConnRecord r;
  const RecordDecode d = decode_record(frame, r);
  if (d.error != SyncError::kOk) return d.error;
  if (d.size != frame.size()) return SyncError::kTrailingBytes;
  out = std::move(r);
  return SyncError::kOk;
}

}  // namespace tandem::sync
