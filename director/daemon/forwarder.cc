#include "director/daemon/forwarder.h"

#include <linux/if_packet.h>

#include <algorithm>
#include <iterator>

#include "common/net/arp.h"
#include "common/net/checksum.h"
#include "director/packet/dr.h"
#include "director/packet/icmp_echo.h"
#include "director/packet/icmp_error.h"
#include "director/packet/nat.h"
#include "director/packet/segment.h"
#include "director/packet/tun.h"

namespace tandem::director::daemon {
namespace {

constexpr std::size_t kSlot = 640;  // >= kIcmpErrorMaxFrame and kArpFrameLen
static_assert(kSlot >= kIcmpErrorMaxFrame && kSlot >= net::kArpFrameLen);
constexpr std::size_t kMaxBatch = 1024;  // Worker's largest batch
constexpr std::size_t kMaxClients = 1 << 16;
constexpr Duration kTickEvery = std::chrono::milliseconds(500);
// Segment storage per batch. A batch never spans more than one ring block
// (256 KiB in the daemon), and its segments need that much payload plus
// per-segment headers and headroom: twice the block leaves room for small
// MTUs. Past that the super-frame is dropped (SuperDrop::no_room).
constexpr std::size_t kSegBytes = std::size_t{1} << 19;
constexpr std::size_t kSegList = 1024;
constexpr std::size_t kSegHeadroom = 64;  // >= kTunHeadroom, keeps slots aligned
static_assert(kSegHeadroom >= kTunHeadroom);

}  // namespace

std::string_view super_drop_name(SuperDrop d) noexcept {
  static constexpr std::string_view kNames[] = {"not_tcp", "malformed", "no_room"};
  static_assert(std::size(kNames) == static_cast<std::size_t>(SuperDrop::kCount));
  const auto i = static_cast<std::size_t>(d);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

std::string_view icmp_count_name(IcmpCount c) noexcept {
  static constexpr std::string_view kNames[] = {
      "errors_in",      "errors_out",   "echo_replies", "rate_limited",      "inactive",
      "no_connection",  "bad_checksum", "fragment",     "quote_not_tcp_udp", "quote_fragment",
      "quote_mismatch", "other_to_vip", "not_ours"};
  static_assert(std::size(kNames) == static_cast<std::size_t>(IcmpCount::kCount));
  const auto i = static_cast<std::size_t>(c);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

void complete_l4_checksum(std::span<std::uint8_t> frame, const net::ParsedFrame& v) noexcept {
  if (v.l3 != net::L3Kind::kIpv4 || v.ip.more_fragments) return;
  const std::uint32_t end = v.ip.offset + v.ip.total_len;
  if (end > frame.size() || v.l4.offset >= end) return;
  std::size_t field = 0;
  if (v.ip.protocol == net::kProtoTcp)
    field = v.l4.offset + 16;
  else if (v.ip.protocol == net::kProtoUdp)
    field = v.l4.offset + 6;
  else
    return;
  if (field + 2 > end) return;
  net::ChecksumAccumulator acc;
  acc.add(frame.subspan(v.l4.offset, end - v.l4.offset));
  std::uint16_t c = acc.finish();
  if (c == 0 && v.ip.protocol == net::kProtoUdp) c = 0xFFFF;  // 0 means "none" in UDP
  frame[field] = static_cast<std::uint8_t>(c >> 8);
  frame[field + 1] = static_cast<std::uint8_t>(c & 0xFF);
}

Forwarder::Forwarder(const DirectorConfig& cfg, std::vector<Link> links,
                     const std::atomic<bool>& active, const Clock& clock)
    : shard_(cfg),
      links_(std::move(links)),
      active_(active),
      clock_(clock),
      scratch_(kMaxBatch * kSlot),
      seg_bytes_(kSegBytes),
      seg_list_(kSegList) {}

int Forwarder::link_of(int ifindex) const {
  for (std::size_t i = 0; i < links_.size(); ++i)
    if (links_[i].ifindex == ifindex) return static_cast<int>(i);
  return -1;
}

void Forwarder::post(std::function<void(Forwarder&)> fn) {
  std::lock_guard lock(mu_);
  posted_.push_back(std::move(fn));
  has_posted_.store(true, std::memory_order_release);
}

void Forwarder::run_posted() noexcept {
  if (!has_posted_.load(std::memory_order_acquire)) return;
  std::vector<std::function<void(Forwarder&)>> work;
  {
    std::lock_guard lock(mu_);
    work.swap(posted_);
    has_posted_.store(false, std::memory_order_relaxed);
  }
  for (auto& fn : work) fn(*this);
}

void Forwarder::tick() noexcept {
  const TimePoint now = clock_.now();
  last_tick_ = now;
  shard_.tick(now);
  publish();
}

void Forwarder::publish() noexcept {
  ShardSnapshot s{shard_.counters(), shard_.table_stats()};
  std::lock_guard lock(snap_mu_);
  snap_ = s;
}

ShardSnapshot Forwarder::snapshot() const {
  std::lock_guard lock(snap_mu_);
  return snap_;
}

void Forwarder::on_idle() noexcept {
  run_posted();
  tick();
}

void Forwarder::handle(std::span<io::Frame> frames) noexcept {
  run_posted();
  const TimePoint now = clock_.now();
  seg_bytes_used_ = 0;  // the previous batch has been sent
  seg_list_used_ = 0;
  for (std::size_t i = 0; i < frames.size(); ++i)
    forward_one(frames[i], scratch_.data() + (i % kMaxBatch) * kSlot, now);
  if (now - last_tick_ >= kTickEvery)
    tick();
  else
    publish();  // so status never lags the packet counters by a tick
}

void Forwarder::answer_error(io::Frame& f, const net::ParsedFrame& v, int in_link,
                             std::uint8_t* scratch, bool ttl, std::uint16_t mtu) noexcept {
  const Link& l = links_[static_cast<std::size_t>(in_link)];
  const IcmpErrorParams p{l.address, l.mac, ip_id_++};
  const std::span<std::uint8_t> out(scratch, kSlot);
  const std::size_t n =
      ttl ? build_time_exceeded(out, f.data, v, p) : build_frag_needed(out, f.data, v, mtu, p);
  if (n == 0) return;
  counters_.icmp_sent.add(1);
  f.transmit(static_cast<std::uint16_t>(in_link), {scratch, n});
}

void Forwarder::forward_one(io::Frame& f, std::uint8_t* scratch, TimePoint now) noexcept {
  f.drop();
  // Our own (or the host's) transmissions, should a tap deliver them.
  if (f.pkt_type == PACKET_OUTGOING) {
    count(FwdDrop::no_link);
    return;
  }
  if (f.data.size() < f.wire_length) {
    count(FwdDrop::truncated);
    return;
  }
  net::ParsedFrame v;
  const auto bad = net::parse_frame(f.data, net::ParseOptions{}, v);
  if (bad != net::DropReason::kNone) {
    counters_.parse[static_cast<std::size_t>(bad)].add(1);
    return;
  }
  const int in_link = link_of(f.ifindex);
  // A ring bound to every interface also sees stacked devices (vrrpd's
  // macvlan repeats what its parent link received): only our links count.
  if (in_link < 0) {
    count(FwdDrop::no_link);
    return;
  }
  if (v.l3 == net::L3Kind::kArp) {
    if (v.arp.op != net::kArpOpRequest || !active_.load(std::memory_order_relaxed) ||
        !arp_vips_.contains(v.arp.target_ip.value)) {
      count(FwdDrop::arp_ignored);
      return;
    }
    const Link& l = links_[static_cast<std::size_t>(in_link)];
    const std::size_t n =
        net::build_arp_reply(std::span<std::uint8_t>(scratch, kSlot), v, v.arp.target_ip, l.mac);
    if (n == 0) {
      count(FwdDrop::arp_ignored);
      return;
    }
    counters_.arp_replies.add(1);
    f.transmit(static_cast<std::uint16_t>(in_link), {scratch, n});
    return;
  }
  if (v.ip.protocol == net::kProtoIcmp) {
    handle_icmp(f, v, in_link, now);
    return;
  }
  if (v.ip.protocol != net::kProtoTcp && v.ip.protocol != net::kProtoUdp) {
    count(FwdDrop::not_ipv4_l4);
    return;
  }
  // A datagram longer than the MTU of the link it arrived on never crossed
  // that wire as it is: the sender's TSO/GSO or GRO merged it. Refused here,
  // before the core counts it; the MSS is checked once the egress is known.
  const std::uint16_t in_mtu = links_[static_cast<std::size_t>(in_link)].mtu;
  const bool super = in_mtu != 0 && v.ip.total_len > in_mtu;
  if (super) {
    const SegmentRefusal why = check_segmentable(v, 1);
    if (why != SegmentRefusal::kAccepted) {
      count(why == SegmentRefusal::kNotTcp ? SuperDrop::not_tcp : SuperDrop::malformed);
      return;
    }
  }
  const bool inbound = vips_.contains(v.ip.dst.value);
  // Only the active director forwards VIP traffic; NAT replies reaching a
  // backup (stale neighbour caches) are still translated so they are not lost.
  if (inbound && !active_.load(std::memory_order_relaxed)) {
    count(FwdDrop::no_service);
    return;
  }
  PacketMeta m;
  m.protocol = v.ip.protocol == net::kProtoTcp ? Protocol::tcp : Protocol::udp;
  m.direction = inbound ? Direction::in : Direction::out;
  m.src = v.ip.src;
  m.sport = v.l4.sport;
  m.dst = v.ip.dst;
  m.dport = v.l4.dport;
  m.tcp_flags = v.l4.tcp_flags;
  m.length = v.ip.total_len;
  const Decision d = shard_.on_packet(m, now);
  if (d.verdict == Verdict::pass) {
    count(inbound ? FwdDrop::no_service : FwdDrop::no_connection);
    return;
  }
  if (d.verdict == Verdict::drop) {
    count(FwdDrop::core_drop);
    return;
  }
  // The bytes leave without the offload the sender counted on (segments get
  // their checksums computed whole).
  if (f.checksum_not_ready && !super) {
    complete_l4_checksum(f.data, v);
    counters_.checksum_completed.add(1);
  }
  const auto found = next_hop(inbound, inbound ? d.real_addr : v.ip.dst);
  if (!found) return;
  const NextHop hop = *found;
  if (inbound && d.method == Forwarding::nat) {
    if (clients_.size() >= kMaxClients) clients_.clear();
    clients_[v.ip.src.value] = NextHop{v.eth.src, static_cast<std::uint16_t>(in_link)};
  }
  if (super) {
    forward_segments(f, v, d, inbound, hop, in_link, scratch);
    return;
  }
  const Link& out = links_[hop.link];
  const Egress eg{out.mac, hop.mac, out.mtu};
  const auto buf = f.with_headroom();
  const Rewrite r = rewrite(buf, f.headroom, v, d, inbound, out, eg);
  switch (r.verdict) {
    case RewriteVerdict::kForward:
      (inbound ? counters_.forwarded_in : counters_.forwarded_out).add(1);
      f.transmit(hop.link, buf.subspan(r.offset, r.length));
      return;
    case RewriteVerdict::kTtlExceeded:
      count(FwdDrop::ttl_exceeded);
      answer_error(f, v, in_link, scratch, true, 0);
      return;
    case RewriteVerdict::kFragmentationNeeded:
      count(FwdDrop::too_big);
      answer_error(f, v, in_link, scratch, false, r.next_hop_mtu);
      return;
    case RewriteVerdict::kTooBig:
      count(FwdDrop::too_big);
      return;
    case RewriteVerdict::kNoRoom:
    case RewriteVerdict::kNotApplicable:
      count(FwdDrop::rewrite_failed);
      return;
  }
}

Rewrite Forwarder::rewrite(std::span<std::uint8_t> buf, std::uint32_t headroom,
                           const net::ParsedFrame& v, const Decision& d, bool inbound,
                           const Link& out, const Egress& eg) noexcept {
  if (inbound && d.method == Forwarding::tun)
    return tun_encapsulate(buf, headroom, v, TunParams{out.address, d.real_addr, 64, ip_id_++}, eg);
  const auto frame = buf.subspan(headroom);
  Rewrite r;
  if (!inbound) {
    r = nat_outbound(frame, v, net::Endpoint{d.vip, d.vport}, eg);
  } else if (d.method == Forwarding::dr) {
    r = dr_forward(frame, v, eg);
  } else {
    r = nat_inbound(frame, v, net::Endpoint{d.real_addr, d.real_port}, eg);
  }
  r.offset += headroom;
  return r;
}

void Forwarder::forward_segments(io::Frame& f, const net::ParsedFrame& v, const Decision& d,
                                 bool inbound, const NextHop& hop, int in_link,
                                 std::uint8_t* scratch) noexcept {
  const Link& out = links_[hop.link];
  const Egress eg{out.mac, hop.mac, out.mtu};
  const bool tun = inbound && d.method == Forwarding::tun;
  const std::size_t mss = segment_mss(v, out.mtu, tun ? kTunHeadroom : 0);
  if (check_segmentable(v, mss) != SegmentRefusal::kAccepted) {
    count(SuperDrop::malformed);
    return;
  }
  const std::size_t n = segment_count(v, mss);
  const std::size_t seg_max = std::size_t{v.l4.offset} + v.l4.tcp_header_len + mss;
  const std::size_t slot = (kSegHeadroom + seg_max + 63) / 64 * 64;
  if (n > kSegList - seg_list_used_ || n * slot > kSegBytes - seg_bytes_used_) {
    count(SuperDrop::no_room);
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t* base = seg_bytes_.data() + seg_bytes_used_ + i * slot;
    const std::size_t len = build_segment({base + kSegHeadroom, seg_max}, f.data, v, mss, i);
    net::ParsedFrame sv;
    if (len == 0 || net::parse_frame({base + kSegHeadroom, len}, net::ParseOptions{}, sv) !=
                        net::DropReason::kNone) {
      count(FwdDrop::rewrite_failed);
      return;
    }
    const Rewrite r = rewrite({base, kSegHeadroom + len}, kSegHeadroom, sv, d, inbound, out, eg);
    if (r.verdict != RewriteVerdict::kForward) {
      // Every segment carries the super-frame's TTL and fits the egress by
      // construction, so only the first is ever refused, and for them all.
      if (r.verdict == RewriteVerdict::kTtlExceeded) {
        count(FwdDrop::ttl_exceeded);
        answer_error(f, v, in_link, scratch, true, 0);
      } else {
        count(r.verdict == RewriteVerdict::kFragmentationNeeded ||
                      r.verdict == RewriteVerdict::kTooBig
                  ? FwdDrop::too_big
                  : FwdDrop::rewrite_failed);
      }
      return;
    }
    seg_list_[seg_list_used_ + i] = {base + r.offset, r.length};
  }
  f.transmit_burst(hop.link, {seg_list_.data() + seg_list_used_, n});
  seg_list_used_ += n;
  seg_bytes_used_ += n * slot;
  (inbound ? counters_.forwarded_in : counters_.forwarded_out).add(n);
  counters_.superframes.add(1);
  counters_.segments.add(n);
}

std::optional<NextHop> Forwarder::next_hop(bool to_server, net::Ipv4 addr) noexcept {
  const auto& known = to_server ? neighbours_ : clients_;
  const auto it = known.find(addr.value);
  if (it == known.end()) {
    count(FwdDrop::no_neighbour);
    return std::nullopt;
  }
  if (it->second.link >= links_.size()) {
    count(FwdDrop::no_link);
    return std::nullopt;
  }
  return it->second;
}

void Forwarder::handle_icmp(io::Frame& f, const net::ParsedFrame& v, int in_link,
                            TimePoint now) noexcept {
  const bool to_vip = vips_.contains(v.ip.dst.value);
  const bool error = net::is_icmp_error(v.l4.icmp_type);
  if (!to_vip && !error) {
    count(IcmpCount::not_ours);
    return;
  }
  // Only the active director speaks for a VIP: a backup relays no error to
  // a real server and answers no ping (the kernel's copy is dropped by the
  // guard either way). Errors to clients are NAT replies and still
  // translated, as TCP/UDP replies are.
  if (to_vip && !active_.load(std::memory_order_relaxed)) {
    count(IcmpCount::inactive);
    return;
  }
  if (v.ip.more_fragments) {
    count(IcmpCount::fragment);
    return;
  }
  // Relaying or answering a corrupt message would launder it: the
  // rewrites update checksums incrementally, but the receiver trusts us.
  if (!icmp_checksum_ok(f.data, v)) {
    count(IcmpCount::bad_checksum);
    return;
  }
  if (!error) {
    if (v.l4.icmp_type == net::kIcmpEchoRequest) {
      answer_echo(f, v, in_link, now);
    } else {
      count(IcmpCount::other_to_vip);
    }
    return;
  }
  // Redirects change routes, never a connection: IPVS relays only errors.
  if (v.l4.icmp_type == net::kIcmpRedirect) {
    count(to_vip ? IcmpCount::other_to_vip : IcmpCount::not_ours);
    return;
  }
  if (v.quote.protocol != net::kProtoTcp && v.quote.protocol != net::kProtoUdp) {
    count(IcmpCount::quote_not_tcp_udp);
    return;
  }
  if (!v.quote.has_ports) {
    count(IcmpCount::quote_fragment);
    return;
  }
  // Either way the error goes back to whoever sent the quoted datagram: the
  // VIP (our reply) or the client (its request to a real server).
  if (v.quote.src != v.ip.dst) {
    count(IcmpCount::quote_mismatch);
    return;
  }
  relay_icmp_error(f, v, to_vip, now);
}

void Forwarder::relay_icmp_error(io::Frame& f, const net::ParsedFrame& v, bool to_vip,
                                 TimePoint now) noexcept {
  PacketMeta q;
  q.protocol = v.quote.protocol == net::kProtoTcp ? Protocol::tcp : Protocol::udp;
  q.direction = to_vip ? Direction::in : Direction::out;
  q.src = v.quote.src;
  q.sport = v.quote.sport;
  q.dst = v.quote.dst;
  q.dport = v.quote.dport;
  q.length = v.ip.total_len;
  const Decision d = shard_.on_icmp_error(q, now);
  if (d.verdict != Verdict::forward) {
    count(IcmpCount::no_connection);
    return;
  }
  const auto found = next_hop(to_vip, to_vip ? d.real_addr : v.ip.dst);
  if (!found) return;
  const NextHop hop = *found;
  const Link& out = links_[hop.link];
  const Egress eg{out.mac, hop.mac, out.mtu};
  const auto buf = f.with_headroom();
  Rewrite r;
  if (to_vip && d.method != Forwarding::nat) {
    // DR and TUN carry the error as any packet of the connection.
    r = rewrite(buf, f.headroom, v, d, true, out, eg);
  } else {
    // NAT translates the quoted header too.
    const auto frame = buf.subspan(f.headroom);
    r = to_vip ? nat_icmp_inbound(frame, v, net::Endpoint{d.real_addr, d.real_port}, eg)
               : nat_icmp_outbound(frame, v, net::Endpoint{d.vip, d.vport}, eg);
    r.offset += f.headroom;
  }
  switch (r.verdict) {
    case RewriteVerdict::kForward:
      count(to_vip ? IcmpCount::errors_in : IcmpCount::errors_out);
      f.transmit(hop.link, buf.subspan(r.offset, r.length));
      return;
    // No ICMP error is ever sent about an ICMP error (RFC 1122 3.2.2).
    case RewriteVerdict::kTtlExceeded:
      count(FwdDrop::ttl_exceeded);
      return;
    case RewriteVerdict::kFragmentationNeeded:
    case RewriteVerdict::kTooBig:
      count(FwdDrop::too_big);
      return;
    case RewriteVerdict::kNoRoom:
    case RewriteVerdict::kNotApplicable:
      count(FwdDrop::rewrite_failed);
      return;
  }
}

bool Forwarder::echo_budget(TimePoint now) noexcept {
  // In Duration's own unit: whole seconds would divide to zero.
  const Duration cost = Duration(std::chrono::seconds(1)) / kEchoPerSecond;
  const Duration cap = cost * kEchoBurst;
  if (now > echo_last_) {
    echo_credit_ = std::min(cap, echo_credit_ + (now - echo_last_));
    echo_last_ = now;
  }
  if (echo_credit_ < cost) return false;
  echo_credit_ -= cost;
  return true;
}

void Forwarder::answer_echo(io::Frame& f, const net::ParsedFrame& v, int in_link,
                            TimePoint now) noexcept {
  if (!echo_budget(now)) {
    count(IcmpCount::rate_limited);
    return;
  }
  // From the MAC the request was sent to: ours, or vrrpd's virtual MAC.
  const Rewrite r = echo_reply(f.data, v, v.eth.dst, ip_id_++);
  if (r.verdict != RewriteVerdict::kForward) {
    count(IcmpCount::other_to_vip);
    return;
  }
  count(IcmpCount::echo_replies);
  f.transmit(static_cast<std::uint16_t>(in_link), f.data.subspan(r.offset, r.length));
}

}  // namespace tandem::director::daemon
