#!/usr/bin/python3
"""Routed next hops: a NAT real server one router away (namespaces d2-*).

  d2-c  client 198.18.70.10 ── d2-d out0 198.18.70.2 (VIP .100)
                               d2-d in0  198.18.71.2 ── d2-g 198.18.71.1 | 198.18.72.1 ── d2-r 198.18.72.11

198.18.72.0/24 is on no interface of the director: it reaches rs1 through
its kernel route via the router d2-g (frames to the router's MAC). A real
curl through the VIP must reach rs1 and come back translated. A DR server
on that subnet is refused (reported in status, never routed), and the
director turns GRO/LRO off on its links while it runs. A reload asking
for another worker count is logged as needing a restart and changes nothing.
"""
import os
import signal
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import tandemtest as tt  # noqa: E402

P = "d2"
BOUND = 30.0  # bounds a hang, never a performance threshold
NODES = ["c", "d", "g", "r"]
HTTPD = os.path.join(tt.REPO, "lab", "peers", "httpd.py")

CONFIG = """
global:
  workers: 1
interfaces:
  outside: { device: out0, role: outside }
  inside: { device: in0, role: inside }
services:
  - name: nat
    protocol: tcp
    address: 198.18.70.100
    port: 8080
    forwarding: nat
    scheduler: rr
    real_servers:
      - { name: rs1, address: 198.18.72.11, port: 80 }
  - name: dr
    protocol: tcp
    address: 198.18.70.100
    port: 80
    forwarding: dr
    real_servers:
      - { name: far, address: 198.18.72.12 }
"""


# GRO of a device through SIOCETHTOOL (the test host has no ethtool
# binary): prints 0/1; with a second argument sets it first.
GRO = r"""
import ctypes, fcntl, socket, struct, sys
def call(cmd, val=0):
    ev = ctypes.create_string_buffer(struct.pack("II", cmd, val))
    ifr = struct.pack("16sP", sys.argv[1].encode(), ctypes.addressof(ev)).ljust(40, b"\0")
    fcntl.ioctl(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), 0x8946, ifr)
    return struct.unpack("II", ev.raw[:8])[1]
if len(sys.argv) > 2:
    call(0x2c, int(sys.argv[2]))  # ETHTOOL_SGRO
print(call(0x2b))  # ETHTOOL_GGRO
"""


def ns(node):
    return "%s-%s" % (P, node)


def sh(*cmd, check=True):
    return tt.run(list(cmd), check=check)


def nsx(node, *cmd, check=True):
    return tt.run(["ip", "netns", "exec", ns(node)] + list(cmd), check=check)


class Routed(unittest.TestCase):
    def setUp(self):
        self.bed = tt.NetBed(P, NODES)
        self.dir = tempfile.mkdtemp(prefix="d2-routed-")
        self.run_dir = os.path.join(self.dir, "run")
        self.conf = os.path.join(self.dir, "tandem.yaml")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(CONFIG)
        self.addCleanup(self.bed.down)
        self.bed.add_namespaces()
        self.bed.wire("c", "eth0", "198.18.70.10/24", "d", "out0", "198.18.70.2/24")
        self.bed.wire("d", "in0", "198.18.71.2/24", "g", "eth0", "198.18.71.1/24")
        self.bed.wire("g", "eth1", "198.18.72.1/24", "r", "eth0", "198.18.72.11/24")
        sh("ip", "-n", ns("d"), "route", "add", "198.18.72.0/24", "via", "198.18.71.1")
        sh("ip", "-n", ns("g"), "route", "add", "default", "via", "198.18.71.2")
        sh("ip", "-n", ns("r"), "route", "add", "default", "via", "198.18.72.1")
        nsx("d", "sysctl", "-qw", "net.ipv4.ip_forward=1")
        nsx("g", "sysctl", "-qw", "net.ipv4.ip_forward=1")
        self.bed.spawn("r", "/usr/bin/python3", HTTPD, "--port", "80", "--name", "rs1")
        tt.wait_until(lambda: self.http("198.18.72.11", 80, node="g") == "hello from rs1", timeout=BOUND,
                      what="httpd on rs1")

    def http(self, addr, port, node="c"):
        res = nsx(node, "curl", "-s", "-m", "3", "http://%s:%d/" % (addr, port), check=False)
        return res.stdout.strip() if res.returncode == 0 else None

    def status(self):
        return tt.director_status(self.run_dir)

    def gro(self, dev, set_to=None):
        extra = [] if set_to is None else [str(set_to)]
        return nsx("d", "/usr/bin/python3", "-c", GRO, dev, *extra).stdout.strip()

    def test_nat_server_behind_a_router(self):
        # GRO on, as on a NIC: the director turns it off while it runs.
        for dev in ("out0", "in0"):
            self.assertEqual(self.gro(dev, 1), "1")
        log = os.path.join(self.dir, "director.log")
        director = self.bed.spawn("d", os.path.join(tt.BIN, "tandem-director"), "--foreground",
                              "--config", self.conf, "--run-dir", self.run_dir, log=log)
        try:
            tt.wait_until(lambda: os.path.exists(os.path.join(self.run_dir, "director.sock")),
                          timeout=BOUND, what="director socket")
            tt.wait_until(lambda: self.status().get("next_hops_routed") == 1, timeout=BOUND,
                          what="rs1 routed via d2-g")
            st = self.status()
            self.assertEqual(st["dr_not_on_link"], ["dr/far"])
            self.assertEqual(st["next_hops_unreachable"], 1)  # the DR server, never routed
            self.assertEqual(st["workers_configured"], 1)
            self.assertEqual(st["offloads_managed"], 2)
            self.assertEqual([self.gro("out0"), self.gro("in0")], ["0", "0"])
            # The router's MAC becomes rs1's next hop; curl through the VIP.
            tt.wait_until(lambda: self.status().get("neighbours_unresolved") == 1, timeout=BOUND,
                          what="the router's MAC")
            for _ in range(3):
                self.assertEqual(tt.wait_until(lambda: self.http("198.18.70.100", 8080),
                                               timeout=BOUND, what="curl through the VIP"),
                                 "hello from rs1")
            with open(log, encoding="utf-8") as f:
                text = f.read()
            self.assertIn("dr/far uses DR but is on no subnet of our interfaces", text)
            # A reload cannot change the worker count (logged, count kept),
            # and manage_offloads: false hands the links' offloads back.
            self.assertEqual(len(self.status()["workers"]), 1)
            with open(self.conf, "w", encoding="utf-8") as f:
                f.write(CONFIG.replace("workers: 1", "workers: 2\n  manage_offloads: false"))
            tt.run([os.path.join(tt.BIN, "tandemctl"), "--run-dir", self.run_dir, "reload",
                    "director"])
            tt.wait_until(lambda: self.status().get("workers_configured") == 2, timeout=BOUND,
                          what="the reload")
            st = self.status()
            self.assertEqual(len(st["workers"]), 1)
            self.assertEqual(st["offloads_managed"], 0)
            self.assertEqual([self.gro("out0"), self.gro("in0")], ["1", "1"])  # handed back
            with open(self.conf, "w", encoding="utf-8") as f:
                f.write(CONFIG)
            tt.run([os.path.join(tt.BIN, "tandemctl"), "--run-dir", self.run_dir, "reload",
                    "director"])
            tt.wait_until(lambda: self.status().get("offloads_managed") == 2, timeout=BOUND,
                          what="offloads managed again")
            self.assertEqual([self.gro("out0"), self.gro("in0")], ["0", "0"])
            with open(log, encoding="utf-8") as f:
                self.assertIn("global.workers changed to 2: it takes effect at the next restart; "
                              "still forwarding with 1 worker(s)", f.read())
            self.assertEqual(self.http("198.18.70.100", 8080), "hello from rs1")
        finally:
            director.send_signal(signal.SIGTERM)
            director.wait(timeout=BOUND)
        # A clean exit puts back what the director found.
        self.assertEqual([self.gro("out0"), self.gro("in0")], ["1", "1"])
        with open(log, encoding="utf-8") as f:
            sys.stdout.write(f.read()[-2000:])


if __name__ == "__main__":
    unittest.main()
