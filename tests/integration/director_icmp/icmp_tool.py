#!/usr/bin/python3
"""ICMP helpers for the director_icmp test, stdlib only.

  icmp_tool.py frag-needed --src A --dst VIP --quote-src VIP --quote-sport P
               --quote-dst C --quote-dport Q [--mtu 1280] [--type 3 --code 4]
      sends one ICMP error, by default "fragmentation needed" (3/4), from A
      to VIP over a raw socket, quoting a TCP segment quote-src:sport ->
      quote-dst:dport (IPv4 header + the 8 bytes RFC 792 asks for), as a
      router on the path of our reply would.
  icmp_tool.py read-pcap FILE
      prints every ICMP error in a pcap file (Ethernet) as one JSON object a
      line: outer addresses, type/code, the quote's addresses and ports, and
      whether each checksum verifies (recomputed here, independently)."""
import json
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip_hdr(src, dst, payload_len, proto, ttl=64, ident=0x2222):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, ident, 0x4000, ttl, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


def frag_needed(args):
    opt = dict(zip(args[::2], args[1::2]))
    # The quoted segment: its header claims a 40-byte datagram, only the
    # first 8 TCP bytes (ports and sequence number) are quoted.
    tcp8 = struct.pack("!HHI", int(opt["--quote-sport"]), int(opt["--quote-dport"]), 0x01020304)
    quote = ip_hdr(opt["--quote-src"], opt["--quote-dst"], 20, 6, ttl=63) + tcp8
    icmp = struct.pack("!BBHHH", int(opt.get("--type", "3")), int(opt.get("--code", "4")), 0, 0,
                       int(opt.get("--mtu", "1280"))) + quote
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    pkt = ip_hdr(opt["--src"], opt["--dst"], len(icmp), 1) + icmp
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.sendto(pkt, (opt["--dst"], 0))
    print(json.dumps({"sent": len(pkt)}))


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        if ip[9] != 1 or total > len(ip):
            continue
        icmp = ip[ihl:total]
        if len(icmp) < 8 + 28 or icmp[0] not in (3, 4, 11, 12):
            continue
        q = icmp[8:]
        qihl = (q[0] & 0x0F) * 4
        print(json.dumps({
            "src": socket.inet_ntoa(ip[12:16]), "dst": socket.inet_ntoa(ip[16:20]),
            "ip_sum_ok": csum(ip[:ihl]) == 0,
            "type": icmp[0], "code": icmp[1], "mtu": struct.unpack("!H", icmp[6:8])[0],
            "icmp_sum_ok": csum(icmp) == 0,
            "q_src": socket.inet_ntoa(q[12:16]), "q_dst": socket.inet_ntoa(q[16:20]),
            "q_sum_ok": csum(q[:qihl]) == 0,
            "q_sport": struct.unpack("!H", q[qihl:qihl + 2])[0],
            "q_dport": struct.unpack("!H", q[qihl + 2:qihl + 4])[0],
        }))


if __name__ == "__main__":
    if sys.argv[1] == "frag-needed":
        frag_needed(sys.argv[2:])
    elif sys.argv[1] == "read-pcap":
        read_pcap(sys.argv[2])
    else:
        sys.exit("usage: icmp_tool.py frag-needed ... | read-pcap FILE")
