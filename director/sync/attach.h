#pragma once
// The director's end of connection sync. Every 20 ms it drains the shards'
// sync logs (Shards::apply) and streams them as IPVS v1 records to
// tandem-syncd over <run-dir>/syncd.stream.sock (u32 frames, one record
// each); on every (re)connect, and after a log overflowed, it sends a full
// snapshot instead. Records syncd received from the peer come back on the
// same stream and are installed in the one shard that owns the client
// (shard_of(client & widest persistence mask)), without scheduling.

#include "common/runner/runner.h"
#include "director/core/shards.h"

namespace tandem::director::sync {

void attach(runner::Runner& runner, Shards& shards);

}  // namespace tandem::director::sync
