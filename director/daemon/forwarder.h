#pragma once
// One packet worker's handler: parse, ask its Director shard, rewrite,
// transmit. It owns the shard; the control path reaches it only through
// post(), whose closures run on the worker's thread between batches.
// Nothing here allocates per packet or throws; every frame that is not
// forwarded is counted under one reason.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/net/address.h"
#include "common/net/packet.h"
#include "common/util/clock.h"
#include "director/core/director.h"
#include "director/io/counters.h"
#include "director/io/worker.h"
#include "director/packet/rewrite.h"

namespace tandem::director::daemon {

// A link the director sends on; its index is the worker's TX port index.
struct Link {
  int ifindex = 0;
  std::string device;
  net::Mac mac;
  net::Ipv4 address;  // source of ICMP errors and of TUN's outer header
  std::uint16_t mtu = 1500;
};

struct NextHop {
  net::Mac mac;
  std::uint16_t link = 0;
};

// Why a frame was not forwarded (besides net::DropReason parse failures).
enum class FwdDrop : std::uint8_t {
  truncated,       // captured fewer bytes than were on the wire
  not_ipv4_l4,     // neither TCP, UDP nor ICMP (the parser refuses those first)
  no_service,      // not for a virtual service (the kernel handles it)
  no_connection,   // not a NAT reply we know
  core_drop,       // the core refused (no server, table full, not SYN, ...)
  no_neighbour,    // next hop's MAC unknown yet
  no_link,         // arrived on / must leave by an interface we do not send on
  ttl_exceeded,    // answered with ICMP time exceeded
  too_big,         // answered with frag needed, or dropped (no DF)
  rewrite_failed,  // no headroom or not applicable
  arp_ignored,     // ARP not for an active VIP of ours
  kCount
};

// What became of each ICMP frame that parsed (the parser counts a malformed
// quote as bad_icmp_quote). A relayed error that cannot leave (no
// neighbour, TTL, MTU) is counted under FwdDrop as any other frame.
enum class IcmpCount : std::uint8_t {
  errors_in,      // an error about a connection, relayed to its real server
  errors_out,     // an error from a NAT real server, translated for the client
  echo_replies,   // echo requests to an active VIP, answered by us
  rate_limited,   // echo requests over the budget, not answered
  inactive,       // to a VIP while this director is not active for it
  no_connection,  // an error about no connection of ours (the kernel has its copy unless to a VIP)
  bad_checksum,   // the ICMP checksum does not verify
  fragment,       // part of a fragmented ICMP message: nothing whole to check
  quote_not_tcp_udp,  // an error about ICMP or another protocol (never relayed)
  quote_fragment,     // an error quoting a non-first fragment: no ports to match
  quote_mismatch,     // the quoted source is not the error's destination
  other_to_vip,       // any other ICMP to a VIP (echo reply, redirect, timestamp, ...)
  not_ours,           // informational ICMP not to a VIP: the kernel's business
  kCount
};

// The counter's name in status ("errors_in", ...).
std::string_view icmp_count_name(IcmpCount c) noexcept;

// Echo replies per worker: 1000 a second with a burst of 50, as Linux
// limits the ICMP it sends (net.ipv4.icmp_msgs_per_sec / _burst).
inline constexpr std::uint32_t kEchoPerSecond = 1000;
inline constexpr std::uint32_t kEchoBurst = 50;

// TCP super-frames (longer than the MTU of the link they arrived on, made
// by the sender's TSO/GSO or by GRO) are cut into segments (segment.h);
// these are the ones that could not be.
enum class SuperDrop : std::uint8_t {
  not_tcp,    // UDP GSO: no segmentation rule, dropped
  malformed,  // a fragment, no payload, or headers that fill the egress MTU
  no_room,    // the batch's segment storage is full (more than a ring block)
  kCount
};

// The counter's name in status ("not_tcp", ...).
std::string_view super_drop_name(SuperDrop d) noexcept;

struct ForwardCounters {
  io::Counter forwarded_in, forwarded_out, arp_replies, icmp_sent, checksum_completed;
  // Super-frames segmented, and the segments they became (each segment also
  // counts as forwarded_in/out).
  io::Counter superframes, segments;
  std::array<io::Counter, static_cast<std::size_t>(SuperDrop::kCount)> super_drops;
  std::array<io::Counter, static_cast<std::size_t>(net::DropReason::kCount)> parse;
  std::array<io::Counter, static_cast<std::size_t>(FwdDrop::kCount)> drops;
  std::array<io::Counter, static_cast<std::size_t>(IcmpCount::kCount)> icmp;
};

// The worker's shard state as the control thread may read it.
struct ShardSnapshot {
  DirectorCounters counters;
  TableStats table;
};

class Forwarder final : public io::BatchHandler {
 public:
  Forwarder(const DirectorConfig& cfg, std::vector<Link> links, const std::atomic<bool>& active,
            const Clock& clock);

  void handle(std::span<io::Frame> frames) noexcept override;
  void on_idle() noexcept override;

  // Queues fn for this worker's thread (run before its next batch or on
  // idle). Returns false when closed.
  void post(std::function<void(Forwarder&)> fn);
  // Runs what post() queued. Called by the worker loop; public for tests.
  void run_posted() noexcept;
  // Expiry and rate estimation; also refreshes the snapshot.
  void tick() noexcept;
  // Copies the shard's counters and table size for the control thread.
  void publish() noexcept;

  Director& shard() { return shard_; }
  // Worker-thread setters (call them from posted closures).
  void set_neighbours(std::unordered_map<std::uint32_t, NextHop> n) { neighbours_ = std::move(n); }
  void set_vips(std::unordered_set<std::uint32_t> all, std::unordered_set<std::uint32_t> arp) {
    vips_ = std::move(all);
    arp_vips_ = std::move(arp);
  }

  const ForwardCounters& counters() const { return counters_; }
  ShardSnapshot snapshot() const;

 private:
  void forward_one(io::Frame& f, std::uint8_t* scratch, TimePoint now) noexcept;
  void count(FwdDrop d) { counters_.drops[static_cast<std::size_t>(d)].add(1); }
  void count(IcmpCount c) { counters_.icmp[static_cast<std::size_t>(c)].add(1); }
  void count(SuperDrop c) { counters_.super_drops[static_cast<std::size_t>(c)].add(1); }
  // The method's rewrite of the frame at buf[headroom...] parsed as v; the
  // result's offset is relative to buf.
  Rewrite rewrite(std::span<std::uint8_t> buf, std::uint32_t headroom, const net::ParsedFrame& v,
                  const Decision& d, bool inbound, const Link& out, const Egress& eg) noexcept;
  void forward_segments(io::Frame& f, const net::ParsedFrame& v, const Decision& d, bool inbound,
                        const NextHop& hop, int in_link, std::uint8_t* scratch) noexcept;
  // Toward a real server (its resolved next hop) or back to a NAT client
  // (learnt from its own frames); counts no_neighbour / no_link and gives
  // nothing when the frame cannot leave.
  std::optional<NextHop> next_hop(bool to_server, net::Ipv4 addr) noexcept;
  void handle_icmp(io::Frame& f, const net::ParsedFrame& v, int in_link, TimePoint now) noexcept;
  void relay_icmp_error(io::Frame& f, const net::ParsedFrame& v, bool to_vip,
                        TimePoint now) noexcept;
  void answer_echo(io::Frame& f, const net::ParsedFrame& v, int in_link, TimePoint now) noexcept;
  bool echo_budget(TimePoint now) noexcept;
  int link_of(int ifindex) const;
  void answer_error(io::Frame& f, const net::ParsedFrame& v, int in_link, std::uint8_t* scratch,
                    bool ttl, std::uint16_t mtu) noexcept;

  Director shard_;
  std::vector<Link> links_;
  const std::atomic<bool>& active_;
  const Clock& clock_;
  std::unordered_map<std::uint32_t, NextHop> neighbours_;
  // NAT replies leave towards the MAC the client's packets came from: the
  // client itself or its router. Learned per shard, bounded.
  std::unordered_map<std::uint32_t, NextHop> clients_;
  std::unordered_set<std::uint32_t> vips_;
  std::unordered_set<std::uint32_t> arp_vips_;
  std::vector<std::uint8_t> scratch_;  // one slot per frame of a batch
  // Segments of this batch's super-frames and the list each frame sends;
  // fixed capacity (spans into them stay valid until the next batch).
  std::vector<std::uint8_t> seg_bytes_;
  std::size_t seg_bytes_used_ = 0;
  std::vector<std::span<const std::uint8_t>> seg_list_;
  std::size_t seg_list_used_ = 0;
  std::uint16_t ip_id_ = 0;
  // Echo token bucket, kept as time credit: each reply costs 1/kEchoPerSecond.
  Duration echo_credit_ = Duration(std::chrono::seconds(1)) * kEchoBurst / kEchoPerSecond;
  TimePoint echo_last_{};
  TimePoint last_tick_{};
  ForwardCounters counters_;

  std::mutex mu_;  // guards posted_ and snap_
  std::vector<std::function<void(Forwarder&)>> posted_;
  std::atomic<bool> has_posted_{false};
  mutable std::mutex snap_mu_;
  ShardSnapshot snap_;
};

// Completes a TCP/UDP checksum the sender left to offload (the field holds
// the pseudo-header sum): sums the segment as it is and stores the result.
void complete_l4_checksum(std::span<std::uint8_t> frame, const net::ParsedFrame& v) noexcept;

}  // namespace tandem::director::daemon
