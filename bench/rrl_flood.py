#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""rrl_flood.py - a spoofed reflection flood and a legitimate client, for bench/rrl.sh.

  rrl_flood.py PORT NAMEFILE [--rate 20000] [--seconds 5] [--sources 64]
               [--legit-rate 100] [--qname big.vm.example.com.] [--qtype TXT]

The "victim": UDP sockets bound to 127.0.1.1 .. 127.0.1.SOURCES (one /24;
loopback takes any 127/8 source), which send the same question (a large
TXT answer, EDNS 1232) to 127.0.0.1:PORT in turn at RATE queries per
second, as an attacker spoofing the victim's addresses would; what comes
back to them is what the server reflects onto the victim. The legitimate
client: one socket on 127.0.2.1 (another /24) asking for the names of
NAMEFILE (dnsperf format) at LEGIT-RATE per second; an answer is a reply
with its ID, NOERROR, TC=0 and a record, within 1 s.

Prints one line of key=value figures: flood queries and bytes sent,
replies and bytes received, how many were TC=1, the amplification
(bytes received / bytes sent), and the legitimate client's answer rate.
"""

import argparse
import random
import select
import socket
import struct
import sys
import time

import dns.flags
import dns.message
import dns.rcode


def wire(name, rdtype, edns):
    msg = dns.message.make_query(name, rdtype)
    msg.flags &= ~dns.flags.RD
    if edns:
        msg.use_edns(0, 0, 1232)
    return bytearray(msg.to_wire())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("namefile")
    ap.add_argument("--rate", type=int, default=20000)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--sources", type=int, default=64)
    ap.add_argument("--legit-rate", type=int, default=100)
    ap.add_argument("--qname", default="big.vm.example.com.")
    ap.add_argument("--qtype", default="TXT")
    a = ap.parse_args()
    server = ("127.0.0.1", a.port)

    names = [l.split()[0] for l in open(a.namefile) if l.strip()]
    rng = random.Random(7)

    ep = select.epoll()
    flood = []
    for i in range(1, a.sources + 1):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind(("127.0.1.%d" % i, 0))
        s.setblocking(False)
        ep.register(s.fileno(), select.EPOLLIN)
        flood.append(s)
    by_fd = {s.fileno(): s for s in flood}
    legit = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    legit.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    legit.bind(("127.0.2.1", 0))
    legit.setblocking(False)
    ep.register(legit.fileno(), select.EPOLLIN)

    q = wire(a.qname, a.qtype, True)
    sent = sent_bytes = got = got_bytes = tc = 0
    legit_sent = legit_ok = 0
    pending = {}  # legit ID -> send time

    def drain(fd):
        nonlocal got, got_bytes, tc, legit_ok
        s = legit if fd == legit.fileno() else by_fd[fd]
        while True:
            try:
                data = s.recv(65535)
            except BlockingIOError:
                return
            if s is legit:
                try:
                    r = dns.message.from_wire(data)
                except Exception:
                    continue
                t0 = pending.pop(r.id, None)
                if (t0 is not None and time.monotonic() - t0 <= 1.0 and r.rcode() == dns.rcode.NOERROR
                        and not r.flags & dns.flags.TC and r.answer):
                    legit_ok += 1
                continue
            got += 1
            got_bytes += len(data)
            if len(data) > 2 and data[2] & 0x02:
                tc += 1

    start = time.monotonic()
    end = start + a.seconds
    next_legit = start
    qid = 0
    while True:
        now = time.monotonic()
        if now >= end:
            break
        due = int((now - start) * a.rate) - sent
        for _ in range(min(due, 200)):
            qid = (qid + 1) & 0xFFFF
            struct.pack_into("!H", q, 0, qid)
            try:
                flood[sent % len(flood)].sendto(q, server)
            except BlockingIOError:
                pass
            sent += 1
            sent_bytes += len(q)
        if now >= next_legit:
            lq = wire(rng.choice(names) + ".", "A", False)
            lid = rng.randrange(65536)
            struct.pack_into("!H", lq, 0, lid)
            pending[lid] = now
            legit.sendto(lq, server)
            legit_sent += 1
            next_legit += 1.0 / a.legit_rate
        for fd, _ in ep.poll(0):
            drain(fd)
        if due <= 0:
            time.sleep(0.0005)
    # Late replies: up to 1 s.
    stop = time.monotonic() + 1.0
    while time.monotonic() < stop:
        for fd, _ in ep.poll(0.05):
            drain(fd)
    achieved = sent / a.seconds
    print("flood_sent=%d flood_bytes_sent=%d flood_qps=%.0f replies=%d bytes_received=%d tc=%d "
          "amplification=%.3f legit_sent=%d legit_answered=%d legit_rate=%.1f"
          % (sent, sent_bytes, achieved, got, got_bytes, tc,
             got_bytes / sent_bytes if sent_bytes else 0.0, legit_sent, legit_ok,
             100.0 * legit_ok / legit_sent if legit_sent else 0.0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
