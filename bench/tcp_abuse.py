#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""tcp_abuse.py - TCP abuse floods against vmdnsd, knotd and nsd, in one run.

Issue 12, point 4: while a hostile client abuses TCP, UDP must keep being
answered promptly, TCP must keep serving real clients, and the kernel must
not be made to hold gigabytes for clients that never read. For each server
and each flood this prints the UDP answer rate and p99 latency (a client
asking 200 queries/s over UDP), the share of real TCP queries answered (a
new connection every 100 ms), the kernel's TCP memory (/proc/net/sockstat
"TCP: ... mem", pages) and the server's RSS, sampled during the flood.

Floods (all from loopback addresses 127.1.x.y, spread so that no single
address passes vmdnsd's per-client cap unless the flood is about that cap):
  slowloris   N connections that each send one byte of a query every 3 s
              (and reconnect when closed)
  nonreader   N connections that pipeline queries for a large answer and
              never read (and reconnect when closed)
  connflood   N connections from one address, held open

  usage: bench/tcp_abuse.py [--duration 20] [--conns 1000] [--workers 1|auto]
                            [--servers vmdnsd,knotd,nsd] [--floods slowloris,nonreader]
                            [--vmdnsd PATH]

The module is also imported by tests/integration/test_tcp_abuse.py, which
runs the same floods (shorter) against vmdnsd alone.
"""

import argparse
import errno
import multiprocessing
import os
import re
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

ORIGIN = "example.com."
BIG_N = 40
ZONE = ("$ORIGIN example.com.\n$TTL 300\n"
        "@    IN SOA ns1 hostmaster 1 3600 600 86400 30\n"
        "@    IN NS  ns1\n"
        "ns1  IN A   192.0.2.53\n"
        "www  IN A   192.0.2.1\n"
        + "".join("big IN A 10.0.0.%d\n" % i for i in range(1, BIG_N + 1)))


def make_query(name, qtype=1, qid=0x1234):
    """A DNS query in wire format (no EDNS, RD off)."""
    wire = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + wire + struct.pack("!HH", qtype, 1)


def tcp_msg(q):
    return struct.pack("!H", len(q)) + q


def source(i):
    """The i-th flood source address on loopback (127.1.0.1, 127.1.0.2, ...)."""
    return "127.1.%d.%d" % ((i // 250) % 250, i % 250 + 1)


def free_port():
    while True:
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()


# ---- measurements ----------------------------------------------------------

def tcp_mem_pages():
    """Kernel TCP memory in pages (/proc/net/sockstat "TCP: ... mem N")."""
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                parts = line.split()
                return int(parts[parts.index("mem") + 1])
    return 0


def server_sock_mem(port):
    """Bytes the kernel holds for the server's side of its TCP connections
    (ss skmem: receive queue + send queue of sockets with local port `port`)."""
    try:
        out = subprocess.run(["ss", "-tmnH", "sport", "= :%d" % port], capture_output=True,
                             text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return 0
    total = 0
    for m in re.finditer(r"skmem:\(r(\d+),rb\d+,t(\d+),tb\d+,f\d+,w(\d+)", out):
        total += int(m.group(1)) + int(m.group(2)) + int(m.group(3))
    return total


def rss_kb(pid):
    """Resident memory of pid and its children (nsd forks), in KiB."""
    total = 0
    pids = [pid]
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
        pids += [int(p) for p in out.split()]
    except OSError:
        pass
    for p in pids:
        try:
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def percentile(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(len(v) * p / 100.0))]


def udp_probe(port, duration, rate, out):
    """Ask `rate` queries/s over UDP for `duration` s; put a summary on `out`."""
    try:
        os.nice(-10)  # measure the server, not this process's turn on the CPU
    except OSError:
        pass
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    lat, sent, qid = [], 0, 0
    t_end = time.monotonic() + duration
    nxt = time.monotonic()
    while time.monotonic() < t_end:
        qid = (qid + 1) & 0xFFFF
        t0 = time.monotonic()
        s.send(make_query("www.example.com", qid=qid))
        sent += 1
        deadline = t0 + 1.0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([s], [], [], left)
            if not r:
                break
            try:
                data = s.recv(4096)
            except OSError:
                break
            if len(data) >= 2 and struct.unpack("!H", data[:2])[0] == qid:
                lat.append(time.monotonic() - t0)
                break
        nxt += 1.0 / rate
        pause = nxt - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        else:
            nxt = time.monotonic()
    out.put({"sent": sent, "answered": len(lat), "p50_ms": percentile(lat, 50) * 1000,
             "p99_ms": percentile(lat, 99) * 1000, "max_ms": max(lat) * 1000 if lat else float("nan")})


def tcp_probe(port, duration, interval, out):
    """A real TCP client: one query on a new connection every `interval` s."""
    asked = answered = 0
    t_end = time.monotonic() + duration
    while time.monotonic() < t_end:
        t0 = time.monotonic()
        asked += 1
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0) as c:
                c.sendall(tcp_msg(make_query("www.example.com", qid=asked & 0xFFFF)))
                buf = b""
                while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
                    d = c.recv(4096)
                    if not d:
                        break
                    buf += d
                if len(buf) >= 4 and struct.unpack("!H", buf[2:4])[0] == asked & 0xFFFF:
                    answered += 1
        except OSError:
            pass
        pause = interval - (time.monotonic() - t0)
        if pause > 0:
            time.sleep(pause)
    out.put({"asked": asked, "answered": answered})


# ---- floods ----------------------------------------------------------------

class Flood:
    """N connections to 127.0.0.1:port from `nsrc` source addresses; kind
    decides what each does. Runs in a process of its own (run_flood)."""

    def __init__(self, kind, port, conns, nsrc, duration):
        self.kind, self.port, self.conns, self.nsrc, self.duration = kind, port, conns, nsrc, duration
        self.socks = {}  # fd -> [sock, slot, opened_at, first_byte_at, blob_off]
        self.later = []  # (when, slot): reopened after a pause (refused at once)
        self.stats = {"opened": 0, "refused": 0, "closed_by_server": 0, "close_after_first_byte": []}
        self.blob = b"".join(tcp_msg(make_query("big.example.com", qid=i)) for i in range(4000))

    def open(self, slot):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # The flood's own send buffer stays small: its queued queries are
        # kernel memory of this host too, but an attacker's, not the server's.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32768)
        try:
            s.bind((source(slot % self.nsrc), 0))
            s.setblocking(False)  # a server with a short backlog must not stall the flood
            rc = s.connect_ex(("127.0.0.1", self.port))
            if rc not in (0, errno.EINPROGRESS):
                raise OSError(rc, os.strerror(rc))
        except OSError:
            s.close()
            self.stats["refused"] += 1
            return
        self.stats["opened"] += 1
        now = time.monotonic()
        ent = [s, slot, now, None, 0]
        self.socks[s.fileno()] = ent
        if self.kind == "slowloris":
            self.send_byte(ent)
        elif self.kind == "nonreader":
            self.push(ent)

    def send_byte(self, ent):
        try:
            ent[0].send(b"\x00")
            if ent[3] is None:
                ent[3] = time.monotonic()
        except BlockingIOError:
            pass  # still connecting
        except OSError:
            self.lost(ent)

    def push(self, ent):
        """Send more pipelined queries, as much as the socket takes (at most
        256 KiB a turn, so a server that reads fast does not hold us here)."""
        s = ent[0]
        for _ in range(4):
            if ent[4] >= len(self.blob):
                ent[4] = 0
            try:
                n = s.send(self.blob[ent[4]:ent[4] + 65536])
            except BlockingIOError:
                return
            except OSError:
                self.lost(ent)
                return
            ent[4] += n

    def lost(self, ent):
        """The server closed this connection: note it, open another."""
        s = ent[0]
        fd = s.fileno()
        if fd in self.socks:
            del self.socks[fd]
        self.stats["closed_by_server"] += 1
        if ent[3] is not None:
            self.stats["close_after_first_byte"].append(time.monotonic() - ent[3])
        s.close()
        if self.kind == "connflood":
            return
        if time.monotonic() - ent[2] < 0.05:
            # Refused at once (over a cap): try again a little later, as a
            # client would, rather than spin.
            self.later.append((time.monotonic() + 0.2, ent[1]))
        else:
            self.open(ent[1])

    def run(self):
        t_end = time.monotonic() + self.duration
        for i in range(self.conns):
            self.open(i)
        last_tick = time.monotonic()
        while time.monotonic() < t_end:
            fds = list(self.socks.keys())
            # Readable: EOF or reset from the server (slowloris and connflood
            # get no data; a non-reader never looks).
            if self.kind != "nonreader" and fds:
                poller = select.poll()
                for fd in fds:
                    poller.register(fd, select.POLLIN)
                for fd, _ev in poller.poll(50):
                    ent = self.socks.get(fd)
                    if ent is None:
                        continue
                    try:
                        d = ent[0].recv(1)
                    except BlockingIOError:
                        continue
                    except OSError:
                        d = b""
                    if not d:
                        self.lost(ent)
            else:
                time.sleep(0.05)
            now = time.monotonic()
            if self.later and self.later[0][0] <= now:
                due = [slot for when, slot in self.later if when <= now]
                self.later = [(when, slot) for when, slot in self.later if when > now]
                for slot in due:
                    self.open(slot)
            if self.kind == "slowloris" and now - last_tick >= 3.0:
                last_tick = now
                for ent in list(self.socks.values()):
                    self.send_byte(ent)
            elif self.kind == "nonreader":
                for ent in list(self.socks.values()):
                    self.push(ent)
        held = len(self.socks)
        for ent in list(self.socks.values()):
            ent[0].close()
        self.stats["held_at_end"] = held
        return self.stats


def run_flood(kind, port, conns, nsrc, duration, out):
    # The attacker's CPU is not the server host's in real life: here it is,
    # so it yields to the server and the probes.
    os.nice(19)
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_NOFILE, (65536, 65536))
    except (ValueError, OSError):
        pass
    out.put(Flood(kind, port, conns, nsrc, duration).run())


def measure(server_pid, port, kind, conns, nsrc, duration, probe=True):
    """One flood against a running server, with the probes; a dict of figures."""
    mem0 = tcp_mem_pages()
    q = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=run_flood, args=(kind, port, conns, nsrc, duration + 1, q))]
    if probe:
        procs.append(multiprocessing.Process(target=udp_probe, args=(port, duration, 200, q)))
        procs.append(multiprocessing.Process(target=tcp_probe, args=(port, duration, 0.1, q)))
    for p in procs:
        p.start()
    mem, rss, smem = [], [], []
    t_end = time.monotonic() + duration
    while time.monotonic() < t_end:
        time.sleep(0.5)
        mem.append(tcp_mem_pages())
        rss.append(rss_kb(server_pid))
        smem.append(server_sock_mem(port))
    results = [q.get(timeout=duration + 60) for _ in procs]
    for p in procs:
        p.join(timeout=10)
    out = {"kind": kind, "conns": conns, "tcp_mem_base_pages": mem0,
           "tcp_mem_max_pages": max(mem) if mem else 0,
           "tcp_mem_mean_pages": sum(mem) / len(mem) if mem else 0,
           "rss_max_kb": max(rss) if rss else 0,
           "server_sock_mem_max": max(smem) if smem else 0}
    for r in results:
        if "sent" in r:
            out["udp"] = r
        elif "asked" in r:
            out["tcp"] = r
        else:
            out["flood"] = r
    return out


# ---- servers ---------------------------------------------------------------

class Server:
    def __init__(self, name, tmp, workers, vmdnsd=None):
        self.name, self.tmp, self.workers = name, os.path.join(tmp, name), workers
        os.makedirs(self.tmp, exist_ok=True)
        self.port = free_port()
        self.zone = os.path.join(self.tmp, "example.com.zone")
        with open(self.zone, "w") as f:
            f.write(ZONE)
        self.log = open(os.path.join(self.tmp, "log"), "w+")
        if name == "vmdnsd":
            conf = os.path.join(self.tmp, "vmdns.yaml")
            with open(conf, "w") as f:
                f.write('listen: ["127.0.0.1:%d"]\nworkers: %s\n'
                        'zones: [{origin: example.com., file: %s}]\n' % (self.port, workers, self.zone))
            self.argv = [vmdnsd, "--config", conf]
        elif name == "knotd":
            conf = os.path.join(self.tmp, "knot.conf")
            w = "" if workers == "auto" else "    udp-workers: %s\n    tcp-workers: %s\n" % (workers, workers)
            with open(conf, "w") as f:
                f.write("server:\n    rundir: %s\n    listen: 127.0.0.1@%d\n%s"
                        "    background-workers: 1\nlog:\n  - target: stderr\n    any: warning\n"
                        "database:\n    storage: %s\ntemplate:\n  - id: default\n    storage: %s\n"
                        "    zonefile-sync: -1\n    journal-content: none\n"
                        "zone:\n  - domain: example.com.\n    file: %s\n"
                        % (self.tmp, self.port, w, self.tmp, self.tmp, self.zone))
            self.argv = ["knotd", "-c", conf]
        elif name == "nsd":
            conf = os.path.join(self.tmp, "nsd.conf")
            count = "" if workers == "auto" else "    server-count: %s\n" % workers
            with open(conf, "w") as f:
                f.write('server:\n    ip-address: 127.0.0.1@%d\n%s    username: ""\n    chroot: ""\n'
                        '    zonesdir: "%s"\n    database: ""\n    pidfile: "%s/nsd.pid"\n'
                        '    xfrdfile: "%s/xfrd.state"\n    xfrdir: "%s"\n    zonelistfile: "%s/zone.list"\n'
                        '    verbosity: 0\n    hide-version: yes\n    rrl-ratelimit: 0\n'
                        'remote-control:\n    control-enable: no\n'
                        'zone:\n    name: "example.com."\n    zonefile: "%s"\n'
                        % (self.port, count, self.tmp, self.tmp, self.tmp, self.tmp, self.tmp, self.zone))
            self.argv = ["nsd", "-d", "-c", conf]
        else:
            raise ValueError(name)

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.2)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                s.sendto(make_query("www.example.com"), ("127.0.0.1", self.port))
                if s.recv(4096)[3] & 0x0F == 0:
                    s.close()
                    return
            except OSError:
                pass
            time.sleep(0.1)
        s.close()
        self.log.seek(0)
        raise RuntimeError("%s did not come up:\n%s" % (self.name, self.log.read()[-2000:]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--workers", default="1")
    ap.add_argument("--servers", default="vmdnsd,knotd,nsd")
    ap.add_argument("--floods", default="slowloris,nonreader")
    ap.add_argument("--vmdnsd", default=os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "build", "src", "vmdnsd"))
    a = ap.parse_args()
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_NOFILE, (65536, 65536))
    except (ValueError, OSError):
        pass
    tmp = tempfile.mkdtemp(prefix="vmdns-tcp-abuse-")
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    rows = []
    try:
        for name in a.servers.split(","):
            if name != "vmdnsd" and shutil.which(name if name != "knotd" else "knotd") is None:
                print("bench: %s not installed, skipped" % name, file=sys.stderr)
                continue
            for kind in a.floods.split(","):
                srv = Server(name, tmp, a.workers, a.vmdnsd)
                srv.start()
                try:
                    time.sleep(1.0)
                    r = measure(srv.proc.pid, srv.port, kind, a.conns, max(1, a.conns // 10), a.duration)
                finally:
                    srv.stop()
                time.sleep(2.0)  # let the kernel free the flood's sockets
                rows.append((name, r))
                u, t, f = r["udp"], r["tcp"], r["flood"]
                print("%-7s %-10s udp %5d/%5d answered p50 %7.2f ms p99 %8.2f ms max %8.1f ms | "
                      "tcp %3d/%3d | kernel TCP mem max %7.1f MB (before %5.1f), server sockets %6.1f MB | "
                      "rss max %6.1f MB | flood opened %d closed-by-server %d held %d"
                      % (name, kind, u["answered"], u["sent"], u["p50_ms"], u["p99_ms"], u["max_ms"],
                         t["answered"], t["asked"], r["tcp_mem_max_pages"] * page_kb / 1024.0,
                         r["tcp_mem_base_pages"] * page_kb / 1024.0,
                         r["server_sock_mem_max"] / 1e6, r["rss_max_kb"] / 1024.0,
                         f["opened"], f["closed_by_server"], f["held_at_end"]), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
