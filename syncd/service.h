#pragma once
// tandem-syncd's adapter: the UDP socket to the peer (multicast or unicast),
// the binary record stream with the local director (<run-dir>/syncd.stream.sock,
// u32-framed, one IPVS v1 record per frame, both directions), the role from
// vrrpd (`vrrp.state` events, `vrrp` on every connect) and the `sync`,
// `sync-resync` and `sync-role` commands. The protocol lives in core/engine.

#include <memory>
#include <string>

#include "common/runner/runner.h"

namespace tandem::syncd {

// Path of the director<->syncd record stream in a run directory.
std::string stream_socket_path(const std::string& run_dir);

// Wires the service into the runner (config hook, commands, status, stop).
void attach(runner::Runner& runner);

}  // namespace tandem::syncd
