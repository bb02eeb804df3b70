// Feeds arbitrary datagrams to every sync parser: the IPVS message decoder,
// the local-stream record decoder, the envelope verifier and, when a datagram
// verifies (the seed corpus is signed with kFuzzKey), the control bodies and
// the per-peer sequence state. Anything decoded must re-encode to a message
// that decodes to the same records.

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/sync/envelope.h"
#include "common/sync/message.h"
#include "common/sync/receiver.h"
#include "common/sync/record.h"

namespace {

using namespace tandem::sync;

const KeyRing& fuzz_ring() {
  static const KeyRing ring = [] {
    KeyRing r;
    const char secret[] = "tandem-fuzz-key";
    r.current = Key{1, std::vector<std::uint8_t>(secret, secret + sizeof(secret) - 1)};
    r.previous = Key{0, {}};
    return r;
  }();
  return ring;
}

void check_roundtrip(const DecodedMessage& m) {
  MessageBuilder b(m.syncid, 0xffff);
  for (const ConnRecord& r : m.records) {
    if (b.add(r) != SyncError::kOk) __builtin_trap();
  }
  DecodedMessage again;
  if (decode_message(b.finish(), {}, again) != SyncError::kOk) __builtin_trap();
  if (again.records.size() != m.records.size()) __builtin_trap();
  for (std::size_t i = 0; i < m.records.size(); ++i) {
    ConnRecord want = m.records[i];
    want.flags &= ~kFlagHashed;  // the encoder never sends it
    if (!(again.records[i] == want)) __builtin_trap();
  }
}

void decode_ipvs(std::span<const std::uint8_t> in) {
  DecodedMessage m;
  if (decode_message(in, {}, m) == SyncError::kOk) check_roundtrip(m);
  DecodedMessage filtered;
  (void)decode_message(in, DecodeOptions{5}, filtered);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  decode_ipvs(in);
  ConnRecord rec;
  (void)decode_stream_record(in, rec);

  OpenedEnvelope env;
  if (open_envelope(in, fuzz_ring(), env) != SyncError::kOk) return 0;
  PeerReceiver rx;
  const tandem::TimePoint t0{};
  (void)rx.accept(env.header.epoch, env.header.seq, t0);
  (void)rx.accept(env.header.epoch, env.header.seq, t0);  // must be a replay
  (void)rx.poll(t0 + std::chrono::seconds(5));
  switch (env.header.kind) {
    case EnvelopeKind::kData:
      decode_ipvs(env.body);
      break;
    case EnvelopeKind::kResyncData: {
      ResyncDataHeader h;
      std::span<const std::uint8_t> msg;
      if (decode_resync_data(env.body, h, msg) == SyncError::kOk) decode_ipvs(msg);
      break;
    }
    case EnvelopeKind::kResyncRequest: {
      ResyncRequest r;
      (void)decode_resync_request(env.body, r);
      break;
    }
    case EnvelopeKind::kRetransmitRequest: {
      RetransmitRequest r;
      (void)decode_retransmit_request(env.body, r);
      break;
    }
    case EnvelopeKind::kHeartbeat:
      break;
  }
  return 0;
}
