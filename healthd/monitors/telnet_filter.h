#pragma once
// Separates a telnet server's data from its option negotiation. We want no
// options at all: every DO is answered WONT and every WILL DONT (RFC 854's
// way to refuse), subnegotiations are skipped, and what is left is the text
// the expect-string is matched against. Works on bytes split anywhere.

#include <cstdint>
#include <string>
#include <string_view>

namespace tandem::health {

class TelnetFilter {
 public:
  // Appends the data bytes of `in` to `data` and the replies owed to the
  // server to `reply`.
  void feed(std::string_view in, std::string& data, std::string& reply);

 private:
  enum class State { kData, kIac, kOption, kSub, kSubIac };
  State state_ = State::kData;
  std::uint8_t verb_ = 0;
};

}  // namespace tandem::health
