"""Runs in the client namespace: opens N keep-alive HTTP/1.1 connections to
VIP:PORT and exchanges a request/response on every one of them each round
until the file STOP exists. Prints one JSON line per round to stdout:
{"round": r, "t": monotonic, "ok": n, "failed": [indexes]} so the test can
see which connections worked after a failover. A connection that fails is
not reopened: losing it is what the test looks for."""
import json
import os
import socket
import sys
import time

vip, port, n, stop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
conns = []
for i in range(n):
    s = socket.create_connection((vip, port), timeout=10)
    conns.append(s)
dead = set()


def exchange(s):
    s.sendall(b"GET /health HTTP/1.1\r\nHost: lab\r\nConnection: keep-alive\r\n\r\n")
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(body) < length:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("closed")
        body += chunk
    if not head.startswith(b"HTTP/1.1 200"):
        raise ConnectionError(head[:40])


r = 0
while not os.path.exists(stop):
    ok, failed = 0, []
    for i, s in enumerate(conns):
        if i in dead:
            continue
        try:
            s.settimeout(10)  # bounds a lost connection, well above a failover
            exchange(s)
            ok += 1
        except (OSError, ConnectionError, ValueError) as e:
            dead.add(i)
            failed.append([i, str(e)])
    print(json.dumps({"round": r, "t": time.monotonic(), "ok": ok, "failed": failed}), flush=True)
    r += 1
    time.sleep(0.2)
print(json.dumps({"done": True, "alive": n - len(dead), "dead": sorted(dead)}), flush=True)
