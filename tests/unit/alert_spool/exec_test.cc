#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "alerts/senders/exec_send.h"

namespace tandem::alerts {
namespace {

using namespace std::chrono_literals;

Job job() {
  Job j;
  j.id = 3;
  j.route = "ops";
  j.sender = "script";
  j.subject = "DOWN web/www1";
  j.body = "line one\nline two\n";
  return j;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class ExecSendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/alert-exec-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(ExecSendTest, BodyGoesToStdinWithoutAShell) {
  config::ExecSender cfg;
  cfg.path = "/usr/bin/tee";
  // A shell would expand this; exec passes it through as one file name.
  cfg.args = {dir_ + "/out $HOME;x"};
  cfg.timeout = 30s;
  SendResult r = send_exec(cfg, job());
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(slurp(dir_ + "/out $HOME;x"), "line one\nline two\n");
}

TEST_F(ExecSendTest, NonZeroExitIsAFailure) {
  config::ExecSender cfg;
  cfg.path = "/bin/false";
  SendResult r = send_exec(cfg, job());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("exited 1"), std::string::npos) << r.error;
}

TEST_F(ExecSendTest, MissingProgramIsAFailure) {
  config::ExecSender cfg;
  cfg.path = dir_ + "/nope";
  SendResult r = send_exec(cfg, job());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("cannot run"), std::string::npos) << r.error;
}

TEST_F(ExecSendTest, TimeoutKillsTheProgram) {
  config::ExecSender cfg;
  cfg.path = "/bin/sleep";
  cfg.args = {"1000"};
  cfg.timeout = 200ms;
  SendResult r = send_exec(cfg, job());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
}

TEST_F(ExecSendTest, CancelKillsTheProgram) {
  config::ExecSender cfg;
  cfg.path = "/bin/sleep";
  cfg.args = {"1000"};
  cfg.timeout = 3600s;  // only the cancel flag can end this test
  std::atomic<bool> cancel{true};
  SendResult r = send_exec(cfg, job(), &cancel);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("killed"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace tandem::alerts
