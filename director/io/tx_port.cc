#include "director/io/tx_port.h"

#include <linux/if_packet.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

namespace tandem::director::io {
namespace {

constexpr std::uint32_t kEthHeaderLen = 14;
constexpr std::uint32_t kVlanTagLen = 4;

class RingTxPort final : public TxPort {
 public:
  RingTxPort(UniqueFd fd, Mapping map, const TxGeometry& g, int ifindex, std::uint32_t max_len)
      : map_(std::move(map)), geometry_(g) {
    fd_ = std::move(fd);
    ifindex_ = ifindex;
    max_len_ = max_len;
  }

  bool enqueue(std::span<const std::uint8_t> frame) override {
    if (!acceptable(frame)) return false;
    if (frame.size() > geometry_.max_frame_len) {
      counters_.errors.add(1);
      return false;
    }
    std::uint8_t* slot = map_.data() + geometry_.slot_offset(next_);
    auto* hdr = reinterpret_cast<tpacket2_hdr*>(slot);
    std::atomic_ref<std::uint32_t> status(hdr->tp_status);
    if (!slot_free(status)) {
      // The kernel may still be sending what we queued earlier; kick it once
      // and look again before giving up on this frame.
      flush();
      if (!slot_free(status)) {
        counters_.full.add(1);
        return false;
      }
    }
    std::memcpy(slot + geometry_.data_offset, frame.data(), frame.size());
    hdr->tp_len = static_cast<std::uint32_t>(frame.size());
    status.store(TP_STATUS_SEND_REQUEST, std::memory_order_release);
    next_ = next_ + 1 == geometry_.frame_count ? 0 : next_ + 1;
    ++pending_;
    counters_.frames.add(1);
    counters_.bytes.add(frame.size());
    return true;
  }

  void flush() override {
    if (pending_ == 0) return;
    pending_ = 0;
    // MSG_DONTWAIT: the kernel still sends every queued slot, it only does
    // not wait for the driver to complete them.
    if (::sendto(fd_.get(), nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0 && errno != EAGAIN)
      counters_.errors.add(1);
  }

 private:
  bool slot_free(std::atomic_ref<std::uint32_t>& status) {
    const std::uint32_t s = status.load(std::memory_order_acquire);
    if (s == TP_STATUS_AVAILABLE) return true;
    if (s == TP_STATUS_WRONG_FORMAT) {
      // Only reachable if a frame passed our checks yet the kernel refused it;
      // reclaim the slot so the ring keeps moving.
      counters_.errors.add(1);
      status.store(TP_STATUS_AVAILABLE, std::memory_order_relaxed);
      return true;
    }
    return false;
  }

  Mapping map_;
  TxGeometry geometry_;
  std::uint32_t next_ = 0;
  std::uint32_t pending_ = 0;
};

class SendmmsgTxPort final : public TxPort {
 public:
  SendmmsgTxPort(UniqueFd fd, int ifindex, std::uint32_t max_len, std::uint32_t batch)
      : msgs_(batch), iov_(batch) {
    fd_ = std::move(fd);
    ifindex_ = ifindex;
    max_len_ = max_len;
    for (std::uint32_t i = 0; i < batch; ++i) {
      msgs_[i].msg_hdr.msg_iov = &iov_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
    }
  }

  bool enqueue(std::span<const std::uint8_t> frame) override {
    if (!acceptable(frame)) return false;
    if (count_ == msgs_.size()) flush();
    // sendmsg takes a non-const iovec but only reads through it.
    iov_[count_].iov_base = const_cast<std::uint8_t*>(frame.data());  // NOLINT
    iov_[count_].iov_len = frame.size();
    ++count_;
    return true;
  }

  void flush() override {
    std::uint32_t done = 0;
    while (done < count_) {
      const int n = ::sendmmsg(fd_.get(), msgs_.data() + done, count_ - done, MSG_DONTWAIT);
      if (n > 0) {
        for (int i = 0; i < n; ++i) counters_.bytes.add(iov_[done + i].iov_len);
        counters_.frames.add(static_cast<std::uint64_t>(n));
        done += static_cast<std::uint32_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      // The first remaining message failed: drop it and go on with the rest.
      if (n < 0 && (errno == EAGAIN || errno == ENOBUFS))
        counters_.full.add(1);
      else
        counters_.errors.add(1);
      ++done;
    }
    count_ = 0;
  }

 private:
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iov_;
  std::uint32_t count_ = 0;
};

}  // namespace

bool TxPort::acceptable(std::span<const std::uint8_t> frame) {
  std::uint32_t limit = max_len_;
  const bool tagged = frame.size() >= kEthHeaderLen && frame[12] == 0x81 && frame[13] == 0x00;
  if (tagged) limit += kVlanTagLen;
  if (frame.size() < kEthHeaderLen || frame.size() > limit) {
    counters_.errors.add(1);
    return false;
  }
  return true;
}

Expected<std::unique_ptr<TxPort>> open_tx_port(const TxConfig& c) {
  const std::string label = interface_label(c.interface);
  auto index = resolve_interface(c.interface);
  if (!index) return index.error();
  auto mtu = interface_mtu(*index);
  if (!mtu) return mtu.error();
  std::uint32_t max_len = static_cast<std::uint32_t>(*mtu) + kEthHeaderLen;

  // Protocol 0 and bound with protocol 0: a send-only socket that never
  // receives, so it costs nothing on the receive path.
  UniqueFd fd(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return errno_error("socket(AF_PACKET) for tx on " + label);
  if (c.qdisc_bypass) {
    const int one = 1;
    if (auto e = set_option(fd.get(), SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one),
                            "PACKET_QDISC_BYPASS on " + label))
      return *e;
  }

  std::optional<TxGeometry> geometry;
  Mapping map;
  if (c.mode == TxMode::kRing) {
    auto g = plan_tx_ring(c.ring, page_size());
    if (!g) return Error{"tx ring on " + label + ": " + g.error().message};
    geometry = *g;
    const int version = TPACKET_V2;
    if (auto e = set_option(fd.get(), SOL_PACKET, PACKET_VERSION, &version, sizeof(version),
                            "PACKET_VERSION V2 on " + label))
      return *e;
    // Without PACKET_LOSS one refused frame would stop the whole kick.
    const int one = 1;
    if (auto e = set_option(fd.get(), SOL_PACKET, PACKET_LOSS, &one, sizeof(one),
                            "PACKET_LOSS on " + label))
      return *e;
    tpacket_req req{};
    req.tp_block_size = g->block_size;
    req.tp_block_nr = g->block_count;
    req.tp_frame_size = g->frame_size;
    req.tp_frame_nr = g->frame_count;
    if (auto e = set_option(fd.get(), SOL_PACKET, PACKET_TX_RING, &req, sizeof(req),
                            "PACKET_TX_RING on " + label))
      return *e;
    auto m = map_ring(fd.get(), g->mapped_bytes, "mmap tx ring on " + label);
    if (!m) return m.error();
    map = std::move(*m);
    if (g->max_frame_len < max_len) max_len = g->max_frame_len;
  } else if (c.batch == 0 || c.batch > 4096) {
    return Error{"tx batch on " + label + ": must be 1..4096"};
  }

  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = 0;
  addr.sll_ifindex = *index;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) < 0)
    return errno_error("bind tx socket to " + label);

  if (c.mode == TxMode::kRing)
    return std::unique_ptr<TxPort>(
        new RingTxPort(std::move(fd), std::move(map), *geometry, *index, max_len));
  return std::unique_ptr<TxPort>(new SendmmsgTxPort(std::move(fd), *index, max_len, c.batch));
}

}  // namespace tandem::director::io
