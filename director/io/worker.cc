#include "director/io/worker.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <system_error>

#include "director/io/block_walk.h"

namespace tandem::director::io {
namespace {

// Frames handed to the handler in one call at most; a fuller block is
// delivered in several calls before it goes back to the kernel.
constexpr std::uint32_t kMaxBatch = 1024;

std::atomic<std::uint32_t> g_next_group{0};

}  // namespace

Expected<std::unique_ptr<Worker>> Worker::open(const WorkerConfig& config) {
  std::unique_ptr<Worker> w(new Worker());
  w->config_ = config;
  auto rx = RxRing::open(config.rx);
  if (!rx) return rx.error();
  w->rx_ = std::move(*rx);
  for (const auto& tc : config.tx) {
    auto port = open_tx_port(tc);
    if (!port) return port.error();
    w->tx_.push_back(std::move(*port));
  }
  w->frames_.resize(std::min(w->rx_->geometry().max_frames_per_block, kMaxBatch));
  w->touched_.assign(w->tx_.size(), 0);
  w->wake_ = UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (w->wake_.get() < 0) return errno_error("eventfd for worker wake-up");
  return w;
}

void Worker::stop() {
  stopping_.store(true, std::memory_order_relaxed);
  const std::uint64_t one = 1;
  // Best effort: if the eventfd is saturated the worker is awake anyway.
  [[maybe_unused]] const ssize_t n = ::write(wake_.get(), &one, sizeof(one));
}

void Worker::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_.get(), &one, sizeof(one));
}

void Worker::run(BatchHandler& handler) {
  while (!stopping_.load(std::memory_order_relaxed)) poll_once(handler, config_.poll_timeout_ms);
  refresh_kernel_stats();
}

std::size_t Worker::poll_once(BatchHandler& handler, int timeout_ms) {
  std::size_t handled = drain(handler);
  if (handled > 0) return handled;
  pollfd fds[2] = {{rx_->fd(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
  const int ready = ::poll(fds, 2, timeout_ms);
  if (ready == 0) {
    refresh_kernel_stats();
    handler.on_idle();
    return 0;
  }
  if (ready < 0) return 0;  // EINTR: the caller's loop comes straight back
  if ((fds[0].revents & POLLERR) != 0) {
    // A pending socket error (e.g. the link went down) keeps poll() ready;
    // reading it clears it so we do not spin.
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(rx_->fd(), SOL_SOCKET, SO_ERROR, &err, &len);
  }
  if ((fds[1].revents & POLLIN) != 0) {
    std::uint64_t value = 0;
    [[maybe_unused]] const ssize_t n = ::read(wake_.get(), &value, sizeof(value));
  }
  return drain(handler);
}

std::size_t Worker::drain(BatchHandler& handler) {
  std::size_t handled = 0;
  // At most one lap of the ring, so stop() is seen even under full load.
  for (std::uint32_t i = 0; i < rx_->geometry().block_count; ++i) {
    const auto block = rx_->current_block();
    if (block.empty()) break;
    handled += process_block(handler, block);
    rx_->release_block();
    if (++blocks_since_stats_ >= config_.stats_every_blocks) refresh_kernel_stats();
  }
  return handled;
}

std::size_t Worker::process_block(BatchHandler& handler, std::span<std::uint8_t> block) {
  BlockWalker walker(block);
  rx_counters_.blocks.add(1);
  std::size_t total = 0;
  for (;;) {
    std::size_t n = 0;
    std::uint64_t bytes = 0;
    std::uint64_t truncated = 0;
    while (n < frames_.size() && walker.next(frames_[n])) {
      bytes += frames_[n].data.size();
      truncated += frames_[n].data.size() < frames_[n].wire_length ? 1 : 0;
      ++n;
    }
    if (n == 0) break;
    rx_counters_.frames.add(n);
    rx_counters_.bytes.add(bytes);
    if (truncated != 0) rx_counters_.truncated.add(truncated);

    const std::span<Frame> batch(frames_.data(), n);
    handler.handle(batch);

    std::uint64_t dropped = 0;
    for (const Frame& f : batch) {
      if (f.action != Action::kTransmit) {
        ++dropped;
        continue;
      }
      if (f.egress >= tx_.size()) {
        // A handler bug, not a packet problem: count it where it shows.
        rx_counters_.handler_drops.add(1);
        continue;
      }
      if (f.burst.empty()) {
        tx_[f.egress]->enqueue(f.out);
      } else {
        for (const auto seg : f.burst) tx_[f.egress]->enqueue(seg);
      }
      touched_[f.egress] = 1;
    }
    if (dropped != 0) rx_counters_.handler_drops.add(dropped);
    for (std::size_t p = 0; p < tx_.size(); ++p) {
      if (touched_[p] == 0) continue;
      tx_[p]->flush();
      touched_[p] = 0;
    }
    total += n;
    if (n < frames_.size()) break;
  }
  if (walker.fault() != BlockFault::kNone) rx_counters_.bad_blocks.add(1);
  return total;
}

void Worker::refresh_kernel_stats() {
  blocks_since_stats_ = 0;
  auto st = rx_->read_kernel_stats();
  if (!st) return;
  rx_counters_.kernel_packets.add(st->packets);
  rx_counters_.kernel_drops.add(st->drops);
  rx_counters_.kernel_freezes.add(st->freezes);
}

IoStats Worker::stats() const {
  IoStats s;
  s.rx_frames = rx_counters_.frames.get();
  s.rx_bytes = rx_counters_.bytes.get();
  s.rx_blocks = rx_counters_.blocks.get();
  s.rx_truncated = rx_counters_.truncated.get();
  s.rx_bad_blocks = rx_counters_.bad_blocks.get();
  s.kernel_packets = rx_counters_.kernel_packets.get();
  s.kernel_drops = rx_counters_.kernel_drops.get();
  s.kernel_freezes = rx_counters_.kernel_freezes.get();
  s.handler_drops = rx_counters_.handler_drops.get();
  for (const auto& port : tx_) {
    s.tx_frames += port->counters().frames.get();
    s.tx_bytes += port->counters().bytes.get();
    s.tx_errors += port->counters().errors.get();
    s.tx_full += port->counters().full.get();
  }
  return s;
}

Expected<std::unique_ptr<WorkerGroup>> WorkerGroup::open(const GroupConfig& config) {
  if (config.workers == 0 || config.workers > 1024) return Error{"workers: must be 1..1024"};
  if (config.workers > 1 && config.fanout == FanoutMode::kNone)
    return Error{"workers: more than one worker needs a fanout mode"};
  std::unique_ptr<WorkerGroup> g(new WorkerGroup());
  g->config_ = config;
  WorkerConfig wc = config.worker;
  if (config.fanout != FanoutMode::kNone) {
    wc.rx.fanout = config.fanout;
    // Group ids are per network namespace; mixing in a counter keeps two
    // groups of one process apart.
    wc.rx.fanout_group =
        config.fanout_group != 0
            ? config.fanout_group
            : static_cast<std::uint16_t>(
                  (static_cast<std::uint32_t>(::getpid()) * 31U + g_next_group.fetch_add(1)) &
                  0xffffU);
  }
  for (std::size_t i = 0; i < config.workers; ++i) {
    auto w = Worker::open(wc);
    if (!w) return Error{"worker " + std::to_string(i) + ": " + w.error().message};
    g->workers_.push_back(std::move(*w));
  }
  return g;
}

WorkerGroup::~WorkerGroup() {
  stop();
}

std::optional<Error> WorkerGroup::start(std::span<BatchHandler* const> handlers) {
  if (handlers.size() != workers_.size()) return Error{"start: need one handler per worker"};
  if (!threads_.empty()) return Error{"start: already running"};
  std::vector<int> cpus;
  if (config_.pin_cpus) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof(set), &set) == 0)
      for (int c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    try {
      Worker* w = workers_[i].get();
      BatchHandler* h = handlers[i];
      threads_.emplace_back([w, h] { w->run(*h); });
    } catch (const std::system_error& e) {
      stop();
      return Error{std::string("starting worker thread: ") + e.what()};
    }
    if (!cpus.empty()) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpus[i % cpus.size()], &one);
      pthread_setaffinity_np(threads_.back().native_handle(), sizeof(one), &one);
    }
  }
  return std::nullopt;
}

void WorkerGroup::stop() {
  for (auto& w : workers_) w->stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

IoStats WorkerGroup::stats() const {
  IoStats total;
  for (const auto& w : workers_) total += w->stats();
  return total;
}

}  // namespace tandem::director::io
