"""Hostile input to tandem-alertd: huge and binary event text, CR/LF header
injection in what becomes the subject, bytes that are not UTF-8, and an exec
hook that hangs (killed at its timeout, retried, not blocking other alerts).
Loopback only; every process is killed in cleanup."""
import json
import os
import signal
import socket
import stat
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "alerts_smtp"))
from harness import RETRY_BOUND, AlertdHarness, request, wait_until  # noqa: E402

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
      to: [ops@alerts.test]
      timeout: 5s
    page:
      type: page
      url: http://127.0.0.1:{web_port}/page
      timeout: 5s
    hook:
      type: exec
      path: {dir}/hang.sh
      timeout: 2s
  routes:
    - name: ops
      match: {{events: [server_down]}}
      senders: [mail, page]
    - name: hook
      match: {{events: [quorum_lost]}}
      senders: [hook]
"""

HOOK = """#!/bin/sh
echo $$ >> {dir}/hook.pids
exec sleep 1000
"""


def headers_of(data):
    head = data.replace("\r\n", "\n").split("\n\n", 1)[0]
    names = []
    for line in head.split("\n"):
        if line[:1] in (" ", "\t"):
            continue  # folded continuation
        names.append(line.split(":", 1)[0].strip().lower())
    return head, names


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose (its parent reaps it).
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False


class AlertsHostileTest(AlertdHarness):
    CONFIG = CONFIG

    def setUp(self):
        super().setUp()
        self.write_config()
        hook = os.path.join(self.dir, "hang.sh")
        with open(hook, "w", encoding="utf-8") as f:
            f.write(HOOK.format(dir=self.dir))
        os.chmod(hook, stat.S_IRWXU)
        self.addCleanup(self._kill_hooks)

    def hook_pids(self):
        path = os.path.join(self.dir, "hook.pids")
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as f:
            return [int(x) for x in f.read().split()]

    def _kill_hooks(self):
        for pid in self.hook_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def test_huge_binary_and_injected_text(self):
        self.start_smtp()
        self.start_web()
        self.start_alertd()
        summary = ("inj-probe\r\nBcc: victim@evil.test\r\nX-Injected: yes\n\x00\x01\x1b[31m\x7f"
                   "\u2028" + "S" * 100000)
        server = "rs1\r\nX-Server-Injected: 1"
        detail = "\r\n.\r\nMAIL FROM:<evil@evil.test>\r\n" + "D" * 500000
        jobs = self.event(server, summary, detail=detail)
        self.assertEqual(len(jobs), 2)
        wait_until(lambda: self.mails_with("inj-probe") and self.pages_with("inj-probe"),
                   timeout=RETRY_BOUND, what="mail and page delivered")
        wait_until(lambda: not self.alerts()["queue"], timeout=RETRY_BOUND, what="queue empty")
        mails = self.mails_with("inj-probe")
        self.assertEqual(len(mails), 1)
        mail = mails[0]
        self.assertEqual(mail["to"], ["ops@alerts.test"])
        self.assertEqual(mail["from"], "tandem@alerts.test")
        head, names = headers_of(mail["data"])
        for bad in ("bcc", "x-injected", "x-server-injected"):
            self.assertNotIn(bad, names, head[:2000])
        self.assertEqual(names.count("subject"), 1, head)
        # Bounded: summary 4 KiB, detail 64 KiB, plus headers.
        self.assertLess(len(mail["data"]), 100000)
        # (assertTrue, not assertIn: a failure would print 70 KB of mail)
        self.assertTrue("[truncated]" in mail["data"])
        for raw in ("\x00", "\x01", "\x1b", "\x7f", "\u2028"):
            self.assertFalse(raw in mail["data"], repr(raw))
        self.assertTrue("\\x1B[31m" in mail["data"])  # escaped, still readable
        # The smuggled SMTP end-of-data did not end the message early.
        self.assertEqual(len(self.mails_with("evil@evil.test")), 1)
        page = json.loads(self.pages_with("inj-probe")[0]["body"])
        self.assertNotIn("\r", page["subject"])
        self.assertNotIn("\n", page["subject"])
        self.assertLess(len(page["subject"]), 1000)
        self.assertTrue(page["server"].startswith("rs1"))
        self.assertNotIn("\n", page["server"])

    def test_bytes_that_are_not_utf8_are_refused_and_alertd_survives(self):
        self.start_alertd()
        line = (b'{"id":1,"cmd":"event","args":{"kind":"server_down","service":"w",'
                b'"summary":"\xff\xfe bad"}}\n')
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(self.sock)
            s.sendall(line)
            reply = b""
            try:
                while not reply.endswith(b"\n"):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
            except OSError:
                pass
        if reply:
            self.assertFalse(json.loads(reply)["ok"], reply)
        self.assertTrue(self.answers())
        self.assertEqual(self.alerts()["queue"], [])
        bad = request(self.sock, "event", {"kind": "server_down", "summary": ["not", "text"]})
        self.assertFalse(bad["ok"])
        self.assertEqual(request(self.sock, "status")["result"]["detail"]["rejected_events"], 1)

    def test_hanging_hook_is_killed_at_its_timeout(self):
        self.start_smtp()
        self.start_web()
        self.start_alertd()
        jobs = request(self.sock, "event", {"kind": "quorum_lost", "severity": "critical",
                                            "service": "web", "summary": "hook-probe"})
        self.assertTrue(jobs["ok"], jobs)

        def hook_failed():
            q = [q for q in self.alerts()["queue"] if q["sender"] == "hook"]
            return q and q[0]["attempts"] >= 1 and q[0]
        job = wait_until(hook_failed, timeout=RETRY_BOUND, what="hook attempt timed out")
        self.assertIn("timed out and was killed", job["last_error"])
        pids = self.hook_pids()
        self.assertTrue(pids, "the hook never ran")
        wait_until(lambda: not alive(pids[0]), timeout=RETRY_BOUND,
                   what="the hung hook's process is gone")
        # The hook still hangs on every retry, but other alerts get through.
        self.event("rs2", "after-hook-probe")
        wait_until(lambda: self.mails_with("after-hook-probe"), timeout=RETRY_BOUND,
                   what="mail delivered while the hook keeps failing")
        self.assertEqual([q["sender"] for q in self.alerts()["queue"]], ["hook"])


if __name__ == "__main__":
    unittest.main()
