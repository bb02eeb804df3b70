#pragma once
// Keeps the kernel out of VIP traffic while we forward it in user space.
// AF_PACKET hands us a copy of every frame; the kernel still gets the
// original and would answer it (RST, ICMP port unreachable) or, with
// ip_forward on, route a second copy. A table of our own, `inet tandem`,
// drops in prerouting (before routing, after the packet taps):
//  - anything addressed to a VIP;
//  - NAT replies (real server address, protocol and port of a NAT service)
//    that are not addressed to this host, which we translate ourselves.
// Installed at start, replaced atomically whenever what we serve changes
// (reload or tandemctl), deleted at stop.

#include <optional>
#include <string>
#include <vector>

#include "common/config/schema.h"
#include "director/daemon/served.h"

namespace tandem::director::daemon {

// The nft script (pure, for tests and docs).
std::string guard_script(const ServedView& view);
std::string guard_script(const config::Config& cfg);

// Runs `nft -f -` with `script`; the error text on failure.
std::optional<std::string> run_nft(const std::string& script);
std::optional<std::string> install_guard(const ServedView& view);
std::optional<std::string> remove_guard();

}  // namespace tandem::director::daemon
