#!/usr/bin/python3
"""Two tandem-vrrpd directors and a client on a bridge (see vrrplab.py):
the master dies (kill -9), loses its link, or stops cleanly; the backup takes
over; the client keeps the virtual MAC for the VIP and its pings get
answered; the old master returns and preempts (or not, as configured); the
VIP and DIP instances always hold the same role (sync group); a background
sampler checks that two masters never last across consecutive samples."""
import os
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import vrrplab as vl  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import tandemtest as tt  # noqa: E402

VMAC = vl.VMAC[vl.VIP_VRID]


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


class Sampler(threading.Thread):
    """Polls both directors' states. Samples are far more than one advert
    interval (100 ms) apart, so a dual master seen in two samples in a row
    lasted longer than the RFC allows; one alone is a hand-over in flight."""

    def __init__(self, lab):
        super().__init__(daemon=True)
        self.lab = lab
        self.stop_flag = threading.Event()
        self.samples = []

    def run(self):
        while not self.stop_flag.is_set():
            s1, s2 = self.lab.states("d1"), self.lab.states("d2")
            self.samples.append((s1, s2))
            time.sleep(0.3)

    def finish(self):
        self.stop_flag.set()
        self.join(timeout=30)
        dual = [("vip" in a and a.get("vip") == "master" and b.get("vip") == "master")
                for a, b in self.samples]
        runs = [i for i in range(1, len(dual)) if dual[i] and dual[i - 1]]
        split = [(a, b) for a, b in self.samples
                 for s in (a, b) if s and s.get("vip") != s.get("dip")]
        return runs, split


class VrrpFailover(unittest.TestCase):
    def setUp(self):
        self.lab = vl.VrrpLab()
        self.addCleanup(self.lab.close)
        self.lab.up()
        self.sampler = Sampler(self.lab)

    def start_pair(self, **cfg):
        self.lab.start_tandem("d1", vl.tandem_config(**cfg))
        self.lab.start_tandem("d2", vl.tandem_config(**cfg))
        self.wait_roles("d1", "d2")
        self.sampler.start()

    def tearDown(self):
        if self.sampler.is_alive():
            runs, split = self.sampler.finish()
            self.assertEqual(runs, [], "two masters in consecutive samples")
            self.assertEqual(split, [], "vip and dip in different roles on one node")

    def wait_roles(self, master, backup):
        want_m = {"vip": "master", "dip": "master"}
        tt.wait_until(lambda: self.lab.states(master) == want_m, timeout=30,
                      what="%s master of vip and dip" % master)
        if backup and self.lab.alive(backup):
            tt.wait_until(lambda: self.lab.states(backup) == {"vip": "backup", "dip": "backup"},
                          timeout=30, what="%s backup" % backup)
        tt.wait_until(lambda: self.lab.holds(master, vl.VIP) and self.lab.holds(master, vl.DIP),
                      what="VIP and DIP on " + master)

    def assert_client_reaches_vip(self):
        tt.wait_until(lambda: self.lab.ping(), timeout=20, what="ping to the VIP")
        self.assertEqual(self.lab.client_mac(), VMAC)

    def test_kill9_then_preempt(self):
        self.start_pair()
        self.assert_client_reaches_vip()
        sub = self.lab.subscribe("d2")
        self.lab.kill("d1")
        ev = self.lab.events(sub, lambda m: m["data"]["instance"] == "vip"
                             and m["data"]["state"] == "master")
        sub.close()
        d = ev["data"]
        self.assertEqual((d["previous"], d["vrid"], d["interface"], d["group"], d["vips"]),
                         ("backup", vl.VIP_VRID, "eth0", "director", [vl.VIP + "/24"]))
        self.assertEqual(d["master"], vl.OUT_IP["d2"])
        self.wait_roles("d2", None)
        self.assert_client_reaches_vip()
        # The old master comes back with the higher priority and preempts.
        self.lab.start_tandem("d1", vl.tandem_config())
        self.wait_roles("d1", "d2")
        self.assertFalse(self.lab.holds("d2", vl.VIP))
        self.assert_client_reaches_vip()
        i = self.lab.instance("d2", "vip")
        self.assertEqual(i["master"], vl.OUT_IP["d1"])
        self.assertGreater(i["counters"]["became_master"], 0)

    def test_link_pulled(self):
        self.start_pair()
        self.lab.set_port("d1", "eth0", False)
        tt.wait_until(lambda: self.lab.states("d1") == {"vip": "fault", "dip": "fault"},
                      what="d1 in fault with its link down")
        self.wait_roles("d2", None)
        self.assertFalse(self.lab.holds("d1", vl.VIP))
        self.assert_client_reaches_vip()
        self.lab.set_port("d1", "eth0", True)
        self.wait_roles("d1", "d2")
        self.assert_client_reaches_vip()

    def test_clean_stop_resigns(self):
        self.start_pair()
        self.assertEqual(self.lab.stop("d1"), 0, self.lab.log("d1")[-3000:])
        self.wait_roles("d2", None)
        i = self.lab.instance("d2", "vip")
        self.assertGreaterEqual(i["counters"]["priority_zero_received"], 1)
        links = tt.run(["ip", "-n", self.lab.ns("d1"), "-o", "link"]).stdout
        self.assertNotIn("vrrp.%d" % vl.VIP_VRID, links, "the vmac is removed on stop")
        self.assert_client_reaches_vip()

    def test_nopreempt(self):
        notify = os.path.join(self.lab.work, "notify.sh")
        record = os.path.join(self.lab.work, "notify.out")
        with open(notify, "w") as f:
            f.write("#!/bin/sh\necho \"$@\" >> %s\n" % record)
        os.chmod(notify, 0o755)
        self.lab.start_tandem("d1", vl.tandem_config(preempt=False))
        self.lab.start_tandem("d2", vl.tandem_config(preempt=False, notify=notify))
        self.wait_roles("d1", "d2")
        self.sampler.start()
        self.lab.kill("d1")
        self.wait_roles("d2", None)
        tt.wait_until(lambda: "INSTANCE vip MASTER 100" in read(record), what="notify script")
        self.lab.start_tandem("d1", vl.tandem_config(preempt=False))
        tt.wait_until(lambda: self.lab.states("d1") == {"vip": "backup", "dip": "backup"},
                      what="d1 back as backup")
        # d1 (150) hears d2 (100) for a good while and still does not preempt.
        seen = self.lab.instance("d1", "vip")["counters"]["adverts_received"]
        tt.wait_until(lambda: self.lab.instance("d1", "vip")["counters"]["adverts_received"]
                      >= seen + 30, what="30 more adverts from d2")
        self.assertEqual(self.lab.states("d1"), {"vip": "backup", "dip": "backup"})
        self.assertEqual(self.lab.states("d2"), {"vip": "master", "dip": "master"})
        self.assert_client_reaches_vip()

    def test_tandemctl_vrrp(self):
        self.start_pair()
        ctl = os.path.join(tt.BIN, "tandemctl")
        out = tt.run([ctl, "--run-dir", self.lab.run_dir("d1"), "vrrp"]).stdout
        lines = out.splitlines()
        self.assertIn("INSTANCE", lines[0])
        row = [l for l in lines if l.startswith("vip ")][0].split()
        self.assertEqual(row[:7], ["vip", "director", "51", "eth0", "master", "150",
                                   vl.OUT_IP["d1"]])
        js = tt.run([ctl, "--run-dir", self.lab.run_dir("d2"), "--json", "vrrp"]).stdout
        self.assertIn('"state": "backup"', js)
        # A reload with the same file leaves the running instances alone.
        before = self.lab.instance("d1", "vip")["counters"]
        tt.run([ctl, "--run-dir", self.lab.run_dir("d1"), "reload", "vrrpd"])
        after = self.lab.instance("d1", "vip")["counters"]
        self.assertEqual(self.lab.states("d1"), {"vip": "master", "dip": "master"})
        self.assertEqual(after["became_master"], before["became_master"])
        tt.wait_until(lambda: self.lab.instance("d1", "vip")["counters"]["adverts_sent"]
                      > before["adverts_sent"] + 5, what="adverts after the reload")
        res = subprocess.run([ctl, "--run-dir", self.lab.work + "/nowhere", "vrrp"],
                             capture_output=True, text=True)
        self.assertEqual(res.returncode, 1)


if __name__ == "__main__":
    tt.main()
