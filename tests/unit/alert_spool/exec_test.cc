#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
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

TEST_F(ExecSendTest, MonCompatibleHookGetsMonsArgumentsAndEnvironment) {
  const std::string script = dir_ + "/mail.alert";
  {
    std::ofstream f(script);
    f << "#!/bin/sh\nprintf '%s\\n' \"$@\" > " << dir_ << "/argv\n"
      << "env | grep '^MON_' | sort > " << dir_ << "/env\n";
  }
  ASSERT_EQ(::chmod(script.c_str(), 0700), 0);
  config::ExecSender cfg;
  cfg.path = script;
  cfg.args = {"ops@example.org"};
  cfg.mon_compatible = true;
  Job j = job();
  j.type = "up";
  j.service = "web";
  j.server = "rs2";
  j.summary = "HTTP 200";
  j.created = 1795300846;
  SendResult r = send_exec(cfg, j);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(slurp(dir_ + "/argv"),
            "-s\nweb\n-g\nweb\n-h\nrs2\n-t\n1795300846\n-u\nops@example.org\n");
  EXPECT_EQ(slurp(dir_ + "/env"),
            "MON_ALERTTYPE=up\nMON_GROUP=web\nMON_LAST_SUMMARY=HTTP 200\nMON_OPSTATUS=1\n"
            "MON_SERVICE=web\n");
  // Without the flag only the configured arguments are passed.
  cfg.mon_compatible = false;
  j.type = "failure";
  ASSERT_TRUE(send_exec(cfg, j).ok);
  EXPECT_EQ(slurp(dir_ + "/argv"), "ops@example.org\n");
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
