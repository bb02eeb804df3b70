#!/usr/bin/python3
"""alertd in the lab: stopping rs2's HTTP server makes dir1's healthd mark
web/rs2 down, and dir1's alertd (fed by its `health.*` subscription, not by
the `event` command) sends exactly one mail to the lab's aiosmtpd and one page
to its webhook; starting the server again gives exactly one upalert of each.

dir2's alertd is stopped first: both directors check the same servers and
would each alert (see docs/alerts.md), and this test counts messages."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import tandemtest as tt  # noqa: E402

PREFIX = "h4"
BOUND = 120.0  # against a hang, not a performance threshold
PY = "/usr/bin/python3"


def lab_config():
    """lab.yaml with short check intervals (each director's spool is already
    its own, under the lab's run directory)."""
    with open(os.path.join(tt.REPO, "etc", "tandem", "lab.yaml"), encoding="utf-8") as f:
        text = f.read()
    text, n = re.subn(r"(?m)^(    type: (http|https|dns|telnet)\n)",
                      r"\1    interval: 2s\n    timeout: 1s\n", text)
    assert n >= 4, "lab.yaml monitor templates not found"
    assert re.search(r"(?m)^  spool_dir: spool", text), "lab.yaml's spool is not per director"
    fd, path = tempfile.mkstemp(prefix="h4-alerts-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def comm(pid):
    try:
        with open("/proc/%s/comm" % pid, encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return ""


def cmdline(pid):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def ns_pids(ns):
    return tt.run(["ip", "netns", "pids", ns], check=False).stdout.split()


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def subject(mail):
    for line in mail["data"].replace("\r\n", "\n").split("\n"):
        if line.lower().startswith("subject:"):
            return line.split(":", 1)[1].strip()
        if not line:
            break
    return None


class AlertsLabTest(unittest.TestCase):
    def test_real_server_down_and_up_mail_and_page(self):
        config = lab_config()
        self.httpd = None
        try:
            with tt.Lab(PREFIX, config=config) as lab:
                try:
                    self.run_scenario(lab)
                finally:
                    if self.httpd and self.httpd.poll() is None:
                        self.httpd.kill()
                        self.httpd.wait(timeout=20)
        finally:
            os.unlink(config)

    def server(self, lab, service, name):
        for svc in lab.ctl_json("dir1", "health")["services"]:
            if svc["service"] != service:
                continue
            for s in svc["servers"]:
                if s["server"] == name:
                    return s
        return None

    def run_scenario(self, lab):
        mails_path = os.path.join(lab.run_dir, "mail", "messages.jsonl")
        pages_path = os.path.join(lab.run_dir, "mail", "pages.jsonl")
        # One director alerts in this test (see the module docstring).
        victims = [p for p in ns_pids("%s-dir2" % PREFIX) if comm(p) == "tandem-alertd"]
        self.assertTrue(victims, "no alertd on dir2")
        for pid in victims:
            os.kill(int(pid), signal.SIGTERM)

        def all_up():
            states = [s["state"] for svc in lab.ctl_json("dir1", "health")["services"]
                      for s in svc["servers"]]
            return len(states) == 12 and all(s == "up" for s in states)
        tt.wait_until(all_up, timeout=BOUND, interval=0.5, what="all servers up")

        def feeds():
            st = lab.ctl_json("dir1", "status", "alertd")["daemons"][0]["status"]["detail"]
            return st["feeds"]["healthd_connected"] and st
        tt.wait_until(feeds, timeout=BOUND, interval=0.5, what="alertd subscribed to healthd")
        # Whatever start-up produced (VRRP role notices, a slow first check)
        # is the baseline; from here on the mailbox must hold exactly what
        # this test causes.
        mail_base = len(read_jsonl(mails_path))
        page_base = len(read_jsonl(pages_path))

        # Stop rs2's HTTP server (only the one in rs2's namespace).
        httpds = [p for p in ns_pids("%s-rs2" % PREFIX)
                  if "httpd.py" in cmdline(p) and "--port 80" in cmdline(p)]
        self.assertTrue(httpds, "no httpd.py in rs2")
        for pid in httpds:
            os.kill(int(pid), signal.SIGTERM)
        tt.wait_until(lambda: self.server(lab, "web", "rs2")["state"] == "down", timeout=BOUND,
                      interval=0.5, what="web/rs2 down")

        def delivered(kind):
            mails = [m for m in read_jsonl(mails_path)[mail_base:]
                     if "web/rs2" in (subject(m) or "")]
            pages = [p for p in read_jsonl(pages_path)[page_base:] if '"rs2"' in p["body"]]
            return (len([m for m in mails if subject(m).startswith("[tandem] " + kind)]) >= 1 and
                    len([p for p in pages if '"type":"%s"' % ("failure" if kind == "ALERT"
                                                              else "up") in p["body"]]) >= 1)
        tt.wait_until(lambda: delivered("ALERT"), timeout=BOUND, interval=0.5,
                      what="down mail and page")
        tt.wait_until(lambda: not lab.ctl_json("dir1", "alerts")["queue"], timeout=BOUND,
                      interval=0.5, what="alert queue empty")

        # Back up: start rs2's HTTP server again, as the lab does.
        self.httpd = subprocess.Popen(
            ["ip", "netns", "exec", "%s-rs2" % PREFIX, PY,
             os.path.join(tt.REPO, "lab", "peers", "httpd.py"), "--port", "80", "--name", "rs2"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        tt.wait_until(lambda: self.server(lab, "web", "rs2")["state"] == "up", timeout=BOUND,
                      interval=0.5, what="web/rs2 back up")
        tt.wait_until(lambda: delivered("UPALERT"), timeout=BOUND, interval=0.5,
                      what="upalert mail and page")
        tt.wait_until(lambda: not lab.ctl_json("dir1", "alerts")["queue"], timeout=BOUND,
                      interval=0.5, what="alert queue empty")

        # Exactly the expected messages. Role-change notices (vrrpd settling)
        # are the only other thing allowed in the mailbox.
        new_mails = read_jsonl(mails_path)[mail_base:]
        mails = [m for m in new_mails if not subject(m).startswith("[tandem] NOTICE")]
        self.assertEqual([subject(m).split(":")[0] for m in mails],
                         ["[tandem] ALERT web/rs2", "[tandem] UPALERT web/rs2"],
                         [subject(m) for m in new_mails])
        for m in mails:
            self.assertEqual(m["to"], ["ops@lab.tandem.test"])
        pages = [json.loads(p["body"]) for p in read_jsonl(pages_path)[page_base:]]
        pages = [p for p in pages if p["type"] != "notice"]
        self.assertEqual([(p["type"], p["service"], p["server"]) for p in pages],
                         [("failure", "web", "rs2"), ("up", "web", "rs2")], pages)
        self.assertEqual(pages[0]["kind"], "server_down")
        self.assertEqual(pages[0]["severity"], "warning")
        # tandemctl shows both deliveries of each.
        table = lab.ctl("dir1", "alerts").stdout
        self.assertIn("delivered", table)
        self.assertIn("UPALERT web/rs2", table)


if __name__ == "__main__":
    tt.main()
