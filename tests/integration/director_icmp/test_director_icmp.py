#!/usr/bin/python3
"""ICMP through tandem-director, in namespaces of its own (prefix d1):

  d1-c  client 198.18.0.10 ──[br-o]── d1-d  out0 198.18.0.2   (VIP .100)
                                      d1-d  in0  198.18.1.2 + DIP .1 ──[br-i]── d1-r1 .11

A real client holds a TCP connection through the VIP (NAT 8080 -> 80, and
DR 80), then an ICMP "fragmentation needed" about our reply to it is sent to
the VIP, as a router on the client's path would: it must reach rs1 (tcpdump
there), NAT-translated (outer destination and quoted source are rs1's) or,
for DR, unchanged but for the MACs, every checksum valid. `ping VIP` gets
answers from the active director; restarted as a backup (a vrrp instance
carries the VIP and no vrrpd makes it master) the director answers none.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import tandemtest as tt  # noqa: E402

P = "d1"
BOUND = 30.0  # bounds a hang, never a performance threshold
VIP = "198.18.0.100"
CLIENT = "198.18.0.10"
RS1 = "198.18.1.11"
HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "icmp_tool.py")
HTTPD = os.path.join(tt.REPO, "lab", "peers", "httpd.py")

CONFIG = """
global:
  workers: 2    # steering: the client's errors and pings meet its connections' shard
interfaces:
  outside: { device: out0, role: outside }
  inside: { device: in0, role: inside }
services:
  - name: web-dr
    protocol: tcp
    address: 198.18.0.100
    port: 80
    forwarding: dr
    scheduler: rr
    real_servers:
      - { name: rs1, address: 198.18.1.11 }
  - name: web-nat
    protocol: tcp
    address: 198.18.0.100
    port: 8080
    forwarding: nat
    scheduler: rr
    real_servers:
      - { name: rs1, address: 198.18.1.11, port: 80 }
"""

# The same director as a backup: a vrrp instance carries the VIP, and with
# no vrrpd to make it master it stays standby.
BACKUP = CONFIG + """
vrrp:
  instances:
    - name: vip
      interface: outside
      vrid: 61
      version: 3
      advert_interval: 1s
      virtual_addresses: [198.18.0.100/24]
"""


def sh(*cmd, check=True):
    return tt.run(list(cmd), check=check)


def nsx(node, *cmd, check=True, timeout=60):
    return tt.run(["ip", "netns", "exec", "%s-%s" % (P, node)] + list(cmd), check=check,
                  timeout=timeout)


class Bed(tt.NetBed):
    def __init__(self):
        super().__init__(P, ["sw", "c", "d", "r1"])
        self.director = None
        self.dir = tempfile.mkdtemp(prefix="d1-icmp-")
        self.conf = os.path.join(self.dir, "tandem.yaml")
        self.run_dir = os.path.join(self.dir, "run")
        self.log = os.path.join(self.dir, "director.log")

    def up(self):
        self.add_namespaces()
        self.bridges("sw", ("o", "i"))
        self.host("sw", "c", "o", "eth0", CLIENT + "/24")
        sh("ip", "-n", P + "-c", "route", "add", "198.18.1.0/24", "via", "198.18.0.2")
        self.host("sw", "d", "o", "out0", "198.18.0.2/24")
        self.host("sw", "d", "i", "in0", "198.18.1.2/24")
        sh("ip", "-n", P + "-d", "addr", "add", "198.18.1.1/24", "dev", "in0")
        nsx("d", "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.accept_local=1")
        self.host("sw", "r1", "i", "eth0", RS1 + "/24")
        sh("ip", "-n", P + "-r1", "route", "add", "default", "via", "198.18.1.1")
        sh("ip", "-n", P + "-r1", "addr", "add", VIP + "/32", "dev", "lo")
        nsx("r1", "sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1",
            "net.ipv4.conf.all.arp_announce=2", "net.ipv4.conf.all.rp_filter=0",
            "net.ipv4.conf.default.rp_filter=0")
        self.spawn("r1", "/usr/bin/python3", HTTPD, "--port", "80", "--name", "rs1")
        tt.wait_until(lambda: nsx("d", "curl", "-s", "-m", "3", "http://%s/health" % RS1,
                                  check=False).returncode == 0, timeout=BOUND, what="httpd on r1")

    def start_director(self, text):
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text)
        if self.director is not None:
            self.stop(self.director)
            self.procs.remove(self.director)
        sock = os.path.join(self.run_dir, "director.sock")
        if os.path.exists(sock):
            os.unlink(sock)
        self.director = self.spawn("d", os.path.join(tt.BIN, "tandem-director"), "--foreground",
                                   "--config", self.conf, "--run-dir", self.run_dir,
                                   log=self.log)
        tt.wait_until(lambda: os.path.exists(sock), timeout=BOUND, what="director socket")
        tt.wait_until(lambda: self.status().get("neighbours_unresolved") == 0, timeout=BOUND,
                      what="real server's MAC")

    def rs1_nat_stats(self):
        """rs1's counters in the NAT service, from `tandemctl --json list`."""
        out = tt.run([os.path.join(tt.BIN, "tandemctl"), "--run-dir", self.run_dir, "--json",
                      "list"])
        for svc in json.loads(out.stdout)["services"]:
            if svc["port"] == 8080:
                return svc["servers"][0]["stats"]
        raise AssertionError("no NAT service in %s" % out.stdout)

    def status(self):
        return tt.director_status(self.run_dir)


class HeldConnection:
    """A TCP connection from the client to VIP:port, held open by a helper
    process; .cport is its client port."""

    def __init__(self, port):
        code = ("import socket,sys\n"
                "s=socket.create_connection(('%s',%d),timeout=5)\n"
                "print(s.getsockname()[1],flush=True)\n"
                "sys.stdin.readline()\n"
                "s.sendall(b'GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n')\n"
                "s.settimeout(5)\n"
                "b=b''\n"
                "try:\n"
                "  while True:\n"
                "    d=s.recv(4096)\n"
                "    if not d: break\n"
                "    b+=d\n"
                "except Exception: pass\n"
                "print(b.decode(errors='replace'),flush=True)\n" % (VIP, port))
        self.p = subprocess.Popen(["ip", "netns", "exec", P + "-c", "/usr/bin/python3", "-c", code],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.cport = int(self.p.stdout.readline())

    def fetch(self):
        out, _ = self.p.communicate("go\n", timeout=BOUND)
        return out

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        for pipe in (self.p.stdin, self.p.stdout):
            if pipe and not pipe.closed:
                pipe.close()


class DirectorIcmp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bed = Bed()
        try:
            cls.bed.up()
            cls.bed.start_director(CONFIG)
        except Exception:
            cls.dump()
            cls.bed.down()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.dump()
        cls.bed.down()
        shutil.rmtree(cls.bed.dir, ignore_errors=True)

    @classmethod
    def dump(cls):
        try:
            with open(cls.bed.log, encoding="utf-8", errors="replace") as f:
                sys.stderr.write("--- director log (tail)\n" + "".join(f.readlines()[-20:]))
        except OSError:
            pass

    def frag_needed_reaches_rs1(self, vport, cport, src=CLIENT):
        """Sends frag-needed (from src) about our reply VIP:vport -> client:cport
        until rs1's capture holds what the director relayed; returns that record."""
        pcap = os.path.join(self.bed.dir, "rs1-%d-%s.pcap" % (vport, src))
        dump = self.bed.spawn("r1", "tcpdump", "-U", "-n", "-i", "eth0", "-w", pcap, "icmp")
        self.addCleanup(self.bed.stop, dump)
        tt.wait_until(lambda: os.path.exists(pcap) and os.path.getsize(pcap) >= 24,
                      timeout=BOUND, what="tcpdump on r1")

        def relayed():
            nsx("c", "/usr/bin/python3", TOOL, "frag-needed", "--src", src, "--dst", VIP,
                "--quote-src", VIP, "--quote-sport", str(vport), "--quote-dst", CLIENT,
                "--quote-dport", str(cport), "--mtu", "1280")
            time.sleep(0.2)
            out = tt.run(["/usr/bin/python3", TOOL, "read-pcap", pcap]).stdout
            recs = [json.loads(line) for line in out.splitlines() if line.strip()]
            return [r for r in recs if r["type"] == 3 and r["code"] == 4] or None
        return tt.wait_until(relayed, timeout=BOUND, interval=0.3,
                             what="frag needed relayed to rs1")[0]

    def test_1_nat_frag_needed_reaches_the_real_server_translated(self):
        before = self.bed.status()
        held = HeldConnection(8080)
        self.addCleanup(held.close)
        # The handshake's last packets may still be on their way.
        tt.wait_until(lambda: self.bed.rs1_nat_stats()["inpkts"] >= 2, timeout=BOUND,
                      what="the connection counted")
        stats = self.bed.rs1_nat_stats()
        table = self.bed.status()["table"]["connections"]
        rec = self.frag_needed_reaches_rs1(8080, held.cport)
        # Outer destination and the quoted source are rs1's own: its kernel
        # finds its socket 198.18.1.11:80 <-> client:cport.
        self.assertEqual(rec["src"], CLIENT, rec)
        self.assertEqual(rec["dst"], RS1, rec)
        self.assertEqual((rec["q_src"], rec["q_sport"]), (RS1, 80), rec)
        self.assertEqual((rec["q_dst"], rec["q_dport"]), (CLIENT, held.cport), rec)
        self.assertEqual(rec["mtu"], 1280, rec)
        self.assertTrue(rec["ip_sum_ok"] and rec["icmp_sum_ok"] and rec["q_sum_ok"], rec)
        # Counted as IPVS does: an incoming packet of rs1, no new connection.
        after = self.bed.rs1_nat_stats()
        self.assertGreater(after["inpkts"], stats["inpkts"], (stats, after))
        self.assertEqual(after["conns"], stats["conns"], (stats, after))
        self.assertEqual(self.bed.status()["table"]["connections"], table)
        # The connection is untouched and still carries a request.
        self.assertIn("rs1", held.fetch())
        self.assertGreater(self.bed.status()["icmp"]["errors_in"], before["icmp"]["errors_in"])
        self.assertIsNone(self.bed.director.poll(), "director died")

    def test_1b_frag_needed_from_routers_reaches_the_clients_worker(self):
        # Routers on the client's path send these, from their own address:
        # the fanout must steer by the quoted client, not the sender, or the
        # error lands on a worker that does not hold the connection. With two
        # workers, some of these senders hash to the other worker.
        held = HeldConnection(8080)
        self.addCleanup(held.close)
        for router in ("198.18.0.250", "198.18.0.251", "198.18.0.252", "198.18.0.253"):
            rec = self.frag_needed_reaches_rs1(8080, held.cport, src=router)
            self.assertEqual(rec["src"], router, rec)
            self.assertEqual((rec["q_dst"], rec["q_dport"]), (CLIENT, held.cport), rec)

    def test_2_dr_frag_needed_reaches_the_real_server_unchanged(self):
        held = HeldConnection(80)
        self.addCleanup(held.close)
        rec = self.frag_needed_reaches_rs1(80, held.cport)
        # DR: only the MACs change; rs1 holds the VIP itself.
        self.assertEqual(rec["dst"], VIP, rec)
        self.assertEqual((rec["q_src"], rec["q_sport"]), (VIP, 80), rec)
        self.assertEqual((rec["q_dst"], rec["q_dport"]), (CLIENT, held.cport), rec)
        self.assertTrue(rec["ip_sum_ok"] and rec["icmp_sum_ok"] and rec["q_sum_ok"], rec)
        self.assertIn("rs1", held.fetch())

    def test_3_error_about_no_connection_is_not_relayed(self):
        pcap = os.path.join(self.bed.dir, "rs1-none.pcap")
        dump = self.bed.spawn("r1", "tcpdump", "-U", "-n", "-i", "eth0", "-w", pcap, "icmp")
        self.addCleanup(self.bed.stop, dump)
        tt.wait_until(lambda: os.path.exists(pcap) and os.path.getsize(pcap) >= 24,
                      timeout=BOUND, what="tcpdump on r1")
        # Relayed errors prove the capture works; one about a port no client
        # used must never appear among them.
        held = HeldConnection(8080)
        self.addCleanup(held.close)
        nsx("c", "/usr/bin/python3", TOOL, "frag-needed", "--src", CLIENT, "--dst", VIP,
            "--quote-src", VIP, "--quote-sport", "8080", "--quote-dst", CLIENT,
            "--quote-dport", "9")
        rec = self.frag_needed_reaches_rs1_after(pcap, held.cport)
        out = tt.run(["/usr/bin/python3", TOOL, "read-pcap", pcap]).stdout
        ports = {json.loads(line)["q_dport"] for line in out.splitlines() if line.strip()}
        self.assertNotIn(9, ports, out)
        self.assertIn(held.cport, ports, rec)

    def frag_needed_reaches_rs1_after(self, pcap, cport):
        def relayed():
            nsx("c", "/usr/bin/python3", TOOL, "frag-needed", "--src", CLIENT, "--dst", VIP,
                "--quote-src", VIP, "--quote-sport", "8080", "--quote-dst", CLIENT,
                "--quote-dport", str(cport))
            time.sleep(0.2)
            out = tt.run(["/usr/bin/python3", TOOL, "read-pcap", pcap]).stdout
            return out if ('"q_dport": %d' % cport) in out else None
        return tt.wait_until(relayed, timeout=BOUND, interval=0.3, what="relayed error")

    def test_3b_nat_server_error_reaches_the_client_translated(self):
        """rs1 reports port unreachable about the client's request it
        received (client:cport -> rs1:80); the client must get it from the
        VIP about client:cport -> VIP:8080."""
        held = HeldConnection(8080)
        self.addCleanup(held.close)
        pcap = os.path.join(self.bed.dir, "client.pcap")
        dump = self.bed.spawn("c", "tcpdump", "-U", "-n", "-i", "eth0", "-w", pcap, "icmp")
        self.addCleanup(self.bed.stop, dump)
        tt.wait_until(lambda: os.path.exists(pcap) and os.path.getsize(pcap) >= 24,
                      timeout=BOUND, what="tcpdump on the client")

        def translated():
            nsx("r1", "/usr/bin/python3", TOOL, "frag-needed", "--type", "3", "--code", "3",
                "--src", RS1, "--dst", CLIENT, "--quote-src", CLIENT, "--quote-sport",
                str(held.cport), "--quote-dst", RS1, "--quote-dport", "80")
            time.sleep(0.2)
            out = tt.run(["/usr/bin/python3", TOOL, "read-pcap", pcap]).stdout
            recs = [json.loads(line) for line in out.splitlines() if line.strip()]
            # The director's kernel may route its own untranslated copy too.
            return [r for r in recs if r["type"] == 3 and r["src"] == VIP] or None
        rec = tt.wait_until(translated, timeout=BOUND, interval=0.3, what="translated error")[0]
        self.assertEqual(rec["code"], 3, rec)
        self.assertEqual(rec["dst"], CLIENT, rec)
        self.assertEqual((rec["q_src"], rec["q_sport"]), (CLIENT, held.cport), rec)
        self.assertEqual((rec["q_dst"], rec["q_dport"]), (VIP, 8080), rec)
        self.assertTrue(rec["ip_sum_ok"] and rec["icmp_sum_ok"] and rec["q_sum_ok"], rec)

    def test_4_ping_vip_answered_by_the_active_director_only(self):
        res = nsx("c", "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", VIP, check=False)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertIn("3 received", res.stdout)
        self.assertIn("from %s" % VIP, res.stdout)
        self.assertGreaterEqual(self.bed.status()["icmp"]["echo_replies"], 3)

        # Restarted as a backup: no vrrpd makes it master, so it must stay
        # silent although the frames still reach it (static neighbour entry:
        # a backup answers no ARP either).
        mac = nsx("d", "cat", "/sys/class/net/out0/address").stdout.strip()
        self.bed.start_director(BACKUP)
        self.assertFalse(self.bed.status()["active"])
        sh("ip", "-n", P + "-c", "neigh", "replace", VIP, "lladdr", mac, "dev", "eth0", "nud",
           "permanent")
        res = nsx("c", "ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", VIP, check=False)
        self.assertNotEqual(res.returncode, 0, res.stdout)
        self.assertIn(" 0 received", res.stdout)
        st = self.bed.status()
        self.assertGreaterEqual(st["icmp"]["inactive"], 3)
        self.assertEqual(st["icmp"]["echo_replies"], 0)
        # Seen and dropped, not missed: the workers received the requests.
        self.assertGreaterEqual(sum(w["rx_frames"] for w in st["workers"]), 3)
        self.assertIsNone(self.bed.director.poll(), "director died")


if __name__ == "__main__":
    tt.main()
