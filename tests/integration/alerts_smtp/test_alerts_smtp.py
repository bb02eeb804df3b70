"""tandem-alertd against the lab's smtpd.py and webhook.py on loopback.

Every process is started by the test and killed in cleanup, also on failure.
No timing thresholds: every wait polls with a generous bound, long enough
for the engine's retry backoff (5 s, then doubling).
"""
import json
import os
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, RETRY_BOUND, AlertdHarness, request, wait_until  # noqa: E402

CONFIG = """global:
  log_level: info
alerts:
  spool_dir: {spool}
  senders:
    mail:
      type: mail
      server: 127.0.0.1
      port: {smtp_port}
      starttls: false
      from: tandem@alerts.test
      to: [ops@alerts.test, oncall@alerts.test]
      timeout: 5s
    page:
      type: page
      url: http://127.0.0.1:{web_port}/page
      timeout: 5s
  routes:
    - name: ops
      senders: [mail, page]
      alertafter: 1
"""


class AlertsSmtpTest(AlertdHarness):
    CONFIG = CONFIG

    def setUp(self):
        super().setUp()
        self.write_config()

    def test_event_delivers_one_mail_and_one_page(self):
        self.start_smtp()
        self.start_web()
        self.start_alertd()
        jobs = self.event("www1", "probe-one failed")
        self.assertEqual(len(jobs), 2)  # one per sender of the route
        wait_until(lambda: self.mails_with("probe-one") and self.pages_with("probe-one"),
                   timeout=RETRY_BOUND, what="mail and page delivered")
        wait_until(lambda: not self.alerts()["queue"], timeout=RETRY_BOUND, what="queue empty")

        mails = self.mails_with("probe-one")
        self.assertEqual(len(mails), 1)
        mail = mails[0]
        self.assertEqual(mail["from"], "tandem@alerts.test")
        self.assertEqual(sorted(mail["to"]), ["oncall@alerts.test", "ops@alerts.test"])
        head, _, body = mail["data"].partition("\n\n") if "\r\n\r\n" not in mail["data"] \
            else mail["data"].partition("\r\n\r\n")
        headers = {}
        for line in head.splitlines():
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        for h in ("from", "to", "subject", "date", "message-id"):
            self.assertIn(h, headers)
        self.assertIn("www1", headers["subject"])
        self.assertIn("probe-one failed", body)
        self.assertIn("connect refused", body)

        pages = self.pages_with("probe-one")
        self.assertEqual(len(pages), 1)
        page = json.loads(pages[0]["body"])
        self.assertEqual(page["server"], "www1")
        self.assertEqual(page["type"], "failure")
        self.assertEqual(page["subject"], headers["subject"])
        recent = [r for r in self.alerts()["recent"] if r["status"] == "delivered"]
        self.assertEqual(sorted(r["sender"] for r in recent), ["mail", "page"])

        # alert-test goes through the route's senders too.
        reply = request(self.sock, "alert-test", {"route": "ops"})
        self.assertTrue(reply["ok"], reply)
        wait_until(lambda: self.mails_with("test alert through route ops"),
                   timeout=RETRY_BOUND, what="test mail delivered")
        bad = request(self.sock, "alert-test", {"route": "nope"})
        self.assertFalse(bad["ok"])
        bad = request(self.sock, "event", {"kind": "no_such_kind"})
        self.assertFalse(bad["ok"])

    def test_outage_then_crash_delivers_exactly_once(self):
        self.start_smtp()
        self.start_web()
        self.start_alertd()

        # Mail server down: the job stays queued and is retried.
        self._stop("smtpd")
        self.event("www2", "probe-two failed")
        wait_until(lambda: any(q["sender"] == "mail" and q["attempts"] >= 1
                               for q in self.alerts()["queue"]),
                   timeout=RETRY_BOUND, what="mail job queued after a failed attempt")
        self.assertEqual(self.mails_with("probe-two"), [])
        self.start_smtp()
        wait_until(lambda: self.mails_with("probe-two"), timeout=RETRY_BOUND,
                   what="queued mail delivered after smtpd returns")
        wait_until(lambda: not self.alerts()["queue"], timeout=RETRY_BOUND, what="queue empty")
        self.assertEqual(len(self.mails_with("probe-two")), 1)
        self.assertEqual(len(self.pages_with("probe-two")), 1)

        # Down again; kill -9 alertd with the job pending; restart both.
        self._stop("smtpd")
        self.event("www3", "probe-three failed")
        wait_until(lambda: any(q["sender"] == "mail" and q["attempts"] >= 1
                               for q in self.alerts()["queue"]),
                   timeout=RETRY_BOUND, what="mail job pending before the crash")
        # The page must be finished (sent and erased from the spool) first: a
        # kill between a send and its erase resends it, which is the one
        # duplicate the spool cannot rule out (see alerts/spool/spool.h).
        wait_until(lambda: [q["sender"] for q in self.alerts()["queue"]] == ["mail"],
                   timeout=RETRY_BOUND, what="only the mail job left")
        self.assertEqual(len(self.pages_with("probe-three")), 1)
        self._stop("alertd", kill=True)
        self.start_smtp()
        self.start_alertd()
        wait_until(lambda: self.mails_with("probe-three"), timeout=RETRY_BOUND,
                   what="spooled mail delivered after restart")
        wait_until(lambda: not self.alerts()["queue"], timeout=RETRY_BOUND, what="queue empty")
        self.assertEqual(len(self.mails_with("probe-three")), 1)
        self.assertEqual(len(self.pages_with("probe-three")), 1)
        # Nothing delivered before the crash comes back.
        self.assertEqual(len(self.mails_with("probe-two")), 1)
        self.assertEqual(len(self.pages_with("probe-two")), 1)

    def ctl(self, *args):
        return subprocess.run([os.path.join(BIN, "tandemctl"), "--run-dir", self.run_dir, *args],
                              capture_output=True, text=True, timeout=30)

    def test_tandemctl_alerts_and_alert_test(self):
        self.start_web()
        self.start_alertd()  # no smtpd: the mail job stays queued
        res = self.ctl("alert", "test", "ops")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("test alert queued through route ops", res.stdout)
        wait_until(lambda: any(q["sender"] == "mail" and q["attempts"] >= 1
                               for q in self.alerts()["queue"]) and self.pages_with("route ops"),
                   timeout=RETRY_BOUND, what="page delivered, mail retrying")
        table = self.ctl("alerts")
        self.assertEqual(table.returncode, 0, table.stderr)
        queue, _, recent = table.stdout.partition("Recent deliveries")
        self.assertIn("Queue (1 pending)", queue)
        self.assertRegex(queue, r"\n1 +ops +mail +[1-9]")
        self.assertIn("[tandem] TEST", queue)
        self.assertRegex(recent, r"ops +page +delivered +0 +\[tandem\] TEST")
        self.assertRegex(recent, r"ops +mail +retrying +1 +\S")  # the curl error
        as_json = json.loads(self.ctl("--json", "alerts").stdout)
        self.assertEqual([q["sender"] for q in as_json["queue"]], ["mail"])
        self.assertEqual(as_json["stats"]["delivered"], 1)
        bad = self.ctl("alert", "test", "nope")
        self.assertEqual(bad.returncode, 1)
        self.assertIn("no route named nope", bad.stderr)
        self.assertEqual(self.ctl("alert", "nope").returncode, 2)


if __name__ == "__main__":
    unittest.main()
