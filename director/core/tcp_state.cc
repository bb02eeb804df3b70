#include "director/core/tcp_state.h"

namespace tandem::director {
namespace {

using S = TcpState;
// NONE and SYNACK are columns but never a next state in these tables.
constexpr S ES = S::established, SS = S::syn_sent, SR = S::syn_recv, FW = S::fin_wait,
            TW = S::time_wait, CL = S::close, CW = S::close_wait, LA = S::last_ack, LI = S::listen;

using Row = std::array<S, kTcpStateCount>;
// [direction][event syn, fin, ack, rst][current state NO ES SS SR FW TW CL CW LA LI SA]
constexpr std::array<std::array<Row, 4>, 3> kTable = {{
    // INPUT
    {{
        {SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR},
        {CL, CW, SS, TW, TW, TW, CL, CW, LA, LI, TW},
        {ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES},
        {CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, SR},
    }},
    // OUTPUT
    {{
        {SS, ES, SS, SR, SS, SS, SS, SS, SS, LI, SR},
        {TW, FW, SS, TW, FW, TW, CL, TW, LA, LI, TW},
        {ES, ES, SS, ES, FW, TW, CL, CW, LA, ES, ES},
        {CL, CL, SS, CL, CL, TW, CL, CL, CL, CL, CL},
    }},
    // INPUT_ONLY
    {{
        {SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR},
        {CL, FW, SS, TW, FW, TW, CL, CW, LA, LI, TW},
        {ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES},
        {CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL},
    }},
}};

}  // namespace

TcpEvent tcp_event(std::uint8_t flags) {
  if (flags & tcp_flag::rst) return TcpEvent::rst;
  if (flags & tcp_flag::syn) return TcpEvent::syn;
  if (flags & tcp_flag::fin) return TcpEvent::fin;
  if (flags & tcp_flag::ack) return TcpEvent::ack;
  return TcpEvent::none;
}

TcpState tcp_next(TcpDir dir, TcpEvent ev, TcpState cur) {
  if (ev == TcpEvent::none) return S::close;
  return kTable[static_cast<int>(dir)][static_cast<int>(ev)][static_cast<int>(cur)];
}

bool tcp_state_active(TcpState s) {
  return s == S::established || s == S::syn_sent || s == S::syn_recv || s == S::synack;
}

const char* tcp_state_name(TcpState s) {
  static constexpr const char* kNames[kTcpStateCount] = {
      "NONE",  "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT", "TIME_WAIT",
      "CLOSE", "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "SYNACK"};
  return kNames[static_cast<int>(s)];
}

}  // namespace tandem::director
