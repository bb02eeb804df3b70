// Monitor templates, references with overrides, inline monitors.

#include "tests/unit/config/test_util.h"

namespace tandem::config {
namespace {

using namespace std::chrono_literals;
using test::has_error;
using test::load;
using test::load_ok;
using test::only_error;

// Lines 1-11 of the tests below: one template and a service whose single
// real server's `monitors:` list starts on line 12.
constexpr const char* kHead = R"(
monitors:
  web:
    type: http
    path: /health
services:
  - name: s
    address: 198.18.0.100
    port: 80
    real_servers:
      - address: 198.18.1.11
        monitors:
)";

LoadResult load_list(const std::string& list) {
  return load(std::string(kHead) + list);
}

TEST(ConfigMonitors, UnknownTemplateSuggests) {
  LoadResult r = load_list("          - wbe\n");
  EXPECT_TRUE(only_error(r, 12, 13, "services[0].real_servers[0].monitors[0]",
                         "unknown monitor template 'wbe' (did you mean 'web'?)"));
  LoadResult u = load_list("          - use: nothing\n");
  EXPECT_TRUE(only_error(u, 12, 18, "services[0].real_servers[0].monitors[0].use",
                         "unknown monitor template 'nothing'; defined: web"));
}

TEST(ConfigMonitors, OverrideKeepsTheTemplateAndChecksItsKeys) {
  Config c = load_ok(std::string(kHead) + R"(          - use: web
            expect_body: ok
            interval: 6s
)");
  const Monitor& m = c.services[0].real_servers[0].monitors.at(0);
  EXPECT_EQ(m.name, "web");
  EXPECT_EQ(m.template_name, "web");
  EXPECT_EQ(m.type, MonitorType::http);
  EXPECT_EQ(m.http.path, "/health");
  EXPECT_EQ(m.http.expect_body, "ok");
  EXPECT_EQ(m.interval, 6s);
  EXPECT_EQ(c.monitors[0].interval, 10s);  // the template itself is untouched

  LoadResult r = load_list(R"(          - use: web
            type: tcp
            expect: "login:"
)");
  ASSERT_EQ(r.errors.size(), 2u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 13, 19, "services[0].real_servers[0].monitors[0].type",
                        "type 'tcp' differs from template 'web', which is 'http'"));
  EXPECT_TRUE(has_error(r, 14, 13, "services[0].real_servers[0].monitors[0].expect",
                        "unknown key 'expect'"));
}

TEST(ConfigMonitors, KeysOfAnotherTypeAreUnknown) {
  LoadResult r = load_list(R"(          - type: tcp
            expect_body: ok
          - type: http
            sni: example.test
)");
  ASSERT_EQ(r.errors.size(), 2u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 13, 13, "services[0].real_servers[0].monitors[0].expect_body",
                        "unknown key 'expect_body'; valid keys here: type, interval, timeout"));
  EXPECT_TRUE(
      has_error(r, 15, 13, "services[0].real_servers[0].monitors[1].sni", "unknown key 'sni'"));
}

TEST(ConfigMonitors, UnknownTypeIsTheOnlyError) {
  LoadResult r = load_list(R"(          - type: htp
            path: /x
            expect_body: ok
)");
  EXPECT_TRUE(only_error(r, 12, 19, "services[0].real_servers[0].monitors[0].type",
                         "unknown value 'htp' (did you mean 'http'?)"));
}

TEST(ConfigMonitors, InlineNeedsType) {
  LoadResult r = load_list("          - {interval: 5s}\n");
  EXPECT_TRUE(only_error(r, 12, 13, "services[0].real_servers[0].monitors[0].type",
                         "missing required key 'type'"));
}

TEST(ConfigMonitors, RequiredPerType) {
  LoadResult r = load(R"(
monitors:
  d:
    type: dns
  x:
    type: exec
    args: [a]
)");
  ASSERT_EQ(r.errors.size(), 2u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 3, 5, "monitors.d.query", "missing required key 'query'"));
  EXPECT_TRUE(has_error(r, 5, 5, "monitors.x.path", "missing required key 'path'"));
}

TEST(ConfigMonitors, TimeoutMustFitTheInterval) {
  LoadResult r = load(R"(
monitors:
  t:
    type: tcp
    interval: 2s
    timeout: 3s
)");
  EXPECT_TRUE(
      only_error(r, 5, 14, "monitors.t.timeout", "timeout must not be longer than interval"));
  // An override that shortens the interval below the template's timeout.
  LoadResult o = load_list("          - {use: web, interval: 1s}\n");
  EXPECT_TRUE(only_error(o, 12, 34, "services[0].real_servers[0].monitors[0].interval",
                         "timeout must not be longer than interval"));
}

TEST(ConfigMonitors, HttpFieldChecks) {
  LoadResult r = load(R"(
monitors:
  h:
    type: http
    method: POST
    path: health
    expect_status: [200, "299-200", 600, "2xx"]
    expect_body_regex: "(unclosed"
)");
  ASSERT_EQ(r.errors.size(), 6u) << format_diagnostics(r.errors);
  EXPECT_TRUE(
      has_error(r, 4, 13, "monitors.h.method", "unknown value 'POST'; expected one of: GET, HEAD"));
  EXPECT_TRUE(has_error(r, 5, 11, "monitors.h.path",
                        "expected a request path starting with /, got 'health'"));
  EXPECT_TRUE(has_error(r, 6, 26, "monitors.h.expect_status[1]", "got '299-200'"));
  EXPECT_TRUE(has_error(r, 6, 37, "monitors.h.expect_status[2]", "got '600'"));
  EXPECT_TRUE(has_error(r, 6, 42, "monitors.h.expect_status[3]", "got '2xx'"));
  EXPECT_TRUE(has_error(r, 7, 24, "monitors.h.expect_body_regex",
                        "invalid regular expression '(unclosed'"));
}

TEST(ConfigMonitors, MethodIsCaseInsensitive) {
  Config c = load_ok("monitors:\n  h: {type: http, method: head}\n");
  EXPECT_EQ(c.monitors[0].http.method, HttpMethod::head);
}

TEST(ConfigMonitors, DnsFieldChecks) {
  LoadResult r = load(R"(
monitors:
  d:
    type: dns
    query: "bad name!"
    query_type: AAA
    expect_answer: not-an-address
)");
  ASSERT_EQ(r.errors.size(), 3u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 4, 12, "monitors.d.query", "expected a domain name"));
  EXPECT_TRUE(
      has_error(r, 5, 17, "monitors.d.query_type", "unknown value 'AAA' (did you mean 'AAAA'?)"));
  EXPECT_TRUE(has_error(r, 6, 20, "monitors.d.expect_answer",
                        "an A query's expected answer must be an IPv4 address"));
}

TEST(ConfigMonitors, CommonFieldRanges) {
  LoadResult r = load(R"(
monitors:
  t:
    type: tcp
    interval: 50ms
    rise: 0
    fall: 101
    port: 0
    address: somewhere
    retry_delay: 2h
)");
  ASSERT_EQ(r.errors.size(), 6u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 4, 15, "monitors.t.interval",
                        "'50ms' is out of range: expected a duration from 100ms to 1d"));
  EXPECT_TRUE(has_error(r, 5, 11, "monitors.t.rise", "0 is out of range"));
  EXPECT_TRUE(has_error(r, 6, 11, "monitors.t.fall", "101 is out of range"));
  EXPECT_TRUE(has_error(r, 7, 11, "monitors.t.port", "expected an integer in 1..65535"));
  EXPECT_TRUE(has_error(r, 8, 14, "monitors.t.address", "expected an IPv4 address"));
  EXPECT_TRUE(has_error(r, 9, 18, "monitors.t.retry_delay", "out of range"));
}

TEST(ConfigMonitors, NamesInOneListAreDistinct) {
  LoadResult r = load_list(R"(          - type: tcp
          - type: tcp
          - {type: tcp, name: tcp2}
)");
  EXPECT_TRUE(only_error(r, 13, 13, "services[0].real_servers[0].monitors[1]",
                         "a monitor named 'tcp' is already in this list"));
}

TEST(ConfigMonitors, ServiceListIsInheritedUnlessARealServerHasItsOwn) {
  Config c = load_ok(R"(
monitors:
  web: {type: http}
services:
  - name: s
    address: 198.18.0.100
    port: 80
    monitors: [web]
    real_servers:
      - address: 198.18.1.11
      - address: 198.18.1.12
        monitors: []
      - address: 198.18.1.13
        monitors: [{type: ping}]
)");
  const auto& rs = c.services[0].real_servers;
  ASSERT_EQ(rs[0].monitors.size(), 1u);
  EXPECT_EQ(rs[0].monitors[0].type, MonitorType::http);
  EXPECT_TRUE(rs[1].monitors.empty());
  ASSERT_EQ(rs[2].monitors.size(), 1u);
  EXPECT_EQ(rs[2].monitors[0].type, MonitorType::ping);
  EXPECT_EQ(rs[2].monitors[0].name, "ping");
}

TEST(ConfigMonitors, TemplateErrorsAreReportedOnceNotPerUse) {
  LoadResult r = load(R"(
monitors:
  web: {type: http, path: nope}
services:
  - name: s
    address: 198.18.0.100
    port: 80
    monitors: [web]
    real_servers:
      - address: 198.18.1.11
      - address: 198.18.1.12
)");
  EXPECT_TRUE(only_error(r, 2, 27, "monitors.web.path", "starting with /"));
}

}  // namespace
}  // namespace tandem::config
