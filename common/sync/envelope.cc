#include "common/sync/envelope.h"

#include <cstring>

#include "common/sync/hmac.h"
#include "common/sync/wire.h"

namespace tandem::sync {
namespace {

bool known_kind(std::uint8_t k) {
  return k >= static_cast<std::uint8_t>(EnvelopeKind::kData) &&
         k <= static_cast<std::uint8_t>(EnvelopeKind::kRetransmitRequest);
}

bool all_zero(const std::uint8_t* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

}  // namespace

const Key* KeyRing::find(std::uint8_t id) const {
  if (current.id == id) return &current;
  if (previous && previous->id == id) return &*previous;
  return nullptr;
}

SyncError seal_envelope(const EnvelopeHeader& h, std::span<const std::uint8_t> body,
                        const KeyRing& ring, std::vector<std::uint8_t>& out) {
  if (body.size() > 0xffff) return SyncError::kFieldTooLong;
  out.assign(kEnvelopeHeaderSize + body.size() + kEnvelopeTrailerSize, 0);
  std::uint8_t* p = out.data();
  p[0] = kEnvelopeMagic;
  p[1] = kEnvelopeVersion;
  // p[2..3] stay zero: see the header comment.
  p[4] = static_cast<std::uint8_t>(h.kind);
  p[5] = ring.current.id;
  wire::put16(p + 6, static_cast<std::uint16_t>(body.size()));
  wire::put64(p + 8, h.sender_id);
  wire::put64(p + 16, h.epoch);
  wire::put64(p + 24, h.seq);
  if (!body.empty()) std::memcpy(p + kEnvelopeHeaderSize, body.data(), body.size());
  const std::size_t signed_len = kEnvelopeHeaderSize + body.size();
  const auto mac = hmac_sha256(ring.current.secret, std::span(out).first(signed_len));
  if (!mac) {
    out.clear();
    return SyncError::kBadHmac;
  }
  std::memcpy(p + signed_len, mac->data(), kHmacSize);
  return SyncError::kOk;
}

SyncError open_envelope(std::span<const std::uint8_t> datagram, const KeyRing& ring,
                        OpenedEnvelope& out) {
  if (datagram.size() < kEnvelopeOverhead) return SyncError::kTruncated;
  const std::uint8_t* p = datagram.data();
  if (p[0] != kEnvelopeMagic || p[2] != 0 || p[3] != 0) return SyncError::kBadMagic;
  if (p[1] != kEnvelopeVersion) return SyncError::kBadEnvelopeVersion;
  const std::size_t body_len = wire::get16(p + 6);
  if (kEnvelopeOverhead + body_len != datagram.size()) return SyncError::kBadSize;
  if (!known_kind(p[4])) return SyncError::kUnknownKind;
  const Key* key = ring.find(p[5]);
  if (key == nullptr) return SyncError::kUnknownKey;
  const std::size_t signed_len = kEnvelopeHeaderSize + body_len;
  const auto mac = hmac_sha256(key->secret, datagram.first(signed_len));
  if (!mac || !digest_equal(*mac, datagram.subspan(signed_len, kHmacSize))) {
    return SyncError::kBadHmac;
  }
  out.header.kind = static_cast<EnvelopeKind>(p[4]);
  out.header.key_id = p[5];
  out.header.sender_id = wire::get64(p + 8);
  out.header.epoch = wire::get64(p + 16);
  out.header.seq = wire::get64(p + 24);
  out.body = datagram.subspan(kEnvelopeHeaderSize, body_len);
  return SyncError::kOk;
}

std::vector<std::uint8_t> encode_resync_request(const ResyncRequest& r) {
  std::vector<std::uint8_t> b(kResyncRequestSize, 0);
  wire::put64(b.data(), r.target_sender);
  wire::put32(b.data() + 8, r.request_id);
  b[12] = static_cast<std::uint8_t>(r.reason);
  return b;
}

SyncError decode_resync_request(std::span<const std::uint8_t> body, ResyncRequest& out) {
  if (body.size() != kResyncRequestSize) return SyncError::kBadBody;
  const std::uint8_t* p = body.data();
  const std::uint8_t reason = p[12];
  if (reason < static_cast<std::uint8_t>(ResyncReason::kJoin) ||
      reason > static_cast<std::uint8_t>(ResyncReason::kTimeout) || !all_zero(p + 13, 3)) {
    return SyncError::kBadBody;
  }
  out.target_sender = wire::get64(p);
  out.request_id = wire::get32(p + 8);
  out.reason = static_cast<ResyncReason>(reason);
  return SyncError::kOk;
}

std::vector<std::uint8_t> encode_resync_data(const ResyncDataHeader& h,
                                             std::span<const std::uint8_t> message) {
  std::vector<std::uint8_t> b(kResyncDataHeaderSize + message.size(), 0);
  wire::put32(b.data(), h.request_id);
  wire::put16(b.data() + 4, h.part);
  b[6] = h.last ? 1 : 0;
  if (!message.empty())
    std::memcpy(b.data() + kResyncDataHeaderSize, message.data(), message.size());
  return b;
}

SyncError decode_resync_data(std::span<const std::uint8_t> body, ResyncDataHeader& out,
                             std::span<const std::uint8_t>& message) {
  if (body.size() < kResyncDataHeaderSize) return SyncError::kBadBody;
  const std::uint8_t* p = body.data();
  if ((p[6] & ~1u) != 0 || p[7] != 0) return SyncError::kBadBody;
  out.request_id = wire::get32(p);
  out.part = wire::get16(p + 4);
  out.last = (p[6] & 1) != 0;
  message = body.subspan(kResyncDataHeaderSize);
  return SyncError::kOk;
}

std::vector<std::uint8_t> encode_retransmit_request(const RetransmitRequest& r) {
  std::vector<std::uint8_t> b(kRetransmitRequestSize, 0);
  wire::put64(b.data(), r.target_sender);
  wire::put64(b.data() + 8, r.first);
  wire::put64(b.data() + 16, r.last);
  return b;
}

SyncError decode_retransmit_request(std::span<const std::uint8_t> body, RetransmitRequest& out) {
  if (body.size() != kRetransmitRequestSize) return SyncError::kBadBody;
  const std::uint8_t* p = body.data();
  RetransmitRequest r{wire::get64(p), wire::get64(p + 8), wire::get64(p + 16)};
  // Sequence 0 is never sent; a bounded range keeps one request from asking
  // for an unbounded burst.
  if (r.first == 0 || r.last < r.first || r.last - r.first >= kMaxRetransmitRange) {
    return SyncError::kBadBody;
  }
  out = r;
  return SyncError::kOk;
}

}  // namespace tandem::sync
