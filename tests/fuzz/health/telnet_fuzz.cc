// The telnet option filter: any split gives the same data and replies, and
// replies are only ever IAC WONT/DONT triples.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "healthd/monitors/telnet_filter.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t split = in.empty() ? 0 : data[0] % (in.size() + 1);
  tandem::health::TelnetFilter a, b;
  std::string da, ra, db, rb;
  a.feed(in, da, ra);
  b.feed(in.substr(0, split), db, rb);
  b.feed(in.substr(split), db, rb);
  if (da != db || ra != rb || ra.size() % 3 != 0 || da.size() > in.size()) std::abort();
  for (std::size_t i = 0; i < ra.size(); i += 3) {
    const auto verb = static_cast<std::uint8_t>(ra[i + 1]);
    if (static_cast<std::uint8_t>(ra[i]) != 255 || (verb != 252 && verb != 254)) std::abort();
  }
  return 0;
}
