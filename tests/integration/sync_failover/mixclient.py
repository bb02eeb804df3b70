#!/usr/bin/python3
"""Runs in the client namespace: holds groups of TCP connections through the
VIP to echosrv.py on the real servers, some idle and some streaming, and
checks every byte.

usage: mixclient.py VIP WORKDIR NAME:PORT:COUNT:idle|stream ...

- Every connection first exchanges a 64-byte greeting (echoed back).
- A stream connection then sends a continuous paced byte stream and checks
  the echo byte for byte against what it sent; an idle one sends nothing.
- When WORKDIR/wake exists (the test creates it after the failover) each
  idle connection exchanges one more message, and each stream records how
  far it had got, so the test can see it keep going afterwards.
- When WORKDIR/stop exists every connection half-closes; echosrv answers
  the number of bytes it received, which must equal what was sent.
A connection whose echo stops for STALL seconds while data is outstanding,
that is closed or reset, or whose echo or count differs, is dead; it is
never reopened (losing it is what the test looks for).

Prints JSON lines: {"ev": "up", ...} once all greetings are done, a "tick"
twice a second, and {"ev": "done", "groups": {...}} at the end.
"""
import asyncio
import json
import os
import random
import sys
import time

STALL = 30.0  # well above a failover plus TCP's retransmission backoff
CHUNK = 512
INTERVAL = 0.05  # a stream sends CHUNK every INTERVAL: ~10 KB/s each
WINDOW = 32 * 1024  # at most this much unechoed, so a stall is seen as one
PERIOD = 65521
_BLOCK = random.Random(6).randbytes(PERIOD)
PATTERN = _BLOCK + _BLOCK  # periodic, so any slice of up to PERIOD bytes wraps right


def emit(doc):
    print(json.dumps(doc), flush=True)


class Conn:
    def __init__(self, index, group, kind, port):
        self.index, self.group, self.kind, self.port = index, group, kind, port
        self.start = (index * 977) % PERIOD
        self.sent = self.echoed = 0
        self.at_wake = None
        self.eof_sent = False
        self.trailer = b""
        self.dead = None
        self.closed_ok = False
        self.progress_at = time.monotonic()
        self.writer = None
        self.done = asyncio.Event()

    def data(self, offset, n):
        o = (self.start + offset) % PERIOD
        return PATTERN[o:o + n]

    def die(self, why):
        if self.dead is None and not self.closed_ok:
            self.dead = why
            if self.writer is not None:
                self.writer.transport.abort()
        self.done.set()

    def send(self, n):
        self.writer.write(self.data(self.sent, n))
        self.sent += n

    async def read_all(self, reader):
        """The only reader of the connection: echo, then the count trailer."""
        try:
            while True:
                chunk = await reader.read(8192)
                if not chunk:
                    break
                echo = min(len(chunk), self.sent - self.echoed)
                if chunk[:echo] != self.data(self.echoed, echo):
                    return self.die("echo differs at byte %d" % self.echoed)
                self.echoed += echo
                self.progress_at = time.monotonic()
                if echo < len(chunk):
                    if not self.eof_sent:
                        return self.die("more bytes than were sent")
                    self.trailer += chunk[echo:]
            if not self.eof_sent:
                return self.die("closed by the server")
            if self.echoed != self.sent or self.trailer.strip() != b"%d" % self.sent:
                return self.die("count: sent %d, echoed %d, server says %r"
                                % (self.sent, self.echoed, self.trailer[:20]))
            self.closed_ok = True
        except (OSError, asyncio.IncompleteReadError) as e:
            self.die("%s: %s" % (type(e).__name__, e))
        finally:
            self.done.set()


class Client:
    def __init__(self, vip, work, specs):
        self.vip, self.work = vip, work
        self.conns = []
        for spec in specs:
            name, port, count, kind = spec.split(":")
            for _ in range(int(count)):
                self.conns.append(Conn(len(self.conns), name, kind, int(port)))
        self.groups = list(dict.fromkeys(c.group for c in self.conns))

    def flag(self, name):
        return os.path.exists(os.path.join(self.work, name))

    async def open(self, c):
        try:
            reader, c.writer = await asyncio.wait_for(
                asyncio.open_connection(self.vip, c.port), timeout=STALL)
        except (OSError, asyncio.TimeoutError) as e:
            c.die("connect: %s" % (e or type(e).__name__))
            return
        asyncio.ensure_future(c.read_all(reader))
        c.send(64)
        while c.echoed < 64 and c.dead is None:
            await asyncio.sleep(0.02)

    async def stream(self, c):
        while not self.flag("stop") and c.dead is None:
            if c.sent - c.echoed < WINDOW:
                c.send(CHUNK)
                try:
                    await c.writer.drain()
                except OSError as e:
                    c.die("send: %s" % e)
            await asyncio.sleep(INTERVAL)

    async def idle(self, c):
        while not self.flag("wake") and not self.flag("stop"):
            await asyncio.sleep(0.1)
        if c.dead is None:
            c.at_wake = c.echoed
            c.send(64)

    async def watchdog(self):
        while not all(c.done.is_set() for c in self.conns):
            now = time.monotonic()
            for c in self.conns:
                # Outstanding: unechoed bytes, or the count after a half-close.
                if (c.dead is None and not c.closed_ok and (c.sent > c.echoed or c.eof_sent)
                        and now - c.progress_at > STALL):
                    c.die("stalled with %d bytes unechoed%s" % (
                        c.sent - c.echoed, ", after the half-close" if c.eof_sent else ""))
            await asyncio.sleep(0.5)

    def counts(self, pred):
        return {g: [sum(1 for c in self.conns if c.group == g and pred(c)),
                    sum(1 for c in self.conns if c.group == g)] for g in self.groups}

    async def ticker(self):
        while not all(c.done.is_set() for c in self.conns):
            woke = self.flag("wake")
            if woke:
                for c in self.conns:
                    if c.at_wake is None:
                        c.at_wake = c.echoed
            emit({"ev": "tick", "t": time.monotonic(), "woke": woke,
                  "alive": self.counts(lambda c: c.dead is None),
                  # since wake: an idle one answered again, a stream moved on
                  "moved": self.counts(lambda c: c.dead is None and c.at_wake is not None
                                       and c.echoed > max(c.at_wake, 64)),
                  "stream_bytes": sum(c.echoed for c in self.conns if c.kind == "stream"),
                  "dead": [[c.group, c.index, c.dead] for c in self.conns if c.dead][-5:]})
            await asyncio.sleep(0.5)

    async def main(self):
        await asyncio.gather(*(self.open(c) for c in self.conns))
        emit({"ev": "up", "t": time.monotonic(),
              "ok": self.counts(lambda c: c.dead is None and c.echoed == 64),
              "dead": [[c.index, c.dead] for c in self.conns if c.dead][:20]})
        tasks = [asyncio.ensure_future(self.watchdog()), asyncio.ensure_future(self.ticker())]
        await asyncio.gather(*((self.stream(c) if c.kind == "stream" else self.idle(c))
                               for c in self.conns if c.dead is None))
        while not self.flag("stop"):
            await asyncio.sleep(0.1)
        for c in self.conns:
            if c.dead is None:
                try:
                    c.writer.write_eof()
                    c.eof_sent = True
                    c.progress_at = time.monotonic()
                except OSError as e:
                    c.die("half-close: %s" % e)
        await asyncio.gather(*(c.done.wait() for c in self.conns))
        await asyncio.gather(*tasks)
        emit({"ev": "done", "groups": {
            g: {"ok": sum(1 for c in self.conns if c.group == g and c.closed_ok),
                "n": sum(1 for c in self.conns if c.group == g),
                "bytes": sum(c.sent for c in self.conns if c.group == g and c.closed_ok),
                "dead": [[c.index, c.dead] for c in self.conns if c.group == g and c.dead][:10]}
            for g in self.groups}})


if __name__ == "__main__":
    asyncio.run(Client(sys.argv[1], sys.argv[2], sys.argv[3:]).main())
