#include "director/io/rx_ring.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>

// Linux 6.7 (PACKET_FANOUT_FLAG_IGNORE_OUTGOING); Debian 12's headers predate it.
#ifndef PACKET_FANOUT_FLAG_IGNORE_OUTGOING
#define PACKET_FANOUT_FLAG_IGNORE_OUTGOING 0x4000
#endif

namespace tandem::director::io {
namespace {

std::atomic_ref<std::uint32_t> block_status(std::uint8_t* block) {
  auto* desc = reinterpret_cast<tpacket_block_desc*>(block);
  return std::atomic_ref<std::uint32_t>(desc->hdr.bh1.block_status);
}

std::optional<Error> add_membership(int fd, int ifindex, unsigned short type, const net::Mac* mac,
                                    const std::string& what) {
  packet_mreq mr{};
  mr.mr_ifindex = ifindex;
  mr.mr_type = type;
  if (mac != nullptr) {
    mr.mr_alen = 6;
    std::memcpy(mr.mr_address, mac->bytes.data(), 6);
  }
  return set_option(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr), what);
}

}  // namespace

Expected<std::unique_ptr<RxRing>> RxRing::open(const RxConfig& c) {
  const std::string label = c.any_interface ? std::string("every interface") : interface_label(c.interface);
  auto geometry = plan_rx_ring(c.ring, page_size());
  if (!geometry) return Error{"rx ring on " + label + ": " + geometry.error().message};
  if (c.any_interface && (c.promiscuous || !c.unicast_macs.empty() || !c.multicast_macs.empty()))
    return Error{"rx ring on every interface: memberships need one interface"};
  if (c.fanout == FanoutMode::kCbpf && c.fanout_program.empty())
    return Error{"rx ring on " + label + ": PACKET_FANOUT_CBPF needs a program"};
  auto index = c.any_interface ? Expected<int>(0) : resolve_interface(c.interface);
  if (!index) return index.error();

  std::unique_ptr<RxRing> ring(new RxRing());
  ring->geometry_ = *geometry;
  ring->ifindex_ = *index;
  // Protocol 0: the socket receives nothing until bind() names the
  // interface, so no frame from another interface slips into the ring.
  ring->fd_ = UniqueFd(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
  const int fd = ring->fd_.get();
  if (fd < 0) return errno_error("socket(AF_PACKET) for " + label);

  const int version = TPACKET_V3;
  if (auto e = set_option(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version),
                          "PACKET_VERSION V3 on " + label))
    return *e;
  const unsigned reserve = geometry->headroom;
  if (auto e = set_option(fd, SOL_PACKET, PACKET_RESERVE, &reserve, sizeof(reserve),
                          "PACKET_RESERVE on " + label))
    return *e;
  if (c.ignore_outgoing) {
    const int one = 1;
    if (auto e = set_option(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one),
                            "PACKET_IGNORE_OUTGOING on " + label + " (needs Linux 4.20)"))
      return *e;
  }
  if (c.filter) {
    auto program = build_filter(*c.filter);
    if (!program) return program.error();
    sock_fprog prog{static_cast<unsigned short>(program->size()), program->data()};
    if (auto e = set_option(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog),
                            "SO_ATTACH_FILTER on " + label))
      return *e;
  }

  tpacket_req3 req{};
  req.tp_block_size = geometry->block_size;
  req.tp_block_nr = geometry->block_count;
  req.tp_frame_size = geometry->frame_size;
  req.tp_frame_nr = geometry->frame_count;
  req.tp_retire_blk_tov = geometry->block_timeout_ms;
  req.tp_feature_req_word = TP_FT_REQ_FILL_RXHASH;
  if (auto e = set_option(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req),
                          "PACKET_RX_RING on " + label))
    return *e;
  auto map = map_ring(fd, geometry->mapped_bytes, "mmap rx ring on " + label);
  if (!map) return map.error();
  ring->map_ = std::move(*map);

  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = *index;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) < 0)
    return errno_error("bind rx socket to " + label);

  if (c.promiscuous) {
    if (auto e =
            add_membership(fd, *index, PACKET_MR_PROMISC, nullptr, "PACKET_MR_PROMISC on " + label))
      return *e;
  }
  for (const auto& mac : c.unicast_macs) {
    if (auto e = add_membership(fd, *index, PACKET_MR_UNICAST, &mac,
                                "PACKET_MR_UNICAST " + mac.to_string() + " on " + label))
      return *e;
  }
  for (const auto& mac : c.multicast_macs) {
    if (auto e = add_membership(fd, *index, PACKET_MR_MULTICAST, &mac,
                                "PACKET_MR_MULTICAST " + mac.to_string() + " on " + label))
      return *e;
  }
  // Fanout joins last: the kernel only lets a bound socket join a group.
  if (c.fanout != FanoutMode::kNone) {
    int type = c.fanout == FanoutMode::kHash  ? PACKET_FANOUT_HASH
               : c.fanout == FanoutMode::kCpu ? PACKET_FANOUT_CPU
                                              : PACKET_FANOUT_CBPF;
    if (c.fanout == FanoutMode::kHash && c.fanout_defrag) type |= PACKET_FANOUT_FLAG_DEFRAG;
    // A fanout group delivers through its own hook, which ignores the
    // socket's PACKET_IGNORE_OUTGOING: without the group flag every worker
    // would receive (and forward again) what the workers transmit.
    if (c.ignore_outgoing) type |= PACKET_FANOUT_FLAG_IGNORE_OUTGOING;
    int arg = c.fanout_group | (type << 16);
    if (::setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) != 0) {
      // Kernels before 6.7 refuse the flag (EINVAL); without it a group
      // has no way to skip outgoing frames, and handlers must drop
      // PACKET_OUTGOING themselves.
      if (errno == EINVAL && (type & PACKET_FANOUT_FLAG_IGNORE_OUTGOING) != 0)
        arg = c.fanout_group | ((type & ~PACKET_FANOUT_FLAG_IGNORE_OUTGOING) << 16);
      if (auto e = set_option(
              fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg),
              "PACKET_FANOUT group " + std::to_string(c.fanout_group) + " on " + label))
        return *e;
    }
    if (c.fanout == FanoutMode::kCbpf) {
      // The program belongs to the group; every member sets the same one,
      // so whichever joined first the group steers by it.
      sock_fprog prog{static_cast<unsigned short>(c.fanout_program.size()),
                      const_cast<sock_filter*>(c.fanout_program.data())};
      if (auto e = set_option(fd, SOL_PACKET, PACKET_FANOUT_DATA, &prog, sizeof(prog),
                              "PACKET_FANOUT_DATA on " + label))
        return *e;
    }
  }
  return ring;
}

std::span<std::uint8_t> RxRing::current_block() {
  std::uint8_t* block = map_.data() + static_cast<std::size_t>(next_block_) * geometry_.block_size;
  if ((block_status(block).load(std::memory_order_acquire) & TP_STATUS_USER) == 0) return {};
  return {block, geometry_.block_size};
}

void RxRing::release_block() {
  std::uint8_t* block = map_.data() + static_cast<std::size_t>(next_block_) * geometry_.block_size;
  block_status(block).store(TP_STATUS_KERNEL, std::memory_order_release);
  next_block_ = next_block_ + 1 == geometry_.block_count ? 0 : next_block_ + 1;
}

Expected<KernelRxStats> RxRing::read_kernel_stats() {
  tpacket_stats_v3 st{};
  socklen_t len = sizeof(st);
  if (::getsockopt(fd_.get(), SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
    return errno_error("PACKET_STATISTICS");
  return KernelRxStats{st.tp_packets, st.tp_drops, st.tp_freeze_q_cnt};
}

}  // namespace tandem::director::io
