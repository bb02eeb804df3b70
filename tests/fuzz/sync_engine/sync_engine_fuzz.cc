// Peer datagrams and director stream frames into the sync path. Forged input
// stops at the HMAC, so half the inputs are sealed with the engine's own key
// first: that reaches the control-body decoders, the IPVS message decoder,
// the replay window and resync/retransmit handling. Stream frames go through
// decode_stream_record and the director's record check, as in attach.cc.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/sync/envelope.h"
#include "common/sync/record.h"
#include "director/sync/convert.h"
#include "syncd/core/engine.h"

using namespace tandem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  sync::KeyRing ring;
  ring.current.id = 1;
  ring.current.secret = {'f', 'u', 'z', 'z', '-', 'k', 'e', 'y'};
  syncd::EngineConfig cfg;
  cfg.sender_id = 1;
  cfg.epoch = 1;
  cfg.syncid = 0;
  cfg.keys = ring;
  TimePoint now{std::chrono::seconds(1)};
  syncd::Engine engine(cfg, now);
  engine.set_role(data[0] & 1 ? syncd::Role::master : syncd::Role::backup, now);

  // Split the rest into chunks: [mode u8][len u8][bytes...].
  std::span<const std::uint8_t> in(data + 1, size - 1);
  std::uint64_t seq = 1;
  while (in.size() >= 2) {
    const std::uint8_t mode = in[0];
    const std::size_t len = std::min<std::size_t>(in[1] * 8u, in.size() - 2);
    const auto chunk = in.subspan(2, len);
    in = in.subspan(2 + len);
    now += std::chrono::milliseconds(mode & 0x3f);
    switch (mode >> 6) {
      case 0:  // raw datagram
        engine.datagram(chunk, now);
        break;
      case 1: {  // sealed by a peer with the right key: kind from the first byte
        if (chunk.empty()) break;
        sync::EnvelopeHeader h;
        h.kind = static_cast<sync::EnvelopeKind>(1 + chunk[0] % 5);
        h.sender_id = 2;
        h.epoch = 5;
        h.seq = seq;
        seq += 1 + (chunk[0] >> 5);  // sometimes leave gaps
        std::vector<std::uint8_t> d;
        if (sync::seal_envelope(h, chunk.subspan(1), ring, d) == sync::SyncError::kOk)
          engine.datagram(d, now);
        break;
      }
      case 2: {  // a director stream frame
        sync::ConnRecord r;
        if (sync::decode_stream_record(chunk, r) == sync::SyncError::kOk) {
          (void)director::sync::from_record(r);
          engine.local_record(r, now);
        }
        break;
      }
      default:
        engine.tick(now);
        break;
    }
    (void)engine.take_outgoing();
    (void)engine.take_installs();
  }
  engine.tick(now + std::chrono::seconds(40));
  (void)engine.take_outgoing();
  return 0;
}
