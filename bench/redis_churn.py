#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""bench/redis_churn.py - answering while the change stream is busy.

Issue 3's benchmark: 100,000 changes per second streamed into one backend
while dnsperf runs 50,000 qps; report the changes applied per second, and
the query latency p99 with and without the churn.

A real redis-server holds NAMES names of one zone; vmdnsd (one backend,
WORKERS workers) serves them. Two dnsperf runs of SECONDS at QPS, each
query's latency taken from `dnsperf -v`:
  1. quiet: no writes;
  2. churn: a writer sends registrar-style changes (MULTI, HSET, XADD
     MAXLEN ~, EXEC), paced at RATE changes per second, re-setting the
     same names with new addresses. The writer's last change sets a marker
     name; "applied per second" is the number of changes divided by the
     time from the first change until the marker answers.
The writer is a pre-encoded pipeline on one connection (replies are read
and discarded by a second thread), so the generator itself is cheap.

Usage: bench/redis_churn.py [--vmdnsd PATH] [--rate 100000] [--qps 50000]
                            [--seconds 10] [--names 100000] [--workers 1]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import redis_harness as rh  # noqa: E402

ZONE = "vm.example.com."


def ip(i, salt=0):
    return "10.%d.%d.%d" % (salt % 200, i // 256 % 256, i % 256)


def dnsperf(port, qfile, qps, seconds):
    """Run dnsperf -v; returns (latencies in ms, completed, lost, noerror share)."""
    out = subprocess.run(
        ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", qfile, "-l", str(seconds),
         "-Q", str(qps), "-c", "4", "-q", "1000", "-v"],
        capture_output=True, text=True, timeout=seconds + 60).stdout
    lat, noerror, total = [], 0, 0
    for line in out.splitlines():
        if line.startswith("> "):
            parts = line.split()
            total += 1
            noerror += parts[1] == "NOERROR"
            try:
                lat.append(float(parts[-1]) * 1000)
            except ValueError:
                pass  # a query that timed out ("> T name type")
    lost = 0
    for line in out.splitlines():
        if "Queries lost:" in line:
            lost = int(line.split()[2])
    lat.sort()
    return lat, total, lost, (noerror / total if total else 0)


def pct(v, p):
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))] if v else float("nan")


class Writer(threading.Thread):
    """Registrar-style changes at `rate` per second for `seconds`."""

    def __init__(self, node, names, rate, seconds):
        super().__init__(daemon=True)
        self.client = node.client()
        self.names = names
        self.rate = rate
        self.seconds = seconds
        self.sent = 0
        self.started = None
        self.finished = None
        self.reading = True

    def chunk(self, start, n, salt):
        cmds = []
        for k in range(start, start + n):
            i = k % self.names
            v = rh.value(a=ip(i, salt))
            cmds += rh.set_commands(ZONE, "vm-%d" % i, v, maxlen=1000000)
        return b"".join(rh.Client.encode(c) for c in cmds)

    def drain(self):
        sock = self.client.sock
        sock.settimeout(0.5)
        while self.reading:
            try:
                if not sock.recv(1 << 20):
                    return
            except OSError:
                continue

    def run(self):
        step = 0.01  # a chunk every 10 ms
        per_chunk = max(1, int(self.rate * step))
        chunks = [self.chunk(j * per_chunk, per_chunk, j) for j in range(64)]
        reader = threading.Thread(target=self.drain, daemon=True)
        reader.start()
        self.started = time.monotonic()
        deadline = self.started + self.seconds
        k = 0
        next_t = self.started
        while time.monotonic() < deadline:
            self.client.sock.sendall(chunks[k % len(chunks)])
            self.sent += per_chunk
            k += 1
            next_t += step
            delay = next_t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        marker = rh.value(a="10.255.255.%d" % (k % 250))
        self.client.sock.sendall(b"".join(rh.Client.encode(c) for c in rh.set_commands(
            ZONE, "churn-marker", marker)))
        self.sent += 1
        self.marker = "10.255.255.%d" % (k % 250)
        self.finished = time.monotonic()
        time.sleep(0.5)
        self.reading = False
        reader.join(2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmdnsd", default=os.path.join(ROOT, "build", "src", "vmdnsd"))
    ap.add_argument("--rate", type=int, default=100000)
    ap.add_argument("--qps", type=int, default=50000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--names", type=int, default=100000)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    os.environ["VMDNS_BUILD"] = os.path.dirname(os.path.dirname(os.path.abspath(args.vmdnsd)))

    tmp = tempfile.mkdtemp(prefix="vmdns-churn-")
    qfile = os.path.join(tmp, "queries.txt")
    with open(qfile, "w") as f:
        for i in range(args.names):
            f.write("vm-%d.%s A\n" % (i, ZONE.rstrip(".")))
    node = rh.Node().start()
    server = None
    try:
        with node.client() as c:
            rh.fill_zone(c, ZONE, [("vm-%d" % i, rh.value(a=ip(i))) for i in range(args.names)])
        server = rh.start_vmdnsd(rh.redis_config([rh.backend_yaml("churn", [node.addr])],
                                                 workers=args.workers, notifications=False))
        port = server.port
        rh.wait_answer(port, "vm-%d.%s" % (args.names - 1, ZONE), {ip(args.names - 1)}, timeout=60)

        quiet, qn, qlost, qok = dnsperf(port, qfile, args.qps, args.seconds)
        print("redis_churn: quiet: %d queries at %d qps, %d lost, %.2f%% NOERROR, latency "
              "p50 %.3f ms p99 %.3f ms" % (qn, args.qps, qlost, qok * 100, pct(quiet, 50),
                                          pct(quiet, 99)))

        writer = Writer(node, args.names, args.rate, args.seconds + 1)
        writer.start()
        time.sleep(0.5)
        busy, bn, blost, bok = dnsperf(port, qfile, args.qps, args.seconds)
        writer.join()
        deadline = time.monotonic() + 120
        while rh.addresses(port, "churn-marker." + ZONE) != {writer.marker}:
            if time.monotonic() > deadline:
                raise RuntimeError("the last change was not applied within 120 s")
            time.sleep(0.001)
        applied_at = time.monotonic()
        sent_rate = writer.sent / (writer.finished - writer.started)
        applied_rate = writer.sent / (applied_at - writer.started)
        print("redis_churn: churn: %d queries at %d qps, %d lost, %.2f%% NOERROR, latency "
              "p50 %.3f ms p99 %.3f ms" % (bn, args.qps, blost, bok * 100, pct(busy, 50),
                                          pct(busy, 99)))
        print("redis_churn: %d changes written at %.0f/s (target %d/s); all applied %.2f s after "
              "the first: %.0f changes/s applied; last change visible %.0f ms after it was sent"
              % (writer.sent, sent_rate, args.rate, applied_at - writer.started, applied_rate,
                 (applied_at - writer.finished) * 1000))
        info = node.cmd("XINFO", "STREAM", rh.STREAM)
        print("redis_churn: stream length %s" % info[info.index("length") + 1])
        server.stop()
        server.cleanup()
        server = None
    finally:
        if server is not None:
            server.stop(check=False)
            server.cleanup()
        node.cleanup()
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
