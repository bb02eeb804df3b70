#!/usr/bin/python3
"""End-to-end sync benchmark: fake director -> tandem-syncd (master, ns
h7-bench-a) -> UDP -> tandem-syncd (backup, ns h7-bench-b) -> fake director.
Measures records/s, per-record lag (stream write on A to stream read on B,
same host clock) and bytes on the wire per record. Each run is a few
seconds; everything it creates is removed at the end.

  sudo TANDEM_BIN=build/bin /usr/bin/python3 bench/sync/bench_sync.py [--quick]
"""
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration", "sync"))
import synctool as st  # noqa: E402
import tandemtest as tt  # noqa: E402

NS = {"a": "h7-bench-a", "b": "h7-bench-b"}
ADDR = {"a": "198.18.7.65", "b": "198.18.7.66"}
CONFIG = """global: {log_level: warning}
nodes:
  a: {address: %s}
  b: {address: %s}
interfaces:
  inside: {device: eth0, role: inside}
sync:
  enabled: true
  interface: inside
  transport: multicast
  flush_interval: %s
  authentication:
    keys: [{id: 1, key: bench-sync-key-0123456789}]
"""


def sh(*cmd, check=True):
    return tt.run(list(cmd), check=check)


def request(path, cmd, args=None):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(path)
        s.sendall((json.dumps({"id": 1, "cmd": cmd, "args": args or {}}) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            buf += s.recv(65536)
    return json.loads(buf)["result"]


def teardown(procs):
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    for ns in NS.values():
        pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
        if pids:
            subprocess.run(["kill", "-KILL"] + pids, capture_output=True)
        sh("ip", "netns", "del", ns, check=False)


def pct(v, q):
    return v[min(len(v) - 1, int(q * (len(v) - 1)))] if v else float("nan")


def run_case(work, flush, rate, seconds):
    """rate records/s for `seconds` (rate 0: as fast as possible, 200k records)."""
    procs = []
    try:
        for ns in NS.values():
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", NS["a"], "link", "add", "eth0", "type", "veth", "peer", "name", "eth0",
           "netns", NS["b"])
        for n in NS:
            sh("ip", "-n", NS[n], "addr", "add", ADDR[n] + "/24", "dev", "eth0")
            sh("ip", "-n", NS[n], "link", "set", "eth0", "up")
        cfg = os.path.join(work, "tandem.yaml")
        with open(cfg, "w") as f:
            f.write(CONFIG % (ADDR["a"], ADDR["b"], flush))
        for n in NS:
            rd = os.path.join(work, "run-" + n)
            shutil.rmtree(rd, ignore_errors=True)
            procs.append(subprocess.Popen(
                ["ip", "netns", "exec", NS[n], os.path.join(tt.BIN, "tandem-syncd"), "--foreground",
                 "--config", cfg, "--node", n, "--run-dir", rd],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        sock = {n: os.path.join(work, "run-" + n, "syncd.sock") for n in NS}
        stream = {n: os.path.join(work, "run-" + n, "syncd.stream.sock") for n in NS}
        tt.wait_until(lambda: all(os.path.exists(stream[n]) for n in NS), what="syncd up")
        request(sock["a"], "sync-role", {"role": "master"})
        request(sock["b"], "sync-role", {"role": "backup"})
        da, db = st.Stream(stream["a"]), st.Stream(stream["b"])
        tt.wait_until(lambda: request(sock["b"], "sync")["peers"], what="peer seen")
        time.sleep(0.5)  # let the join resync of the empty table pass
        db.read(0.2)

        total = 200000 if rate == 0 else int(rate * seconds)
        sent_at = [0.0] * total
        recv_at = {}
        done = threading.Event()

        def reader():
            while len(recv_at) < total and not done.is_set():
                for r in db.read(0.2):
                    now = time.monotonic()
                    f = st.RECORD.unpack_from(r)
                    idx = (f[8] << 16) | f[5]  # fwmark high bits unused: cport + caddr low byte
                    idx = struct.unpack("!I", f[10])[0] & 0xFFFFF
                    recv_at.setdefault(idx, now)

        t = threading.Thread(target=reader)
        t.start()
        batch = 500 if rate == 0 else max(1, rate // 200)  # rate: 200 batches/s
        start = time.monotonic()
        i = 0
        while i < total:
            n = min(batch, total - i)
            # caddr 10.x.y.z carries the index; ports fixed.
            recs = [st.record(80, caddr=socket.inet_ntoa(struct.pack("!I", 0x0A000000 | (i + k))))
                    for k in range(n)]
            now = time.monotonic()
            for k in range(n):
                sent_at[i + k] = now
            da.send(recs)
            i += n
            if rate:
                target = start + i / rate
                delay = target - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        t.join(timeout=30)
        done.set()
        end = max(recv_at.values()) if recv_at else time.monotonic()
        lags = sorted((recv_at[k] - sent_at[k]) * 1000 for k in recv_at)
        a = request(sock["a"], "sync")
        b = request(sock["b"], "sync")
        c = a["counters"]
        da.close()
        db.close()
        return {
            "flush": flush, "offered_rate": rate or "max", "records": total,
            "received": len(recv_at), "elapsed_s": round(end - start, 3),
            "records_per_s": round(len(recv_at) / (end - start)),
            "lag_ms_p50": round(pct(lags, 0.5), 2), "lag_ms_p99": round(pct(lags, 0.99), 2),
            "lag_ms_max": round(lags[-1], 2) if lags else None,
            "wire_bytes_per_record": round(c["sent_bytes"] / max(1, c["sent_records"]), 1),
            "datagrams": c["sent_datagrams"],
            "retransmitted": c["retransmitted"], "resyncs_served": c["resyncs_served"],
            "b_rejected": b["rejected_total"], "b_gaps_resync": b["counters"]["resync_requests_sent"],
        }
    finally:
        teardown(procs)


def main():
    quick = "--quick" in sys.argv
    work = tempfile.mkdtemp(prefix="tandem-h7-bench-")
    try:
        cases = [("100ms", 0, 0), ("100ms", 20000, 3), ("20ms", 20000, 3)]
        if not quick:
            cases.append(("20ms", 100000, 3))
        for flush, rate, secs in cases:
            print(json.dumps(run_case(work, flush, rate, secs)), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
