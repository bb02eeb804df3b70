#!/usr/bin/python3
"""Sends hostile frames at the director from the client namespace over a raw
AF_PACKET socket: truncated, bad IHL, bad IP checksum, a non-first fragment,
TTL 1, then a SYN flood from random sources in 198.18.0.0/15. Prints what it
sent as JSON. Stdlib only."""
import argparse
import json
import random
import socket
import struct


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip_hdr(src, dst, payload_len, ttl=64, ihl=5, frag=0, proto=6, good_sum=True):
    h = struct.pack("!BBHHHBBH4s4s", (4 << 4) | ihl, 0, 20 + payload_len, 0x1234, frag, ttl, proto,
                    0, socket.inet_aton(src), socket.inet_aton(dst))
    c = csum(h)
    if not good_sum:
        c ^= 0x5555
    return h[:10] + struct.pack("!H", c) + h[12:]


def tcp_syn(src, dst, sport, dport):
    t = struct.pack("!HHIIBBHHH", sport, dport, random.getrandbits(32), 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(t))
    c = csum(pseudo + t)
    return t[:16] + struct.pack("!H", c) + t[18:]


def mac_of(ip):
    with open("/proc/net/arp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            if parts[0] == ip and parts[3] != "00:00:00:00:00:00":
                return bytes.fromhex(parts[3].replace(":", ""))
    raise SystemExit("no ARP entry for " + ip)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", required=True)
    ap.add_argument("--dst-ip", required=True)
    ap.add_argument("--src-ip", default="198.18.0.10")
    ap.add_argument("--flood", type=int, default=1000)
    a = ap.parse_args()
    dst_mac = mac_of(a.dst_ip)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    src_mac = s.getsockname()[4]
    eth = dst_mac + src_mac + b"\x08\x00"
    sent = {}

    def send(kind, frame, n=1):
        for _ in range(n):
            s.send(frame)
        sent[kind] = sent.get(kind, 0) + n

    syn = tcp_syn(a.src_ip, a.dst_ip, 40000, 80)
    send("truncated", eth + ip_hdr(a.src_ip, a.dst_ip, len(syn))[:12], 5)
    send("bad_ihl", eth + ip_hdr(a.src_ip, a.dst_ip, len(syn), ihl=4) + syn, 5)
    send("bad_ip_checksum", eth + ip_hdr(a.src_ip, a.dst_ip, len(syn), good_sum=False) + syn, 5)
    send("fragment", eth + ip_hdr(a.src_ip, a.dst_ip, len(syn), frag=100) + syn, 5)
    send("ttl1", eth + ip_hdr(a.src_ip, a.dst_ip, len(syn), ttl=1) + syn, 5)
    for i in range(a.flood):
        src = "198.18.%d.%d" % (random.randint(128, 255), random.randint(1, 254))
        t = tcp_syn(src, a.dst_ip, random.randint(1024, 65535), 80)
        s.send(eth + ip_hdr(src, a.dst_ip, len(t)) + t)
    sent["syn_flood"] = a.flood
    print(json.dumps(sent))


if __name__ == "__main__":
    main()
