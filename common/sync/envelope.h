#pragma once
// The Tandem sync envelope: authentication, ordering and control around IPVS
// messages. Byte offsets are in common/sync/README.md. Bytes 2-3 are always
// zero: a kernel IPVS backup compares them with the datagram length first and
// so drops every envelope instead of misreading it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/sync/error.h"

namespace tandem::sync {

inline constexpr std::uint8_t kEnvelopeMagic = 0x54;  // 'T'
inline constexpr std::uint8_t kEnvelopeVersion = 1;
inline constexpr std::size_t kEnvelopeHeaderSize = 32;
inline constexpr std::size_t kEnvelopeTrailerSize = 32;  // HMAC-SHA256
inline constexpr std::size_t kEnvelopeOverhead = kEnvelopeHeaderSize + kEnvelopeTrailerSize;
inline constexpr std::uint64_t kMaxRetransmitRange = 1024;

enum class EnvelopeKind : std::uint8_t {
  kData = 1,               // body: one IPVS v1 message (live updates)
  kHeartbeat = 2,          // body: empty; lets a receiver see loss at the tail
  kResyncRequest = 3,      // body: ResyncRequest
  kResyncData = 4,         // body: ResyncDataHeader + one IPVS v1 message
  kRetransmitRequest = 5,  // body: RetransmitRequest
};

struct Key {
  std::uint8_t id = 0;
  std::vector<std::uint8_t> secret;
};

// Signing uses current; verifying accepts current or previous, so keys can be
// rotated one peer at a time without a window of rejected traffic.
struct KeyRing {
  Key current;
  std::optional<Key> previous;

  const Key* find(std::uint8_t id) const;
};

struct EnvelopeHeader {
  EnvelopeKind kind = EnvelopeKind::kData;
  std::uint8_t key_id = 0;  // filled in by seal_envelope
  std::uint64_t sender_id = 0;
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;
};

struct OpenedEnvelope {
  EnvelopeHeader header;
  std::span<const std::uint8_t> body;  // points into the datagram passed to open_envelope
};

// Largest body for a given datagram limit (see max_message_size_for_mtu).
inline std::size_t max_body_size(std::size_t datagram_limit) {
  return datagram_limit > kEnvelopeOverhead ? datagram_limit - kEnvelopeOverhead : 0;
}

// Signs with ring.current. kFieldTooLong if the body exceeds 65535 bytes,
// kBadHmac if the HMAC primitive failed.
SyncError seal_envelope(const EnvelopeHeader& h, std::span<const std::uint8_t> body,
                        const KeyRing& ring, std::vector<std::uint8_t>& out);

// Checks framing, key and HMAC. It does not judge sequence numbers: that
// needs per-peer state (see PeerReceiver).
SyncError open_envelope(std::span<const std::uint8_t> datagram, const KeyRing& ring,
                        OpenedEnvelope& out);

// ---- control bodies ----

enum class ResyncReason : std::uint8_t {
  kJoin = 1,         // first contact: we have no table from this peer
  kGap = 2,          // losses we could not repair by retransmission
  kPeerRestart = 3,  // the peer's epoch changed
  kOperator = 4,     // requested by tandemctl
  kTimeout = 5,      // an earlier resync did not complete in time
};

inline constexpr std::size_t kResyncRequestSize = 16;
struct ResyncRequest {
  std::uint64_t target_sender = 0;
  std::uint32_t request_id = 0;
  ResyncReason reason = ResyncReason::kJoin;
  bool operator==(const ResyncRequest&) const = default;
};
std::vector<std::uint8_t> encode_resync_request(const ResyncRequest& r);
SyncError decode_resync_request(std::span<const std::uint8_t> body, ResyncRequest& out);

inline constexpr std::size_t kResyncDataHeaderSize = 8;
struct ResyncDataHeader {
  std::uint32_t request_id = 0;
  std::uint16_t part = 0;
  bool last = false;
  bool operator==(const ResyncDataHeader&) const = default;
};
// Prefixes message (an IPVS v1 message, possibly with zero records).
std::vector<std::uint8_t> encode_resync_data(const ResyncDataHeader& h,
                                             std::span<const std::uint8_t> message);
// On success message points at the IPVS message inside body.
SyncError decode_resync_data(std::span<const std::uint8_t> body, ResyncDataHeader& out,
                             std::span<const std::uint8_t>& message);

inline constexpr std::size_t kRetransmitRequestSize = 24;
struct RetransmitRequest {
  std::uint64_t target_sender = 0;
  std::uint64_t first = 0;  // inclusive
  std::uint64_t last = 0;   // inclusive; last - first < kMaxRetransmitRange
  bool operator==(const RetransmitRequest&) const = default;
};
std::vector<std::uint8_t> encode_retransmit_request(const RetransmitRequest& r);
SyncError decode_retransmit_request(std::span<const std::uint8_t> body, RetransmitRequest& out);

}  // namespace tandem::sync
