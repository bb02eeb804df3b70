"""A fake director for tandem-syncd: speaks the record stream
(<run-dir>/syncd.stream.sock, u32 big-endian length frames, one IPVS v1
record each) and crafts peer datagrams (the Tandem envelope) for the
rejection tests. Shared by tests/integration/sync and bench/sync."""
import hashlib
import hmac
import socket
import struct

RECORD = struct.Struct("!BBHIHHHHII4s4s4s")  # 36 bytes, IPv4


def ip(text):
    return socket.inet_aton(text)


def record(cport, caddr="198.18.0.10", vaddr="198.18.0.100", daddr="198.18.1.11",
           vport=80, dport=80, state=1, timeout=900, flags=3, fwmark=0):
    """One IPv4 TCP record (flags 3 = direct routing, state 1 = ESTABLISHED)."""
    return RECORD.pack(0, 6, 36, flags, state, cport, vport, dport, fwmark, timeout,
                       ip(caddr), ip(vaddr), ip(daddr))


def parse_record(b):
    f = RECORD.unpack_from(b)
    return {"flags": f[3], "state": f[4], "cport": f[5], "vport": f[6], "dport": f[7],
            "timeout": f[9], "caddr": socket.inet_ntoa(f[10]),
            "vaddr": socket.inet_ntoa(f[11]), "daddr": socket.inet_ntoa(f[12])}


def frame(payload):
    return struct.pack("!I", len(payload)) + payload


class Stream:
    """The director's end of the record stream."""

    def __init__(self, path, timeout=10.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""

    def send(self, records):
        self.sock.sendall(b"".join(frame(r) for r in records))

    def read(self, timeout):
        """Records that arrive within timeout seconds (installs from the peer)."""
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("syncd closed the stream")
            self.buf += chunk
        except socket.timeout:
            pass
        out = []
        while len(self.buf) >= 4:
            n = struct.unpack_from("!I", self.buf)[0]
            if len(self.buf) < 4 + n:
                break
            out.append(self.buf[4:4 + n])
            self.buf = self.buf[4 + n:]
        return out

    def close(self):
        self.sock.close()


def ipvs_message(records, syncid):
    """IPVS sync v1 message: header then records (36 bytes, already aligned)."""
    body = b"".join(records)
    return struct.pack("!BBHBBH", 0, syncid, 8 + len(body), len(records), 1, 0) + body


def envelope(kind, body, key, key_id=1, sender=0x5151, epoch=1, seq=1):
    head = struct.pack("!BBHBBHQQQ", 0x54, 1, 0, kind, key_id, len(body), sender, epoch, seq)
    mac = hmac.new(key, head + body, hashlib.sha256).digest()
    return head + body + mac
