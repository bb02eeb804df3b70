#include "director/control/ipvsadm.h"

#include <gtest/gtest.h>

namespace tandem::director::control {
namespace {

using ipc::Json;

Invocation ok(std::vector<std::string> words) {
  auto r = parse_ipvsadm(words);
  if (auto* e = std::get_if<std::string>(&r)) ADD_FAILURE() << "unexpected error: " << *e;
  return std::get_if<Invocation>(&r) ? std::get<Invocation>(r) : Invocation{};
}

std::string err(std::vector<std::string> words) {
  auto r = parse_ipvsadm(words);
  if (std::holds_alternative<Invocation>(r)) {
    ADD_FAILURE() << "parsed, expected an error";
    return {};
  }
  return std::get<std::string>(r);
}

TEST(Ipvsadm, AddServiceWithEveryServiceOption) {
  const Invocation inv =
      ok({"-A", "-t", "198.18.0.100:80", "-s", "rr", "-p", "300", "-M", "255.255.255.0"});
  EXPECT_EQ(inv.verb, Verb::add_service);
  ASSERT_TRUE(inv.protocol);
  EXPECT_EQ(*inv.protocol, "tcp");
  EXPECT_EQ(inv.service.to_string(), "198.18.0.100:80");
  const Request r = to_request(inv);
  EXPECT_EQ(r.cmd, "service.add");
  EXPECT_EQ(r.args, Json::parse(R"({"service":{"protocol":"tcp","address":"198.18.0.100","port":80},
      "scheduler":"rr","persistent":{"timeout":300,"netmask":"255.255.255.0"}})"));
}

TEST(Ipvsadm, PersistentWithoutValueIsIpvsadmsDefault) {
  const Invocation inv = ok({"-A", "-u", "198.18.0.100:53", "-p", "-o"});
  ASSERT_TRUE(inv.persistent);
  EXPECT_EQ(*inv.persistent, 360u);
  EXPECT_TRUE(inv.one_packet);
  EXPECT_EQ(to_request(inv).args["persistent"]["timeout"], 360);
  EXPECT_EQ(to_request(inv).args["one_packet"], true);
}

TEST(Ipvsadm, EditCarriesOnlyTheFieldsGiven) {
  // ipvsadm -E without -s resets the scheduler to wlc; tandem keeps it.
  const Request r = to_request(ok({"-E", "-t", "198.18.0.100:80", "-p", "60"}));
  EXPECT_EQ(r.cmd, "service.edit");
  EXPECT_FALSE(r.args.contains("scheduler"));
  EXPECT_EQ(r.args["persistent"], Json::parse(R"({"timeout":60})"));
  // -p 0 turns persistence off.
  EXPECT_TRUE(to_request(ok({"-E", "-t", "198.18.0.100:80", "-p", "0"})).args["persistent"].is_null());
  const Request e = to_request(ok({"-e", "-t", "198.18.0.100:80", "-r", "198.18.1.11", "-w", "0"}));
  EXPECT_EQ(e.cmd, "server.edit");
  EXPECT_EQ(e.args["server"], Json::parse(R"({"address":"198.18.1.11","weight":0})"));
}

TEST(Ipvsadm, ServerVerbsAndMethods) {
  const Request a = to_request(ok({"-a", "-t", "198.18.0.100:80", "-r", "198.18.1.11:8080", "-m",
                                   "-w", "3", "-x", "100", "-y", "50"}));
  EXPECT_EQ(a.cmd, "server.add");
  EXPECT_EQ(a.args["server"], Json::parse(R"({"address":"198.18.1.11","port":8080,"method":"nat",
      "weight":3,"upper_threshold":100,"lower_threshold":50})"));
  EXPECT_EQ(to_request(ok({"-a", "-t", "1.2.3.4:80", "-r", "5.6.7.8", "-i"})).args["server"]["method"],
            "tun");
  EXPECT_EQ(to_request(ok({"-a", "-t", "1.2.3.4:80", "-r", "5.6.7.8", "-g"})).args["server"]["method"],
            "dr");
  const Request d = to_request(ok({"-d", "-u", "1.2.3.4:53", "-r", "5.6.7.8:53"}));
  EXPECT_EQ(d.cmd, "server.delete");
  EXPECT_EQ(d.args, Json::parse(R"({"service":{"protocol":"udp","address":"1.2.3.4","port":53},
      "server":{"address":"5.6.7.8","port":53}})"));
}

TEST(Ipvsadm, LongOptionsWithAndWithoutEquals) {
  const Invocation inv = ok({"--add-service", "--tcp-service=198.18.0.100:443", "--scheduler",
                             "wlc", "--persistent=120"});
  EXPECT_EQ(inv.verb, Verb::add_service);
  EXPECT_EQ(inv.service.port, 443);
  EXPECT_EQ(*inv.scheduler, "wlc");
  EXPECT_EQ(*inv.persistent, 120u);
  const Invocation s = ok({"--add-server", "-t", "1.2.3.4:80", "--real-server", "5.6.7.8",
                           "--masquerading", "--weight=7"});
  EXPECT_EQ(*s.method, "nat");
  EXPECT_EQ(*s.weight, 7u);
}

TEST(Ipvsadm, BundledShortOptions) {
  const Invocation l = ok({"-Ln"});
  EXPECT_EQ(l.verb, Verb::list);
  const Invocation c = ok({"-lcn"});
  EXPECT_EQ(c.verb, Verb::list);
  EXPECT_TRUE(c.list.connections);
  const Invocation a = ok({"-At198.18.0.100:80", "-srr"});
  EXPECT_EQ(a.service.to_string(), "198.18.0.100:80");
  EXPECT_EQ(*a.scheduler, "rr");
  // -c alone lists connections, as in ipvsadm.
  EXPECT_TRUE(ok({"-c"}).list.connections);
  const Invocation s = ok({"-L", "-n", "--stats", "--exact", "-t", "1.2.3.4:80"});
  EXPECT_TRUE(s.list.stats);
  EXPECT_TRUE(s.list.exact);
  EXPECT_TRUE(s.protocol);
}

TEST(Ipvsadm, OtherVerbs) {
  EXPECT_EQ(to_request(ok({"-Z"})).cmd, "zero");
  EXPECT_FALSE(to_request(ok({"-Z"})).args.contains("service"));
  EXPECT_EQ(to_request(ok({"-Z", "-t", "1.2.3.4:80"})).args["service"]["port"], 80);
  EXPECT_EQ(to_request(ok({"-C"})).cmd, "clear");
  EXPECT_EQ(ok({"-S", "-n"}).verb, Verb::save);
  EXPECT_EQ(ok({"-R"}).verb, Verb::restore);
  EXPECT_EQ(to_request(ok({"-D", "-t", "1.2.3.4:80"})).cmd, "service.delete");
}

TEST(Ipvsadm, Errors) {
  EXPECT_EQ(err({"-A", "-t", "198.18.0.100:80", "-D"}), "only one command at a time");
  EXPECT_EQ(err({"-A", "-t", "198.18.0.100"}), "Zero port specified for non-persistent service");
  EXPECT_EQ(err({"-A", "-t", "198.18.0.300:80"}), "illegal virtual server address[:port] specified");
  EXPECT_EQ(err({"-A", "-t", "1.2.3.4:80", "-s", "fastest"}),
            "Scheduler or persistence engine not found: fastest");
  EXPECT_EQ(err({"-a", "-t", "1.2.3.4:80", "-r", "5.6.7.8", "-w", "65536"}),
            "illegal weight specified");
  EXPECT_EQ(err({"-a", "-t", "1.2.3.4:80", "-r", "5.6.7.8", "-w", "x"}), "illegal weight specified");
  EXPECT_EQ(err({"-a", "-t", "1.2.3.4:80"}), "no real server given (-r)");
  EXPECT_EQ(err({"-a", "-r", "5.6.7.8"}), "no service given (-t or -u)");
  EXPECT_EQ(err({"-a", "-t", "1.2.3.4:80", "-r", "5.6.7.8", "-g", "-m"}),
            "only one forwarding method at a time");
  EXPECT_EQ(err({"-A", "-t", "1.2.3.4:80", "-p", "2678401"}),
            "illegal timeout for persistent service");
  EXPECT_EQ(err({"-A", "-t", "1.2.3.4:80", "-p", "-M", "255.0.255.0"}),
            "illegal virtual server netmask specified");
  EXPECT_EQ(err({"-A", "-t", "1.2.3.4:80", "-o"}),
            "One-Packet Scheduling is only for UDP virtual services");
  EXPECT_EQ(err({"-A", "-t", "1.2.3.4:80", "-w", "2"}),
            "real server options (-r -g -m -i -w -x -y) go with -a or -e (-d takes only -r)");
  EXPECT_EQ(err({"-a", "-t", "1.2.3.4:80", "-r", "5.6.7.8", "-s", "rr"}),
            "service options (-s -p -M -o -b) go with -A or -E");
  EXPECT_EQ(err({"-L", "-t"}), "option -t needs a value");
  EXPECT_EQ(err({"-A", "-f", "1"}),
            "fwmark services (-f) are not supported; use a port group in the configuration");
  EXPECT_EQ(err({"--set", "1", "2", "3"}), "--set is not supported by tandem");
  EXPECT_EQ(err({"-Q"}), "unknown option: -Q");
  EXPECT_EQ(err({"-L", "stray"}), "unexpected argument: stray");
  EXPECT_EQ(err({"-Z", "--stats"}), "listing options go with -L");
  EXPECT_EQ(err({"-L", "--stats", "--rate"}),
            "only one of --stats, --rate, --thresholds, --persistent-conn");
  EXPECT_EQ(err({}), "no command given (one of -A -E -D -a -e -d -L -Z -C -S -R)");
  EXPECT_EQ(err({"-A", "-t", "1.2.3.4:80", "-b", "sh-sideways"}),
            "invalid scheduler flag: sh-sideways");
}

TEST(Ipvsadm, RestoreParsesEveryLineOrNothing) {
  auto r = parse_restore(
      "# saved\n-A -t 198.18.0.100:80 -s rr\n\n"
      "-a -t 198.18.0.100:80 -r 198.18.1.11:80 -g -w 1\n-C\n");
  ASSERT_TRUE(std::holds_alternative<std::vector<Request>>(r));
  const auto& reqs = std::get<std::vector<Request>>(r);
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].cmd, "service.add");
  EXPECT_EQ(reqs[1].cmd, "server.add");
  EXPECT_EQ(reqs[2].cmd, "clear");
  auto bad = parse_restore("-A -t 198.18.0.100:80 -s rr\n-a -t 198.18.0.100:80 -w 1\n");
  ASSERT_TRUE(std::holds_alternative<std::string>(bad));
  EXPECT_EQ(std::get<std::string>(bad), "line 2: no real server given (-r)");
  auto listing = parse_restore("-L -n\n");
  EXPECT_EQ(std::get<std::string>(listing), "line 1: only -A -E -D -a -e -d -Z -C may be restored");
}

TEST(Ipvsadm, SplitWords) {
  EXPECT_EQ(split_words("  -A\t-t  1.2.3.4:80\r"),
            (std::vector<std::string>{"-A", "-t", "1.2.3.4:80"}));
  EXPECT_TRUE(split_words(" \t ").empty());
}

}  // namespace
}  // namespace tandem::director::control
