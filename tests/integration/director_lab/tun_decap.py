#!/usr/bin/python3
"""A real server's IPIP decapsulator in user space, for kernels built
without the ipip module (the test machine's has none, so there is no
tunl0): reads IP-in-IP datagrams from a raw socket and hands the inner
datagram, unchanged, to the local stack through a raw IP_HDRINCL socket,
as tunl0 would. Stdlib only."""
import socket

IPPROTO_IPIP = 4


def main():
    rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_IPIP)
    tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    tx.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    while True:
        pkt = rx.recv(65535)
        ihl = (pkt[0] & 0x0F) * 4
        inner = pkt[ihl:]
        if len(inner) < 20 or inner[0] >> 4 != 4:
            continue
        dst = socket.inet_ntoa(inner[16:20])
        try:
            tx.sendto(inner, (dst, 0))
        except OSError:
            pass


if __name__ == "__main__":
    main()
