#!/usr/bin/python3
"""Interop with Debian's keepalived (VRRPv3, use_vmac, sync group): a mixed
pair in both roles. Over a minute of steady state exactly one side holds the
VIP; each takes over when the other is killed; the higher priority one
preempts when it returns. keepalived.conf is written here (vrrplab.py)."""
import os
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import vrrplab as vl  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import tandemtest as tt  # noqa: E402

BOTH_MASTER = {"vip": "master", "dip": "master"}
BOTH_BACKUP = {"vip": "backup", "dip": "backup"}


@unittest.skipUnless(shutil.which("keepalived"), "keepalived is not installed")
class KeepalivedInterop(unittest.TestCase):
    def setUp(self):
        self.lab = vl.VrrpLab()
        self.addCleanup(self.lab.close)
        self.lab.up()

    def start(self, node, kind, priority):
        if kind == "keepalived":
            # What tandem-vrrpd does for its vmacs, so the client learns the
            # virtual MAC from either implementation.
            for key, val in (("arp_ignore", "1"), ("arp_announce", "2")):
                tt.run(["ip", "netns", "exec", self.lab.ns(node), "sysctl", "-q", "-w",
                        "net.ipv4.conf.eth0.%s=%s" % (key, val)])
            self.lab.start_keepalived(node, vl.keepalived_config(node, priority))
        else:
            prios = (priority, 100) if node == "d1" else (150, priority)
            self.lab.start_tandem(node, vl.tandem_config(priorities=prios))

    def master(self, node):
        tt.wait_until(lambda: self.lab.states(node) == BOTH_MASTER, timeout=30,
                      what=node + " master")
        tt.wait_until(lambda: self.lab.holds(node, vl.VIP) and self.lab.holds(node, vl.DIP),
                      what="VIP and DIP on " + node)

    def steady(self, master, backup, seconds=5):
        """A steady state: every sample (4 a second) has exactly one master."""
        tandem = master if self.lab.kinds[master] == "tandem" else backup
        seen = self.lab.instance(tandem, "vip")["counters"]
        for _ in range(seconds * 4):
            self.assertEqual(self.lab.states(master), BOTH_MASTER)
            self.assertEqual(self.lab.states(backup), BOTH_BACKUP)
            time.sleep(0.25)
        now = self.lab.instance(tandem, "vip")["counters"]
        if tandem == backup:
            # It really listened to keepalived all along, and dropped nothing.
            self.assertGreater(now["adverts_received"], seen["adverts_received"] + 20)
            self.assertEqual(now["rx_dropped"], 0, now["rx_errors"])
        else:
            self.assertGreater(now["adverts_sent"], seen["adverts_sent"] + 20)

    def reach_vip(self):
        tt.wait_until(lambda: self.lab.ping(), timeout=20, what="ping to the VIP")
        self.assertEqual(self.lab.client_mac(), vl.VMAC[vl.VIP_VRID])

    def scenario(self, first, second):
        """`first` (priority 150) is master, `second` (100) backup."""
        self.start("d1", first, 150)
        self.start("d2", second, 100)
        self.master("d1")
        tt.wait_until(lambda: self.lab.states("d2") == BOTH_BACKUP, what="d2 backup")
        self.steady("d1", "d2", seconds=60)  # no split brain over a minute
        self.reach_vip()
        self.lab.kill("d1")
        self.master("d2")
        self.reach_vip()
        self.start("d1", first, 150)
        self.master("d1")
        tt.wait_until(lambda: self.lab.states("d2") == BOTH_BACKUP, what="d2 back to backup")
        tt.wait_until(lambda: not self.lab.holds("d2", vl.VIP), what="d2 releases the VIP")
        self.steady("d1", "d2")
        self.reach_vip()

    def run_scenario(self, first, second):
        try:
            self.scenario(first, second)
        except AssertionError as e:
            raise AssertionError("%s\n--- d1 log:\n%s\n--- d2 log:\n%s\n--- d2 vrrp: %s" % (
                e, self.lab.log("d1")[-3000:], self.lab.log("d2")[-3000:],
                self.lab.instance("d2", "vip"))) from None

    def test_keepalived_master_tandem_backup(self):
        self.run_scenario("keepalived", "tandem")

    def test_tandem_master_keepalived_backup(self):
        self.run_scenario("tandem", "keepalived")


if __name__ == "__main__":
    tt.main()
