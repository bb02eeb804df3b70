#!/usr/bin/python3
"""Client-side data-plane gap when the VRRP master dies: a tandem-vrrpd pair
against a keepalived pair (VRRPv3, use_vmac, same topology as
tests/integration/vrrp_failover), advert intervals 100 ms and 1 s.

"Dies" = the master's daemon is killed -9 and its cable pulled at the same
moment (a killed daemon alone leaves the VIP answering from its kernel).
The client pings the VIP every 5 ms; the gap is the longest time between two
answered pings around the failure. Each case runs RUNS times; the report
gives median and worst, the ratio tandem/keepalived, and the RFC bound
3 x interval + skew (backup priority 100) + 20 ms.

Usage (root): TANDEM_BIN=build/bin bench/failover/failover.py [--runs N] [--out FILE]
Wall time about 20 s per run of all four cases.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration", "vrrp_failover"))
import vrrplab as vl  # noqa: E402
import tandemtest as tt  # noqa: E402

PROBE_INTERVAL = 0.005


def one_run(kind, interval_s):
    lab = vl.VrrpLab(prefix="h3b")
    try:
        lab.up()
        if kind == "tandem":
            iv = "%dms" % int(interval_s * 1000)
            lab.start_tandem("d1", vl.tandem_config(interval=iv))
            lab.start_tandem("d2", vl.tandem_config(interval=iv))
        else:
            for node, prio in (("d1", 150), ("d2", 100)):
                for key, val in (("arp_ignore", "1"), ("arp_announce", "2")):
                    tt.run(["ip", "netns", "exec", lab.ns(node), "sysctl", "-q", "-w",
                            "net.ipv4.conf.eth0.%s=%s" % (key, val)])
                lab.start_keepalived(node, vl.keepalived_config(node, prio, interval=str(interval_s)))
        tt.wait_until(lambda: lab.states("d1") == {"vip": "master", "dip": "master"}, timeout=30,
                      what="d1 master")
        tt.wait_until(lambda: lab.states("d2") == {"vip": "backup", "dip": "backup"}, timeout=30,
                      what="d2 backup")
        tt.wait_until(lambda: lab.ping(), timeout=20, what="VIP answers")
        duration = 1.0 + 3 * interval_s + 1.5
        ping = subprocess.Popen(
            ["ip", "netns", "exec", lab.ns("cl"), "ping", "-n", "-D", "-i", str(PROBE_INTERVAL),
             "-W", "0.05", "-w", str(int(duration + 1)), vl.VIP],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        time.sleep(0.5)
        killed_at = time.time()
        lab.set_port("d1", "eth0", False)
        lab.set_port("d1", "eth1", False)
        lab.kill("d1", signal.SIGKILL)
        out, _ = ping.communicate(timeout=duration + 30)
        stamps = [float(m.group(1)) for m in re.finditer(r"^\[(\d+\.\d+)\] \d+ bytes from", out,
                                                         re.M)]
        took_over = lab.states("d2").get("vip") == "master" or lab.holds("d2", vl.VIP)
        gaps = [b - a for a, b in zip(stamps, stamps[1:]) if b >= killed_at - 0.1]
        return (max(gaps) if gaps else float("inf")), took_over
    finally:
        lab.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root (network namespaces)")
    rows = []
    for interval in (0.1, 1.0):
        res = {}
        for kind in ("tandem", "keepalived"):
            gaps = []
            for _ in range(args.runs):
                gap, ok = one_run(kind, interval)
                gaps.append(gap if ok else float("inf"))
            gaps.sort()
            res[kind] = (gaps[len(gaps) // 2], gaps[-1])
        bound = 3 * interval + (256 - 100) / 256 * interval + 0.020
        rows.append((interval, res, bound))
    lines = ["# bench/failover results", "",
             "Command: `TANDEM_BIN=%s %s --runs %d`" % (tt.BIN, " ".join(sys.argv[:1]), args.runs),
             "Date: %s" % time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "",
             "| interval | tandem median / worst (ms) | keepalived median / worst (ms) "
             "| ratio (median) | bound 3i+skew+20ms (ms) | tandem within bound |",
             "|---|---|---|---|---|---|"]
    for interval, res, bound in rows:
        t, k = res["tandem"], res["keepalived"]
        ratio = t[0] / k[0] if k[0] not in (0, float("inf")) else float("nan")
        lines.append("| %d ms | %.0f / %.0f | %.0f / %.0f | %.2f | %.0f | %s |" % (
            interval * 1000, t[0] * 1000, t[1] * 1000, k[0] * 1000, k[1] * 1000, ratio,
            bound * 1000, "yes" if t[1] <= bound else "no"))
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
