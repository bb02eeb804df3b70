#!/usr/bin/python3
"""The lab demo: both directors run all five daemons and answer status over
IPC; the peers answer; `down` removes every namespace, link and process."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import tandemtest as tt  # noqa: E402

PREFIX = "tlab"


class LabTest(unittest.TestCase):
    def test_up_status_down(self):
        with tt.Lab(PREFIX) as lab:
            seen = []
            for node in ("dir1", "dir2"):
                status = lab.ctl_json(node, "status")
                daemons = {d["daemon"]: d for d in status["daemons"]}
                self.assertEqual(sorted(daemons), sorted(tt.DAEMONS), node)
                for name, d in daemons.items():
                    self.assertEqual(d["state"], "running", "%s/%s: %r" % (node, name, d))
                    self.assertEqual(d["status"]["node"], node)
                    seen.append((node, name))
            self.assertEqual(len(seen), 10)

            text = lab.ctl("dir1", "status").stdout
            for name in tt.DAEMONS:
                self.assertIn(name, text)

            # The real peers the later checks rely on are up and reachable.
            self.assertIn("hello from rs2", lab.exec("dir1", "curl", "-s", "--max-time", "5",
                                                     "http://198.18.1.12/").stdout)
            self.assertIn("ok", lab.exec("dir1", "curl", "-sk", "--max-time", "5",
                                         "https://198.18.1.13/health").stdout)
            pids_before = lab.lab("status").stdout
            self.assertIn("%s-dir1" % PREFIX, pids_before)

        left = [n for n in tt.namespaces() if n.startswith(PREFIX + "-")]
        self.assertEqual(left, [])
        self.assertFalse(os.path.exists(lab.run_dir))
        self.assertFalse(any(d.startswith(PREFIX + "-") for d in
                             (os.listdir("/etc/netns") if os.path.isdir("/etc/netns") else [])))

    def test_up_refuses_when_already_up_and_down_is_idempotent(self):
        with tt.Lab(PREFIX, peers=False) as lab:
            res = lab.lab("up", check=False)
            self.assertNotEqual(res.returncode, 0)
            self.assertIn("already up", res.stderr)
        lab.lab("down")  # a second down on nothing succeeds
        self.assertEqual([n for n in tt.namespaces() if n.startswith(PREFIX + "-")], [])


if __name__ == "__main__":
    tt.main()
