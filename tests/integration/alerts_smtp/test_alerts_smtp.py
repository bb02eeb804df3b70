"""tandem-alertd against the lab's smtpd.py and webhook.py on loopback.

Every process is started by the test and killed in cleanup, also on failure.
No timing thresholds: every wait polls with a generous bound, long enough
for the engine's retry backoff (5 s, then doubling).
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tandemtest import BIN, wait_until  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PEERS = os.path.join(ROOT, "lab", "peers")
PY = "/usr/bin/python3"
RETRY_BOUND = 120.0  # covers a few backoff rounds

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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(path, cmd, args=None):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(path)
        s.sendall((json.dumps({"id": 1, "cmd": cmd, "args": args or {}}) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                raise AssertionError("connection closed before a response")
            buf += chunk
        return json.loads(buf)


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


class AlertsSmtpTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="tandem-alerts-")
        self.addCleanup(self._tmp.cleanup)
        self.addCleanup(self._kill_all)  # runs first: processes before the dir
        self.dir = self._tmp.name
        self.procs = {}
        self.smtp_port = free_port()
        self.web_port = free_port()
        self.mails = os.path.join(self.dir, "mails.jsonl")
        self.pages = os.path.join(self.dir, "pages.jsonl")
        self.run_dir = os.path.join(self.dir, "run")
        self.config = os.path.join(self.dir, "tandem.yaml")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(CONFIG.format(spool=os.path.join(self.dir, "spool"),
                                  smtp_port=self.smtp_port, web_port=self.web_port))
        self.sock = os.path.join(self.run_dir, "alertd.sock")

    def _spawn(self, name, argv):
        log = open(os.path.join(self.dir, name + ".log"), "a", encoding="utf-8")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        proc.logfile = log
        self.procs[name] = proc
        return proc

    def _stop(self, name, kill=False):
        proc = self.procs.pop(name)
        if proc.poll() is None:
            proc.kill() if kill else proc.terminate()
            proc.wait(timeout=20)
        proc.logfile.close()

    def _kill_all(self):
        for name in list(self.procs):
            self._stop(name, kill=True)

    def log(self, name):
        with open(os.path.join(self.dir, name + ".log"), encoding="utf-8", errors="replace") as f:
            return f.read()

    def _port_open(self, port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                return True
        except OSError:
            return False

    def start_smtp(self):
        self._spawn("smtpd", [PY, os.path.join(PEERS, "smtpd.py"), "--listen",
                              "127.0.0.1:%d" % self.smtp_port, "--spool", self.mails])
        wait_until(lambda: self._port_open(self.smtp_port), what="smtpd listening")

    def start_web(self):
        self._spawn("webhook", [PY, os.path.join(PEERS, "webhook.py"), "--listen",
                                "127.0.0.1:%d" % self.web_port, "--out", self.pages])
        wait_until(lambda: self._port_open(self.web_port), what="webhook listening")

    def answers(self):
        try:
            return request(self.sock, "ping")["ok"]
        except (OSError, ValueError, AssertionError):
            return False

    def start_alertd(self):
        proc = self._spawn("alertd", [os.path.join(BIN, "tandem-alertd"), "--foreground",
                                      "--run-dir", self.run_dir, "--config", self.config])
        wait_until(lambda: self.answers() or proc.poll() is not None, what="alertd socket")
        if proc.poll() is not None:
            raise AssertionError("alertd exited %d:\n%s" % (proc.returncode, self.log("alertd")))

    def event(self, server, summary):
        reply = request(self.sock, "event", {
            "kind": "server_down", "severity": "critical", "service": "web",
            "server": server, "summary": summary, "detail": "connect refused"})
        self.assertTrue(reply["ok"], reply)
        return reply["result"]["jobs"]

    def alerts(self):
        reply = request(self.sock, "alerts")
        self.assertTrue(reply["ok"], reply)
        return reply["result"]

    def mails_with(self, text):
        return [m for m in read_lines(self.mails) if text in m["data"]]

    def pages_with(self, text):
        return [p for p in read_lines(self.pages) if text in p["body"]]

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


if __name__ == "__main__":
    unittest.main()
