"""Shared by the alertd integration tests: runs tandem-alertd, the lab's
smtpd.py and webhook.py on loopback with ephemeral ports, and kills every
process it started in cleanup, also on failure."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from tandemtest import BIN, control_request, wait_until  # noqa: E402,F401

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PEERS = os.path.join(ROOT, "lab", "peers")
PY = "/usr/bin/python3"
RETRY_BOUND = 120.0  # covers a few backoff rounds


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(path, cmd, args=None):
    return control_request(path, cmd, args)


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


class AlertdHarness(unittest.TestCase):
    """Subclasses set CONFIG, formatted with spool, smtp_port, web_port, dir."""
    CONFIG = ""

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
        self.sock = os.path.join(self.run_dir, "alertd.sock")

    def write_config(self, **extra):
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(self.CONFIG.format(spool=os.path.join(self.dir, "spool"),
                                       smtp_port=self.smtp_port, web_port=self.web_port,
                                       dir=self.dir, **extra))

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

    def start_smtp(self, *extra, port=None, spool=None, name="smtpd"):
        port = port or self.smtp_port
        self._spawn(name, [PY, os.path.join(PEERS, "smtpd.py"), "--listen",
                           "127.0.0.1:%d" % port, "--spool", spool or self.mails, *extra])
        wait_until(lambda: self._port_open(port), what=name + " listening")

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

    def event(self, server, summary, **fields):
        args = {"kind": "server_down", "severity": "critical", "service": "web",
                "server": server, "summary": summary, "detail": "connect refused"}
        args.update(fields)
        reply = request(self.sock, "event", args)
        self.assertTrue(reply["ok"], reply)
        return reply["result"]["jobs"]

    def alerts(self):
        reply = request(self.sock, "alerts")
        self.assertTrue(reply["ok"], reply)
        return reply["result"]

    def mails_with(self, text, path=None):
        return [m for m in read_lines(path or self.mails) if text in m["data"]]

    def pages_with(self, text):
        return [p for p in read_lines(self.pages) if text in p["body"]]
