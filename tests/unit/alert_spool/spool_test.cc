#include "alerts/spool/spool.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace tandem::alerts {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/alert-spool-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Job sample(const std::string& sender) {
  Job j;
  j.route = "ops";
  j.sender = sender;
  j.type = "failure";
  j.subject = "DOWN web/www1";
  j.body = "line 1\nline 2\n";
  j.kind = "server_down";
  j.severity = "critical";
  j.service = "web";
  j.server = "www1";
  j.created = 1795000000;
  return j;
}

void write_raw(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f << bytes;
}

TEST(AlertSpool, RecordRoundTrips) {
  Job j = sample("mail");
  j.id = 7;
  j.attempts = 3;
  j.last_error = "connect refused";
  std::optional<Job> back = decode_job(encode_job(j));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->id, 7u);
  EXPECT_EQ(back->attempts, 3u);
  EXPECT_EQ(back->subject, j.subject);
  EXPECT_EQ(back->body, j.body);
  EXPECT_EQ(back->last_error, j.last_error);
  EXPECT_EQ(back->created, j.created);
}

TEST(AlertSpool, RecordsWrittenBeforeSummaryExistedStillLoad) {
  const std::string old =
      R"({"v":1,"id":4,"route":"ops","sender":"mail","type":"failure","subject":"s","body":"b",)"
      R"("kind":"server_down","severity":"warning","service":"web","server":"rs2",)"
      R"("created":1,"attempts":0,"last_error":""})";
  std::optional<Job> j = decode_job(old);
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ(j->summary, "");
  EXPECT_FALSE(decode_job(old.substr(0, old.size() - 1) + R"(,"summary":7})").has_value());
}

TEST(AlertSpool, RecordNameIsZeroPaddedForOrder) {
  EXPECT_EQ(job_record_name(42), "job-00000000000000000042.json");
}

TEST(AlertSpool, DecodeRejectsGarbageWithoutThrowing) {
  std::string good = encode_job([] {
    Job j = sample("mail");
    j.id = 1;
    return j;
  }());
  EXPECT_FALSE(decode_job("").has_value());
  EXPECT_FALSE(decode_job("\x00\xff garbage").has_value());
  EXPECT_FALSE(decode_job("[1,2]").has_value());
  // Every truncation of a valid record is a torn write and must be refused.
  for (std::size_t n = 0; n + 2 < good.size(); ++n) {
    EXPECT_FALSE(decode_job(good.substr(0, n)).has_value()) << n;
  }
  EXPECT_FALSE(decode_job(R"({"v":2,"id":1})").has_value());
  EXPECT_FALSE(decode_job(R"({"v":1,"id":0,"created":0,"attempts":0})").has_value());
}

TEST(AlertSpool, AddedJobsSurviveReopenAndCompletedOnesDoNot) {
  TempDir tmp;
  {
    DirStore store(tmp.path() + "/spool");
    ASSERT_TRUE(store.open());
    Spool spool(store);
    EXPECT_TRUE(spool.load().empty());
    auto a = spool.add(sample("mail"));
    auto b = spool.add(sample("page"));
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, 1u);
    EXPECT_EQ(*b, 2u);
    EXPECT_TRUE(spool.complete(*a));
  }
  DirStore store(tmp.path() + "/spool");
  ASSERT_TRUE(store.open());
  Spool spool(store);
  std::vector<Job> jobs = spool.load();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, 2u);
  EXPECT_EQ(jobs[0].sender, "page");
  // Ids continue after the highest seen, so a new job never reuses one.
  auto c = spool.add(sample("mail"));
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, 3u);
}

TEST(AlertSpool, OneStorePerDirectoryAtATime) {
  TempDir tmp;
  auto first = std::make_unique<DirStore>(tmp.path() + "/spool");
  ASSERT_TRUE(first->open());
  {
    // A second alertd on the same spool would reuse job ids: refused.
    DirStore second(tmp.path() + "/spool");
    errno = 0;
    EXPECT_FALSE(second.open());
    EXPECT_EQ(errno, EWOULDBLOCK);
  }
  // The lock file is no record.
  Spool spool(*first);
  EXPECT_TRUE(spool.load().empty());
  EXPECT_EQ(spool.stats().garbage, 0u);
  first.reset();
  DirStore third(tmp.path() + "/spool");
  EXPECT_TRUE(third.open());  // released with its holder
}

TEST(AlertSpool, UpdateKeepsAttemptsAcrossReopen) {
  TempDir tmp;
  DirStore store(tmp.path());
  ASSERT_TRUE(store.open());
  Spool spool(store);
  auto id = spool.add(sample("mail"));
  ASSERT_TRUE(id);
  Job j = sample("mail");
  j.id = *id;
  j.attempts = 4;
  j.last_error = "timeout";
  ASSERT_TRUE(spool.update(j));
  Spool again(store);
  std::vector<Job> jobs = again.load();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].attempts, 4u);
  EXPECT_EQ(jobs[0].last_error, "timeout");
}

TEST(AlertSpool, TornAndGarbageFilesAreSkippedAndCounted) {
  TempDir tmp;
  DirStore store(tmp.path());
  ASSERT_TRUE(store.open());
  {
    Spool spool(store);
    ASSERT_TRUE(spool.add(sample("mail")));
  }
  std::string good = *store.get(job_record_name(1));
  write_raw(tmp.path() + "/" + job_record_name(5), good.substr(0, good.size() / 2));
  write_raw(tmp.path() + "/" + job_record_name(6), std::string("\x01\x02\xff\xfe", 4));
  // A valid record under the wrong name (a copy) must not be sent twice.
  write_raw(tmp.path() + "/" + job_record_name(7), good);
  // A crash between write and rename leaves a temp file: not a record.
  write_raw(tmp.path() + "/.tmp-" + job_record_name(8), good);
  write_raw(tmp.path() + "/README", "operator notes");

  Spool spool(store);
  std::vector<Job> jobs = spool.load();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, 1u);
  EXPECT_EQ(spool.stats().garbage, 3u);
  EXPECT_EQ(spool.stats().loaded, 1u);
  // New ids skip past garbage so it is never overwritten.
  auto id = spool.add(sample("page"));
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, 8u);
  EXPECT_TRUE(store.get(job_record_name(6)).has_value());
}

TEST(AlertSpool, WriteFailureIsReportedNotAcknowledged) {
  TempDir tmp;
  DirStore store(tmp.path() + "/missing/deeper");
  Spool spool(store);
  EXPECT_FALSE(spool.add(sample("mail")).has_value());
  EXPECT_EQ(spool.stats().write_failures, 1u);
  EXPECT_EQ(spool.next_id(), 1u);
}

}  // namespace
}  // namespace tandem::alerts
