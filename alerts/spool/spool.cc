#include "alerts/spool/spool.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace tandem::alerts {

namespace {

constexpr const char* kPrefix = "job-";
constexpr const char* kSuffix = ".json";
constexpr int kVersion = 1;

bool get_string(const nlohmann::json& j, const char* key, std::string& out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

}  // namespace

std::string job_record_name(std::uint64_t id) {
  char buf[40];
  // Zero-padded so a directory listing sorts in arrival order.
  std::snprintf(buf, sizeof buf, "%s%020llu%s", kPrefix, static_cast<unsigned long long>(id),
                kSuffix);
  return buf;
}

std::string encode_job(const Job& j) {
  nlohmann::json o = {{"v", kVersion},
                      {"id", j.id},
                      {"route", j.route},
                      {"sender", j.sender},
                      {"type", j.type},
                      {"subject", j.subject},
                      {"body", j.body},
                      {"kind", j.kind},
                      {"severity", j.severity},
                      {"service", j.service},
                      {"server", j.server},
                      {"summary", j.summary},
                      {"created", j.created},
                      {"attempts", j.attempts},
                      {"last_error", j.last_error}};
  // Invalid UTF-8 cannot reach here (format_alert sanitises), but replace
  // rather than throw if it ever does.
  return o.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::optional<Job> decode_job(const std::string& bytes) {
  nlohmann::json o = nlohmann::json::parse(bytes, nullptr, false);
  if (o.is_discarded() || !o.is_object()) return std::nullopt;
  auto v = o.find("v");
  if (v == o.end() || !v->is_number_integer() || v->get<int>() != kVersion) return std::nullopt;
  Job j;
  auto id = o.find("id");
  auto created = o.find("created");
  auto attempts = o.find("attempts");
  if (id == o.end() || !id->is_number_unsigned() || id->get<std::uint64_t>() == 0) {
    return std::nullopt;
  }
  if (created == o.end() || !created->is_number_integer()) return std::nullopt;
  if (attempts == o.end() || !attempts->is_number_unsigned()) return std::nullopt;
  j.id = id->get<std::uint64_t>();
  j.created = created->get<std::int64_t>();
  std::uint64_t a = attempts->get<std::uint64_t>();
  j.attempts = static_cast<std::uint32_t>(std::min<std::uint64_t>(a, UINT32_MAX));
  if (!get_string(o, "route", j.route) || !get_string(o, "sender", j.sender) ||
      !get_string(o, "type", j.type) || !get_string(o, "subject", j.subject) ||
      !get_string(o, "body", j.body) || !get_string(o, "kind", j.kind) ||
      !get_string(o, "severity", j.severity) || !get_string(o, "service", j.service) ||
      !get_string(o, "server", j.server) || !get_string(o, "last_error", j.last_error)) {
    return std::nullopt;
  }
  // Added after version 1 was first written: optional, so older records load.
  if (o.contains("summary") && !get_string(o, "summary", j.summary)) return std::nullopt;
  if (j.sender.empty()) return std::nullopt;
  return j;
}

std::vector<Job> Spool::load() {
  std::vector<std::string> names = store_.names();
  std::sort(names.begin(), names.end());
  std::vector<Job> out;
  for (const std::string& n : names) {
    if (n.rfind(kPrefix, 0) != 0 || n.size() < 5 || n.compare(n.size() - 5, 5, kSuffix) != 0) {
      continue;  // not ours (operator notes, other tools)
    }
    // Even a garbage record holds its id, so a new job never overwrites it.
    std::uint64_t named = std::strtoull(n.c_str() + 4, nullptr, 10);
    if (named != UINT64_MAX) next_id_ = std::max(next_id_, named + 1);
    std::optional<std::string> bytes = store_.get(n);
    std::optional<Job> job = bytes ? decode_job(*bytes) : std::nullopt;
    // The name must agree with the content, or a copied file would be sent twice.
    if (!job || job_record_name(job->id) != n) {
      ++stats_.garbage;
      continue;
    }
    next_id_ = std::max(next_id_, job->id + 1);
    ++stats_.loaded;
    out.push_back(std::move(*job));
  }
  return out;
}

std::optional<std::uint64_t> Spool::add(Job job) {
  job.id = next_id_;
  if (!store_.put(job_record_name(job.id), encode_job(job))) {
    ++stats_.write_failures;
    return std::nullopt;
  }
  ++next_id_;
  ++stats_.written;
  return job.id;
}

bool Spool::update(const Job& job) {
  if (!store_.put(job_record_name(job.id), encode_job(job))) {
    ++stats_.write_failures;
    return false;
  }
  ++stats_.written;
  return true;
}

bool Spool::complete(std::uint64_t id) {
  if (!store_.erase(job_record_name(id))) {
    ++stats_.write_failures;
    return false;
  }
  ++stats_.completed;
  return true;
}

}  // namespace tandem::alerts
