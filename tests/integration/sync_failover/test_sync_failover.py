#!/usr/bin/python3
"""The lab (prefix h7l, etc/tandem/lab.yaml: NAT web service on the VIP,
sync unicast between dir1 and dir2): the client holds 200 keep-alive HTTP
connections through the VIP, dir2's director learns them from syncd, then
dir1 fails: every daemon of dir1 is killed with SIGKILL, or (separately)
both of dir1's links are pulled. vrrpd on dir2 takes the VIP and the DIP,
and every connection must keep exchanging requests through dir2. Counts are
printed. Everything is removed afterwards (Lab.__exit__).
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import tandemtest as tt  # noqa: E402

PREFIX = "h7l"
VIP = "198.18.0.100"
N = 200
HOLDER = os.path.join(os.path.dirname(__file__), "holder.py")


class SyncFailover(unittest.TestCase):
    def vrrp_state(self, lab, node):
        try:
            doc = lab.ctl_json(node, "vrrp")
        except (AssertionError, ValueError, subprocess.SubprocessError):
            return None
        inst = doc.get("instances", doc) if isinstance(doc, dict) else doc
        return {i.get("instance"): i.get("state") for i in inst if isinstance(i, dict)}

    def sync_status(self, lab, node):
        try:
            return lab.ctl_json(node, "sync")
        except (AssertionError, ValueError, subprocess.SubprocessError):
            return {}

    def test_connections_survive_kill_of_the_active_director(self):
        def kill_dir1():
            pids = tt.run(["ip", "netns", "pids", PREFIX + "-dir1"]).stdout.split()
            subprocess.run(["kill", "-KILL"] + pids, check=False)
        self.fail_over(kill_dir1, "kill -9 of dir1")

    def test_connections_survive_pulled_links_of_the_active_director(self):
        def pull_links():
            for dev in ("out0", "in0"):
                tt.run(["ip", "-n", PREFIX + "-dir1", "link", "set", dev, "down"])
        self.fail_over(pull_links, "dir1's links pulled")

    def fail_over(self, fail, what):
        with tt.Lab(PREFIX) as lab:
            tt.wait_until(lambda: (self.vrrp_state(lab, "dir1") or {}).get("vip") == "master",
                          timeout=60, what="dir1 master")
            tt.wait_until(lambda: self.sync_status(lab, "dir1").get("role") == "master"
                          and self.sync_status(lab, "dir1").get("director_connected")
                          and self.sync_status(lab, "dir2").get("director_connected"),
                          timeout=60, what="sync up on both directors")
            work = tempfile.mkdtemp(prefix="tandem-h7l-")
            stop = os.path.join(work, "stop")
            out = open(os.path.join(work, "holder.out"), "w+")
            self.addCleanup(out.close)
            holder = subprocess.Popen(
                ["ip", "netns", "exec", PREFIX + "-client", "/usr/bin/python3", HOLDER, VIP, "80",
                 str(N), stop], stdout=out, stderr=subprocess.STDOUT)
            self.addCleanup(lambda: holder.poll() is None and holder.kill())

            def rounds():
                out.seek(0)
                return [json.loads(line) for line in out.read().splitlines()
                        if line.startswith("{")]

            tt.wait_until(lambda: any(r.get("ok") == N for r in rounds()), timeout=60,
                          what="all %d connections established" % N)
            tt.wait_until(lambda: self.sync_status(lab, "dir2").get("counters", {})
                          .get("installs", 0) >= N, timeout=60, what="dir2 installed them")
            before = len(rounds())
            fail()
            killed_at = time.monotonic()
            tt.wait_until(lambda: (self.vrrp_state(lab, "dir2") or {}).get("vip") == "master",
                          timeout=60, what="dir2 takes over")
            # Every surviving connection must complete rounds after the kill.
            tt.wait_until(lambda: sum(1 for r in rounds()[before:]
                                      if r.get("t", 0) > killed_at + 1) >= 3,
                          timeout=90, what="three full rounds after the failover")
            open(stop, "w").close()
            holder.wait(timeout=60)
            final = rounds()[-1] if rounds() else {}
            out.seek(0)
            lines = out.read().splitlines()
            done = json.loads(lines[-1]) if lines else {}
            print("sync failover: %d connections, %s alive after %s, dead %s"
                  % (N, done.get("alive"), what, done.get("dead")), flush=True)
            print("dir2 sync:", json.dumps(self.sync_status(lab, "dir2").get("counters", {})))
            self.assertEqual(done.get("alive"), N, "lost connections: %s\n%s"
                             % (done.get("dead"), "\n".join(lines[-5:])))
            self.assertIsNotNone(final)


if __name__ == "__main__":
    tt.main()
