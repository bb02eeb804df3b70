#pragma once
// ipvsadm's text layouts, produced from the director's `services` and
// `connections` answers (shapes in director/control/README.md): -L -n with
// --stats, --rate, --thresholds, --persistent-conn, --exact, --nosort; -c;
// and -S rules. The printf formats are ipvsadm 1.31's, so scripts that
// parse ipvsadm's output can parse ours.

#include <cstdint>
#include <optional>
#include <string>

#include "common/ipc/message.h"
#include "director/control/ipvsadm.h"

namespace tandem::director::control {

// -L: the whole listing, or one service when `only` is given (protocol
// "tcp"/"udp" and endpoint); nullopt when that service does not exist.
std::optional<std::string> format_list(const ipc::Json& services, const ListOptions& opt,
                                       const std::optional<ipc::Json>& only = std::nullopt);

// -c: "IPVS connection entries" and one row per entry.
std::string format_connections(const ipc::Json& connections, const ListOptions& opt);

// -S: "-A -t vip:port -s rr ..." then "-a -t vip:port -r rip:port -g -w 1".
// Port groups cannot be written as ipvsadm rules; they come out as comments.
std::string format_save(const ipc::Json& services);

// ipvsadm's print_largenum: "%9llu" below 1e8, then K/M/G/T with 8 digits;
// exact prints every digit with a leading blank.
std::string large_number(std::uint64_t n, bool exact);

// 10800 s -> "180:00".
std::string expire_text(std::int64_t seconds);

}  // namespace tandem::director::control
