#pragma once
// A bare server list for driving schedulers directly.

#include <memory>
#include <string>
#include <vector>

#include "director/core/scheduler.h"

namespace tandem::director::testing {

class ServerSet {
 public:
  RealServer* add(std::uint32_t weight, std::uint32_t last_octet = 0) {
    auto s = std::make_unique<RealServer>();
    const auto n = static_cast<std::uint32_t>(owned_.size());
    s->id = n;
    s->config.weight = weight;
    s->last_weight = weight;
    s->config.address = net::Ipv4{0xC6120100u + (last_octet != 0 ? last_octet : n + 1)};
    s->config.port = 80;
    owned_.push_back(std::move(s));
    list.push_back(owned_.back().get());
    return owned_.back().get();
  }
  void remove(RealServer* s) { std::erase(list, s); }
  std::string name(const RealServer* s) const {
    if (s == nullptr) return "-";
    return std::string(1, static_cast<char>('A' + s->id));
  }
  // n picks with the same input, as a string of names.
  std::string picks(Scheduler& sched, int n, const SchedInput& in = {}) {
    std::string out;
    for (int i = 0; i < n; ++i) out += name(sched.pick(list, in));
    return out;
  }

  std::vector<RealServer*> list;

 private:
  std::vector<std::unique_ptr<RealServer>> owned_;
};

}  // namespace tandem::director::testing
