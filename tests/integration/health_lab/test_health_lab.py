#!/usr/bin/python3
"""healthd in the lab: every real server comes up on dir1, an HTTP 500 on rs2
takes web/rs2 down with the status in its summary and a reset brings it
back, a killed dnsmasq takes dns/rs3 down, and operator maintenance shows."""
import os
import re
import signal
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import tandemtest as tt  # noqa: E402

PREFIX = "thl"
# Generous bounds against a hang, not performance thresholds.
BOUND = 90.0


def fast_config():
    """The lab config with short check intervals, so each transition takes
    seconds instead of the shipped ten-second cadence."""
    with open(os.path.join(tt.REPO, "etc", "tandem", "lab.yaml"), encoding="utf-8") as f:
        text = f.read()
    text, n = re.subn(r"(?m)^(    type: \w+\n)", r"\1    interval: 2s\n    timeout: 1s\n", text)
    assert n >= 4, "lab.yaml monitor templates not found"
    fd, path = tempfile.mkstemp(prefix="thl-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def comm(pid):
    try:
        with open("/proc/%s/comm" % pid, encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return ""


def servers(lab):
    out = {}
    for svc in lab.ctl_json("dir1", "health")["services"]:
        for s in svc["servers"]:
            out[(svc["service"], s["server"])] = s
    return out


class HealthLabTest(unittest.TestCase):
    def test_checks_follow_the_real_servers(self):
        config = fast_config()
        try:
            with tt.Lab(PREFIX, config=config) as lab:
                self.run_scenario(lab)
        finally:
            os.unlink(config)

    def run_scenario(self, lab):
        def state_of(service, server):
            return servers(lab)[(service, server)]

        def web_servers():
            for svc in lab.ctl_json("dir1", "list")["services"]:
                if svc["protocol"] == "tcp" and svc["port"] == 80:
                    return {r["address"]: r["weight"] for r in svc["servers"]}
            return {}

        def all_up():
            s = servers(lab)
            ok = len(s) == 12 and all(v["state"] == "up" for v in s.values())
            return ok or {k: v["state"] for k, v in s.items() if v["state"] != "up"}

        tt.wait_until(lambda: all_up() is True, timeout=BOUND, interval=0.5,
                      what="all servers up")
        table = lab.ctl("dir1", "health").stdout
        for column in ("SERVICE", "SERVER", "STATE", "LAST-CHECK", "LATENCY", "SUMMARY"):
            self.assertIn(column, table)
        self.assertIn("web-tls", table)

        # rs2 answers 500: web/rs2 goes down, naming the status.
        lab.exec("dir1", "curl", "-s", "--max-time", "5", "http://198.18.1.12/control/status/500")
        down = tt.wait_until(
            lambda: (lambda s: s if s["state"] == "down" else None)(state_of("web", "rs2")),
            timeout=BOUND, interval=0.5, what="web/rs2 down")
        self.assertIn("500", down["last"]["summary"])
        self.assertGreaterEqual(down["consecutive_failures"], 1)
        self.assertEqual(state_of("web", "rs1")["state"], "up")
        status = lab.ctl_json("dir1", "status", "healthd")["daemons"][0]["status"]["detail"]
        self.assertTrue(any(a["service"] == "web" and a["server"] == "rs2" and a["op"] == "remove"
                            for a in status["director_outbox"]), status["director_outbox"])
        # The director's table follows: rs2 leaves web (on_failure: remove)...
        tt.wait_until(lambda: "198.18.1.12" not in web_servers(), timeout=BOUND, interval=0.5,
                      what="rs2 removed from the director's web service")
        self.assertEqual(web_servers(), {"198.18.1.11": 1, "198.18.1.13": 1})

        lab.exec("dir1", "curl", "-s", "--max-time", "5", "http://198.18.1.12/control/reset")
        tt.wait_until(lambda: state_of("web", "rs2")["state"] == "up", timeout=BOUND,
                      interval=0.5, what="web/rs2 back up")
        # ... and comes back with its configured weight.
        tt.wait_until(lambda: web_servers().get("198.18.1.12") == 1, timeout=BOUND, interval=0.5,
                      what="rs2 restored in the director's web service")

        # No DNS server on rs3 any more. Namespaces do not separate pids, so
        # `pkill dnsmasq` would kill every lab's dnsmasq on the host: kill
        # only the one living in rs3's namespace.
        pids = tt.run(["ip", "netns", "pids", "%s-rs3" % PREFIX]).stdout.split()
        victims = [p for p in pids if comm(p) == "dnsmasq"]
        self.assertTrue(victims, "no dnsmasq in rs3")
        for pid in victims:
            os.kill(int(pid), signal.SIGTERM)
        tt.wait_until(lambda: state_of("dns", "rs3")["state"] == "down", timeout=BOUND,
                      interval=0.5, what="dns/rs3 down")
        self.assertEqual(state_of("dns", "rs1")["state"], "up")

        # Operator maintenance wins over a passing check, and is undone.
        lab.ctl("dir1", "health", "maintenance", "shell", "rs1", "on")
        self.assertEqual(state_of("shell", "rs1")["state"], "maintenance")
        lab.ctl("dir1", "health", "maintenance", "shell", "rs1", "off")
        tt.wait_until(lambda: state_of("shell", "rs1")["state"] == "up", timeout=BOUND,
                      interval=0.5, what="shell/rs1 up after maintenance")
        bad = lab.ctl("dir1", "health", "maintenance", "shell", "nosuch", "on", check=False)
        self.assertNotEqual(bad.returncode, 0)


if __name__ == "__main__":
    tt.main()
