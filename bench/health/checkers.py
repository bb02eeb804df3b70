#!/usr/bin/python3
"""tandem-healthd against HAProxy's checker, same endpoints, same cadence.

For each N (default 1000, 5000, 10000) in one invocation: N HTTP endpoints
(198.18.x.y:80, all answered by one bench_health_responder process in a
network namespace whose 198.18.0.0/16 is local on lo), each checked every
second with GET /health, first by tandem-healthd, then by HAProxy (Debian's
haproxy, `option httpchk`, one thread). For each checker: CPU seconds from
/proc/<pid>/stat over a fixed window, checks done in that window (counted by
the responder, so both are counted the same way), CPU per check, the ratio,
and the checkers' own check-latency percentiles (healthd: every result in
the window from `health`; HAProxy: each server's last check_duration from
`show stat`, which has millisecond resolution). Writes a Markdown report to
bench/health/results/. Needs root (namespaces). Run:

    bench/health/checkers.py [--bin DIR] [--counts 1000,5000,10000] [--window 10]
"""
import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

NS = "h6bench"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TICK = os.sysconf("SC_CLK_TCK")


def sh(*cmd, check=True):
    return subprocess.run(list(cmd), check=check, capture_output=True, text=True)


def in_ns(*cmd):
    return ["ip", "netns", "exec", NS] + list(cmd)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15; fields[0] here is field 3.
    return (int(fields[11]) + int(fields[12])) / TICK


def wait_until(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.2)
    raise RuntimeError("timed out waiting for " + what)


def ctl(sock, cmd, args=None):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(sock)
        s.sendall((json.dumps({"id": 1, "cmd": cmd, "args": args or {}}) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(1 << 20)
            if not chunk:
                raise RuntimeError("control socket closed")
            buf += chunk
    reply = json.loads(buf)
    if not reply.get("ok"):
        raise RuntimeError("%s: %s" % (cmd, reply.get("error")))
    return reply["result"]


def haproxy_cmd(sock, cmd):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(sock)
        s.sendall((cmd + "\n").encode())
        out = b""
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            out += chunk
    return out.decode()


def haproxy_servers(sock):
    lines = haproxy_cmd(sock, "show stat").splitlines()
    head = lines[0].lstrip("# ").split(",")
    rows = [dict(zip(head, l.split(","))) for l in lines[1:] if l]
    return [r for r in rows if r["svname"] not in ("FRONTEND", "BACKEND")]


def responder_count():
    out = sh(*in_ns("curl", "-s", "http://198.18.255.254/count")).stdout
    return int(out.strip())


def address(i):
    return "198.18.%d.%d" % (1 + i // 250, 1 + i % 250)


def percentiles(values):
    if not values:
        return {}
    v = sorted(values)
    pick = lambda q: v[min(len(v) - 1, int(q * len(v)))]
    return {"p50": pick(0.50), "p90": pick(0.90), "p99": pick(0.99), "max": v[-1]}


def healthd_config(n, run_dir):
    lines = ["global:", "  log_level: warning", "control:", "  max_message_size: 67108864",
             "monitors:", "  bench:", "    type: http", "    path: /health",
             "    interval: 1s", "    timeout: 1s", "    retry_delay: 1s",
             "    start_jitter: 1s", "services:"]
    per = 250
    for s in range(0, n, per):
        lines += ["  - name: svc%d" % (s // per), "    address: 198.19.0.%d" % (1 + s // per),
                  "    port: 80", "    monitors: [bench]", "    real_servers:"]
        for i in range(s, min(n, s + per)):
            lines.append("      - {address: %s}" % address(i))
    path = os.path.join(run_dir, "tandem.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def haproxy_config(n, work):
    sock = os.path.join(work, "haproxy.sock")
    lines = ["global", "  maxconn 4000", "  nbthread 1",
             "  stats socket %s mode 600 level admin" % sock,
             "defaults", "  mode http", "  timeout connect 1s", "  timeout client 1s",
             "  timeout server 1s", "  timeout check 1s",
             "backend bench", "  option httpchk GET /health",
             "  default-server check inter 1s fastinter 1s downinter 1s rise 1 fall 1"]
    for i in range(n):
        lines.append("  server s%d %s:80" % (i, address(i)))
    path = os.path.join(work, "haproxy.cfg")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path, sock


def measure(pid, window):
    """CPU seconds of pid and checks answered by the responder over window."""
    c0, n0, t0 = cpu_seconds(pid), responder_count(), time.monotonic()
    time.sleep(window)
    c1, n1, t1 = cpu_seconds(pid), responder_count(), time.monotonic()
    return {"cpu_s": c1 - c0, "checks": n1 - n0, "wall_s": t1 - t0}


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_healthd(args, n, work):
    run_dir = os.path.join(work, "healthd-%d" % n)
    os.makedirs(run_dir)
    cfg = healthd_config(n, run_dir)
    log = open(os.path.join(run_dir, "healthd.log"), "w")
    proc = subprocess.Popen(in_ns(os.path.join(args.bin, "tandem-healthd"), "--foreground",
                                  "--run-dir", run_dir, "--config", cfg, "--node", "bench"),
                            stdout=log, stderr=subprocess.STDOUT)
    sock = os.path.join(run_dir, "healthd.sock")
    try:
        wait_until(lambda: os.path.exists(sock), 30, "healthd socket")
        wait_until(lambda: ctl(sock, "status")["detail"]["servers_up"] >= 0.99 * n, 60,
                   "healthd: 99%% of %d servers up" % n)
        # ip netns exec execs the program in place: proc.pid is healthd's.
        pid = proc.pid
        r = measure(pid, args.window)
        r["up"] = ctl(sock, "status")["detail"]["servers_up"]
        # Service by service: the whole table with history would overflow
        # the control socket's reply queue.
        lat = []
        for i in range((n + 249) // 250):
            health = ctl(sock, "health", {"service": "svc%d" % i})
            lat += [h["latency_ms"] for svc in health["services"] for s in svc["servers"]
                    for h in s["history"] if h["age_s"] <= args.window]
        r["latency_ms"] = percentiles(lat)
        r["latency_samples"] = len(lat)
        r["rss_kib"] = rss_kib(pid)
        return r
    finally:
        stop(proc)


def run_haproxy(args, n, work):
    cfg, sock = haproxy_config(n, work)
    if os.path.exists(sock):
        os.unlink(sock)  # the previous N's: it would look ready
    log = open(os.path.join(work, "haproxy-%d.log" % n), "w")
    proc = subprocess.Popen(in_ns(args.haproxy, "-db", "-f", cfg), stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: os.path.exists(sock), 30, "haproxy stats socket")
        def up():
            try:
                return sum(s["status"] == "UP" for s in haproxy_servers(sock))
            except OSError:
                return 0

        wait_until(lambda: up() >= 0.99 * n, 60, "haproxy: 99%% of %d servers up" % n)
        r = measure(proc.pid, args.window)
        r["up"] = up()
        lat = [float(s["check_duration"]) for s in haproxy_servers(sock)
               if s.get("check_duration", "") != ""]
        r["latency_ms"] = percentiles(lat)
        r["latency_samples"] = len(lat)
        r["rss_kib"] = rss_kib(proc.pid)
        return r
    finally:
        stop(proc)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def setup_ns(args):
    teardown_ns()
    sh("ip", "netns", "add", NS)
    sh("ip", "-n", NS, "link", "set", "lo", "up")
    # Every address of 198.18.0.0/16 is local: one listener is N endpoints.
    sh("ip", "-n", NS, "route", "add", "local", "198.18.0.0/16", "dev", "lo")
    sh(*in_ns("sysctl", "-qw", "net.core.somaxconn=65535"))
    sh(*in_ns("sysctl", "-qw", "net.ipv4.tcp_tw_reuse=1"))
    # Niced up a little: on a shared host the endpoints must not be what
    # limits either checker (both face the same responder).
    return subprocess.Popen(in_ns("nice", "-n", "-5",
                                  os.path.join(args.bin, "bench_health_responder"), "80"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def teardown_ns():
    pids = sh("ip", "netns", "pids", NS, check=False).stdout.split()
    if pids:
        subprocess.run(["kill", "-KILL"] + pids, capture_output=True)
    sh("ip", "netns", "del", NS, check=False)


def fmt_lat(l):
    if not l:
        return "-"
    return "%.2f / %.2f / %.2f / %.2f" % (l["p50"], l["p90"], l["p99"], l["max"])


def report(args, rows, started):
    cpu_model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    hv = sh(args.haproxy, "-v").stdout.splitlines()[0]
    out = ["# Health checker CPU per check: tandem-healthd vs HAProxy", "",
           "Run %s UTC on %s (%d CPUs, %s, kernel %s); %s; load average at start %s." %
           (started.strftime("%Y-%m-%d %H:%M"), platform.node(), os.cpu_count(), cpu_model,
            platform.release(), hv, " ".join("%.2f" % x for x in os.getloadavg())), "",
           "Command: `%s`" % " ".join(["bench/health/checkers.py"] + sys.argv[1:]), "",
           "Each of N endpoints checked every 1 s with `GET /health` (HTTP 200 \"ok\"), "
           "window %d s per checker, checkers run one after the other against the same "
           "responder. CPU = utime+stime of the checker process from /proc/PID/stat; checks "
           "= requests the responder answered in the window. HAProxy runs with nbthread 1 "
           "(healthd is one thread). Latency: healthd's own measure of each check in the "
           "window (connect to end of response); HAProxy's check_duration of each server's "
           "last check (whole milliseconds)." % args.window, "",
           "| N | checker | checks/s | CPU s | CPU % of a core | µs CPU per check | "
           "latency ms p50 / p90 / p99 / max | RSS MiB |",
           "|---|---|---|---|---|---|---|---|"]
    for n, name, r in rows:
        per = r["cpu_s"] / r["checks"] * 1e6 if r["checks"] else float("nan")
        out.append("| %d | %s | %.0f | %.2f | %.1f | %.1f | %s | %.1f |" % (
            n, name, r["checks"] / r["wall_s"], r["cpu_s"], 100 * r["cpu_s"] / r["wall_s"],
            per, fmt_lat(r["latency_ms"]), r["rss_kib"] / 1024))
    out += ["", "| N | healthd µs/check | HAProxy µs/check | HAProxy / healthd |",
            "|---|---|---|---|"]
    by = {}
    for n, name, r in rows:
        by.setdefault(n, {})[name] = r["cpu_s"] / r["checks"] * 1e6 if r["checks"] else None
    for n, d in by.items():
        h, x = d.get("tandem-healthd"), d.get("haproxy")
        ratio = "%.2f" % (x / h) if h and x else "-"
        out.append("| %d | %s | %s | %s |" % (n, "%.1f" % h if h else "-",
                                             "%.1f" % x if x else "-", ratio))
    out.append("")
    out.append("Raw: `%s`" % json.dumps([{"n": n, "checker": c, **r} for n, c, r in rows]))
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(REPO, "build", "bin"))
    ap.add_argument("--counts", default="1000,5000,10000")
    ap.add_argument("--window", type=int, default=10)
    ap.add_argument("--haproxy", default=shutil.which("haproxy") or "/usr/sbin/haproxy")
    ap.add_argument("--only", choices=["tandem-healthd", "haproxy"])
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("checkers.py: needs root (network namespace)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 1 << 20)), hard))
    started = datetime.datetime.utcnow()
    work = tempfile.mkdtemp(prefix="tandem-bench-health-")
    rows, failures = [], []
    try:
        responder = setup_ns(args)
        wait_until(lambda: sh(*in_ns("curl", "-s", "http://198.18.255.254/count"),
                              check=False).returncode == 0, 20, "responder")
        for n in [int(x) for x in args.counts.split(",")]:
            for name, fn in (("tandem-healthd", run_healthd), ("haproxy", run_haproxy)):
                if args.only not in (None, name):
                    continue
                try:
                    rows.append((n, name, fn(args, n, work)))
                except (RuntimeError, OSError) as e:
                    # Reported, not fatal: the other rows still say something.
                    failures.append("N=%d %s: %s" % (n, name, e))
                    print(failures[-1], flush=True)
                    continue
                print(n, name, rows[-1][2], flush=True)
        responder.kill()
        responder.wait()
    finally:
        teardown_ns()
        shutil.rmtree(work, ignore_errors=True)
    text = report(args, rows, started)
    if failures:
        text += "\nNot measured:\n\n" + "".join("- %s\n" % f for f in failures)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "checkers-%s.md" % started.strftime("%Y%m%d-%H%M"))
    with open(path, "w") as f:
        f.write(text)
    print(text)
    print("wrote", path)


if __name__ == "__main__":
    main()
