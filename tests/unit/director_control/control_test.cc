#include "director/control/control.h"

#include <gtest/gtest.h>

#include "director/control/listing.h"

namespace tandem::director::control {
namespace {

using ipc::Json;
using namespace std::chrono_literals;

DirectorConfig small() {
  DirectorConfig c;
  c.table.max_entries = 1024;
  return c;
}

class ControlTest : public ::testing::Test {
 protected:
  InlineShards shards{2, small()};
  FakeClock clock{TimePoint{} + 1000s};
  config::Config cfg;
  Control control{shards, [this] { return &cfg; }, clock};

  Json ok(const std::string& cmd, const std::string& args = "{}") {
    ipc::Reply r = control.handle(cmd, Json::parse(args));
    EXPECT_TRUE(r.ok) << cmd << " " << args << ": " << r.error;
    return r.result;
  }
  std::string fails(const std::string& cmd, const std::string& args = "{}") {
    ipc::Reply r = control.handle(cmd, Json::parse(args));
    EXPECT_FALSE(r.ok) << cmd << " " << args;
    return r.error;
  }
  void web() {
    ok("service.add", R"({"service":{"protocol":"tcp","address":"198.18.0.100","port":80},
                          "scheduler":"rr"})");
    ok("server.add", R"({"service":{"protocol":"tcp","address":"198.18.0.100","port":80},
                         "server":{"address":"198.18.1.11","weight":2}})");
    ok("server.add", R"({"service":{"protocol":"tcp","address":"198.18.0.100","port":80},
                         "server":{"address":"198.18.1.12","port":8080,"method":"nat",
                                   "upper_threshold":10}})");
  }
  // A new TCP connection from a client to the web service on shard i.
  void syn(std::size_t i, std::uint16_t sport) {
    PacketMeta m;
    m.protocol = Protocol::tcp;
    m.src = *net::Ipv4::parse("198.18.0.10");
    m.sport = sport;
    m.dst = *net::Ipv4::parse("198.18.0.100");
    m.dport = 80;
    m.tcp_flags = tcp_flag::syn;
    m.length = 60;
    ASSERT_EQ(shards.shard(i).on_packet(m, clock.now()).verdict, Verdict::forward);
  }
};

TEST_F(ControlTest, ServicesAnswerIsExact) {
  web();
  const Json got = ok("services");
  const Json zero_stats = Json::parse(
      R"({"conns":0,"inpkts":0,"outpkts":0,"inbytes":0,"outbytes":0})");
  const Json zero_rates = Json::parse(R"({"cps":0,"inpps":0,"outpps":0,"inbps":0,"outbps":0})");
  Json want = Json::parse(R"({
    "table":{"size":2048,"connections":0,"templates":0},
    "services":[{"protocol":"tcp","address":"198.18.0.100","port":80,"scheduler":"rr","flags":[],
      "persistent":null,"one_packet":false,"method":"dr","servers":[
        {"address":"198.18.1.11","port":80,"method":"dr","weight":2,"config_weight":null,
         "upper_threshold":0,"lower_threshold":0,"active":0,"inactive":0,"persistent":0},
        {"address":"198.18.1.12","port":8080,"method":"nat","weight":1,"config_weight":null,
         "upper_threshold":10,"lower_threshold":0,"active":0,"inactive":0,"persistent":0}]}]})");
  want["services"][0]["stats"] = zero_stats;
  want["services"][0]["rates"] = zero_rates;
  for (auto& s : want["services"][0]["servers"]) {
    s["stats"] = zero_stats;
    s["rates"] = zero_rates;
  }
  EXPECT_EQ(got, want) << got.dump(1);
}

TEST_F(ControlTest, IpvsadmErrorMessages) {
  web();
  const std::string svc = R"("service":{"protocol":"tcp","address":"198.18.0.100","port":80})";
  const std::string other = R"("service":{"protocol":"tcp","address":"198.18.0.100","port":81})";
  EXPECT_EQ(fails("service.add", "{" + svc + "}"), "Service already exists");
  EXPECT_EQ(fails("service.edit", "{" + other + ",\"scheduler\":\"wlc\"}"), "No such service");
  EXPECT_EQ(fails("service.delete", "{" + other + "}"), "No such service");
  EXPECT_EQ(fails("server.add", "{" + other + R"(,"server":{"address":"198.18.1.11"}})"),
            "Service not defined");
  EXPECT_EQ(fails("server.add", "{" + svc + R"(,"server":{"address":"198.18.1.11"}})"),
            "Destination already exists");
  EXPECT_EQ(fails("server.edit", "{" + svc + R"(,"server":{"address":"198.18.1.13","weight":3}})"),
            "No such destination");
  EXPECT_EQ(fails("server.delete", "{" + svc + R"(,"server":{"address":"198.18.1.13"}})"),
            "No such destination");
  EXPECT_EQ(fails("service.add", R"({"service":{"protocol":"tcp","address":"198.18.0.100","port":0}})"),
            "Zero port specified for non-persistent service");
  EXPECT_EQ(fails("service.add", R"({"service":{"protocol":"sctp","address":"198.18.0.100","port":1}})"),
            "service protocol must be tcp or udp");
  EXPECT_EQ(fails("server.add", "{" + svc + R"(,"server":{"address":"198.18.1.14","weight":70000}})"),
            "illegal weight specified");
  EXPECT_EQ(fails("service.edit", "{" + svc + R"(,"scheduler":"best"})"),
            "Scheduler or persistence engine not found");
  EXPECT_EQ(fails("frobnicate", "{}"), "unknown operation: frobnicate");
  EXPECT_EQ(fails("service.add", "[]"), "arguments must be an object");
  // Nothing above changed the table.
  EXPECT_EQ(ok("services")["services"][0]["servers"].size(), 2u);
}

TEST_F(ControlTest, EditsChangeOnlyTheFieldsGiven) {
  web();
  const std::string svc = R"("service":{"protocol":"tcp","address":"198.18.0.100","port":80})";
  ok("server.edit", "{" + svc + R"(,"server":{"address":"198.18.1.12","port":8080,"weight":5}})");
  ok("service.edit", "{" + svc + R"(,"persistent":{"timeout":60,"netmask":"255.255.255.0"}})");
  const Json s = ok("services")["services"][0];
  EXPECT_EQ(s["scheduler"], "rr");
  EXPECT_EQ(s["persistent"], Json::parse(R"({"timeout":60,"netmask":"255.255.255.0"})"));
  const Json& rs = s["servers"][1];
  EXPECT_EQ(rs["weight"], 5);
  EXPECT_EQ(rs["method"], "nat");
  EXPECT_EQ(rs["upper_threshold"], 10);
  // A server's port or method change is refused, not half-applied.
  EXPECT_EQ(fails("server.edit", "{" + svc + R"(,"server":{"address":"198.18.1.12","port":8080,"method":"dr"}})"),
            "this change needs the real server deleted and added again (port or method)");
  // Without a port, a server whose address is unique in the service is found.
  ok("server.edit", "{" + svc + R"(,"server":{"address":"198.18.1.12","weight":6}})");
  EXPECT_EQ(ok("services")["services"][0]["servers"][1]["weight"], 6);
  ok("service.edit", "{" + svc + R"(,"persistent":null})");
  EXPECT_TRUE(ok("services")["services"][0]["persistent"].is_null());
  // Every shard got the same edits.
  for (std::size_t i = 0; i < shards.size(); ++i) {
    Director& d = shards.shard(i);
    const ServiceId id = d.services().front();
    EXPECT_EQ(d.server(d.find_server(id, *net::Ipv4::parse("198.18.1.12"), 8080))->weight(), 6u);
  }
}

TEST_F(ControlTest, ServicesSumTheShardsAndConnectionsListThem) {
  web();
  syn(0, 40000);
  syn(1, 40001);
  syn(1, 40002);
  const Json s = ok("services")["services"][0];
  EXPECT_EQ(s["stats"]["conns"], 3);
  EXPECT_EQ(s["stats"]["inpkts"], 3);
  EXPECT_EQ(s["stats"]["inbytes"], 180);
  std::int64_t active = 0;
  for (const auto& rs : s["servers"]) active += rs["active"].get<std::int64_t>();
  EXPECT_EQ(active, 3);  // SYN -> SYN_RECV counts as active
  EXPECT_EQ(ok("services")["table"]["connections"], 3);

  clock.advance(10s);
  const Json c = ok("connections");
  EXPECT_EQ(c["total"], 3);
  EXPECT_EQ(c["truncated"], false);
  ASSERT_EQ(c["connections"].size(), 3u);
  const Json& first = c["connections"][0];
  EXPECT_EQ(first["protocol"], "tcp");
  EXPECT_EQ(first["client"], "198.18.0.10:40000");
  EXPECT_EQ(first["virtual"], "198.18.0.100:80");
  EXPECT_EQ(first["state"], "SYN_RECV");
  EXPECT_EQ(first["expires"], 50);  // SYN_RECV's 60 s, 10 s gone
  const Json limited = ok("connections", R"({"limit":1})");
  EXPECT_EQ(limited["connections"].size(), 1u);
  EXPECT_EQ(limited["truncated"], true);
  EXPECT_EQ(fails("connections", R"({"limit":0})"), "limit must be from 1 to 100000");
}

TEST_F(ControlTest, ZeroAndClear) {
  web();
  syn(0, 40000);
  ok("zero", R"({"service":{"protocol":"tcp","address":"198.18.0.100","port":80}})");
  EXPECT_EQ(ok("services")["services"][0]["stats"]["conns"], 0);
  EXPECT_EQ(fails("zero", R"({"service":{"protocol":"udp","address":"198.18.0.100","port":80}})"),
            "No such service");
  ok("clear");
  EXPECT_TRUE(ok("services")["services"].empty());
  EXPECT_TRUE(shards.shard(1).services().empty());
}

TEST_F(ControlTest, SaveRestoreRoundTrip) {
  web();
  ok("service.add", R"({"service":{"protocol":"udp","address":"198.18.0.101","port":0},
                        "scheduler":"sh","flags":["sh-port"],
                        "persistent":{"timeout":300,"netmask":"255.255.255.0"}})");
  ok("server.add", R"({"service":{"protocol":"udp","address":"198.18.0.101","port":0},
                       "server":{"address":"198.18.1.13","weight":0,"method":"tun"}})");
  const Json before = ok("services");
  const std::string text = ok("save")["text"];
  EXPECT_EQ(text,
            "-A -t 198.18.0.100:80 -s rr\n"
            "-a -t 198.18.0.100:80 -r 198.18.1.11:80 -g -w 2\n"
            "-a -t 198.18.0.100:80 -r 198.18.1.12:8080 -m -w 1 -x 10\n"
            "-A -u 198.18.0.101:0 -s sh -b sh-port -p 300 -M 255.255.255.0\n"
            "-a -u 198.18.0.101:0 -r 198.18.1.13:0 -i -w 0\n");
  ok("clear");
  const Json r = ok("restore", Json{{"text", text}}.dump());
  EXPECT_EQ(r["applied"], 5);
  EXPECT_EQ(ok("services"), before);
  EXPECT_EQ(ok("save")["text"], text);
}

TEST_F(ControlTest, RestoreStopsAtTheFirstRefusedRule) {
  const std::string text =
      "-A -t 198.18.0.100:80 -s rr\n"
      "-a -t 198.18.0.100:80 -r 198.18.1.11:80\n"
      "-a -t 198.18.0.100:81 -r 198.18.1.11:80\n"
      "-a -t 198.18.0.100:80 -r 198.18.1.12:80\n";
  EXPECT_EQ(fails("restore", Json{{"text", text}}.dump()),
            "rule 3: Service not defined (2 rules applied before it)");
  EXPECT_EQ(ok("services")["services"][0]["servers"].size(), 1u);
  EXPECT_EQ(fails("restore", Json{{"text", "-A -t nowhere:80\n"}}.dump()),
            "line 1: illegal virtual server address[:port] specified");
  EXPECT_EQ(fails("restore", "{}"), "restore needs text");
}

config::Config web_config() {
  config::Config c;
  config::Service s;
  s.name = "web";
  s.protocol = config::Protocol::tcp;
  s.address = *net::Ipv4::parse("198.18.0.100");
  s.ports = {{80, 80}};
  config::RealServer a;
  a.name = "rs1";
  a.address = *net::Ipv4::parse("198.18.1.11");
  a.port = 80;
  a.weight = 2;
  config::RealServer b;
  b.name = "198.18.1.12:8080";
  b.address = *net::Ipv4::parse("198.18.1.12");
  b.port = 8080;
  b.forwarding = config::Forwarding::nat;
  b.upper_threshold = 10;
  s.real_servers = {a, b};
  config::Fallback fb;
  fb.address = *net::Ipv4::parse("198.18.1.99");
  fb.port = 80;
  s.fallback = fb;
  c.services.push_back(s);
  return c;
}

TEST_F(ControlTest, HealthActionsDriveEveryShard) {
  cfg = web_config();
  web();
  const auto weight_of = [&](const std::string& addr) -> Json {
    const Json all = ok("services");  // the loop below must not walk a temporary
    for (const auto& rs : all["services"][0]["servers"])
      if (rs["address"] == addr) return rs["weight"];
    return nullptr;
  };
  EXPECT_EQ(ok("services")["services"][0]["servers"][0]["config_weight"], 2);

  control.on_health_actions(Json::parse(R"({"service":"web","actions":[
      {"service":"web","server":"rs1","op":"quiesce","weight":0}]})"));
  EXPECT_EQ(weight_of("198.18.1.11"), 0);

  control.on_health_actions(Json::parse(R"({"service":"web","actions":[
      {"service":"web","server":"198.18.1.99:80","op":"restore","weight":1},
      {"service":"web","server":"198.18.1.12:8080","op":"remove","weight":0}]})"));
  EXPECT_EQ(weight_of("198.18.1.99"), 1);
  EXPECT_TRUE(weight_of("198.18.1.12").is_null());

  // Restore brings a removed server back with its configured method,
  // port and thresholds, at the weight healthd names.
  control.on_health_actions(Json::parse(R"({"service":"web","actions":[
      {"service":"web","server":"198.18.1.12:8080","op":"restore","weight":1},
      {"service":"web","server":"rs1","op":"set_weight","weight":2}]})"));
  for (std::size_t i = 0; i < shards.size(); ++i) {
    Director& d = shards.shard(i);
    const ServiceId id = d.services().front();
    const RealServer* rs = d.server(d.find_server(id, *net::Ipv4::parse("198.18.1.12"), 8080));
    ASSERT_NE(rs, nullptr);
    EXPECT_EQ(rs->config.method, Forwarding::nat);
    EXPECT_EQ(rs->config.upper_threshold, 10u);
    EXPECT_EQ(d.server(d.find_server(id, *net::Ipv4::parse("198.18.1.11"), 80))->weight(), 2u);
  }
  EXPECT_EQ(control.health_counters().applied, 5u);
  EXPECT_EQ(control.health_counters().failed, 0u);

  // Unknown names and shapes are counted, never fatal.
  control.on_health_actions(Json::parse(R"({"service":"web","actions":[
      {"service":"web","server":"rs9","op":"remove"},
      {"service":"mail","server":"rs1","op":"remove"},
      {"service":"web","server":"rs1","op":"explode","weight":1},
      7]})"));
  control.on_health_actions(Json::parse(R"("nonsense")"));
  EXPECT_EQ(control.health_counters().failed, 5u);
  EXPECT_EQ(control.health_counters().events, 5u);
  EXPECT_EQ(weight_of("198.18.1.11"), 2);
}

// Shards that never run what they are given: the command must come back
// with an error instead of hanging the control thread.
class DeafShards final : public Shards {
 public:
  std::size_t size() const override { return 1; }
  void apply(Fn, Done) override {}
};

TEST(ControlTimeout, ASilentShardIsAnErrorNotAHang) {
  DeafShards deaf;
  FakeClock clock;
  Control control(deaf, [] { return nullptr; }, clock, 1ms);
  const ipc::Reply r = control.handle("services", Json::object());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "the director's packet workers did not answer in time");
  const ipc::Reply m = control.handle("clear", Json::object());
  EXPECT_FALSE(m.ok);
}

}  // namespace
}  // namespace tandem::director::control
