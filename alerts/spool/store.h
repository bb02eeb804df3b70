#pragma once
// Where spool records live. The interface keeps the spool's logic testable
// with a plain temp directory and lets tests plant torn or garbage files.

#include <optional>
#include <string>
#include <vector>

namespace tandem::alerts {

class RecordStore {
 public:
  virtual ~RecordStore() = default;
  // Durable once it returns true: a crash afterwards keeps the whole record.
  virtual bool put(const std::string& name, const std::string& data) = 0;
  virtual std::optional<std::string> get(const std::string& name) = 0;
  // Durable once it returns true: the record does not come back after a crash.
  virtual bool erase(const std::string& name) = 0;
  virtual std::vector<std::string> names() = 0;
};

// One file per record in `dir`: write to a temp file, fsync, rename over the
// name, fsync the directory, so a reader sees the old record or the new one.
class DirStore final : public RecordStore {
 public:
  explicit DirStore(std::string dir) : dir_(std::move(dir)) {}
  ~DirStore() override;
  DirStore(const DirStore&) = delete;
  DirStore& operator=(const DirStore&) = delete;
  // Creates the directory (mode 0700) if missing and takes its lock file
  // (.lock, flock): false with errno kept, EWOULDBLOCK when another process
  // holds the spool.
  bool open();
  bool put(const std::string& name, const std::string& data) override;
  std::optional<std::string> get(const std::string& name) override;
  bool erase(const std::string& name) override;
  std::vector<std::string> names() override;
  const std::string& dir() const { return dir_; }

 private:
  bool sync_dir();
  bool lock();
  std::string dir_;
  int lock_fd_ = -1;
};

}  // namespace tandem::alerts
