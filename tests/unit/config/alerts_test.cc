// Alert senders and routes.

#include "tests/unit/config/test_util.h"

namespace tandem::config {
namespace {

using namespace std::chrono_literals;
using test::has_error;
using test::load;
using test::load_ok;

TEST(ConfigAlerts, RouteReferencesSendersAndServices) {
  LoadResult r = load(R"(
services:
  - {name: web, address: 198.18.0.100, port: 80}
alerts:
  senders:
    mail: {type: mail, server: localhost, from: a@b.test, to: [c@d.test]}
  routes:
    - name: ops
      match: {services: [wbe], events: [server_dwn], severity: [urgent]}
      senders: [mial, pager]
)");
  ASSERT_EQ(r.errors.size(), 5u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 8, 26, "alerts.routes[0].match.services[0]",
                        "unknown service 'wbe' (did you mean 'web'?)"));
  EXPECT_TRUE(has_error(r, 8, 41, "alerts.routes[0].match.events[0]",
                        "unknown value 'server_dwn' (did you mean 'server_down'?)"));
  EXPECT_TRUE(has_error(r, 8, 65, "alerts.routes[0].match.severity[0]",
                        "unknown value 'urgent'; expected one of: info, warning, critical"));
  EXPECT_TRUE(has_error(r, 9, 17, "alerts.routes[0].senders[0]",
                        "unknown sender 'mial' (did you mean 'mail'?)"));
  EXPECT_TRUE(
      has_error(r, 9, 23, "alerts.routes[0].senders[1]", "unknown sender 'pager'; defined: mail"));
}

TEST(ConfigAlerts, RouteNeedsSenders) {
  LoadResult r = load(R"(
alerts:
  routes:
    - name: ops
    - name: ops
      senders: []
)");
  ASSERT_EQ(r.errors.size(), 3u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 3, 7, "alerts.routes[0].senders", "missing required key 'senders'"));
  EXPECT_TRUE(has_error(r, 4, 13, "alerts.routes[1].name", "route name 'ops' is already used"));
  EXPECT_TRUE(has_error(r, 5, 16, "alerts.routes[1].senders", "a route needs at least one sender"));
}

TEST(ConfigAlerts, AlertafterForms) {
  Config c = load_ok(R"(
alerts:
  senders: {x: {type: exec, path: /bin/true}}
  routes:
    - {name: a, senders: x, alertafter: 3}
    - {name: b, senders: x, alertafter: 5m}
    - {name: c, senders: x, alertafter: "3 10m"}
)");
  EXPECT_EQ(c.alerts.routes[0].alertafter, (AlertAfter{3, 0s}));
  EXPECT_EQ(c.alerts.routes[1].alertafter, (AlertAfter{0, 5min}));
  EXPECT_EQ(c.alerts.routes[2].alertafter, (AlertAfter{3, 10min}));
  EXPECT_EQ(c.alerts.routes[2].senders, (std::vector<std::string>{"x"}));

  LoadResult r = load(R"(
alerts:
  senders: {x: {type: exec, path: /bin/true}}
  routes:
    - {name: a, senders: x, alertafter: 0}
    - {name: b, senders: x, alertafter: "3 soon"}
    - {name: c, senders: x, alertafter: [1]}
    - {name: d, senders: x, numalerts: -1, alertevery: forever}
)");
  ASSERT_EQ(r.errors.size(), 5u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 4, 41, "alerts.routes[0].alertafter",
                        "expected alertafter as a count (3), a duration (5m) or both (\"3 10m\"), "
                        "got '0'"));
  EXPECT_TRUE(has_error(r, 5, 41, "alerts.routes[1].alertafter", "got '3 soon'"));
  EXPECT_TRUE(has_error(r, 6, 41, "alerts.routes[2].alertafter", "got a list"));
  EXPECT_TRUE(has_error(r, 7, 40, "alerts.routes[3].numalerts", "-1 is out of range"));
  EXPECT_TRUE(has_error(r, 7, 56, "alerts.routes[3].alertevery", "got 'forever'"));
}

TEST(ConfigAlerts, QuietPeriods) {
  LoadResult r = load(R"(
alerts:
  senders: {x: {type: exec, path: /bin/true}}
  routes:
    - name: a
      senders: x
      quiet:
        - {days: [mon, fri, sunday], from: "22:00", to: "7:00"}
        - {from: "25:00", to: "06:00"}
        - {from: "06:00", to: "06:00"}
        - {to: "06:00"}
)");
  ASSERT_EQ(r.errors.size(), 5u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 7, 29, "alerts.routes[0].quiet[0].days[2]",
                        "unknown value 'sunday'; expected one of: mon, tue"));
  EXPECT_TRUE(has_error(r, 7, 57, "alerts.routes[0].quiet[0].to",
                        "expected a time of day as HH:MM from 00:00 to 24:00, got '7:00'"));
  EXPECT_TRUE(has_error(r, 8, 18, "alerts.routes[0].quiet[1].from", "got '25:00'"));
  EXPECT_TRUE(has_error(r, 9, 31, "alerts.routes[0].quiet[2].to",
                        "a quiet period must not start and end at the same time"));
  EXPECT_TRUE(
      has_error(r, 10, 11, "alerts.routes[0].quiet[3].from", "missing required key 'from'"));
}

TEST(ConfigAlerts, MailSender) {
  LoadResult r = load(R"(
alerts:
  senders:
    m:
      type: mail
      server: "smtp host"
      port: 0
      user: tandem
      from: tandem
      to: [ops@example.test, "not an address"]
      timeout: 0s
      url: http://x
)");
  ASSERT_EQ(r.errors.size(), 7u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 5, 15, "alerts.senders.m.server",
                        "expected a host name or IPv4 address, got 'smtp host'"));
  EXPECT_TRUE(has_error(r, 6, 13, "alerts.senders.m.port", "0 is out of range"));
  EXPECT_TRUE(
      has_error(r, 7, 13, "alerts.senders.m.user", "`user` and `password_file` go together"));
  EXPECT_TRUE(has_error(r, 8, 13, "alerts.senders.m.from",
                        "expected a mail address such as tandem@example.org, got 'tandem'"));
  EXPECT_TRUE(has_error(r, 9, 30, "alerts.senders.m.to[1]",
                        "expected a mail address such as ops@example.org, got 'not an address'"));
  EXPECT_TRUE(has_error(r, 10, 16, "alerts.senders.m.timeout", "out of range"));
  EXPECT_TRUE(has_error(r, 11, 7, "alerts.senders.m.url", "unknown key 'url'"));
}

TEST(ConfigAlerts, MailSenderRequiredKeys) {
  LoadResult r = load("alerts:\n  senders:\n    m: {type: mail}\n");
  ASSERT_EQ(r.errors.size(), 3u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 3, 8, "alerts.senders.m.server", "missing required key 'server'"));
  EXPECT_TRUE(has_error(r, 3, 8, "alerts.senders.m.from", "missing required key 'from'"));
  EXPECT_TRUE(has_error(r, 3, 8, "alerts.senders.m.to", "missing required key 'to'"));
}

TEST(ConfigAlerts, PageSender) {
  LoadResult r = load(R"(
alerts:
  senders:
    p:
      type: page
      url: ftp://pager.test/
      headers: {"X Bad": v, Good: "a\r\nInjected: yes"}
    q:
      type: page
)");
  ASSERT_EQ(r.errors.size(), 4u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 5, 12, "alerts.senders.p.url",
                        "expected an http:// or https:// URL, got 'ftp://pager.test/'"));
  EXPECT_TRUE(has_error(r, 6, 26, "alerts.senders.p.headers.X Bad", "header names have no spaces"));
  EXPECT_TRUE(has_error(r, 6, 35, "alerts.senders.p.headers.Good", "no header has line breaks"));
  EXPECT_TRUE(has_error(r, 8, 7, "alerts.senders.q.url", "missing required key 'url'"));
}

TEST(ConfigAlerts, ExecSenderAndSenderTypes) {
  LoadResult r = load(R"(
alerts:
  spool_dir: ""
  senders:
    x: {type: exec, path: alert.sh}
    y: {type: sms, number: 123}
    z: {path: /bin/true}
)");
  ASSERT_EQ(r.errors.size(), 5u) << format_diagnostics(r.errors);
  EXPECT_TRUE(has_error(r, 2, 14, "alerts.spool_dir", "expected a path"));
  // An unknown type allows the keys of every type, but no others.
  EXPECT_TRUE(has_error(r, 5, 20, "alerts.senders.y.number", "unknown key 'number'"));
  EXPECT_TRUE(has_error(r, 4, 27, "alerts.senders.x.path", "expected an absolute path"));
  EXPECT_TRUE(has_error(r, 5, 15, "alerts.senders.y.type",
                        "unknown value 'sms'; expected one of: mail, page, exec"));
  EXPECT_TRUE(has_error(r, 6, 8, "alerts.senders.z.type", "missing required key 'type'"));
}

}  // namespace

TEST(ConfigAlerts, RelativeSpoolDirIsKeptForTheRunDirectory) {
  LoadResult r = load(R"(
alerts:
  spool_dir: spool
)");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config->alerts.spool_dir, "spool");
}

}  // namespace tandem::config
