// Arbitrary bytes as an on-disk spool record (a torn write, a disk error, an
// operator's editor): decode_job must never crash or throw, a record it
// accepts must survive encode/decode unchanged, and Spool::load over a store
// holding it must skip or load it without ever reusing an id already on disk.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "alerts/spool/spool.h"

namespace {

using tandem::alerts::Job;

class MemStore final : public tandem::alerts::RecordStore {
 public:
  bool put(const std::string& name, const std::string& data) override {
    files[name] = data;
    return true;
  }
  std::optional<std::string> get(const std::string& name) override {
    auto it = files.find(name);
    if (it == files.end()) return std::nullopt;
    return it->second;
  }
  bool erase(const std::string& name) override { return files.erase(name) == 1; }
  std::vector<std::string> names() override {
    std::vector<std::string> out;
    for (const auto& [n, d] : files) out.push_back(n);
    return out;
  }
  std::map<std::string, std::string> files;
};

bool same(const Job& a, const Job& b) {
  return a.id == b.id && a.route == b.route && a.sender == b.sender && a.type == b.type &&
         a.subject == b.subject && a.body == b.body && a.kind == b.kind &&
         a.severity == b.severity && a.service == b.service && a.server == b.server && a.summary == b.summary &&
         a.created == b.created && a.attempts == b.attempts && a.last_error == b.last_error;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  std::optional<Job> job = tandem::alerts::decode_job(bytes);
  if (job) {
    if (job->id == 0 || job->sender.empty()) __builtin_trap();
    std::optional<Job> again = tandem::alerts::decode_job(tandem::alerts::encode_job(*job));
    // The parser refuses invalid UTF-8, so whatever decoded re-encodes exactly.
    if (!again || !same(*again, *job)) __builtin_trap();
  }

  // The same bytes as a record under its own name and under a foreign one.
  MemStore store;
  store.files["job-00000000000000000007.json"] = bytes;
  if (job) store.files[tandem::alerts::job_record_name(job->id)] = bytes;
  const std::size_t before = store.files.size();
  tandem::alerts::Spool spool(store);
  std::vector<Job> loaded = spool.load();
  if (loaded.size() + spool.stats().garbage != before) __builtin_trap();
  // A new job never lands on a name that is already on disk.
  std::optional<std::uint64_t> id = spool.add(Job{0, "r", "s"});
  if (!id || store.files.size() != before + 1) __builtin_trap();
  for (const Job& j : loaded) {
    if (j.id == *id) __builtin_trap();
    if (job && j.id == job->id && !same(j, *job)) __builtin_trap();
  }
  return 0;
}
