#include "director/daemon/dataplane.h"

#include <linux/if_packet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "director/io/bpf_filter.h"

namespace tandem::director::daemon {
namespace {

std::atomic<std::uint32_t> g_group{0};

}  // namespace

Dataplane::Dataplane(boost::asio::io_context& io) : io_(io) {}

Dataplane::~Dataplane() {
  stop();
}

std::optional<std::string> Dataplane::start(const DataplaneConfig& cfg) {
  links_ = cfg.links;
  const std::size_t n = std::max<std::size_t>(1, cfg.workers);
  for (std::size_t i = 0; i < n; ++i)
    forwarders_.push_back(std::make_unique<Forwarder>(cfg.director, links_, active_, clock_));
  if (links_.empty()) {
    error_ = "no interfaces configured: not forwarding";
    return error_;
  }
  io::WorkerConfig wc;
  wc.rx.any_interface = true;
  wc.rx.filter = cfg.filter;
  wc.rx.ring.block_size = 1 << 18;
  wc.rx.ring.block_count = 16;
  for (const Link& l : links_) {
    io::TxConfig tc;
    tc.interface.index = l.ifindex;
    tc.interface.name = l.device;
    wc.tx.push_back(tc);
  }
  if (n > 1) {
    SteeringSpec s = cfg.steering;
    s.workers = static_cast<std::uint32_t>(n);
    wc.rx.fanout = io::FanoutMode::kCbpf;
    wc.rx.fanout_program = build_steering(s);
    wc.rx.fanout_group = static_cast<std::uint16_t>(
        (static_cast<std::uint32_t>(::getpid()) * 31U + 7U + g_group.fetch_add(1)) & 0xffffU);
  }
  for (std::size_t i = 0; i < n; ++i) {
    auto w = io::Worker::open(wc);
    if (!w) {
      workers_.clear();
      error_ = "worker " + std::to_string(i) + ": " + w.error().message;
      return error_;
    }
    workers_.push_back(std::move(*w));
  }
  for (std::size_t i = 0; i < n; ++i) threads_.emplace_back([this, i] { loop(i); });
  error_.clear();
  return std::nullopt;
}

void Dataplane::loop(std::size_t i) {
  io::Worker& w = *workers_[i];
  Forwarder& f = *forwarders_[i];
  while (!stopping_.load(std::memory_order_relaxed)) {
    f.run_posted();
    w.poll_once(f, 100);
  }
  f.run_posted();
}

void Dataplane::stop() {
  stopping_.store(true);
  for (auto& w : workers_) w->wake();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void Dataplane::apply(Fn fn, Done done) {
  // Shard 0 reports what it serves when a service or server changed; the
  // generation check keeps syncd's 20 ms drains from rebuilding the view.
  auto view = std::make_shared<std::optional<ServedView>>();
  Fn user_fn = std::move(fn);
  fn = [this, view, user_fn = std::move(user_fn)](Director& d, std::size_t i) {
    user_fn(d, i);
    if (i == 0 && served_generation_.exchange(d.generation()) != d.generation())
      *view = served_by(d);
  };
  Done user_done = std::move(done);
  done = [this, view, user_done = std::move(user_done)] {
    if (user_done) user_done();
    if (*view && served_hook_) served_hook_(**view);
  };
  if (!running()) {
    // No worker threads: the control thread is the only one touching shards.
    for (std::size_t i = 0; i < forwarders_.size(); ++i) fn(forwarders_[i]->shard(), i);
    boost::asio::post(io_, std::move(done));
    return;
  }
  auto left = std::make_shared<std::atomic<std::size_t>>(forwarders_.size());
  auto shared_fn = std::make_shared<Fn>(std::move(fn));
  auto shared_done = std::make_shared<Done>(std::move(done));
  for (std::size_t i = 0; i < forwarders_.size(); ++i) {
    forwarders_[i]->post([this, i, left, shared_fn, shared_done](Forwarder& f) {
      (*shared_fn)(f.shard(), i);
      if (left->fetch_sub(1) == 1) boost::asio::post(io_, *shared_done);
    });
    workers_[i]->wake();
  }
}

void Dataplane::each(std::function<void(Forwarder&)> fn) {
  if (!running()) {
    for (auto& f : forwarders_) fn(*f);
    return;
  }
  for (std::size_t i = 0; i < forwarders_.size(); ++i) {
    forwarders_[i]->post(fn);
    workers_[i]->wake();
  }
}

std::optional<std::string> Dataplane::set_steering(const SteeringSpec& spec) {
  if (workers_.size() <= 1) return std::nullopt;
  SteeringSpec s = spec;
  s.workers = static_cast<std::uint32_t>(workers_.size());
  auto program = build_steering(s);
  sock_fprog prog{static_cast<unsigned short>(program.size()), program.data()};
  if (::setsockopt(workers_[0]->rx().fd(), SOL_PACKET, PACKET_FANOUT_DATA, &prog, sizeof(prog)) !=
      0)
    return std::string("PACKET_FANOUT_DATA: ") + std::strerror(errno);
  return std::nullopt;
}

std::optional<std::string> Dataplane::set_filter(const io::FilterSpec& spec) {
  auto program = io::build_filter(spec);
  if (!program) return program.error().message;
  sock_fprog prog{static_cast<unsigned short>(program->size()), program->data()};
  for (const auto& w : workers_)
    if (::setsockopt(w->rx().fd(), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) != 0)
      return std::string("SO_ATTACH_FILTER: ") + std::strerror(errno);
  return std::nullopt;
}

ipc::Json Dataplane::status() const {
  ipc::Json j;
  j["forwarding"] = running();
  j["active"] = active_.load();
  if (!error_.empty()) j["error"] = error_;
  j["workers"] = ipc::Json::array();
  DirectorCounters total;
  TableStats table;
  ipc::Json drops = ipc::Json::object();
  ipc::Json parse = ipc::Json::object();
  ipc::Json icmp_counts = ipc::Json::object();
  ipc::Json super_drops = ipc::Json::object();
  std::uint64_t superframes = 0, segments = 0;
  static const char* kDropNames[] = {"truncated", "not_tcp_udp",    "no_service", "no_connection",
                                     "core_drop", "no_neighbour",   "no_link",    "ttl_exceeded",
                                     "too_big",   "rewrite_failed", "arp_ignored"};
  static_assert(std::size(kDropNames) == static_cast<std::size_t>(FwdDrop::kCount));
  std::uint64_t fwd_in = 0, fwd_out = 0, arp = 0, icmp = 0, csum = 0;
  for (std::size_t i = 0; i < forwarders_.size(); ++i) {
    const Forwarder& f = *forwarders_[i];
    const auto& c = f.counters();
    ipc::Json w;
    if (i < workers_.size()) {
      const io::IoStats s = workers_[i]->stats();
      w = {{"rx_frames", s.rx_frames},       {"rx_bytes", s.rx_bytes},
           {"tx_frames", s.tx_frames},       {"tx_bytes", s.tx_bytes},
           {"tx_errors", s.tx_errors},       {"tx_full", s.tx_full},
           {"kernel_drops", s.kernel_drops}, {"handler_drops", s.handler_drops},
           {"rx_truncated", s.rx_truncated}, {"rx_bad_blocks", s.rx_bad_blocks}};
    }
    const ShardSnapshot snap = f.snapshot();
    w["forwarded_in"] = c.forwarded_in.get();
    w["forwarded_out"] = c.forwarded_out.get();
    w["connections"] = snap.table.connections;
    w["templates"] = snap.table.templates;
    j["workers"].push_back(w);
    fwd_in += c.forwarded_in.get();
    fwd_out += c.forwarded_out.get();
    arp += c.arp_replies.get();
    icmp += c.icmp_sent.get();
    csum += c.checksum_completed.get();
    for (std::size_t d = 0; d < c.drops.size(); ++d)
      drops[kDropNames[d]] = drops.value(kDropNames[d], std::uint64_t{0}) + c.drops[d].get();
    superframes += c.superframes.get();
    segments += c.segments.get();
    for (std::size_t d = 0; d < c.super_drops.size(); ++d) {
      const std::string name(super_drop_name(static_cast<SuperDrop>(d)));
      super_drops[name] = super_drops.value(name, std::uint64_t{0}) + c.super_drops[d].get();
    }
    for (std::size_t k = 0; k < c.icmp.size(); ++k) {
      const std::string name(icmp_count_name(static_cast<IcmpCount>(k)));
      icmp_counts[name] = icmp_counts.value(name, std::uint64_t{0}) + c.icmp[k].get();
    }
    for (std::size_t d = 1; d < c.parse.size(); ++d) {
      const std::string name(net::drop_reason_name(static_cast<net::DropReason>(d)));
      parse[name] = parse.value(name, std::uint64_t{0}) + c.parse[d].get();
    }
    const auto& k = snap.counters;
    total.no_service += k.no_service;
    total.no_connection += k.no_connection;
    total.no_server += k.no_server;
    total.table_full += k.table_full;
    total.not_syn += k.not_syn;
    total.server_gone += k.server_gone;
    total.rescheduled += k.rescheduled;
    total.expired += k.expired;
    total.icmp_related += k.icmp_related;
    total.icmp_unrelated += k.icmp_unrelated;
    table.connections += snap.table.connections;
    table.templates += snap.table.templates;
    table.max_entries += snap.table.max_entries;
    table.memory.slab_bytes += snap.table.memory.slab_bytes;
    table.memory.bucket_bytes += snap.table.memory.bucket_bytes;
    table.memory.wheel_bytes += snap.table.memory.wheel_bytes;
    table.memory.entry_bytes = snap.table.memory.entry_bytes;
    table.memory.bytes_per_entry_at_max = snap.table.memory.bytes_per_entry_at_max;
  }
  j["forwarded"] = {{"in", fwd_in}, {"out", fwd_out}};
  j["arp_replies"] = arp;
  j["icmp_errors_sent"] = icmp;
  j["checksums_completed"] = csum;
  j["drops"] = drops;
  j["parse_errors"] = parse;
  j["icmp"] = icmp_counts;
  j["superframes"] = superframes;
  j["segments"] = segments;
  j["superframe_drops"] = super_drops;
  j["core"] = {{"no_service", total.no_service},     {"no_connection", total.no_connection},
               {"no_server", total.no_server},       {"table_full", total.table_full},
               {"not_syn", total.not_syn},           {"server_gone", total.server_gone},
               {"rescheduled", total.rescheduled},   {"expired", total.expired},
               {"icmp_related", total.icmp_related}, {"icmp_unrelated", total.icmp_unrelated}};
  j["table"] = {{"connections", table.connections},
                {"templates", table.templates},
                {"max_entries", table.max_entries},
                {"entry_bytes", table.memory.entry_bytes},
                {"slab_bytes", table.memory.slab_bytes},
                {"bucket_bytes", table.memory.bucket_bytes},
                {"wheel_bytes", table.memory.wheel_bytes},
                {"bytes_per_entry_at_max", table.memory.bytes_per_entry_at_max}};
  return j;
}

}  // namespace tandem::director::daemon
