#pragma once
// One IPVS sync version-1 connection record ("sync_conn"), the unit both the
// peer protocol and the director<->syncd stream carry. Layout (big-endian):
//
//   0 u8 type (0 = IPv4, bit 0 = IPv6)   1 u8 protocol   2 be16 ver_size
//   4 be32 flags   8 be16 state   10 be16 cport   12 be16 vport   14 be16 dport
//   16 be32 fwmark   20 be32 timeout (s)   24 caddr, vaddr, daddr (4 or 16 each)
//   36 / 72: options (u8 type, u8 len, len bytes), then zero padding to 4.
//
// ver_size: high 4 bits record version (0), low 12 bits length including the
// options but not the trailing padding.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/net/address.h"
#include "common/sync/error.h"

namespace tandem::sync {

inline constexpr std::size_t kIpv4RecordSize = 36;
inline constexpr std::size_t kIpv6RecordSize = 72;
inline constexpr std::size_t kMaxRecordSize = 0x0fff;  // 12-bit length field
inline constexpr std::size_t kPeNameMax = 16;          // IP_VS_PENAME_MAXLEN
inline constexpr std::size_t kPeDataMax = 255;         // IP_VS_PEDATA_MAXLEN

// Option types; kOptSkippable set on an unknown type lets a receiver skip it.
inline constexpr std::uint8_t kOptSeqData = 1;
inline constexpr std::uint8_t kOptPeData = 2;
inline constexpr std::uint8_t kOptPeName = 3;
inline constexpr std::uint8_t kOptSkippable = 0x40;
inline constexpr std::size_t kSeqOptionSize = 24;

// Connection flag bits we interpret (IP_VS_CONN_F_*).
inline constexpr std::uint32_t kFlagFwdMask = 0x0007;  // 0 NAT, 1 local, 2 tunnel, 3 DR, 4 bypass
inline constexpr std::uint32_t kFlagSync = 0x0020;
inline constexpr std::uint32_t kFlagHashed = 0x0040;
inline constexpr std::uint32_t kFlagNoOutput = 0x0080;
inline constexpr std::uint32_t kFlagInactive = 0x0100;
inline constexpr std::uint32_t kFlagSeqMask = 0x0600;
inline constexpr std::uint32_t kFlagNoCport = 0x0800;
inline constexpr std::uint32_t kFlagTemplate = 0x1000;
inline constexpr std::uint32_t kFlagOnePacket = 0x2000;
// What a backup keeps from a received record (IP_VS_CONN_F_BACKUP_MASK).
inline constexpr std::uint32_t kFlagBackupMask =
    kFlagFwdMask | kFlagNoOutput | kFlagInactive | kFlagSeqMask | kFlagNoCport | kFlagTemplate;

// IPVS TCP state numbers as carried in the state field.
enum class TcpState : std::uint16_t {
  kNone = 0,
  kEstablished,
  kSynSent,
  kSynRecv,
  kFinWait,
  kTimeWait,
  kClose,
  kCloseWait,
  kLastAck,
  kListen,
  kSynAck,
};

// An address as it sits on the wire; IPv4 uses the first four bytes.
struct SyncAddr {
  std::array<std::uint8_t, 16> bytes{};

  static SyncAddr from_v4(net::Ipv4 a);
  net::Ipv4 to_v4() const;
  auto operator<=>(const SyncAddr&) const = default;
};

// TCP sequence adjustment (struct ip_vs_seq without its host-only fields).
struct SeqAdjust {
  std::uint32_t init_seq = 0;
  std::uint32_t delta = 0;
  std::uint32_t previous_delta = 0;
  auto operator<=>(const SeqAdjust&) const = default;
};

struct SeqOption {
  SeqAdjust in;
  SeqAdjust out;
  auto operator<=>(const SeqOption&) const = default;
};

// Ports are in host order; addresses stay in wire order.
struct ConnRecord {
  bool ipv6 = false;
  std::uint8_t protocol = 0;
  std::uint32_t flags = 0;
  std::uint16_t state = 0;
  std::uint16_t cport = 0;
  std::uint16_t vport = 0;
  std::uint16_t dport = 0;
  std::uint32_t fwmark = 0;
  std::uint32_t timeout_s = 0;
  SyncAddr caddr;
  SyncAddr vaddr;
  SyncAddr daddr;
  std::optional<SeqOption> seq;
  std::vector<std::uint8_t> pe_data;  // empty = absent (a zero-length option is invalid)
  std::string pe_name;                // empty = absent

  bool operator==(const ConnRecord&) const = default;
};

// Bytes encode_record writes, without trailing padding; 0 if a field is too long.
std::size_t encoded_record_size(const ConnRecord& r);

// Writes one record into out (which must hold encoded_record_size bytes).
// kFieldTooLong / kMessageFull on failure, nothing meaningful written then.
SyncError encode_record(const ConnRecord& r, std::span<std::uint8_t> out, std::size_t& written);

// Appends one record to a buffer; convenience for the local stream.
SyncError append_record(const ConnRecord& r, std::vector<std::uint8_t>& out);

struct RecordDecode {
  SyncError error = SyncError::kOk;
  // Bytes the record claims (its ver_size length). Valid whenever the header
  // could be read, even when error is a record-level rejection, so a message
  // decoder can step over a rejected record.
  std::size_t size = 0;
  std::uint32_t skipped_options = 0;
};

// Decodes a record from the front of in. in may hold more bytes after it.
// Structural errors (truncated, bad type/version/size, bad option framing)
// make everything after this point untrustworthy; kUnknownOption and
// kBadPeData reject only this record.
RecordDecode decode_record(std::span<const std::uint8_t> in, ConnRecord& out);

// True for errors after which the following records can still be read.
bool is_record_local(SyncError e);

// A local-stream frame holds exactly one record: its length must equal the
// record's own size field.
SyncError decode_stream_record(std::span<const std::uint8_t> frame, ConnRecord& out);

}  // namespace tandem::sync
