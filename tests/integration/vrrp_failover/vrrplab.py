"""A small VRRP topology for vrrpd's integration tests and bench/failover.

Namespaces (prefix configurable, default h3): <p>-sw holds two bridges,
outside (198.18.40.0/24) and inside (198.18.41.0/24); <p>-d1 and <p>-d2 are
the directors (eth0 outside .1/.2, eth1 inside .2/.3); <p>-cl is a client on
the outside (198.18.40.10). Each director runs either tandem-vrrpd or
Debian's keepalived. Everything is removed on close(), also after failures.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import tandemtest as tt  # noqa: E402

VIP, DIP = "198.18.40.100", "198.18.41.1"
CLIENT_IP = "198.18.40.10"
OUT_IP = {"d1": "198.18.40.1", "d2": "198.18.40.2"}
IN_IP = {"d1": "198.18.41.2", "d2": "198.18.41.3"}
VIP_VRID, DIP_VRID = 51, 52
VMAC = {VIP_VRID: "00:00:5e:00:01:33", DIP_VRID: "00:00:5e:00:01:34"}


def sh(*cmd, check=True):
    return tt.run([str(c) for c in cmd], check=check)


def tandem_config(interval="100ms", preempt=True, priorities=(150, 100), sync=True,
                  notify=None):
    groups = """  sync_groups:
    - name: director
      instances: [vip, dip]
""" if sync else ""
    return """nodes:
  d1:
    address: %(in1)s
    priority: %(p1)d
  d2:
    address: %(in2)s
    priority: %(p2)d
interfaces:
  outside:
    device: eth0
    role: outside
  inside:
    device: eth1
    role: inside
vrrp:
  instances:
    - name: vip
      interface: outside
      vrid: %(vv)d
      advert_interval: %(iv)s
      preempt: %(pre)s
      virtual_addresses: [%(vip)s/24]
      garp:
        count: 3
        interval: 50ms
%(notify)s    - name: dip
      interface: inside
      vrid: %(dv)d
      advert_interval: %(iv)s
      preempt: %(pre)s
      virtual_addresses: [%(dip)s/24]
%(groups)s""" % dict(in1=IN_IP["d1"], in2=IN_IP["d2"], p1=priorities[0], p2=priorities[1],
                     vv=VIP_VRID, dv=DIP_VRID, iv=interval, pre="true" if preempt else "false",
                     vip=VIP, dip=DIP, groups=groups,
                     notify="      notify: %s\n" % notify if notify else "")


def keepalived_config(node, priority, interval="0.1", preempt=True):
    """keepalived with the same two instances, VRRPv3 and vmac, as a sync group."""
    inst = ""
    for name, dev, vrid, addr in (("vip", "eth0", VIP_VRID, VIP), ("dip", "eth1", DIP_VRID, DIP)):
        inst += """vrrp_instance %(name)s {
    state BACKUP
    interface %(dev)s
    use_vmac
    virtual_router_id %(vrid)d
    priority %(prio)d
    advert_int %(iv)s
    %(pre)s
    garp_master_delay 0
    garp_master_repeat 3
    virtual_ipaddress {
        %(addr)s/24
    }
}
""" % dict(name=name, dev=dev, vrid=vrid, prio=priority, iv=interval, addr=addr,
           pre="" if preempt else "nopreempt")
    return """global_defs {
    router_id %s
    vrrp_version 3
    vrrp_garp_master_delay 0
    enable_script_security
}
vrrp_sync_group director {
    group {
        vip
        dip
    }
}
""" % node + inst


class VrrpLab:
    def __init__(self, prefix="h3", bin_dir=None):
        self.p = prefix
        self.bin = bin_dir or tt.BIN
        self.work = tempfile.mkdtemp(prefix="tandem-vrrp-")
        self.procs = {}  # node -> Popen
        self.kinds = {}  # node -> "tandem" | "keepalived"

    def ns(self, node):
        return "%s-%s" % (self.p, node)

    def run_dir(self, node):
        return os.path.join(self.work, node)

    # --- topology ------------------------------------------------------------
    def up(self):
        self.down()
        for n in ("sw", "d1", "d2", "cl"):
            sh("ip", "netns", "add", self.ns(n))
            sh("ip", "-n", self.ns(n), "link", "set", "lo", "up")
        sw = self.ns("sw")
        for br in ("swout", "swin"):
            sh("ip", "-n", sw, "link", "add", br, "type", "bridge", "stp_state", "0",
               "forward_delay", "0")
            sh("ip", "-n", sw, "link", "set", br, "up")
        self.attach("d1", "eth0", "swout", OUT_IP["d1"])
        self.attach("d2", "eth0", "swout", OUT_IP["d2"])
        self.attach("d1", "eth1", "swin", IN_IP["d1"])
        self.attach("d2", "eth1", "swin", IN_IP["d2"])
        self.attach("cl", "eth0", "swout", CLIENT_IP)
        return self

    def attach(self, node, ifname, bridge, addr):
        port = "%s-%s" % (node, ifname)
        sh("ip", "-n", self.ns("sw"), "link", "add", port, "type", "veth", "peer", "name", ifname,
           "netns", self.ns(node))
        sh("ip", "-n", self.ns("sw"), "link", "set", port, "master", bridge)
        sh("ip", "-n", self.ns("sw"), "link", "set", port, "up")
        sh("ip", "-n", self.ns(node), "addr", "add", addr + "/24", "dev", ifname)
        sh("ip", "-n", self.ns(node), "link", "set", ifname, "up")

    def set_port(self, node, ifname, up):
        """Pulls (or plugs back) a director's cable: the switch-side end."""
        sh("ip", "-n", self.ns("sw"), "link", "set", "%s-%s" % (node, ifname),
           "up" if up else "down")

    def down(self):
        for node in list(self.procs):
            self.kill(node)
        for n in ("cl", "d1", "d2", "sw"):
            pids = sh("ip", "netns", "pids", self.ns(n), check=False).stdout.split()
            if pids:
                subprocess.run(["kill", "-KILL"] + pids, capture_output=True)
            sh("ip", "netns", "del", self.ns(n), check=False)

    def close(self):
        self.down()
        shutil.rmtree(self.work, ignore_errors=True)

    # --- daemons -------------------------------------------------------------
    def start_tandem(self, node, config_text, log_level="info"):
        os.makedirs(self.run_dir(node), exist_ok=True)
        cfg = os.path.join(self.work, "tandem-%s.yaml" % node)
        with open(cfg, "w") as f:
            f.write(config_text)
        with open(os.path.join(self.work, "vrrpd-%s.log" % node), "a") as log:
            self.procs[node] = subprocess.Popen(
                ["ip", "netns", "exec", self.ns(node), os.path.join(self.bin, "tandem-vrrpd"),
                 "--config", cfg, "--node", node, "--run-dir", self.run_dir(node),
                 "--foreground", "--log-level", log_level],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        self.kinds[node] = "tandem"
        tt.wait_until(lambda: self.query(node) is not None, timeout=20, what="vrrpd on " + node)

    def start_keepalived(self, node, config_text):
        os.makedirs(self.run_dir(node), exist_ok=True)
        cfg = os.path.join(self.work, "keepalived-%s.conf" % node)
        with open(cfg, "w") as f:
            f.write(config_text)
        rd = self.run_dir(node)
        for pid_file in ("k.pid", "kv.pid"):  # a killed run's files make it refuse to start
            if os.path.exists(os.path.join(rd, pid_file)):
                os.unlink(os.path.join(rd, pid_file))
        with open(os.path.join(self.work, "keepalived-%s.log" % node), "a") as log:
            self.procs[node] = subprocess.Popen(
                ["ip", "netns", "exec", self.ns(node), "keepalived", "--dont-fork", "--vrrp",
                 "--log-console", "--use-file", cfg, "--pid", rd + "/k.pid",
                 "--vrrp_pid", rd + "/kv.pid", "--no-syslog"],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        self.kinds[node] = "keepalived"

    def kill(self, node, sig=signal.SIGKILL):
        p = self.procs.pop(node, None)
        if not p:
            return
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        # keepalived's VRRP child goes a moment after its parent; a restart
        # before that refuses to run ("daemon is already running").
        tt.wait_until(lambda: not sh("ip", "netns", "pids", self.ns(node), check=False)
                      .stdout.split(), what="no process left in " + self.ns(node))
        if self.kinds.get(node) == "keepalived" and sig == signal.SIGKILL:
            # As after a reboot: keepalived's vmacs (with the VIPs) are gone.
            for vrid in VMAC:
                sh("ip", "-n", self.ns(node), "link", "del", "vrrp.%d" % vrid, check=False)
        return p.returncode

    def stop(self, node):
        """A clean stop (SIGTERM): a master resigns with priority 0. Returns
        the exit code (sanitizer builds exit non-zero on a leak)."""
        return self.kill(node, signal.SIGTERM)

    def alive(self, node):
        p = self.procs.get(node)
        return p is not None and p.poll() is None

    def log(self, node):
        kind = self.kinds.get(node, "tandem")
        name = ("vrrpd-%s.log" if kind == "tandem" else "keepalived-%s.log") % node
        try:
            with open(os.path.join(self.work, name), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # --- observation ---------------------------------------------------------
    def query(self, node, cmd="vrrp"):
        """One control-socket request to vrrpd; None when it does not answer."""
        path = os.path.join(self.run_dir(node), "vrrpd.sock")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(5)
                s.connect(path)
                s.sendall((json.dumps({"id": 1, "cmd": cmd}) + "\n").encode())
                buf = b""
                while not buf.endswith(b"\n"):
                    chunk = s.recv(65536)
                    if not chunk:
                        return None
                    buf += chunk
            reply = json.loads(buf)
            return reply.get("result") if reply.get("ok") else None
        except (OSError, ValueError):
            return None

    def states(self, node):
        """{instance: state} from vrrpd, or from the addresses keepalived holds."""
        if self.kinds.get(node) == "keepalived":
            if not self.alive(node):
                return {}
            return {"vip": "master" if self.holds(node, VIP) else "backup",
                    "dip": "master" if self.holds(node, DIP) else "backup"}
        r = self.query(node)
        if not r:
            return {}
        return {i["instance"]: i["state"] for i in r["instances"]}

    def instance(self, node, name):
        r = self.query(node)
        for i in (r or {}).get("instances", []):
            if i["instance"] == name:
                return i
        return None

    def holds(self, node, addr):
        out = sh("ip", "-n", self.ns(node), "-o", "-4", "addr", "show", check=False).stdout
        return (" %s/" % addr) in out

    def client_mac(self, addr=VIP):
        out = sh("ip", "-n", self.ns("cl"), "neigh", "show", addr, check=False).stdout
        parts = out.split()
        return parts[parts.index("lladdr") + 1] if "lladdr" in parts else None

    def ping(self, addr=VIP, count=1, timeout=1):
        r = subprocess.run(["ip", "netns", "exec", self.ns("cl"), "ping", "-n", "-q", "-c",
                            str(count), "-W", str(timeout), addr], capture_output=True, text=True)
        return r.returncode == 0

    def subscribe(self, node, topic="vrrp.state"):
        """A connection that receives vrrpd's events; read them with events()."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(os.path.join(self.run_dir(node), "vrrpd.sock"))
        s.sendall((json.dumps({"id": 1, "cmd": "subscribe", "args": {"topics": [topic]}})
                   + "\n").encode())
        return s

    @staticmethod
    def events(sock, predicate, timeout=20):
        """Reads events until one satisfies predicate; returns it."""
        deadline = time.monotonic() + timeout
        buf = b""
        while time.monotonic() < deadline:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                msg = json.loads(line)
                if "event" in msg and predicate(msg):
                    return msg
        raise AssertionError("no matching event")

    def master_of(self, name="vip"):
        """The nodes that currently claim mastership of an instance."""
        return [n for n in ("d1", "d2") if self.states(n).get(name) == "master"]
