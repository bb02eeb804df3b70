#pragma once
// The IPVS TCP connection state machine: three direction tables (INPUT,
// OUTPUT, INPUT_ONLY) indexed by event and current state, and the per-state
// timeouts. Pure data plus two lookups.

#include <array>
#include <cstdint>

#include "common/util/clock.h"

namespace tandem::director {

enum class TcpState : std::uint8_t {
  none,
  established,
  syn_sent,
  syn_recv,
  fin_wait,
  time_wait,
  close,
  close_wait,
  last_ack,
  listen,
  synack
};
inline constexpr int kTcpStateCount = 11;

// INPUT: client -> server through a NAT director. OUTPUT: server -> client
// (seen only with NAT). INPUT_ONLY: client -> server when replies bypass us
// (DR, TUN).
enum class TcpDir : std::uint8_t { input, output, input_only };

enum class TcpEvent : std::uint8_t { syn, fin, ack, rst, none };

namespace tcp_flag {
inline constexpr std::uint8_t fin = 0x01;
inline constexpr std::uint8_t syn = 0x02;
inline constexpr std::uint8_t rst = 0x04;
inline constexpr std::uint8_t psh = 0x08;
inline constexpr std::uint8_t ack = 0x10;
}  // namespace tcp_flag

// Event priority RST, SYN, FIN, ACK; none of them -> TcpEvent::none.
TcpEvent tcp_event(std::uint8_t flags);

// Next state. A packet carrying none of the four flags moves the entry to
// CLOSE, as the kernel's set_tcp_state does.
TcpState tcp_next(TcpDir dir, TcpEvent ev, TcpState cur);

// ESTABLISHED, SYN_SENT, SYN_RECV and SYNACK count as ActiveConn.
bool tcp_state_active(TcpState s);

const char* tcp_state_name(TcpState s);  // ipvsadm -c spelling

struct Timeouts {
  std::array<Duration, kTcpStateCount> tcp = {
      std::chrono::seconds(2),   std::chrono::seconds(900), std::chrono::seconds(120),
      std::chrono::seconds(60),  std::chrono::seconds(120), std::chrono::seconds(120),
      std::chrono::seconds(10),  std::chrono::seconds(60),  std::chrono::seconds(30),
      std::chrono::seconds(120), std::chrono::seconds(120)};
  Duration udp = std::chrono::seconds(300);
  Duration initial = std::chrono::seconds(3);           // before the first transition
  Duration template_linger = std::chrono::seconds(60);  // template still in use

  Duration of(TcpState s) const { return tcp[static_cast<int>(s)]; }
};

}  // namespace tandem::director
