"""tandem-alertd's subscriptions, against stand-in healthd and vrrpd control
sockets the test serves itself (the real protocol: JSON lines, `subscribe`,
events): a published health.server_down becomes exactly one mail and one
page, health.actions is no alert, a recovery that happened while healthd was
away is found by the reconnect snapshot and sent as the upalert, and a
vrrp.state change is a role_change notice. Loopback and a temp dir only."""
import json
import os
import socket
import sys
import threading
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "alerts_smtp"))
from harness import RETRY_BOUND, AlertdHarness, request, wait_until  # noqa: E402

CONFIG = """global:
  log_level: info
alerts:
  spool_dir: {spool}
  backup_alerts: true          # the stand-in vrrpd starts as backup
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
  routes:
    - name: ops
      senders: [mail, page]
      upalert: true
"""


class FakeDaemon:
    """A control socket that answers `subscribe` and one query command and
    pushes events to subscribers; `drop()` closes every connection, as a
    daemon restart does."""

    def __init__(self, path, query, answer):
        self.path, self.query, self.answer = path, query, answer
        self.lock = threading.Lock()
        self.conns = []       # (socket, topics)
        self.queries = 0
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(8)
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            entry = [c, []]
            with self.lock:
                self.conns.append(entry)
            threading.Thread(target=self._serve, args=(entry,), daemon=True).start()

    def _serve(self, entry):
        c = entry[0]
        buf = b""
        while True:
            try:
                chunk = c.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                req = json.loads(line)
                if req["cmd"] == "subscribe":
                    entry[1] = req["args"]["topics"]
                    result = {"topics": entry[1]}
                elif req["cmd"] == self.query:
                    with self.lock:
                        self.queries += 1
                    result = self.answer()
                else:
                    self._send(c, {"id": req["id"], "ok": False, "error": "unknown command"})
                    continue
                self._send(c, {"id": req["id"], "ok": True, "result": result})

    def _send(self, c, obj):
        try:
            c.sendall((json.dumps(obj) + "\n").encode())
        except OSError:
            pass

    def subscribed(self):
        with self.lock:
            return [t for _, t in self.conns if t]

    def publish(self, topic, data):
        with self.lock:
            conns = [c for c, t in self.conns if t]
        for c in conns:
            self._send(c, {"event": topic, "time": time.time(), "data": data})

    def drop(self):
        with self.lock:
            conns, self.conns = self.conns, []
        for c, _ in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    def close(self):
        self.closed = True
        self.drop()
        self.srv.close()


class AlertsFeedsTest(AlertdHarness):
    CONFIG = CONFIG

    def setUp(self):
        super().setUp()
        self.write_config()
        os.makedirs(self.run_dir, exist_ok=True)
        self.rs2 = "up"
        self.healthd = FakeDaemon(os.path.join(self.run_dir, "healthd.sock"), "health",
                                  self.health_answer)
        self.addCleanup(self.healthd.close)
        self.vrrpd = FakeDaemon(os.path.join(self.run_dir, "vrrpd.sock"), "vrrp",
                                lambda: {"instances": [{"instance": "vi_web", "state": "backup"}]})
        self.addCleanup(self.vrrpd.close)

    def health_answer(self):
        return {"services": [{"service": "web", "has_quorum": True, "servers": [
            {"server": "rs1", "state": "up", "last": {"summary": "HTTP 200"}},
            {"server": "rs2", "state": self.rs2, "last": {"summary": "HTTP 200 again"}}]}]}

    def feeds(self):
        return request(self.sock, "status")["result"]["detail"]["feeds"]

    def subjects(self):
        out = []
        from harness import read_lines
        for m in read_lines(self.mails):
            for line in m["data"].replace("\r\n", "\n").split("\n"):
                if line.lower().startswith("subject:"):
                    out.append(line.split(":", 1)[1].strip())
                    break
        return out

    def test_health_and_vrrp_events_become_alerts(self):
        self.start_smtp()
        self.start_web()
        self.start_alertd()
        wait_until(lambda: self.healthd.subscribed() == [["health.*"]] and self.healthd.queries,
                   timeout=RETRY_BOUND, what="alertd subscribed to healthd and asked health")
        wait_until(lambda: self.vrrpd.subscribed() == [["vrrp.state"]] and self.vrrpd.queries,
                   timeout=RETRY_BOUND, what="alertd subscribed to vrrpd and asked vrrp")
        # The first snapshot is a baseline: nothing is sent for it.
        wait_until(lambda: self.feeds()["healthd_connected"], what="feeds status")

        self.healthd.publish("health.actions", {"service": "web", "actions": []})
        self.rs2 = "down"
        self.healthd.publish("health.server_down",
                             {"service": "web", "server": "rs2", "summary": "HTTP 500 from /"})
        wait_until(lambda: self.mails_with("HTTP 500 from /") and self.pages_with("HTTP 500"),
                   timeout=RETRY_BOUND, what="down mail and page")
        wait_until(lambda: not self.alerts()["queue"], timeout=RETRY_BOUND, what="queue empty")
        self.assertEqual(self.subjects(), ["[tandem] ALERT web/rs2: HTTP 500 from /"])
        page = json.loads(self.pages_with("HTTP 500")[0]["body"])
        self.assertEqual((page["kind"], page["severity"], page["service"], page["server"]),
                         ("server_down", "warning", "web", "rs2"))

        # healthd restarts; rs2 recovered while alertd was not listening.
        self.rs2 = "up"
        queries = self.healthd.queries
        self.healthd.drop()
        wait_until(lambda: self.healthd.queries > queries and self.healthd.subscribed(),
                   timeout=RETRY_BOUND, what="alertd reconnected to healthd")
        wait_until(lambda: len(self.subjects()) == 2, timeout=RETRY_BOUND, what="upalert mail")
        self.assertEqual(self.subjects()[1], "[tandem] UPALERT web/rs2: HTTP 200 again")
        self.assertIn("found when alertd (re)connected", self.mails_with("UPALERT")[0]["data"])

        # A role change.
        self.vrrpd.publish("vrrp.state", {
            "instance": "vi_web", "group": None, "vrid": 51, "interface": "eth0",
            "state": "master", "previous": "backup", "priority": 150, "master": "198.18.0.2",
            "reason": "peer silent", "vips": ["198.18.0.100/24"]})
        wait_until(lambda: len(self.subjects()) == 3, timeout=RETRY_BOUND, what="notice mail")
        self.assertEqual(self.subjects()[2],
                         "[tandem] NOTICE vi_web: vi_web is master (was backup): peer silent")
        self.assertIn("vips: 198.18.0.100/24", self.mails_with("NOTICE")[0]["data"])
        wait_until(lambda: not self.alerts()["queue"], timeout=RETRY_BOUND, what="queue empty")
        self.assertEqual(len(self.subjects()), 3)
        self.assertEqual(len(self.pages_with("rs2")), 2)
        feeds = self.feeds()
        self.assertEqual((feeds["events"], feeds["ignored"], feeds["caught_up"], feeds["not_kept"]),
                         (2, 1, 1, 0))


if __name__ == "__main__":
    unittest.main()
