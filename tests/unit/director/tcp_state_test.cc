#include "director/core/tcp_state.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

namespace tandem::director {
namespace {

// The tables as printed in the reference (lvs-reference.md section 3),
// columns = current state NO ES SS SR FW TW CL CW LA LI SA.
const char* const kInput[4] = {
    "syn: SR ES ES SR SR SR SR SR SR SR SR",
    "fin: CL CW SS TW TW TW CL CW LA LI TW",
    "ack: ES ES SS ES FW TW CL CW CL LI ES",
    "rst: CL CL CL SR CL CL CL CL LA LI SR",
};
const char* const kOutput[4] = {
    "syn: SS ES SS SR SS SS SS SS SS LI SR",
    "fin: TW FW SS TW FW TW CL TW LA LI TW",
    "ack: ES ES SS ES FW TW CL CW LA ES ES",
    "rst: CL CL SS CL CL TW CL CL CL CL CL",
};
const char* const kInputOnly[4] = {
    "syn: SR ES ES SR SR SR SR SR SR SR SR",
    "fin: CL FW SS TW FW TW CL CW LA LI TW",
    "ack: ES ES SS ES FW TW CL CW CL LI ES",
    "rst: CL CL CL SR CL CL CL CL LA LI CL",
};

const std::map<std::string, TcpState> kAbbrev = {
    {"NO", TcpState::none},     {"ES", TcpState::established}, {"SS", TcpState::syn_sent},
    {"SR", TcpState::syn_recv}, {"FW", TcpState::fin_wait},    {"TW", TcpState::time_wait},
    {"CL", TcpState::close},    {"CW", TcpState::close_wait},  {"LA", TcpState::last_ack},
    {"LI", TcpState::listen},   {"SA", TcpState::synack}};

const std::map<std::string, std::uint8_t> kEventFlags = {{"syn:", tcp_flag::syn},
                                                         {"fin:", tcp_flag::fin},
                                                         {"ack:", tcp_flag::ack},
                                                         {"rst:", tcp_flag::rst}};

void check_table(TcpDir dir, const char* const rows[4]) {
  for (int r = 0; r < 4; ++r) {
    std::istringstream in(rows[r]);
    std::string event;
    in >> event;
    const TcpEvent ev = tcp_event(kEventFlags.at(event));
    for (int cur = 0; cur < kTcpStateCount; ++cur) {
      std::string cell;
      in >> cell;
      EXPECT_EQ(tcp_next(dir, ev, static_cast<TcpState>(cur)), kAbbrev.at(cell))
          << "row " << rows[r] << " column " << cur;
    }
  }
}

TEST(TcpState, InputTableRowByRow) {
  check_table(TcpDir::input, kInput);
}
TEST(TcpState, OutputTableRowByRow) {
  check_table(TcpDir::output, kOutput);
}
TEST(TcpState, InputOnlyTableRowByRow) {
  check_table(TcpDir::input_only, kInputOnly);
}

TEST(TcpState, EventPriorityRstSynFinAck) {
  using namespace tcp_flag;
  EXPECT_EQ(tcp_event(rst | syn | fin | ack), TcpEvent::rst);
  EXPECT_EQ(tcp_event(syn | fin | ack), TcpEvent::syn);
  EXPECT_EQ(tcp_event(syn | ack), TcpEvent::syn);
  EXPECT_EQ(tcp_event(fin | ack), TcpEvent::fin);
  EXPECT_EQ(tcp_event(ack | psh), TcpEvent::ack);
  EXPECT_EQ(tcp_event(psh), TcpEvent::none);
  EXPECT_EQ(tcp_event(0), TcpEvent::none);
}

TEST(TcpState, NoFlagPacketClosesLikeTheKernel) {
  EXPECT_EQ(tcp_next(TcpDir::input, TcpEvent::none, TcpState::established), TcpState::close);
  EXPECT_EQ(tcp_next(TcpDir::output, TcpEvent::none, TcpState::syn_recv), TcpState::close);
}

TEST(TcpState, ActiveStates) {
  int active = 0;
  for (int s = 0; s < kTcpStateCount; ++s) active += tcp_state_active(static_cast<TcpState>(s));
  EXPECT_EQ(active, 4);
  EXPECT_TRUE(tcp_state_active(TcpState::established));
  EXPECT_TRUE(tcp_state_active(TcpState::syn_sent));
  EXPECT_TRUE(tcp_state_active(TcpState::syn_recv));
  EXPECT_TRUE(tcp_state_active(TcpState::synack));
  EXPECT_FALSE(tcp_state_active(TcpState::time_wait));
}

TEST(TcpState, DefaultTimeouts) {
  using std::chrono::seconds;
  const Timeouts t;
  EXPECT_EQ(t.of(TcpState::none), seconds(2));
  EXPECT_EQ(t.of(TcpState::established), seconds(900));
  EXPECT_EQ(t.of(TcpState::syn_sent), seconds(120));
  EXPECT_EQ(t.of(TcpState::syn_recv), seconds(60));
  EXPECT_EQ(t.of(TcpState::fin_wait), seconds(120));
  EXPECT_EQ(t.of(TcpState::time_wait), seconds(120));
  EXPECT_EQ(t.of(TcpState::close), seconds(10));
  EXPECT_EQ(t.of(TcpState::close_wait), seconds(60));
  EXPECT_EQ(t.of(TcpState::last_ack), seconds(30));
  EXPECT_EQ(t.of(TcpState::listen), seconds(120));
  EXPECT_EQ(t.of(TcpState::synack), seconds(120));
  EXPECT_EQ(t.udp, seconds(300));
  EXPECT_EQ(t.initial, seconds(3));
  EXPECT_STREQ(tcp_state_name(TcpState::established), "ESTABLISHED");
}

}  // namespace
}  // namespace tandem::director
