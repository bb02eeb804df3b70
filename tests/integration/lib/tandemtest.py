"""Shared helpers for Tandem's integration tests.

Tests are plain Python 3 (Debian's /usr/bin/python3, stdlib only) run by
ctest. Each test that builds namespaces uses its own lab prefix, and
Lab.__exit__ tears everything down even when the test fails, so a failed run
never leaves a namespace, a link or a process behind.
"""
import json
import os
import signal
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


class NetBed:
    """Namespaces PREFIX-NODE built by a test, and the processes it starts in
    them. down() removes every one of them, whatever state a failed test
    left, and up() starts with down() so a killed run's leftovers go too."""

    def __init__(self, prefix, nodes):
        self.prefix = prefix
        self.nodes = list(nodes)
        self.procs = []

    def ns(self, node):
        return "%s-%s" % (self.prefix, node)

    def nsx(self, node, *cmd, check=True, timeout=60):
        return run(["ip", "netns", "exec", self.ns(node)] + list(cmd), check=check,
                   timeout=timeout)

    def add_namespaces(self):
        self.down()
        for n in self.nodes:
            run(["ip", "netns", "add", self.ns(n)])
            run(["ip", "-n", self.ns(n), "link", "set", "lo", "up"])

    def bridges(self, switch, lans):
        """Bridges br-LAN in the switch node (no STP, no netfilter, so hostile
        frames reach the director as sent)."""
        self.nsx(switch, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=0", check=False)
        for lan in lans:
            sw = ["ip", "-n", self.ns(switch), "link"]
            run(sw + ["add", "br-" + lan, "type", "bridge"])
            run(sw + ["set", "br-" + lan, "type", "bridge", "stp_state", "0", "forward_delay",
                      "0"])
            run(sw + ["set", "br-" + lan, "up"])

    def host(self, switch, node, lan, ifname, addr):
        """node's ifname (with addr) plugged into the switch's br-LAN."""
        port = "%s-%s" % (node, lan)
        run(["ip", "-n", self.ns(switch), "link", "add", port, "type", "veth", "peer", "name",
             ifname, "netns", self.ns(node)])
        run(["ip", "-n", self.ns(switch), "link", "set", port, "master", "br-" + lan, "up"])
        run(["ip", "-n", self.ns(node), "addr", "add", addr, "dev", ifname])
        run(["ip", "-n", self.ns(node), "link", "set", ifname, "up"])

    def wire(self, a, ifa, addra, b, ifb, addrb):
        """A veth pair straight between two nodes."""
        run(["ip", "-n", self.ns(a), "link", "add", ifa, "type", "veth", "peer", "name", ifb,
             "netns", self.ns(b)])
        for node, ifname, addr in ((a, ifa, addra), (b, ifb, addrb)):
            run(["ip", "-n", self.ns(node), "addr", "add", addr, "dev", ifname])
            run(["ip", "-n", self.ns(node), "link", "set", ifname, "up"])

    def spawn(self, node, *cmd, env=None, log=None):
        out = open(log, "w") if log else subprocess.DEVNULL
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(node)] + list(cmd), stdout=out,
                             stderr=subprocess.STDOUT, start_new_session=True, env=env)
        if log:
            out.close()  # the child holds its own descriptor
        self.procs.append(p)
        return p

    def stop(self, p):
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)

    def down(self):
        for p in self.procs:
            self.stop(p)
        self.procs = []
        for n in self.nodes:
            for pid in run(["ip", "netns", "pids", self.ns(n)], check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            run(["ip", "netns", "del", self.ns(n)], check=False)


def director_status(run_dir):
    """tandem-director's own status object (`detail`), through tandemctl."""
    out = run([os.path.join(BIN, "tandemctl"), "--run-dir", run_dir, "--json", "status",
               "director"]).stdout
    return json.loads(out)["daemons"][0]["status"]["detail"]


def main():
    if os.geteuid() != 0:
        print("integration tests need root (network namespaces)", file=sys.stderr)
        sys.exit(1)
    unittest.main(verbosity=2)
