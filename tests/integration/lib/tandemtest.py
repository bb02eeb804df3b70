"""Shared helpers for Tandem's integration tests.

Tests are plain Python 3 (Debian's /usr/bin/python3, stdlib only) run by
ctest. Each test that builds namespaces uses its own lab prefix, and
Lab.__exit__ tears everything down even when the test fails, so a failed run
never leaves a namespace, a link or a process behind.
"""
import json
import os
import socket
import subprocess
import sys
import time
import unittest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.environ.get("TANDEM_BIN", os.path.join(REPO, "build", "bin"))
LAB = os.path.join(REPO, "lab", "tandem-lab")
DAEMONS = ["director", "healthd", "vrrpd", "syncd", "alertd"]


def run(cmd, check=True, timeout=60, **kw):
    """Runs a command, returning CompletedProcess with text output."""
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and res.returncode != 0:
        raise AssertionError("%s exited %d\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(cmd), res.returncode, res.stdout, res.stderr))
    return res



def control_request(path, cmd, args=None):
    """One request on a daemon's control socket (JSON lines); the whole reply."""
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

def wait_until(predicate, timeout=20.0, interval=0.1, what="condition"):
    """Polls predicate until it is truthy; the timeout only bounds a hang,
    it is not a performance threshold."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def namespaces():
    out = run(["ip", "netns", "list"]).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


class Lab:
    """The lab topology under a test-specific prefix, as a context manager."""

    def __init__(self, prefix, config=None, peers=True, run_root="/run/tandem-lab-test"):
        self.prefix = prefix
        self.env = dict(os.environ, TANDEM_LAB_PREFIX=prefix, TANDEM_LAB_BIN=BIN,
                        TANDEM_LAB_RUN_ROOT=run_root, TANDEM_LAB_PEERS="1" if peers else "0")
        if config:
            self.env["TANDEM_LAB_CONFIG"] = config
        self.run_dir = os.path.join(run_root, prefix)

    def lab(self, *args, check=True, timeout=120):
        return run([LAB] + list(args), check=check, timeout=timeout, env=self.env)

    def __enter__(self):
        self.lab("down")  # a leftover from a killed run must not break this one
        self.lab("up")
        return self

    def __exit__(self, *exc):
        self.lab("down", check=False)
        return False

    def node_dir(self, node):
        return os.path.join(self.run_dir, node)

    def ctl(self, node, *args, check=True, timeout=30):
        return run([os.path.join(BIN, "tandemctl"), "--run-dir", self.node_dir(node)] + list(args),
                   check=check, timeout=timeout)

    def ctl_json(self, node, *args):
        return json.loads(self.ctl(node, "--json", *args).stdout)

    def exec(self, node, *cmd, check=True, timeout=60):
        return run(["ip", "netns", "exec", "%s-%s" % (self.prefix, node)] + list(cmd),
                   check=check, timeout=timeout)

    def log(self, name):
        with open(os.path.join(self.run_dir, "logs", name + ".log"), encoding="utf-8",
                  errors="replace") as f:
            return f.read()


def main():
    if os.geteuid() != 0:
        print("integration tests need root (network namespaces)", file=sys.stderr)
        sys.exit(1)
    unittest.main(verbosity=2)
