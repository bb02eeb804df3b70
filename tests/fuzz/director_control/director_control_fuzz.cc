// ipvsadm rule text (what `restore` and tandemctl read) from arbitrary bytes:
// the parser never throws or crashes; what it accepts applies to a table
// without breaking its invariants; and the table's `save` text parses back
// and restores to the same table.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "director/control/control.h"
#include "director/control/ipvsadm.h"
#include "director/control/ops.h"

namespace {

using tandem::ipc::Json;
namespace dc = tandem::director::control;

// Names the broken invariant before aborting, so a crash report says which.
#define CHECK(cond)                                            \
  do {                                                         \
    if (!(cond)) {                                             \
      std::fprintf(stderr, "check failed: %s\n", #cond);      \
      std::abort();                                            \
    }                                                          \
  } while (0)

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // The same words as a command line.
  (void)dc::parse_ipvsadm(dc::split_words(text));

  tandem::director::DirectorConfig cfg;
  cfg.table.max_entries = 1024;
  tandem::director::InlineShards shards(2, cfg);
  tandem::FakeClock clock;
  dc::Control control(shards, [] { return nullptr; }, clock);
  const auto r = control.handle("restore", Json{{"text", std::string(text)}});
  CHECK(shards.shard(0).audit().empty());
  if (!r.ok) return 0;

  const auto before = control.handle("services", Json::object());
  const auto saved = control.handle("save", Json::object());
  CHECK(before.ok && saved.ok);
  const std::string save_text = saved.result.value("text", "");
  CHECK(std::holds_alternative<std::vector<dc::Request>>(dc::parse_restore(save_text)));
  CHECK(control.handle("clear", Json::object()).ok);
  CHECK(control.handle("restore", Json{{"text", save_text}}).ok);
  // Rule text never makes a port group (those are saved as comments), so
  // the round trip is exact; -S sorts servers by address as ipvsadm does,
  // so compare what it writes rather than the scheduling order.
  CHECK(control.handle("save", Json::object()).result == saved.result);
  CHECK(control.handle("services", Json::object()).result["services"].size() ==
        before.result["services"].size());
  return 0;
}
