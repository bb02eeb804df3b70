#include "common/sync/message.h"

#include "common/sync/wire.h"

namespace tandem::sync {
namespace {

constexpr std::size_t kIpv4UdpHeaders = 20 + 8;

std::size_t align4(std::size_t n) {
  return (n + 3) & ~std::size_t{3};
}

}  // namespace

std::size_t max_message_size_for_mtu(std::size_t mtu) {
  if (mtu < kIpv4UdpHeaders + kMessageHeaderSize) return 0;
  // The size field is 16 bits, so jumbo frames cannot grow a message further.
  const std::size_t n = mtu - kIpv4UdpHeaders;
  return n > 0xffff ? 0xffff : n;
}

SyncError decode_message(std::span<const std::uint8_t> in, const DecodeOptions& opts,
                         DecodedMessage& out) {
  out = DecodedMessage{};
  if (in.size() < kMessageHeaderSize) return SyncError::kTruncated;
  const std::uint8_t* p = in.data();
  if (wire::get16(p + 2) != in.size()) return SyncError::kBadSize;
  if (p[0] != 0 || p[5] != kSyncProtocolVersion || wire::get16(p + 6) != 0) {
    return SyncError::kBadVersion;
  }
  if (opts.syncid != 0 && p[1] != opts.syncid) return SyncError::kWrongSyncId;
  out.syncid = p[1];
  const std::size_t nr = p[4];
  out.records.reserve(nr);

  std::size_t off = kMessageHeaderSize;
  for (std::size_t i = 0; i < nr; ++i) {
    if (i > 0) {
      // Step over the previous record's padding, which must be zero.
      const std::size_t next = align4(off);
      if (next > in.size()) return SyncError::kTruncated;
      for (std::size_t j = off; j < next; ++j) {
        if (p[j] != 0) return SyncError::kBadPadding;
      }
      off = next;
    }
    ConnRecord r;
    const RecordDecode d = decode_record(in.subspan(off), r);
    if (d.error == SyncError::kOk) {
      out.records.push_back(std::move(r));
    } else if (is_record_local(d.error)) {
      out.rejected.push_back(RecordReject{i, d.error});
    } else {
      out.records.clear();
      out.rejected.clear();
      return d.error;
    }
    out.skipped_options += d.skipped_options;
    off += d.size;
  }
  if (off != in.size()) {
    out.records.clear();
    out.rejected.clear();
    return SyncError::kTrailingBytes;
  }
  return SyncError::kOk;
}

MessageBuilder::MessageBuilder(std::uint8_t syncid, std::size_t max_size)
    : syncid_(syncid), max_size_(max_size > 0xffff ? 0xffff : max_size) {
  reset();
}

void MessageBuilder::reset() {
  count_ = 0;
  buf_.assign(kMessageHeaderSize, 0);
  buf_[1] = syncid_;
  buf_[5] = kSyncProtocolVersion;
  wire::put16(buf_.data() + 2, static_cast<std::uint16_t>(kMessageHeaderSize));
}

SyncError MessageBuilder::add(const ConnRecord& r) {
  const std::size_t n = encoded_record_size(r);
  if (n == 0 || kMessageHeaderSize + n > max_size_) return SyncError::kFieldTooLong;
  const std::size_t at = count_ == 0 ? buf_.size() : align4(buf_.size());
  if (count_ >= kMaxRecordsPerMessage || at + n > max_size_) return SyncError::kMessageFull;
  buf_.resize(at + n, 0);
  std::size_t written = 0;
  const SyncError e = encode_record(r, std::span<std::uint8_t>(buf_).subspan(at), written);
  if (e != SyncError::kOk) {
    buf_.resize(at);
    return e;
  }
  ++count_;
  buf_[4] = static_cast<std::uint8_t>(count_);
  wire::put16(buf_.data() + 2, static_cast<std::uint16_t>(buf_.size()));
  return SyncError::kOk;
}

std::vector<std::uint8_t> MessageBuilder::finish() {
  std::vector<std::uint8_t> done = std::move(buf_);
  reset();
  return done;
}

std::vector<std::vector<std::uint8_t>> batch_records(std::span<const ConnRecord> records,
                                                     std::uint8_t syncid, std::size_t max_size,
                                                     std::size_t* unencodable) {
  std::vector<std::vector<std::uint8_t>> out;
  std::size_t bad = 0;
  MessageBuilder b(syncid, max_size);
  for (const ConnRecord& r : records) {
    SyncError e = b.add(r);
    if (e == SyncError::kMessageFull) {
      out.push_back(b.finish());
      e = b.add(r);
    }
    if (e != SyncError::kOk) ++bad;
  }
  if (!b.empty()) out.push_back(b.finish());
  if (unencodable) *unencodable = bad;
  return out;
}

}  // namespace tandem::sync
