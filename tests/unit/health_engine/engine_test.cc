#include "healthd/engine/engine.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/config/config.h"

namespace tandem::health {
namespace {

// Exec checks of /bin/true and /bin/false: real monitors, no network.
std::string config_text(const std::string& b_program) {
  return R"(
monitors:
  yes:
    type: exec
    path: /bin/true
    interval: 1s
    timeout: 1s
    start_jitter: 0s
  no:
    type: exec
    path: )" +
         b_program + R"(
    interval: 1s
    timeout: 1s
    start_jitter: 0s
services:
  - name: svc
    protocol: tcp
    address: 198.18.0.100
    port: 80
    real_servers:
      - { name: a, address: 198.18.1.11, monitors: [yes] }
      - { name: b, address: 198.18.1.12, monitors: [no] }
)";
}

config::Config load(const std::string& yaml) {
  auto r = config::load_string(yaml, "test.yaml");
  EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors.front().message);
  return r.config.value_or(config::Config{});
}

struct Published {
  std::string topic;
  ipc::Json data;
};

class EngineTest : public ::testing::Test {
 protected:
  EngineTest()
      : engine_(
            io_,
            [this](std::string_view t, const ipc::Json& d) {
              events_.push_back({std::string(t), d});
            },
            42) {}

  // Runs the loop until `done`; the bound counts handlers, not time.
  bool run_until(const std::function<bool()>& done) {
    for (int i = 0; i < 10000 && !done(); ++i) {
      if (io_.run_one() == 0) io_.restart();
    }
    return done();
  }

  ipc::Json server(const std::string& id) {
    // Held in a local: a range-for over a temporary's member would dangle.
    const ipc::Json health = engine_.health();
    for (const auto& s : health["services"][0]["servers"])
      if (s["server"] == id) return s;
    return {};
  }

  std::size_t count(const std::string& topic, const std::string& srv) const {
    std::size_t n = 0;
    for (const auto& e : events_)
      if (e.topic == topic && e.data.value("server", "") == srv) ++n;
    return n;
  }

  boost::asio::io_context io_;
  std::vector<Published> events_;
  Engine engine_;
};

TEST_F(EngineTest, ResultsDriveStateEventsAndTheOutbox) {
  engine_.apply(load(config_text("/bin/false")));
  ASSERT_TRUE(
      run_until([&] { return server("a")["state"] == "up" && server("b")["last"].is_object(); }));
  EXPECT_EQ(server("b")["state"], "down");
  EXPECT_EQ(server("b")["last"]["ok"], false);
  EXPECT_GE(server("b")["consecutive_failures"], 1);
  EXPECT_EQ(count("health.server_up", "a"), 1u);
  EXPECT_EQ(count("health.server_up", "b"), 0u);

  bool added_a = false;
  const ipc::Json status = engine_.status();
  for (const auto& a : status["director_outbox"])
    if (a["server"] == "a" && a["op"] == "restore") added_a = true;
  EXPECT_TRUE(added_a);
}

TEST_F(EngineTest, MaintenanceForcesDownAndBack) {
  engine_.apply(load(config_text("/bin/false")));
  ASSERT_TRUE(run_until([&] { return server("a")["state"] == "up"; }));
  ASSERT_TRUE(engine_.set_maintenance("svc", "a", true));
  EXPECT_EQ(server("a")["state"], "maintenance");
  EXPECT_EQ(count("health.server_down", "a"), 1u);
  ASSERT_TRUE(engine_.set_maintenance("svc", "a", false));
  EXPECT_EQ(server("a")["state"], "up");
  EXPECT_EQ(count("health.server_up", "a"), 2u);
  EXPECT_FALSE(engine_.set_maintenance("svc", "nosuch", true));
  EXPECT_FALSE(engine_.set_maintenance("nosuch", "a", true));
}

TEST_F(EngineTest, ReloadKeepsUnchangedChecksAndRestartsChangedOnes) {
  engine_.apply(load(config_text("/bin/false")));
  ASSERT_TRUE(
      run_until([&] { return server("a")["state"] == "up" && server("b")["last"].is_object(); }));
  const auto ups = count("health.server_up", "a");
  // b's check changes to a passing one; a's is untouched.
  engine_.apply(load(config_text("/bin/true")));
  EXPECT_EQ(server("a")["state"], "up");       // kept its state, no re-learning
  EXPECT_TRUE(server("b")["last"].is_null());  // restarted: history starts over
  const int a_runs = server("a")["consecutive_successes"].get<int>();
  ASSERT_TRUE(run_until([&] { return server("b")["state"] == "up"; }));
  // The kept check's results still reach its server after the reload.
  ASSERT_TRUE(run_until([&] { return server("a")["consecutive_successes"] > a_runs; }));
  EXPECT_EQ(count("health.server_up", "a"), ups);
  EXPECT_EQ(count("health.server_up", "b"), 1u);
}

TEST_F(EngineTest, RestartResumesFromTheDirectorTableWithoutFlapping) {
  // a needs three successes to rise, b fails: left alone, a would start
  // pending and b would be pulled. The director has a in and b quiesced.
  std::string text = config_text("/bin/false");
  text.replace(text.find("path: /bin/true"), 15, "path: /bin/true\n    rise: 3");
  text.replace(text.find("    port: 80\n"), 13, "    port: 80\n    on_failure: quiesce\n");
  engine_.resume_from(ipc::Json::parse(R"({"services":[
    {"protocol":"tcp","address":"198.18.0.100","port":80,"scheduler":"wlc","servers":[
      {"address":"198.18.1.11","port":80,"weight":1,"config_weight":1},
      {"address":"198.18.1.12","port":80,"weight":0},
      {"address":"198.18.1.99","port":80,"weight":1},
      {"address":"bogus","port":80,"weight":1}, 7]},
    {"protocol":"udp","address":"198.18.0.100","port":80,"servers":[]},
    "junk"]})"));
  engine_.apply(load(text));
  EXPECT_EQ(server("a")["state"], "up");  // before any check ran
  EXPECT_EQ(server("b")["state"], "down");
  EXPECT_EQ(engine_.status()["resumed_services"], 1);
  ASSERT_TRUE(run_until([&] {
    return server("a")["consecutive_successes"] >= 3 && server("b")["last"].is_object();
  }));
  EXPECT_EQ(server("a")["state"], "up");
  EXPECT_EQ(server("b")["state"], "down");
  // Nothing to say: the director already has exactly this table (the
  // server it has that the config does not name is left to its reload).
  for (const auto& e : events_) ADD_FAILURE() << e.topic << " " << e.data.dump();
}

TEST_F(EngineTest, ResumingSendsOnlyRealDifferences) {
  // on_failure is remove: the director's quiesced b must go.
  engine_.resume_from(ipc::Json::parse(R"({"services":[
    {"protocol":"tcp","address":"198.18.0.100","port":80,"servers":[
      {"address":"198.18.1.11","port":80,"weight":1},
      {"address":"198.18.1.12","port":80,"weight":0}]}]})"));
  engine_.apply(load(config_text("/bin/false")));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].topic, "health.actions");
  EXPECT_EQ(events_[0].data["actions"],
            ipc::Json::parse(R"([{"op":"remove","server":"b","service":"svc","weight":0}])"));
}

TEST_F(EngineTest, WithoutADirectorTheServersLearnAsBefore) {
  engine_.resume_from(ipc::Json::parse(R"({"error":"unknown command"})"));
  engine_.apply(load(config_text("/bin/false")));
  EXPECT_EQ(server("a")["state"], "pending");
  EXPECT_EQ(engine_.status()["resumed_services"], 0);
  ASSERT_TRUE(run_until([&] { return server("a")["state"] == "up"; }));
  EXPECT_EQ(count("health.server_up", "a"), 1u);
}

TEST_F(EngineTest, EveryMonitorOfAServerJudgesIt) {
  std::string text = config_text("/bin/false");
  text.replace(text.find("monitors: [no] }"), 16, "monitors: [yes, no] }");
  engine_.apply(load(text));
  ASSERT_TRUE(run_until([&] {
    const auto b = server("b");
    return b["monitors"].size() == 2 && b["monitors"][0]["last"].is_object() &&
           b["monitors"][1]["last"].is_object();
  }));
  const auto b = server("b");
  EXPECT_EQ(b["state"], "down");  // yes passes, no fails
  EXPECT_EQ(b["monitors"][0]["monitor"], "yes");
  EXPECT_EQ(b["monitors"][0]["up"], true);
  EXPECT_EQ(b["monitors"][1]["up"], false);
  EXPECT_EQ(b["monitors"][1]["type"], "exec");
  EXPECT_EQ(b["last"]["monitor"], "no");  // the result that explains the state
  EXPECT_EQ(b["last"]["summary"], "exit 1");
  EXPECT_EQ(count("health.server_up", "b"), 0u);
  // Now make no pass: the server comes up once both agree.
  text.replace(text.find("path: /bin/false"), 16, "path: /bin/true");
  engine_.apply(load(text));
  ASSERT_TRUE(run_until([&] { return server("b")["state"] == "up"; }));
  EXPECT_EQ(count("health.server_up", "b"), 1u);
  EXPECT_EQ(server("b")["monitors"][0]["consecutive_successes"] >= 1, true);
}

}  // namespace
}  // namespace tandem::health
