#include "director/control/listing.h"

#include <gtest/gtest.h>

namespace tandem::director::control {
namespace {

using ipc::Json;

// Deliberately out of order (UDP first, servers reversed): -L sorts.
Json table() {
  return Json::parse(R"({
    "table": {"size": 4096, "connections": 8, "templates": 1},
    "services": [
      {"protocol":"udp","address":"198.18.0.100","port":53,"scheduler":"wlc","flags":[],
       "persistent":{"timeout":300,"netmask":"255.255.255.0"},"one_packet":false,"method":"nat",
       "stats":{"conns":1,"inpkts":2,"outpkts":3,"inbytes":4,"outbytes":5},
       "rates":{"cps":0,"inpps":0,"outpps":0,"inbps":0,"outbps":0},
       "servers":[{"address":"198.18.1.13","port":5353,"method":"nat","weight":2,
                   "config_weight":2,"upper_threshold":10,"lower_threshold":5,
                   "active":0,"inactive":1,"persistent":1,
                   "stats":{"conns":1,"inpkts":2,"outpkts":3,"inbytes":4,"outbytes":5},
                   "rates":{"cps":1,"inpps":2,"outpps":3,"inbps":4,"outbps":5}}]},
      {"protocol":"tcp","address":"198.18.0.100","port":80,"scheduler":"rr","flags":[],
       "persistent":null,"one_packet":false,"method":"dr",
       "stats":{"conns":12,"inpkts":340,"outpkts":0,"inbytes":123456789,"outbytes":0},
       "rates":{"cps":3,"inpps":40,"outpps":0,"inbps":5000,"outbps":0},
       "servers":[{"address":"198.18.1.12","port":80,"method":"dr","weight":0,"config_weight":1,
                   "upper_threshold":0,"lower_threshold":0,"active":0,"inactive":0,"persistent":0,
                   "stats":{"conns":5,"inpkts":100,"outpkts":0,"inbytes":1000000000,"outbytes":0},
                   "rates":{"cps":1,"inpps":10,"outpps":0,"inbps":1000,"outbps":0}},
                  {"address":"198.18.1.11","port":80,"method":"dr","weight":1,"config_weight":1,
                   "upper_threshold":0,"lower_threshold":0,"active":2,"inactive":5,"persistent":0,
                   "stats":{"conns":7,"inpkts":240,"outpkts":0,"inbytes":23456789,"outbytes":0},
                   "rates":{"cps":2,"inpps":30,"outpps":0,"inbps":4000,"outbps":0}}]}
    ]})");
}

TEST(Listing, PlainListMatchesIpvsadmLayout) {
  const auto text = format_list(table(), {});
  ASSERT_TRUE(text);
  EXPECT_EQ(*text,
            "IP Virtual Server version 1.2.1 (size=4096)\n"
            "Prot LocalAddress:Port Scheduler Flags\n"
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
            "TCP  198.18.0.100:80 rr\n"
            "  -> 198.18.1.11:80               Route   1      2          5         \n"
            "  -> 198.18.1.12:80               Route   0      0          0         \n"
            "UDP  198.18.0.100:53 wlc persistent 300 mask 255.255.255.0\n"
            "  -> 198.18.1.13:5353             Masq    2      0          1         \n");
}

TEST(Listing, NosortKeepsTheAnswersOrder) {
  ListOptions o;
  o.nosort = true;
  const std::string text = *format_list(table(), o);
  EXPECT_LT(text.find("UDP  198.18.0.100:53"), text.find("TCP  198.18.0.100:80"));
  EXPECT_LT(text.find("198.18.1.12:80"), text.find("198.18.1.11:80"));
}

TEST(Listing, StatsWithLargeNumbers) {
  ListOptions o;
  o.stats = true;
  EXPECT_EQ(*format_list(table(), o),
            "IP Virtual Server version 1.2.1 (size=4096)\n"
            "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
            "  -> RemoteAddress:Port\n"
            "TCP  198.18.0.100:80                    12      340        0  123456K        0\n"
            "  -> 198.18.1.11:80                      7      240        0 23456789        0\n"
            "  -> 198.18.1.12:80                      5      100        0    1000M        0\n"
            "UDP  198.18.0.100:53                     1        2        3        4        5\n"
            "  -> 198.18.1.13:5353                    1        2        3        4        5\n");
}

TEST(Listing, ExactPrintsEveryDigit) {
  ListOptions o;
  o.stats = true;
  o.exact = true;
  const std::string text = *format_list(table(), o);
  EXPECT_NE(text.find("TCP  198.18.0.100:80                    12      340        0 123456789"
                      "        0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  -> 198.18.1.12:80                      5      100        0 1000000000"
                      "        0\n"),
            std::string::npos)
      << text;
}

TEST(Listing, Rate) {
  ListOptions o;
  o.rate = true;
  const std::string text = *format_list(table(), o);
  EXPECT_NE(text.find("Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("TCP  198.18.0.100:80                     3       40        0     5000        0\n"),
            std::string::npos)
      << text;
}

TEST(Listing, ThresholdsAndPersistentConn) {
  ListOptions t;
  t.thresholds = true;
  const std::string th = *format_list(table(), t);
  EXPECT_NE(th.find("  -> RemoteAddress:Port            Uthreshold Lthreshold ActiveConn InActConn\n"),
            std::string::npos);
  EXPECT_NE(th.find("  -> 198.18.1.13:5353             10         5          0          1         \n"),
            std::string::npos)
      << th;
  ListOptions p;
  p.persistent_conn = true;
  const std::string pc = *format_list(table(), p);
  EXPECT_NE(pc.find("  -> 198.18.1.13:5353             Masq    2      0          1          1         \n"),
            std::string::npos)
      << pc;
}

TEST(Listing, OneServiceHasNoVersionLine) {
  const Json want = Json::parse(R"({"protocol":"udp","address":"198.18.0.100","port":53})");
  EXPECT_EQ(*format_list(table(), {}, want),
            "Prot LocalAddress:Port Scheduler Flags\n"
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
            "UDP  198.18.0.100:53 wlc persistent 300 mask 255.255.255.0\n"
            "  -> 198.18.1.13:5353             Masq    2      0          1         \n");
  EXPECT_FALSE(format_list(table(), {}, Json::parse(R"({"protocol":"tcp","address":"1.2.3.4","port":1})")));
}

TEST(Listing, FlagsOpsAndGroups) {
  const Json t = Json::parse(R"({"table":{"size":1},"services":[
      {"protocol":"udp","address":"198.18.0.100","port":0,"ports":[[8000,8010],[9000,9000]],
       "scheduler":"sh","flags":["sh-fallback","sh-port"],"persistent":{"timeout":60,
       "netmask":"255.255.255.255"},"one_packet":true,"servers":[]}]})");
  EXPECT_EQ(*format_list(t, {}),
            "IP Virtual Server version 1.2.1 (size=1)\n"
            "Prot LocalAddress:Port Scheduler Flags\n"
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
            "UDP  198.18.0.100:8000-8010,9000 sh (sh-fallback,sh-port) persistent 60 ops\n");
  EXPECT_EQ(format_save(t),
            "# port group, not expressible as ipvsadm rules: -A -u 198.18.0.100:8000-8010,9000 -s sh"
            " -b sh-fallback,sh-port -p 60 -o\n");
}

TEST(Listing, GarbageFieldsDoNotThrow) {
  const Json t = Json::parse(R"({"services":[{"protocol":7,"servers":[{"weight":"x"},3]},"x"]})");
  EXPECT_NO_THROW(format_list(t, {}));
  EXPECT_NO_THROW(format_save(t));
  EXPECT_NO_THROW(format_connections(Json::parse(R"({"connections":[1,{"expires":"x"}]})"), {}));
}

TEST(Listing, Connections) {
  const Json c = Json::parse(R"({"connections":[
      {"protocol":"tcp","client":"198.18.0.10:41000","virtual":"198.18.0.100:80",
       "real":"198.18.1.11:80","state":"ESTABLISHED","expires":898},
      {"protocol":"udp","client":"198.18.0.10:0","virtual":"198.18.0.100:53",
       "real":"198.18.1.13:5353","state":"UDP","expires":10800}]})");
  EXPECT_EQ(format_connections(c, {}),
            "IPVS connection entries\n"
            "pro expire state       source             virtual            destination\n"
            "TCP 14:58  ESTABLISHED 198.18.0.10:41000  198.18.0.100:80    198.18.1.11:80\n"
            "UDP 180:00 UDP         198.18.0.10:0      198.18.0.100:53    198.18.1.13:5353\n");
}

TEST(Listing, SaveWritesIpvsadmRules) {
  EXPECT_EQ(format_save(table()),
            "-A -t 198.18.0.100:80 -s rr\n"
            "-a -t 198.18.0.100:80 -r 198.18.1.11:80 -g -w 1\n"
            "-a -t 198.18.0.100:80 -r 198.18.1.12:80 -g -w 0\n"
            "-A -u 198.18.0.100:53 -s wlc -p 300 -M 255.255.255.0\n"
            "-a -u 198.18.0.100:53 -r 198.18.1.13:5353 -m -w 2 -x 10 -y 5\n");
}

TEST(Listing, LargeNumberSteps) {
  EXPECT_EQ(large_number(99999999, false), " 99999999");
  EXPECT_EQ(large_number(100000000, false), "  100000K");
  EXPECT_EQ(large_number(1000000000, false), "    1000M");
  EXPECT_EQ(large_number(99999999999ULL, false), "   99999M");
  EXPECT_EQ(large_number(100000000000ULL, false), "     100G");
  EXPECT_EQ(large_number(100000000000000ULL, false), "     100T");
  EXPECT_EQ(large_number(5, true), "        5");
  EXPECT_EQ(large_number(123456789012ULL, true), " 123456789012");
  EXPECT_EQ(expire_text(0), "00:00");
  EXPECT_EQ(expire_text(65), "01:05");
}

}  // namespace
}  // namespace tandem::director::control
