#!/usr/bin/python3
"""Established connections survive the loss of the active director.

The lab (etc/tandem/lab.yaml, with two stream services added: NAT on port
9000 and DR with persistence on port 9001, echosrv.py on every real server) runs the whole
suite on both directors. The client (mixclient.py) holds hundreds of
connections through the VIP: over NAT and DR, some idle from before the
sync until after the failover, some streaming a paced byte stream that is
checked byte for byte and counted at both ends. Then dir1, the master,
fails and every connection must keep exchanging data through dir2:

- kill -9 of every daemon of dir1, where dir2's daemons were started only
  after the connections existed, so dir2 has them from syncd's resync;
- dir1's links pulled, with dir2 up from the start (live sync).

In DR only client->VIP packets cross the director (the real servers answer
through their gateway, the DIP, which the kernel routes): the test checks
the new master forwarded DR traffic in one direction only. Counts are
printed per group. Everything is removed afterwards (Lab.__exit__).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import tandemtest as tt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
VIP = "198.18.0.100"
NAT_PORT, DR_PORT = 9000, 9001
GROUPS = [("nat_idle", NAT_PORT, 120, "idle"), ("nat_stream", NAT_PORT, 20, "stream"),
          ("dr_idle", DR_PORT, 120, "idle"), ("dr_stream", DR_PORT, 20, "stream")]
TOTAL = sum(g[2] for g in GROUPS)
LABELS = {"nat_idle": "NAT idle", "nat_stream": "NAT streaming", "dr_idle": "DR idle",
          "dr_stream": "DR streaming"}

STREAM_SERVICES = """
  - name: stream-nat           # added by tests/integration/sync_failover
    protocol: tcp
    address: 198.18.0.100
    port: %d
    forwarding: nat
    scheduler: wlc
    monitors: [{type: tcp, interval: 1s, timeout: 1s}]
    real_servers:
      - { name: rs1, address: 198.18.1.11 }
      - { name: rs2, address: 198.18.1.12 }
      - { name: rs3, address: 198.18.1.13 }

  - name: stream-dr
    protocol: tcp
    address: 198.18.0.100
    port: %d
    forwarding: dr
    scheduler: rr
    persistence: { timeout: 300s }   # a template to sync as well
    monitors: [{type: tcp, interval: 1s, timeout: 1s}]
    real_servers:
      - { name: rs1, address: 198.18.1.11 }
      - { name: rs2, address: 198.18.1.12 }
      - { name: rs3, address: 198.18.1.13 }
""" % (NAT_PORT, DR_PORT)


def lab_config(work):
    """lab.yaml with the stream services appended to its services list."""
    with open(os.path.join(tt.REPO, "etc", "tandem", "lab.yaml"), encoding="utf-8") as f:
        text = f.read()
    text, n = re.subn(r"\n(?=vrrp:\n)", STREAM_SERVICES + "\n", text, count=1)
    assert n == 1, "lab.yaml has no top-level vrrp: after its services"
    path = os.path.join(work, "lab.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


class SyncFailover(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tandem-sy-")
        self.addCleanup(shutil.rmtree, self.work, True)

    # --- status ------------------------------------------------------------

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

    def director(self, lab, node, cmd):
        try:
            reply = tt.control_request(os.path.join(lab.node_dir(node), "director.sock"), cmd)
        except (OSError, ValueError, AssertionError):
            return {}
        return reply.get("result", {}) if reply.get("ok") else {}

    def stream_services(self, lab, node):
        """{port: service} of the stream services in node's director."""
        svcs = self.director(lab, node, "services").get("services", [])
        return {s["port"]: s for s in svcs if s.get("port") in (NAT_PORT, DR_PORT)}

    def servers_up(self, lab, node):
        """Every real server of both stream services is in the table, weighted."""
        svcs = self.stream_services(lab, node)
        return len(svcs) == 2 and all(
            sum(1 for r in s["servers"] if r["weight"] > 0) == 3 for s in svcs.values())

    def checked_up(self, lab, node):
        """node's healthd has each stream server up with a passed last check
        (a check before echosrv listened may have failed and removed it)."""
        try:
            doc = lab.ctl_json(node, "health")
        except (AssertionError, ValueError, subprocess.SubprocessError):
            return False
        servers = [r for s in doc.get("services", [])
                   if s.get("service") in ("stream-nat", "stream-dr") for r in s.get("servers", [])]
        return len(servers) == 6 and all(
            r.get("state") == "up" and (r.get("history") or [{}])[-1].get("ok") for r in servers)

    def templates(self, lab, node):
        """Persistence templates of the DR stream service in node's table."""
        svc = self.stream_services(lab, node).get(DR_PORT, {})
        return sum(r["persistent"] for r in svc.get("servers", []))

    def synced(self, lab, node):
        """Connections of the stream services in node's table (active+inactive)."""
        return sum(r["active"] + r["inactive"] for s in self.stream_services(lab, node).values()
                   for r in s["servers"])

    # --- lab ---------------------------------------------------------------

    def reap(self, proc):
        """After the test (and Lab.__exit__, which kills what runs in the
        lab's namespaces): kill PROC if it still runs, and collect it."""
        def done():
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
        self.addCleanup(done)

    def start_echo_servers(self, lab):
        logs = [os.path.join(self.work, rs + "-echosrv.log") for rs in ("rs1", "rs2", "rs3")]
        for rs in ("rs1", "rs2", "rs3"):
            log = open(os.path.join(self.work, rs + "-echosrv.log"), "w")
            self.addCleanup(log.close)
            # Lab.__exit__ kills everything in the lab's namespaces, this too.
            self.reap(subprocess.Popen(
                ["ip", "netns", "exec", lab.prefix + "-" + rs, "/usr/bin/python3",
                 os.path.join(HERE, "echosrv.py"), str(NAT_PORT), str(DR_PORT)],
                stdout=log, stderr=subprocess.STDOUT))

        def listening():
            # The director's table has the servers from the start (weight from
            # the config), before echosrv has bound its ports: ask echosrv.
            for path in logs:
                with open(path, encoding="utf-8", errors="replace") as f:
                    if "listening" not in f.read():
                        return False
            return True
        tt.wait_until(listening, timeout=60, what="echosrv listening on rs1..rs3")
        tt.wait_until(lambda: self.checked_up(lab, "dir1"), timeout=60,
                      what="dir1's healthd has checked the stream servers up")
        tt.wait_until(lambda: self.servers_up(lab, "dir1"), timeout=60,
                      what="dir1's director has the stream services' servers up")

    def stop_daemons(self, lab, node):
        """TERM every process in node's namespace (only the lab's daemons run
        there) and wait for them to go, so they withdraw what they own."""
        ns = lab.prefix + "-" + node
        pids = tt.run(["ip", "netns", "pids", ns]).stdout.split()
        subprocess.run(["kill", "-TERM"] + pids, check=False)
        tt.wait_until(lambda: not tt.run(["ip", "netns", "pids", ns]).stdout.split(),
                      timeout=30, what="%s's daemons gone" % node)

    def start_daemons(self, lab, node, config):
        """As lab/tandem-lab starts them: same binaries, flags and logs."""
        for name in tt.DAEMONS:
            log = open(os.path.join(lab.run_dir, "logs", "%s-%s.log" % (node, name)), "a")
            self.addCleanup(log.close)
            self.reap(subprocess.Popen(
                ["ip", "netns", "exec", lab.prefix + "-" + node, "setsid",
                 os.path.join(tt.BIN, "tandem-" + name), "--foreground", "--config", config,
                 "--node", node, "--run-dir", lab.node_dir(node)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        for name in tt.DAEMONS:
            sock = os.path.join(lab.node_dir(node), name + ".sock")
            tt.wait_until(lambda: os.path.exists(sock), timeout=30,
                          what="%s/%s up" % (node, name))

    def sync_up(self, lab):
        tt.wait_until(lambda: (self.vrrp_state(lab, "dir1") or {}).get("vip") == "master",
                      timeout=60, what="dir1 master")
        tt.wait_until(lambda: self.sync_status(lab, "dir1").get("role") == "master"
                      and self.sync_status(lab, "dir1").get("director_connected")
                      and self.sync_status(lab, "dir2").get("director_connected"),
                      timeout=60, what="sync up on both directors")

    # --- the client --------------------------------------------------------

    def start_client(self, lab):
        out = open(os.path.join(self.work, "client.out"), "w+")
        self.addCleanup(out.close)
        specs = ["%s:%d:%d:%s" % g for g in GROUPS]
        client = subprocess.Popen(
            ["ip", "netns", "exec", lab.prefix + "-client", "/usr/bin/python3",
             os.path.join(HERE, "mixclient.py"), VIP, self.work] + specs,
            stdout=out, stderr=subprocess.STDOUT)
        self.reap(client)
        self.client, self.client_out = client, out

    def events(self, ev=None):
        self.client_out.seek(0)
        docs = []
        # Complete lines only: the client may be writing the last one.
        for line in self.client_out.read().split("\n")[:-1]:
            if line.startswith("{"):
                doc = json.loads(line)
                if ev is None or doc.get("ev") == ev:
                    docs.append(doc)
        return docs

    def last(self, ev):
        docs = self.events(ev)
        return docs[-1] if docs else None

    def all_of(self, key):
        """The last tick's KEY counts, if every group has all of its connections."""
        tick = self.last("tick")
        return tick is not None and all(ok == n for ok, n in tick[key].values()) and tick

    def client_log(self):
        self.client_out.seek(0)
        return "\n".join(self.client_out.read().splitlines()[-8:])

    def wait_connections_up(self):
        up = tt.wait_until(lambda: self.last("up"), timeout=90, what="connections opened")
        self.assertTrue(all(ok == n for ok, n in up["ok"].values()),
                        "not every connection opened before the failover: %s" % up)
        # Streams are flowing before anything fails.
        first = tt.wait_until(lambda: self.last("tick"), timeout=30, what="client ticks")
        tt.wait_until(lambda: self.last("tick")["stream_bytes"] > first["stream_bytes"],
                      timeout=30, what="streams flowing")

    def finish(self, lab, what):
        """After the failover: wake the idle connections, wait until every
        connection exchanged data through dir2, close them all and count."""
        open(os.path.join(self.work, "wake"), "w").close()
        try:
            tt.wait_until(lambda: self.all_of("moved"), timeout=120,
                          what="every connection exchanging data after %s" % what)
        except AssertionError as e:
            tick = self.last("tick") or {}
            raise AssertionError("%s\nclient: moved %s, alive %s, dead %s" % (
                e, tick.get("moved"), tick.get("alive"), tick.get("dead"))) from None
        open(os.path.join(self.work, "stop"), "w").close()
        done = tt.wait_until(lambda: self.last("done"), timeout=60, what="client done")
        self.client.wait(timeout=30)
        groups = done["groups"]
        print("sync failover after %s: %s" % (what, ", ".join(
            "%s %d/%d" % (LABELS[g], groups[g]["ok"], groups[g]["n"]) for g, *_ in GROUPS)),
            flush=True)
        print("  bytes echoed and counted by the servers:",
              {g: groups[g]["bytes"] for g, *_ in GROUPS}, flush=True)
        print("  dir2 sync counters:", json.dumps(self.sync_status(lab, "dir2").get("counters", {})),
              flush=True)
        print("  streams stood still for %.1f s around the failover (client ticks every 0.5 s)"
              % self.longest_stall(), flush=True)
        lost = {g: d["dead"] for g, d in groups.items() if d["ok"] != d["n"]}
        self.assertEqual(lost, {}, "connections lost after %s\n%s" % (what, self.client_log()))

    def longest_stall(self):
        """The longest time after self.failed_at during which no stream byte
        came back (a number to print, not a threshold)."""
        longest, since, last = 0.0, None, None
        for tick in self.events("tick"):
            if tick["t"] < self.failed_at:
                last = tick["stream_bytes"]
                continue
            if last is not None and tick["stream_bytes"] == last:
                since = since if since is not None else tick["t"]
                longest = max(longest, tick["t"] - since)
            else:
                since = None
            last = tick["stream_bytes"]
        return longest

    def check_dr_one_way(self, lab, before):
        """dir2 forwarded the DR service's client->VIP packets since BEFORE and
        no reply: those go from the real servers to the client directly."""
        dr = self.stream_services(lab, "dir2")[DR_PORT]["stats"]
        print("  dir2 DR service: inpkts +%d, outpkts +%d"
              % (dr["inpkts"] - before["inpkts"], dr["outpkts"] - before["outpkts"]), flush=True)
        self.assertGreater(dr["inpkts"], before["inpkts"])
        self.assertEqual(dr["outpkts"], before["outpkts"])

    def kill(self, lab, node):
        pids = tt.run(["ip", "netns", "pids", lab.prefix + "-" + node]).stdout.split()
        subprocess.run(["kill", "-KILL"] + pids, check=False)

    def dir2_master(self, lab):
        tt.wait_until(lambda: (self.vrrp_state(lab, "dir2") or {}).get("vip") == "master",
                      timeout=60, what="dir2 takes over")

    # --- cases -------------------------------------------------------------

    def test_kill_9_of_the_master_after_a_late_backup_resynced(self):
        config = lab_config(self.work)
        with tt.Lab("syk", config=config) as lab:
            self.sync_up(lab)
            self.start_echo_servers(lab)
            self.stop_daemons(lab, "dir2")
            self.start_client(lab)
            self.wait_connections_up()
            self.assertEqual(self.synced(lab, "dir1"), TOTAL)

            # dir2 starts now: its table can only come from a resync.
            self.start_daemons(lab, "dir2", config)
            tt.wait_until(lambda: self.synced(lab, "dir2") >= TOTAL, timeout=60,
                          what="dir2's director has the %d connections" % TOTAL)
            counters = self.sync_status(lab, "dir2").get("counters", {})
            print("dir2 started after %d connections: %d installed by resync (%s)"
                  % (TOTAL, self.synced(lab, "dir2"), json.dumps(
                      {k: v for k, v in counters.items() if k.startswith(("resync", "install"))})),
                  flush=True)
            self.assertGreaterEqual(counters.get("resyncs_completed", 0), 1)
            self.assertGreaterEqual(counters.get("installs", 0), TOTAL)
            # One client, one persistence template for the DR service.
            self.assertEqual(self.templates(lab, "dir2"), self.templates(lab, "dir1"))
            self.assertEqual(self.templates(lab, "dir2"), 1)
            tt.wait_until(lambda: self.servers_up(lab, "dir2"), timeout=60,
                          what="dir2's director has the stream services' servers up")
            tt.wait_until(lambda: (self.vrrp_state(lab, "dir2") or {}).get("vip") == "backup",
                          timeout=60, what="dir2 backup")
            dr_before = self.stream_services(lab, "dir2")[DR_PORT]["stats"]

            self.failed_at = time.monotonic()
            self.kill(lab, "dir1")
            self.dir2_master(lab)
            self.finish(lab, "kill -9 of dir1")
            self.check_dr_one_way(lab, dr_before)

    def test_pulled_links_of_the_master(self):
        config = lab_config(self.work)
        with tt.Lab("syp", config=config) as lab:
            self.sync_up(lab)
            self.start_echo_servers(lab)
            tt.wait_until(lambda: self.checked_up(lab, "dir2"), timeout=60,
                          what="dir2's healthd has checked the stream servers up")
            tt.wait_until(lambda: self.servers_up(lab, "dir2"), timeout=60,
                          what="dir2's director has the stream services' servers up")
            self.start_client(lab)
            self.wait_connections_up()
            tt.wait_until(lambda: self.synced(lab, "dir2") >= TOTAL, timeout=60,
                          what="dir2's director has the %d connections" % TOTAL)
            dr_before = self.stream_services(lab, "dir2")[DR_PORT]["stats"]

            self.failed_at = time.monotonic()
            for dev in ("out0", "in0"):
                tt.run(["ip", "-n", lab.prefix + "-dir1", "link", "set", dev, "down"])
            self.dir2_master(lab)
            self.finish(lab, "dir1's links pulled")
            self.check_dr_one_way(lab, dr_before)


if __name__ == "__main__":
    tt.main()
