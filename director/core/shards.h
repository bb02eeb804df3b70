#pragma once
// The seam between the control path and the packet workers. Each worker owns
// one Director (a shard) and is the only thread that touches it, so the
// control path never locks a shard: it hands a function to every worker,
// which runs it between batches, and learns on its own thread when all have.
// Control operations must be applied to every shard in the same order, so
// that every shard holds the same services and real servers; look entries up
// by identity (find_service / find_server), never by a remembered id.

#include <cstddef>
#include <functional>
#include <vector>

#include "director/core/director.h"

namespace tandem::director {

class Shards {
 public:
  using Fn = std::function<void(Director& shard, std::size_t index)>;
  using Done = std::function<void()>;

  virtual ~Shards() = default;
  virtual std::size_t size() const = 0;
  // Runs fn once on every shard, on the shard's own thread; then runs done
  // on the control thread. fn must not throw and must not block.
  virtual void apply(Fn fn, Done done) = 0;
};

// Every shard in this thread, applied at once: for tests, tools and a
// director with no packet workers.
class InlineShards final : public Shards {
 public:
  explicit InlineShards(std::size_t count, const DirectorConfig& cfg = {}) {
    for (std::size_t i = 0; i < count; ++i) shards_.push_back(std::make_unique<Director>(cfg));
  }
  std::size_t size() const override { return shards_.size(); }
  void apply(Fn fn, Done done) override {
    for (std::size_t i = 0; i < shards_.size(); ++i) fn(*shards_[i], i);
    if (done) done();
  }
  Director& shard(std::size_t i) { return *shards_[i]; }

 private:
  std::vector<std::unique_ptr<Director>> shards_;
};

}  // namespace tandem::director
