#include "healthd/monitors/telnet_filter.h"

namespace tandem::health {

namespace {

constexpr std::uint8_t kIac = 255, kDont = 254, kDo = 253, kWont = 252, kWill = 251, kSb = 250,
                       kSe = 240;

}  // namespace

void TelnetFilter::feed(std::string_view in, std::string& data, std::string& reply) {
  for (char ch : in) {
    const auto c = static_cast<std::uint8_t>(ch);
    switch (state_) {
      case State::kData:
        if (c == kIac) {
          state_ = State::kIac;
        } else if (c != 0) {  // NUL pads CR in NVT text
          data.push_back(ch);
        }
        break;
      case State::kIac:
        if (c == kIac) {
          data.push_back(ch);  // an escaped 0xFF data byte
          state_ = State::kData;
        } else if (c >= kWill && c <= kDont) {
          verb_ = c;
          state_ = State::kOption;
        } else if (c == kSb) {
          state_ = State::kSub;
        } else {
          state_ = State::kData;  // NOP, GA, AYT...: nothing to do
        }
        break;
      case State::kOption:
        // Refuse what is offered or asked; WONT and DONT need no answer, and
        // answering them could start a loop with a naive server.
        if (verb_ == kDo) {
          reply += {static_cast<char>(kIac), static_cast<char>(kWont), ch};
        } else if (verb_ == kWill) {
          reply += {static_cast<char>(kIac), static_cast<char>(kDont), ch};
        }
        state_ = State::kData;
        break;
      case State::kSub:
        if (c == kIac) state_ = State::kSubIac;
        break;
      case State::kSubIac:
        state_ = c == kSe ? State::kData : State::kSub;
        break;
    }
  }
}

}  // namespace tandem::health
