#pragma once
// The packet loop of one worker: one receive ring, its own transmit ports,
// one thread. Per ring block the worker hands every frame to the handler in
// one call, sends what the handler asked for (one kick per port), and only
// then gives the block back, so answers may point into received bytes.
// A WorkerGroup runs N workers on one interface with PACKET_FANOUT; they
// share nothing on the packet path.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "director/io/counters.h"
#include "director/io/frame.h"
#include "director/io/rx_ring.h"
#include "director/io/tx_port.h"

namespace tandem::director::io {

class BatchHandler {
 public:
  virtual ~BatchHandler() = default;
  // Decide every frame: leave it as kDrop or call transmit(). Runs on the
  // worker's thread, must not throw and must not block.
  virtual void handle(std::span<Frame> frames) noexcept = 0;
  // Called when no frame arrived within the poll timeout: a chance to expire
  // timers without a separate thread.
  virtual void on_idle() noexcept {}
};

struct WorkerConfig {
  RxConfig rx;
  std::vector<TxConfig> tx;  // Frame::egress indexes this list
  int poll_timeout_ms = 100;
  // Read PACKET_STATISTICS after this many blocks (and on every idle poll).
  std::uint32_t stats_every_blocks = 64;
};

class Worker {
 public:
  static Expected<std::unique_ptr<Worker>> open(const WorkerConfig& config);

  // Runs until stop(); returns at once if stop() was already called.
  void run(BatchHandler& handler);
  // Processes the blocks that are ready now, or waits up to timeout_ms for
  // one; returns the number of frames handled. For tests and custom loops.
  std::size_t poll_once(BatchHandler& handler, int timeout_ms);
  // Safe from any thread or a signal handler.
  void stop();
  // Makes a poll_once() that is waiting return at once (control work queued
  // for this worker's thread). Safe from any thread.
  void wake();

  IoStats stats() const;
  const RxRing& rx() const { return *rx_; }
  TxPort& tx(std::size_t i) { return *tx_[i]; }
  std::size_t tx_count() const { return tx_.size(); }

 private:
  Worker() = default;
  std::size_t process_block(BatchHandler& handler, std::span<std::uint8_t> block);
  std::size_t drain(BatchHandler& handler);
  void refresh_kernel_stats();

  WorkerConfig config_;
  std::unique_ptr<RxRing> rx_;
  std::vector<std::unique_ptr<TxPort>> tx_;
  std::vector<Frame> frames_;
  std::vector<std::uint8_t> touched_;
  UniqueFd wake_;
  std::atomic<bool> stopping_{false};
  std::uint32_t blocks_since_stats_ = 0;
  RxCounters rx_counters_;
};

struct GroupConfig {
  WorkerConfig worker;  // the rx fanout fields are set by the group
  std::size_t workers = 1;
  FanoutMode fanout = FanoutMode::kHash;
  std::uint16_t fanout_group = 0;  // 0: derived from the process id
  bool pin_cpus = false;           // worker i on CPU i modulo the CPUs we may use
};

class WorkerGroup {
 public:
  static Expected<std::unique_ptr<WorkerGroup>> open(const GroupConfig& config);
  ~WorkerGroup();

  // One handler per worker, each used only by its worker's thread.
  std::optional<Error> start(std::span<BatchHandler* const> handlers);
  void stop();  // asks every worker to stop and joins them

  std::size_t size() const { return workers_.size(); }
  Worker& worker(std::size_t i) { return *workers_[i]; }
  IoStats stats() const;

 private:
  WorkerGroup() = default;
  GroupConfig config_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace tandem::director::io
