#pragma once
// Packet-path counters. Each is written by exactly one worker thread and may
// be read by any other (the control socket, tests), so a relaxed load/store
// pair is enough: no locked read-modify-write on the packet path.

#include <atomic>
#include <cstdint>

namespace tandem::director::io {

class Counter {
 public:
  void add(std::uint64_t n) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

struct IoStats {
  std::uint64_t rx_frames = 0;
  std::uint64_t rx_bytes = 0;  // captured bytes
  std::uint64_t rx_blocks = 0;
  std::uint64_t rx_truncated = 0;    // captured fewer bytes than were on the wire
  std::uint64_t rx_bad_blocks = 0;   // block layout failed validation; rest of block skipped
  std::uint64_t kernel_packets = 0;  // PACKET_STATISTICS tp_packets (includes drops)
  std::uint64_t kernel_drops = 0;    // tp_drops: no room in the ring
  std::uint64_t kernel_freezes = 0;  // tp_freeze_q_cnt: ring ran full
  std::uint64_t handler_drops = 0;   // frames the handler answered with kDrop
  std::uint64_t tx_frames = 0;       // handed to the kernel
  std::uint64_t tx_bytes = 0;
  std::uint64_t tx_errors = 0;  // bad length, bad egress index, or the kernel refused
  std::uint64_t tx_full = 0;    // no free TX slot / socket buffer: dropped

  IoStats& operator+=(const IoStats& o) {
    rx_frames += o.rx_frames;
    rx_bytes += o.rx_bytes;
    rx_blocks += o.rx_blocks;
    rx_truncated += o.rx_truncated;
    rx_bad_blocks += o.rx_bad_blocks;
    kernel_packets += o.kernel_packets;
    kernel_drops += o.kernel_drops;
    kernel_freezes += o.kernel_freezes;
    handler_drops += o.handler_drops;
    tx_frames += o.tx_frames;
    tx_bytes += o.tx_bytes;
    tx_errors += o.tx_errors;
    tx_full += o.tx_full;
    return *this;
  }
};

struct RxCounters {
  Counter frames, bytes, blocks, truncated, bad_blocks, kernel_packets, kernel_drops,
      kernel_freezes, handler_drops;
};

struct TxCounters {
  Counter frames, bytes, errors, full;
};

}  // namespace tandem::director::io
