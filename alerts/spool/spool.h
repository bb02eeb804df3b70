#pragma once
// The durable delivery queue. A job is on disk before the event that made it
// is acknowledged, and leaves the disk only once its sender succeeded, so a
// restart retries what was pending and never resends what was delivered
// (except the unavoidable window between a successful send and the erase).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "alerts/spool/store.h"

namespace tandem::alerts {

struct Job {
  std::uint64_t id = 0;
  std::string route;
  std::string sender;
  std::string type;  // failure, up, notice, test
  std::string subject;
  std::string body;
  // Event fields kept for senders that send structure (the page JSON).
  std::string kind;
  std::string severity;
  std::string service;
  std::string server;
  std::string summary;       // the event's summary, sanitised (hooks' MON_LAST_SUMMARY)
  std::int64_t created = 0;  // Unix seconds
  std::uint32_t attempts = 0;
  std::string last_error;
};

std::string encode_job(const Job& j);
// Never throws: anything that is not a complete record is nullopt.
std::optional<Job> decode_job(const std::string& bytes);
std::string job_record_name(std::uint64_t id);

struct SpoolStats {
  std::uint64_t loaded = 0;
  std::uint64_t garbage = 0;  // unreadable or torn records skipped at load
  std::uint64_t written = 0;
  std::uint64_t write_failures = 0;
  std::uint64_t completed = 0;
};

class Spool {
 public:
  explicit Spool(RecordStore& store) : store_(store) {}

  // Reads every pending job back; garbage is counted and left in place for
  // an operator to inspect (it is never retried or deleted).
  std::vector<Job> load();
  // Assigns the next id and writes the job durably; nullopt if that failed.
  std::optional<std::uint64_t> add(Job job);
  // Rewrites a job (attempt count, last error) durably.
  bool update(const Job& job);
  // The job was delivered: it must never be sent again.
  bool complete(std::uint64_t id);

  const SpoolStats& stats() const { return stats_; }
  std::uint64_t next_id() const { return next_id_; }

 private:
  RecordStore& store_;
  std::uint64_t next_id_ = 1;
  SpoolStats stats_;
};

}  // namespace tandem::alerts
