// parse_route_reply over arbitrary bytes: the netlink answer the director
// reads for each routed real server. Checks, besides ASan/UBSan: a route is
// only returned with an output interface, and never with an error set.

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "director/daemon/links.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string error;
  const auto r = tandem::director::daemon::parse_route_reply(std::span(data, size), error);
  if (r && (r->oif == 0 || !error.empty())) std::abort();
  if (!r && error.empty()) std::abort();
  return 0;
}
