// ring_echo: receives on one interface and sends every frame unchanged but
// for its Ethernet addresses out of another, through the director's packet
// I/O adapter. No forwarding decision at all, so it measures the ceiling the
// ring I/O alone allows, to compare with the kernel's own forwarding.
//
//   ring_echo --in IF --out IF --dst-mac MAC [--src-mac MAC] [--workers N]
//             [--fanout hash|cpu] [--tx ring|sendmmsg] [--qdisc-bypass]
//             [--seconds S] [--block-size B] [--block-count N]
//
// Stops after --seconds (default 10) or on SIGINT/SIGTERM and prints its
// counters as one JSON line.

#include <sys/resource.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/net/address.h"
#include "director/io/worker.h"

namespace {

using tandem::director::io::BatchHandler;
using tandem::director::io::FanoutMode;
using tandem::director::io::Frame;
using tandem::director::io::GroupConfig;
using tandem::director::io::IoStats;
using tandem::director::io::TxConfig;
using tandem::director::io::TxMode;
using tandem::director::io::WorkerGroup;

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int /*sig*/) {
  g_stop = 1;
}

class MacRewrite final : public BatchHandler {
 public:
  MacRewrite(tandem::net::Mac dst, std::optional<tandem::net::Mac> src) : dst_(dst), src_(src) {}
  void handle(std::span<Frame> frames) noexcept override {
    for (Frame& f : frames) {
      if (f.data.size() < 14) continue;  // stays kDrop
      std::memcpy(f.data.data(), dst_.bytes.data(), 6);
      if (src_) std::memcpy(f.data.data() + 6, src_->bytes.data(), 6);
      f.transmit(0);
    }
  }

 private:
  tandem::net::Mac dst_;
  std::optional<tandem::net::Mac> src_;
};

int usage(const char* why) {
  std::fprintf(stderr,
               "ring_echo: %s\nusage: ring_echo --in IF --out IF --dst-mac MAC [--src-mac MAC] "
               "[--workers N] [--fanout hash|cpu] [--tx ring|sendmmsg] [--qdisc-bypass] "
               "[--seconds S] [--block-size B] [--block-count N]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  GroupConfig g;
  TxConfig tx;
  std::optional<tandem::net::Mac> dst;
  std::optional<tandem::net::Mac> src;
  long seconds = 10;
  g.fanout = FanoutMode::kHash;
  g.worker.rx.ring.block_size = 1U << 18;
  g.worker.rx.ring.block_count = 64;
  g.worker.poll_timeout_ms = 50;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    const std::string value = has_value ? argv[i + 1] : "";
    if (arg == "--qdisc-bypass") {
      tx.qdisc_bypass = true;
      continue;
    }
    if (!has_value) return usage(("missing value for " + arg).c_str());
    ++i;
    if (arg == "--in") {
      g.worker.rx.interface.name = value;
    } else if (arg == "--out") {
      tx.interface.name = value;
    } else if (arg == "--dst-mac") {
      dst = tandem::net::Mac::parse(value);
      if (!dst) return usage("bad --dst-mac");
    } else if (arg == "--src-mac") {
      src = tandem::net::Mac::parse(value);
      if (!src) return usage("bad --src-mac");
    } else if (arg == "--workers") {
      g.workers = std::strtoul(value.c_str(), nullptr, 10);
    } else if (arg == "--fanout") {
      if (value != "hash" && value != "cpu") return usage("--fanout is hash or cpu");
      g.fanout = value == "hash" ? FanoutMode::kHash : FanoutMode::kCpu;
    } else if (arg == "--tx") {
      if (value != "ring" && value != "sendmmsg") return usage("--tx is ring or sendmmsg");
      tx.mode = value == "ring" ? TxMode::kRing : TxMode::kSendmmsg;
    } else if (arg == "--seconds") {
      seconds = std::strtol(value.c_str(), nullptr, 10);
    } else if (arg == "--block-size") {
      g.worker.rx.ring.block_size =
          static_cast<std::uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
    } else if (arg == "--block-count") {
      g.worker.rx.ring.block_count =
          static_cast<std::uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
    } else {
      return usage(("unknown option " + arg).c_str());
    }
  }
  if (g.worker.rx.interface.name.empty() || tx.interface.name.empty() || !dst)
    return usage("--in, --out and --dst-mac are required");
  if (seconds <= 0 || seconds > 3600) return usage("--seconds must be 1..3600");
  if (g.workers == 1) g.fanout = FanoutMode::kNone;
  tx.ring.frame_count = 4096;
  g.worker.tx.push_back(tx);

  auto group = WorkerGroup::open(g);
  if (!group) {
    std::fprintf(stderr, "ring_echo: %s\n", group.error().message.c_str());
    return 1;
  }
  std::vector<std::unique_ptr<MacRewrite>> handlers;
  std::vector<BatchHandler*> pointers;
  for (std::size_t i = 0; i < g.workers; ++i) {
    handlers.push_back(std::make_unique<MacRewrite>(*dst, src));
    pointers.push_back(handlers.back().get());
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  if (auto e = (*group)->start(pointers)) {
    std::fprintf(stderr, "ring_echo: %s\n", e->message.c_str());
    return 1;
  }
  std::fprintf(stderr, "ring_echo: %zu worker(s) %s -> %s, running %ld s\n", g.workers,
               g.worker.rx.interface.name.c_str(), tx.interface.name.c_str(), seconds);
  for (long tick = 0; tick < seconds * 10 && g_stop == 0; ++tick)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  (*group)->stop();
  const IoStats s = (*group)->stats();
  // CPU the process spent (workers and kernel work done on their behalf),
  // which stays meaningful when the generator, not we, limits the rate.
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double user = static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec / 1e6;
  const double sys = static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec / 1e6;
  const double frames = static_cast<double>(s.rx_frames);
  const double ns_per_frame = s.rx_frames != 0 ? (user + sys) * 1e9 / frames : 0;
  std::printf(
      "{\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f,\"cpu_ns_per_frame\":%.0f,\"rx_frames\":%llu,\"rx_"
      "bytes\":%llu,\"rx_"
      "blocks\":%llu,\"rx_bad_blocks\":%llu,"
      "\"kernel_packets\":%llu,\"kernel_drops\":%llu,\"kernel_freezes\":%llu,"
      "\"tx_frames\":%llu,\"tx_errors\":%llu,\"tx_full\":%llu}\n",
      user, sys, ns_per_frame, static_cast<unsigned long long>(s.rx_frames),
      static_cast<unsigned long long>(s.rx_bytes), static_cast<unsigned long long>(s.rx_blocks),
      static_cast<unsigned long long>(s.rx_bad_blocks),
      static_cast<unsigned long long>(s.kernel_packets),
      static_cast<unsigned long long>(s.kernel_drops),
      static_cast<unsigned long long>(s.kernel_freezes),
      static_cast<unsigned long long>(s.tx_frames), static_cast<unsigned long long>(s.tx_errors),
      static_cast<unsigned long long>(s.tx_full));
  return 0;
}
