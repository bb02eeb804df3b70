#!/usr/bin/python3
"""tandem-director forwarding real TCP in namespaces of its own (prefix h1):

  h1-c  client 198.18.0.10 ──[br-o]── h1-d  out0 198.18.0.2   (VIPs .100 .101)
                                      h1-d  in0  198.18.1.2 + DIP .1 ──[br-i]── h1-r1..r3 .11-.13

curl through the VIP in DR (:80), NAT with port mapping (:8080 -> 80), TUN
(198.18.0.101:80, IPIP seen by tcpdump on rs1), rr distribution, NAT
persistence, quiescence and removal by config reload, and hostile frames
counted in status while the daemon stays up and the table stays bounded.
No vrrp in this config: the director owns the VIPs (answers ARP) itself.
"""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import tandemtest as tt  # noqa: E402

P = "h1"
BOUND = 30.0  # bounds a hang, never a performance threshold
REALS = ["r1", "r2", "r3"]
HTTPD = os.path.join(tt.REPO, "lab", "peers", "httpd.py")


def sh(*cmd, check=True):
    return tt.run(list(cmd), check=check)


def nsx(node, *cmd, check=True, timeout=60):
    return tt.run(["ip", "netns", "exec", "%s-%s" % (P, node)] + list(cmd), check=check,
                  timeout=timeout)


def config(rs1_weight=1, with_rs2=True, expire_nodest=False):
    reals = ["rs1", "rs2", "rs3"] if with_rs2 else ["rs1", "rs3"]
    addr = {"rs1": "198.18.1.11", "rs2": "198.18.1.12", "rs3": "198.18.1.13"}

    def servers(extra=""):
        out = ""
        for r in reals:
            w = rs1_weight if r == "rs1" else 1
            out += "      - { name: %s, address: %s, weight: %d%s }\n" % (r, addr[r], w, extra)
        return out

    return """
global:
  max_connections: 2048   # 1024 per worker: the SYN flood fills it
  workers: 2
  expire_nodest_conn: %s
interfaces:
  outside: { device: out0, role: outside }
  inside: { device: in0, role: inside }
services:
  - name: dr
    protocol: tcp
    address: 198.18.0.100
    port: 80
    forwarding: dr
    scheduler: rr
    real_servers:
%s
  - name: nat
    protocol: tcp
    address: 198.18.0.100
    port: 8080
    forwarding: nat
    scheduler: rr
    real_servers:
%s
  - name: sticky
    protocol: tcp
    address: 198.18.0.100
    port: 8081
    forwarding: nat
    scheduler: rr
    persistence: { timeout: 60s }
    real_servers:
%s
  - name: tun
    protocol: tcp
    address: 198.18.0.101
    port: 80
    forwarding: tun
    scheduler: rr
    real_servers:
%s
""" % ("true" if expire_nodest else "false", servers(), servers(", port: 80"),
       servers(", port: 80"), servers())


class Bed(tt.NetBed):
    def __init__(self):
        super().__init__(P, ["sw", "c", "d"] + REALS)
        self.dir = tempfile.mkdtemp(prefix="h1-director-")
        self.conf = os.path.join(self.dir, "tandem.yaml")
        self.run_dir = os.path.join(self.dir, "run")

    def up(self):
        self.add_namespaces()
        self.bridges("sw", ("o", "i"))
        self.host("sw", "c", "o", "eth0", "198.18.0.10/24")
        sh("ip", "-n", P + "-c", "route", "add", "198.18.1.0/24", "via", "198.18.0.2")
        self.host("sw", "d", "o", "out0", "198.18.0.2/24")
        self.host("sw", "d", "i", "in0", "198.18.1.2/24")
        sh("ip", "-n", P + "-d", "addr", "add", "198.18.1.1/24", "dev", "in0")
        nsx("d", "sysctl", "-qw", "net.ipv4.ip_forward=1")
        for i, r in enumerate(REALS):
            ns = "%s-%s" % (P, r)
            self.host("sw", r, "i", "eth0", "198.18.1.%d/24" % (11 + i))
            sh("ip", "-n", ns, "route", "add", "default", "via", "198.18.1.1")
            sh("ip", "-n", ns, "addr", "add", "198.18.0.100/32", "dev", "lo")
            sh("ip", "-n", ns, "addr", "add", "198.18.0.101/32", "dev", "lo")
            nsx(r, "sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1",
                "net.ipv4.conf.all.arp_announce=2", "net.ipv4.conf.all.rp_filter=0",
                "net.ipv4.conf.default.rp_filter=0")
            # TUN: tunl0 would decapsulate IPIP, but this kernel has no ipip
            # module; tun_decap.py does the same in user space. The inner VIP is on lo.
            self.spawn(r, "/usr/bin/python3", os.path.join(os.path.dirname(__file__), "tun_decap.py"))
            self.spawn(r, "/usr/bin/python3", HTTPD, "--port", "80", "--name", "rs%d" % (i + 1))
        for i, r in enumerate(REALS):
            tt.wait_until(lambda i=i: self.http_ok("198.18.1.%d" % (11 + i), 80, node="d"),
                          timeout=BOUND, what="httpd on " + r)

    def write_config(self, **kw):
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(config(**kw))

    def start_director(self):
        self.log = os.path.join(self.dir, "director.log")
        self.director = self.spawn("d", os.path.join(tt.BIN, "tandem-director"), "--foreground",
                                   "--config", self.conf, "--run-dir", self.run_dir,
                                   log=self.log)
        tt.wait_until(lambda: os.path.exists(os.path.join(self.run_dir, "director.sock")),
                      timeout=BOUND, what="director socket")
        tt.wait_until(lambda: self.status().get("neighbours_unresolved") == 0, timeout=BOUND,
                      what="real servers' MACs")

    def ctl(self, *args, check=True):
        return tt.run([os.path.join(tt.BIN, "tandemctl"), "--run-dir", self.run_dir] + list(args),
                      check=check)

    def status(self):
        return tt.director_status(self.run_dir)

    def reload(self, **kw):
        self.write_config(**kw)
        self.ctl("reload", "director")

    def http_ok(self, addr, port, node="c"):
        res = nsx(node, "curl", "-s", "-m", "3", "http://%s:%d/health" % (addr, port), check=False)
        return res.returncode == 0 and "ok" in res.stdout

    def fetch(self, addr, port):
        res = nsx("c", "curl", "-s", "-m", "5", "http://%s:%d/" % (addr, port), check=False)
        if res.returncode != 0:
            raise AssertionError("curl %s:%d exit %d" % (addr, port, res.returncode))
        for name in ("rs1", "rs2", "rs3"):
            if name in res.stdout:
                return name
        raise AssertionError("no server name in %r" % res.stdout)


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def server_of(text):
    for name in ("rs1", "rs2", "rs3"):
        if name in text:
            return name
    return None


class DirectorLab(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bed = Bed()
        try:
            cls.bed.up()
            cls.bed.write_config()
            cls.bed.start_director()
        except Exception:
            cls.dump()
            cls.bed.down()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.dump()
        cls.bed.down()

    @classmethod
    def dump(cls):
        try:
            with open(cls.bed.log, encoding="utf-8", errors="replace") as f:
                sys.stderr.write("--- director log (tail)\n" + "".join(f.readlines()[-30:]))
        except (OSError, AttributeError):
            pass

    def test_1_dr_round_robin(self):
        got = [self.bed.fetch("198.18.0.100", 80) for _ in range(6)]
        # One client lands in one shard, so rr cycles through all three.
        self.assertEqual(sorted(got), ["rs1", "rs1", "rs2", "rs2", "rs3", "rs3"], got)
        self.assertEqual(got[:3], got[3:], got)
        # The kernel is kept out of VIP traffic by our own nftables table.
        self.assertTrue(self.bed.status()["nftables_guard"])
        table = nsx("d", "nft", "list", "table", "inet", "tandem").stdout
        self.assertIn("198.18.0.100", table)
        self.assertIn("198.18.1.11 . tcp . 80", table)

    def test_2_nat_port_mapping(self):
        got = [self.bed.fetch("198.18.0.100", 8080) for _ in range(3)]
        self.assertEqual(sorted(got), ["rs1", "rs2", "rs3"], got)
        st = self.bed.status()
        self.assertGreater(st["forwarded"]["out"], 0, st)

    def test_3_nat_persistence(self):
        got = {self.bed.fetch("198.18.0.100", 8081) for _ in range(5)}
        self.assertEqual(len(got), 1, got)
        self.assertGreaterEqual(self.bed.status()["table"]["templates"], 1)

    def test_4_tun_seen_as_ipip(self):
        cap = os.path.join(self.bed.dir, "ipip.txt")
        dump = self.bed.spawn("r1", "tcpdump", "-l", "-n", "-i", "eth0", "ip proto 4", log=cap)
        time.sleep(1.0)  # tcpdump has no readiness signal; a missed packet only repeats the loop
        try:
            got = [self.bed.fetch("198.18.0.101", 80) for _ in range(3)]
            self.assertEqual(sorted(got), ["rs1", "rs2", "rs3"], got)
            tt.wait_until(lambda: "198.18.1.2 > 198.18.1.11" in read(cap), timeout=BOUND,
                          what="IPIP from the director on rs1")
        finally:
            os.killpg(dump.pid, signal.SIGTERM)
            dump.wait(timeout=10)
        text = read(cap)
        self.assertIn("198.18.0.10", text)  # the inner client address
        self.assertIn("198.18.0.101", text)  # and the VIP

    def test_5_quiescent_keeps_connections(self):
        conns = [ClientConn(80) for _ in range(3)]
        try:
            for c in conns:
                c.connect()
            self.bed.reload(rs1_weight=0)
            tt.wait_until(lambda: self.bed.status().get("last_error") is None, timeout=BOUND)
            time.sleep(0.5)
            names = sorted(c.get() for c in conns)
            self.assertEqual(names, ["rs1", "rs2", "rs3"], names)
            fresh = [self.bed.fetch("198.18.0.100", 80) for _ in range(4)]
            self.assertNotIn("rs1", fresh)
        finally:
            for c in conns:
                c.close()
            self.bed.reload()

    def test_6_removed_server(self):
        conns = [ClientConn(80) for _ in range(3)]
        try:
            for c in conns:
                c.connect()
            before = self.bed.status()["core"]["server_gone"]
            self.bed.reload(with_rs2=False)
            time.sleep(0.5)
            names = sorted(filter(None, (c.get(expect_fail=True) for c in conns)))
            # expire_nodest_conn off: the removed server's connection is dropped.
            self.assertEqual(names, ["rs1", "rs3"], names)
            self.assertGreater(self.bed.status()["core"]["server_gone"], before)
            fresh = {self.bed.fetch("198.18.0.100", 80) for _ in range(4)}
            self.assertEqual(fresh, {"rs1", "rs3"})
        finally:
            for c in conns:
                c.close()
            self.bed.reload()

    def test_7_hostile_frames(self):
        held = ClientConn(8080)
        held.connect()
        self.addCleanup(held.close)
        before = self.bed.status()
        res = nsx("c", "/usr/bin/python3", os.path.join(os.path.dirname(__file__), "hostile.py"),
                  "--iface", "eth0", "--dst-ip", "198.18.0.100", "--flood", "3000",
                  timeout=120)
        self.assertEqual(res.returncode, 0, res.stderr)
        sent = json.loads(res.stdout)
        self.assertIsNone(self.bed.director.poll(), "director died")

        def counted():
            st = self.bed.status()
            pe, pb = st["parse_errors"], before["parse_errors"]
            done = (pe["bad_ihl"] > pb["bad_ihl"]
                    and pe["bad_ip_checksum"] > pb["bad_ip_checksum"]
                    and pe["non_first_fragment"] > pb["non_first_fragment"]
                    and st["drops"]["ttl_exceeded"] > before["drops"]["ttl_exceeded"]
                    and st["core"]["table_full"] > before["core"]["table_full"])
            return st if done else None
        st = tt.wait_until(counted, timeout=BOUND, what="hostile frames counted")
        self.assertGreater(st["icmp_errors_sent"], before["icmp_errors_sent"])
        # Bounded: the flood filled every shard's table and no further.
        self.assertLessEqual(st["table"]["connections"] + st["table"]["templates"],
                             st["table"]["max_entries"], sent)
        self.assertIsNone(self.bed.director.poll(), "director died")
        # A full table refuses new connections but keeps serving existing ones.
        self.assertIn(held.get(), ("rs1", "rs2", "rs3"))

    def test_6a_large_transfers_are_segmented_not_dropped(self):
        # The real servers' TCP hands veth 64 KiB GSO super-frames; a NAT
        # director must cut them to the MTU as the kernel would, not answer
        # them with frag-needed.
        before = self.bed.status()
        for _ in range(3):
            res = nsx("c", "curl", "-s", "-m", "20", "-o", "/dev/null", "-w", "%{size_download}",
                      "http://198.18.0.100:8080/bytes/4000000")
            self.assertEqual(res.stdout.strip(), "4000000")
        st = self.bed.status()
        self.assertGreater(st["superframes"], before["superframes"], st)
        self.assertGreater(st["segments"], st["superframes"])
        self.assertEqual(st["drops"]["too_big"], before["drops"]["too_big"], st["drops"])

    def test_6b_service_added_at_run_time(self):
        # A VIP and a real server tandem.yaml never named, added with the
        # ipvsadm verbs: the director must answer ARP for the VIP, accept it
        # in the ring filter, guard it from the kernel and resolve the new
        # server's MAC, exactly as for configured ones.
        sh("ip", "-n", P + "-r2", "addr", "add", "198.18.1.22/24", "dev", "eth0")
        self.addCleanup(sh, "ip", "-n", P + "-r2", "addr", "del", "198.18.1.22/24", "dev", "eth0",
                        check=False)
        self.bed.ctl("-A", "-t", "198.18.0.102:80", "-s", "rr")
        self.addCleanup(self.bed.ctl, "-D", "-t", "198.18.0.102:80", check=False)
        self.bed.ctl("-a", "-t", "198.18.0.102:80", "-r", "198.18.1.22:80", "-m")

        def fetched():
            try:
                return self.bed.fetch("198.18.0.102", 80)
            except AssertionError:
                return None
        self.assertEqual(tt.wait_until(fetched, timeout=BOUND, what="fetch via the new VIP"),
                         "rs2")
        table = nsx("d", "nft", "list", "table", "inet", "tandem").stdout
        self.assertIn("198.18.0.102", table)
        self.assertIn("198.18.1.22 . tcp . 80", table)
        self.bed.ctl("-D", "-t", "198.18.0.102:80")
        tt.wait_until(lambda: "198.18.0.102" not in
                      nsx("d", "nft", "list", "table", "inet", "tandem").stdout,
                      timeout=BOUND, what="the deleted VIP leaves the guard")
        # Configured VIPs are untouched by all this.
        self.assertIn(self.bed.fetch("198.18.0.100", 8080), ("rs1", "rs2", "rs3"))


class ClientConn:
    """A keep-alive HTTP/1.1 connection from the client namespace, held by a
    helper process so the test can send on it later."""

    def __init__(self, port):
        self.port = port
        self.p = None

    def connect(self):
        code = ("import socket,sys\n"
                "s=socket.create_connection(('198.18.0.100',%d),timeout=5)\n"
                "print('up',flush=True)\n"
                "sys.stdin.readline()\n"
                "s.settimeout(3)\n"
                "s.sendall(b'GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n')\n"
                "b=b''\n"
                "try:\n"
                "  while True:\n"
                "    d=s.recv(4096)\n"
                "    if not d: break\n"
                "    b+=d\n"
                "except Exception: pass\n"
                "print(b.decode(errors='replace'),flush=True)\n" % self.port)
        self.p = subprocess.Popen(["ip", "netns", "exec", P + "-c", "/usr/bin/python3", "-c", code],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        if line.strip() != "up":
            raise AssertionError("connection did not open: %r" % line)

    def get(self, expect_fail=False):
        out, _ = self.p.communicate("go\n", timeout=BOUND)
        name = server_of(out)
        if name is None and not expect_fail:
            raise AssertionError("no answer on held connection: %r" % out)
        return name

    def close(self):
        if self.p and self.p.poll() is None:
            self.p.kill()
            self.p.wait()


if __name__ == "__main__":
    tt.main()
