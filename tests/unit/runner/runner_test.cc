// The runner end to end inside one process: a real control socket in a temp
// directory, the loop on a thread, requests through the tandemctl client.

#include "common/runner/runner.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <filesystem>
#include <future>
#include <thread>

#include "common/ipc/client.h"

namespace tandem::runner {
namespace {

using namespace std::chrono_literals;
using ipc::Json;

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tandem-runner-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.config = dir_ + "/t.yaml";
    options_.run_dir = dir_ + "/run/nested";
    options_.node = "lb1";
    options_.log_level = log::Level::kError;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Runner make() {
    return Runner("testd", options_, config::Config{}, [this](const std::string&) {
      ++loads_;
      return next_;
    });
  }

  // Runs r on a thread; returns once it is serving (true) or has exited (false).
  bool start(Runner& r) {
    auto serving = std::make_shared<std::promise<bool>>();
    auto result = serving->get_future();
    loop_ = std::thread([this, &r, serving] {
      code_ = r.run([serving] { serving->set_value(true); });
      if (code_ != 0) serving->set_value(false);
    });
    return result.get();
  }
  int finish(Runner& r) {
    boost::asio::post(r.io(), [&r] { r.stop(); });
    loop_.join();
    return code_;
  }

  ipc::Response call(const Runner& r, const std::string& cmd) {
    auto reply = ipc::call(r.socket_path(), cmd, Json::object(), 10s);
    EXPECT_TRUE(std::holds_alternative<ipc::Response>(reply)) << std::get<std::string>(reply);
    return std::holds_alternative<ipc::Response>(reply) ? std::get<ipc::Response>(reply)
                                                        : ipc::Response{};
  }

  std::string dir_;
  Options options_;
  std::thread loop_;
  int code_ = -1;
  config::LoadResult next_;
  int loads_ = 0;
};

TEST_F(RunnerTest, ReloadWithAnInvalidFileKeepsTheOldConfigAndReportsIt) {
  Runner r = make();
  int applied = 0;
  r.on_config([&](const config::Config&) { ++applied; });
  ASSERT_TRUE(start(r));
  EXPECT_EQ(applied, 1);

  next_ = {std::nullopt, {Diagnostic{{"t.yaml", 4, 2}, "vrrp", "bad"}}};
  auto refused = call(r, "reload");
  EXPECT_FALSE(refused.ok);
  EXPECT_NE(refused.error.find("still running generation 1"), std::string::npos);
  EXPECT_NE(refused.error.find("t.yaml:4:2: vrrp: bad"), std::string::npos) << refused.error;

  auto status = call(r, "status");
  ASSERT_TRUE(status.ok);
  EXPECT_EQ(status.result["config_generation"], 1);
  EXPECT_EQ(status.result["reload_failures"], 1);
  EXPECT_EQ(status.result["last_reload"]["ok"], false);
  EXPECT_EQ(status.result["last_reload"]["errors"][0]["line"], 4);
  EXPECT_EQ(applied, 1);

  next_ = {config::Config{}, {}};
  auto accepted = call(r, "reload");
  EXPECT_TRUE(accepted.ok) << accepted.error;
  EXPECT_EQ(accepted.result["generation"], 2);
  EXPECT_EQ(applied, 2);
  EXPECT_EQ(loads_, 2);

  EXPECT_EQ(finish(r), 0);
  struct stat st {};
  EXPECT_NE(stat(r.socket_path().c_str(), &st), 0) << "socket removed on stop";
  EXPECT_NE(stat((options_.run_dir + "/testd.pid").c_str(), &st), 0) << "pid file removed";
}

TEST_F(RunnerTest, StatusCarriesIdentityAndTheDaemonsDetail) {
  Runner r = make();
  r.on_status([] { return Json{{"services", 3}}; });
  r.add_command("custom", [](const Json&) { return ipc::Reply::success({{"x", 1}}); });
  int stops = 0;
  r.on_stop([&] { ++stops; });
  ASSERT_TRUE(start(r));
  struct stat st {};
  ASSERT_EQ(stat(r.socket_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  auto s = call(r, "status").result;
  EXPECT_EQ(s["daemon"], "testd");
  EXPECT_EQ(s["program"], "tandem-testd");
  EXPECT_EQ(s["pid"], static_cast<long>(getpid()));
  EXPECT_EQ(s["node"], "lb1");
  EXPECT_EQ(s["state"], "running");
  EXPECT_EQ(s["config_path"], options_.config);
  EXPECT_EQ(s["config_generation"], 1);
  EXPECT_EQ(s["detail"], Json({{"services", 3}}));
  EXPECT_EQ(call(r, "ping").result["pong"], true);
  EXPECT_EQ(call(r, "custom").result["x"], 1);
  EXPECT_EQ(stops, 0);
  EXPECT_EQ(finish(r), 0);
  EXPECT_EQ(stops, 1);
}

TEST_F(RunnerTest, SecondInstanceOnTheSameRunDirRefusesToStart) {
  Runner first = make();
  ASSERT_TRUE(start(first));
  Runner second = make();
  EXPECT_EQ(second.run(), 1);
  // The first one is untouched and still answers.
  EXPECT_TRUE(call(first, "ping").ok);
  EXPECT_EQ(finish(first), 0);
}

TEST_F(RunnerTest, DaemonRefusingItsInitialConfigExits2) {
  Runner r = make();
  r.on_config([](const config::Config&) { throw std::runtime_error("no such interface"); });
  EXPECT_EQ(r.run(), 2);
}

TEST_F(RunnerTest, RunDirDefaultsToTheConfigs) {
  options_.run_dir.clear();
  config::Config cfg;
  cfg.global.run_dir = dir_ + "/from-config";
  Runner r("testd", options_, cfg);
  EXPECT_EQ(r.socket_path(), dir_ + "/from-config/testd.sock");
}

}  // namespace
}  // namespace tandem::runner
