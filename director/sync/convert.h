#pragma once
// The director's sync snapshots as IPVS v1 records and back. A record from
// the network is checked here (protocol, address family, state range) before
// it may reach a shard.

#include <optional>

#include "common/sync/record.h"
#include "director/core/sync_log.h"

namespace tandem::director::sync {

tandem::sync::ConnRecord to_record(const SyncConn& c);

// nullopt for anything the director cannot hold: IPv6, a protocol other
// than TCP/UDP, a state out of range, a fwmark service, the local-node or
// bypass forwarding methods.
std::optional<SyncConn> from_record(const tandem::sync::ConnRecord& r);

}  // namespace tandem::director::sync
