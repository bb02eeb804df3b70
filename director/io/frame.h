#pragma once
// One received frame as the forwarding code sees it, and the handler's answer
// for it. Frames point into the receive ring: they are valid only inside the
// handle() call that delivers them, and the worker sends every answer before
// the ring block goes back to the kernel.

#include <cstdint>
#include <span>

namespace tandem::director::io {

enum class Action : std::uint8_t { kDrop, kTransmit };

struct Frame {
  // Captured bytes, Ethernet header first (no FCS). Writable: rewrites work
  // in place.
  std::span<std::uint8_t> data;
  // Writable bytes directly before data.data() (at least the ring's headroom).
  std::uint32_t headroom = 0;
  // Length on the wire; larger than data.size() when the capture was cut.
  std::uint32_t wire_length = 0;
  std::uint32_t rx_hash = 0;
  // A tag the NIC stripped (TP_STATUS_VLAN_VALID); an in-band tag stays in data.
  bool vlan_valid = false;
  std::uint16_t vlan_tci = 0;
  // The stack left the L4 checksum to offload (TP_STATUS_CSUMNOTREADY): the
  // bytes hold only the pseudo-header sum. Seen on veth from local senders.
  bool checksum_not_ready = false;
  std::uint8_t pkt_type = 0;         // PACKET_HOST, PACKET_OTHERHOST, PACKET_BROADCAST, ...
  // The interface it arrived on: a ring bound to every interface serves
  // several links, and answers (ARP) must leave where the question came in.
  int ifindex = 0;
  std::uint64_t kernel_time_ns = 0;  // CLOCK_REALTIME stamp from the kernel

  // The handler's answer; every frame starts as kDrop.
  Action action = Action::kDrop;
  std::uint16_t egress = 0;  // index into the worker's transmit ports
  // Bytes to send. They must stay valid until handle() returns and the
  // batch is sent: inside this frame's data or headroom, or the handler's
  // own storage that it keeps until its next handle() call.
  std::span<const std::uint8_t> out;
  // Several frames for the one port instead of out (a TCP super-frame cut
  // into segments); same lifetime rule as out.
  std::span<const std::span<const std::uint8_t>> burst;

  std::span<std::uint8_t> with_headroom() const {
    return {data.data() - headroom, headroom + data.size()};
  }
  void transmit(std::uint16_t port, std::span<const std::uint8_t> bytes) {
    action = Action::kTransmit;
    egress = port;
    out = bytes;
    burst = {};
  }
  void transmit_burst(std::uint16_t port, std::span<const std::span<const std::uint8_t>> frames) {
    action = Action::kTransmit;
    egress = port;
    out = {};
    burst = frames;
  }
  void transmit(std::uint16_t port) { transmit(port, data); }
  void drop() { action = Action::kDrop; }
};

}  // namespace tandem::director::io
