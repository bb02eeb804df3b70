#!/usr/bin/python3
"""Two tandem-syncd daemons in namespaces h7-a (198.18.7.1) and h7-b
(198.18.7.2) joined by a veth pair, each fed by a fake director on its
record stream (synctool.Stream). Roles are set with the `sync-role` command
(no vrrpd here). Checks: live records reach the backup's director (multicast
and unicast), forged/replayed/wrong-syncid/truncated datagrams are counted
and never installed, and a backup started after the records were sent gets
them by resync. Everything is removed afterwards, also on failure."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
sys.path.insert(0, os.path.dirname(__file__))
import synctool as st  # noqa: E402
import tandemtest as tt  # noqa: E402

NS = {"a": "h7-a", "b": "h7-b"}
ADDR = {"a": "198.18.7.1", "b": "198.18.7.2"}
KEY = b"h7-integration-secret-key"
SYNCD = os.path.join(tt.BIN, "tandem-syncd")
CTL = os.path.join(tt.BIN, "tandemctl")

CONFIG = """global:
  log_level: debug
nodes:
  a: {address: 198.18.7.1}
  b: {address: 198.18.7.2}
interfaces:
  inside: {device: eth0, role: inside}
sync:
  enabled: true
  interface: inside
  transport: %(transport)s
  syncid: 7
  flush_interval: 20ms
  authentication:
    keys:
      - {id: 1, key: %(key)s}
"""


def sh(*cmd, check=True):
    return tt.run(list(cmd), check=check)


def teardown(procs=()):
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    for ns in NS.values():
        pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
        if pids:
            subprocess.run(["kill", "-KILL"] + pids, capture_output=True)
        sh("ip", "netns", "del", ns, check=False)


def request(path, cmd, args=None):
    reply = tt.control_request(path, cmd, args)
    if not reply.get("ok"):
        raise AssertionError("%s: %s" % (cmd, reply))
    return reply["result"]


class SyncPair(unittest.TestCase):
    transport = "multicast"

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tandem-h7-")
        cls.procs = []
        cls.addClassCleanup(shutil.rmtree, cls.work, True)
        cls.addClassCleanup(teardown, cls.procs)
        teardown()  # leftovers of a killed run
        for ns in NS.values():
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", NS["a"], "link", "add", "eth0", "type", "veth", "peer", "name", "eth0",
           "netns", NS["b"])
        for n in NS:
            sh("ip", "-n", NS[n], "addr", "add", ADDR[n] + "/24", "dev", "eth0")
            sh("ip", "-n", NS[n], "link", "set", "eth0", "up")
        cls.config = os.path.join(cls.work, "tandem.yaml")
        with open(cls.config, "w") as f:
            f.write(CONFIG % {"transport": cls.transport, "key": KEY.decode()})

    def setUp(self):
        self.streams = []
        self.addCleanup(self.stop_all)
        for n in NS:
            self.start(n)

    def stop_all(self):
        for s in self.streams:
            s.close()
        for p in list(self.procs):
            if p.poll() is None:
                p.kill()
                p.wait()
            p.log.close()
        self.procs.clear()

    def run_dir(self, n):
        return os.path.join(self.work, "run-" + n)

    def sock(self, n):
        return os.path.join(self.run_dir(n), "syncd.sock")

    def log(self, n):
        with open(os.path.join(self.work, "syncd-%s.log" % n), errors="replace") as f:
            return f.read()

    def start(self, n):
        log = open(os.path.join(self.work, "syncd-%s.log" % n), "a")
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "JOURNAL_STREAM")}
        p = subprocess.Popen(["ip", "netns", "exec", NS[n], SYNCD, "--foreground", "--config",
                              self.config, "--node", n, "--run-dir", self.run_dir(n)],
                             stdout=log, stderr=subprocess.STDOUT, env=env)
        p.log = log
        p.node = n
        self.procs.append(p)

        def up():
            if p.poll() is not None:
                raise AssertionError("syncd %s exited:\n%s" % (n, self.log(n)))
            try:
                return request(self.sock(n), "sync")["enabled"]
            except (OSError, AssertionError, ValueError):
                return False
        tt.wait_until(up, what="syncd " + n)
        st_ = request(self.sock(n), "sync")
        self.assertTrue(st_["udp_open"], st_.get("udp_error"))
        return p

    def kill(self, n):
        for p in self.procs:
            if p.node == n and p.poll() is None:
                p.kill()
                p.wait()

    def stream(self, n):
        path = os.path.join(self.run_dir(n), "syncd.stream.sock")
        s = st.Stream(path)
        self.streams.append(s)
        tt.wait_until(lambda: request(self.sock(n), "sync")["director_connected"],
                      what="director stream " + n)
        return s

    def role(self, n, role):
        self.assertEqual(request(self.sock(n), "sync-role", {"role": role})["role"], role)

    def status(self, n):
        return request(self.sock(n), "sync")

    def collect(self, stream, want, timeout=20.0):
        """cports of installs until `want` distinct ones arrived."""
        got = set()
        deadline = time.monotonic() + timeout
        while len(got) < want and time.monotonic() < deadline:
            for r in stream.read(0.2):
                got.add(st.parse_record(r)["cport"])
        return got

    # ---- tests ----

    def test_live_records_reach_the_backup_director(self):
        self.role("a", "master")
        self.role("b", "backup")
        da, db = self.stream("a"), self.stream("b")
        tt.wait_until(lambda: self.status("b")["peers"], what="b hears a")
        recs = [st.record(10000 + i) for i in range(300)]
        da.send(recs)
        got = self.collect(db, 300)
        self.assertEqual(got, set(range(10000, 10300)))
        b = self.status("b")
        self.assertEqual(b["rejected_total"], 0, b["rejected"])
        self.assertGreaterEqual(b["counters"]["received_records"], 300)
        a = self.status("a")
        self.assertEqual(a["counters"]["local_records"], 300)
        self.assertGreaterEqual(a["lag_ms"]["samples"], 1)
        # The backup's director gets a faithful copy.
        # (Copies of the 300 may still be arriving: b's director connecting
        # asked for a resync.)
        da.send([st.record(4242, caddr="198.18.0.77", daddr="198.18.1.12", state=4,
                           timeout=120)])
        sample = None
        deadline = time.monotonic() + 20
        while sample is None and time.monotonic() < deadline:
            for r in db.read(0.2):
                p = st.parse_record(r)
                if p["cport"] == 4242:
                    sample = p
        self.assertIsNotNone(sample, "record 4242 never reached b's director")
        self.assertEqual((sample["caddr"], sample["daddr"], sample["state"], sample["timeout"]),
                         ("198.18.0.77", "198.18.1.12", 4, 120))
        # tandemctl shows the same.
        out = tt.run([CTL, "--run-dir", self.run_dir("b"), "--json", "sync"]).stdout
        doc = json.loads(out)
        self.assertEqual(doc["role"], "backup")
        self.assertGreaterEqual(doc["counters"]["received_records"], 301)

    def test_forged_replayed_wrong_syncid_and_truncated_are_counted(self):
        self.role("a", "none")
        self.role("b", "backup")
        db = self.stream("b")
        port = 8848
        dest = ("224.0.0.81" if self.transport == "multicast" else ADDR["b"], port)
        msg = st.ipvs_message([st.record(1)], 7)
        good = st.envelope(1, msg, KEY, seq=1)
        datagrams = [
            good,
            good,  # replay
            st.envelope(1, msg, b"wrong-key-wrong-key-wrong", seq=2),  # bad HMAC
            st.envelope(1, st.ipvs_message([st.record(2)], 99), KEY, seq=3),  # wrong syncid
            good[:20],  # truncated
        ]
        script = ("import socket,sys\n"
                  "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                  "s.setsockopt(socket.IPPROTO_IP,socket.IP_MULTICAST_IF,socket.inet_aton('%s'))\n"
                  "for h in sys.argv[1:]: s.sendto(bytes.fromhex(h),('%s',%d))\n"
                  % (ADDR["a"], dest[0], dest[1]))
        sh("ip", "netns", "exec", NS["a"], "/usr/bin/python3", "-c", script,
           *[d.hex() for d in datagrams])

        def counted():
            r = self.status("b")["rejected"]
            return r if (r.get("replay") == 1 and r.get("bad_hmac") == 1
                         and r.get("wrong_syncid") == 1 and r.get("truncated") == 1) else None
        tt.wait_until(counted, what="rejections counted")
        got = self.collect(db, 1, timeout=3)
        self.assertEqual(got, {1})  # only the one good record was installed

    def test_backup_started_late_receives_the_table_by_resync(self):
        self.kill("b")
        self.role("a", "master")
        da = self.stream("a")
        da.send([st.record(20000 + i) for i in range(500)])
        tt.wait_until(lambda: self.status("a")["mirror"] == 500, what="a's mirror")
        self.start("b")
        self.role("b", "backup")
        db = self.stream("b")
        # Whether the join resync arrives before or after the director
        # connects, it ends up there (a connecting director triggers a resync).
        got = self.collect(db, 500, timeout=30)
        self.assertEqual(got, set(range(20000, 20500)))
        self.assertGreaterEqual(self.status("a")["counters"]["resyncs_served"], 1)
        self.assertGreaterEqual(self.status("b")["counters"]["resyncs_completed"], 1)

    def test_operator_resync_and_director_restart_on_the_backup(self):
        self.role("a", "master")
        self.role("b", "backup")
        da = self.stream("a")
        da.send([st.record(30000 + i) for i in range(50)])
        tt.wait_until(lambda: self.status("b")["mirror"] >= 50, what="b got the records")
        # b's director was not connected: those installs were dropped. A
        # director that connects now gets the table by resync.
        db = self.stream("b")
        self.assertEqual(self.collect(db, 50), set(range(30000, 30050)))
        before = self.status("a")["counters"]["resyncs_served"]
        out = tt.run([CTL, "--run-dir", self.run_dir("b"), "sync", "resync"]).stdout
        self.assertIn("resync requested", out)
        tt.wait_until(lambda: self.status("a")["counters"]["resyncs_served"] > before,
                      what="a serves the operator's resync")
        self.assertEqual(self.collect(db, 50), set(range(30000, 30050)))


class SyncPairUnicast(SyncPair):
    transport = "unicast"


if __name__ == "__main__":
    unittest.main(verbosity=2)
