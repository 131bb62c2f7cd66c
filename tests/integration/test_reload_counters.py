# SPDX-License-Identifier: BSD-2-Clause
"""test_reload_counters.py - /metrics counters never go backwards across
reloads that change the listeners.

A reload with other listen addresses (or another worker count) starts a
new server next to the old one, and both answer for a while (the old one
until it has drained; SO_REUSEPORT spreads the shared address over both).
The per-worker query counters are kept across reloads so dashboards do not
fall to zero; if the two servers' workers wrote the same counters, an
update could be lost or a counter go backwards, which Prometheus reads as
a process restart.

The test keeps clients busy (UDP and TCP, both zones, answers and
NXDOMAIN) while it rewrites the config and sends SIGHUP several times,
alternating the listen addresses (and, every other time, the worker
count), and scrapes /metrics all along; the NXDOMAIN answers are logged
(per-worker log rings). It fails if any sample of
coredns_dns_requests_total, coredns_dns_responses_total or a request
duration/size histogram is ever lower than in an earlier scrape, and if
the final request count is below the number of answers the clients got.
"""

import os
import re
import signal
import socket
import struct
import threading
import time
import unittest
import urllib.request
import http.client

from vmdns_harness import (HTTP_LISTEN, NET_ZONE, TEST_ZONE, ReservedPort, Vmdnsd, http_url, query,
                           wait_for, wait_progress)

ROUNDS = 8
NAMES = ["www.example.com.", "nope.example.com.", "www.example.net.", "mail.example.com."]
WATCHED = re.compile(
    r"^(coredns_dns_requests_total|coredns_dns_responses_total|"
    r"coredns_dns_request_duration_seconds_count|coredns_dns_request_size_bytes_count|"
    r"coredns_dns_do_requests_total)(\{[^}]*\})? (\S+)$"
)


def scrape(endpoint):
    """{series: value} of the watched counters on /metrics (see http_url)."""
    with urllib.request.urlopen(http_url(endpoint, "/metrics"), timeout=5) as r:
        body = r.read().decode()
    out = {}
    for line in body.splitlines():
        m = WATCHED.match(line)
        if m:
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


class Clients:
    """UDP and TCP query loops against one address; counts the answers."""

    def __init__(self, port):
        self.port = port
        self.halt = threading.Event()
        self.answered = [0, 0]
        self.threads = [threading.Thread(target=self._udp, daemon=True),
                        threading.Thread(target=self._tcp, daemon=True)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.halt.set()
        for t in self.threads:
            t.join(10)
        return sum(self.answered)

    def _udp(self):
        wires = [query(n, "A").to_wire() for n in NAMES]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.5)
            s.connect(("127.0.0.1", self.port))
            i = 0
            while not self.halt.is_set():
                wire = bytearray(wires[i % len(wires)])
                wire[0:2] = struct.pack("!H", i & 0xFFFF)
                i += 1
                try:
                    s.send(bytes(wire))
                    while True:  # skip late replies to earlier queries
                        reply = s.recv(4096)
                        if reply[0:2] == wire[0:2]:
                            break
                    self.answered[0] += 1
                except OSError:
                    pass

    def _tcp(self):
        wires = [query(n, "A").to_wire() for n in NAMES]
        sock, i = None, 0
        while not self.halt.is_set():
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", self.port), timeout=1)
                wire = wires[i % len(wires)]
                i += 1
                sock.sendall(struct.pack("!H", len(wire)) + wire)
                hdr = sock.recv(2)
                if len(hdr) < 2:
                    raise OSError("closed")
                need = struct.unpack("!H", hdr)[0]
                got = b""
                while len(got) < need:
                    chunk = sock.recv(need - len(got))
                    if not chunk:
                        raise OSError("closed")
                    got += chunk
                self.answered[1] += 1
            except OSError:  # the old server drained us: reconnect
                if sock is not None:
                    sock.close()
                sock = None
        if sock is not None:
            sock.close()


class Scraper(threading.Thread):
    """Scrape /metrics over and over; remember every decrease seen."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.halt = threading.Event()
        self.last = {}
        self.decreases = []
        self.scrapes = 0
        self.errors = []

    def run(self):
        while not self.halt.is_set():
            self.check()
            time.sleep(0.01)

    def check(self):
        try:
            now = scrape(self.port)
        except (OSError, http.client.HTTPException) as e:
            # A scrape cut by the old configuration's teardown is not a
            # counter problem; it is retried.
            self.errors.append(repr(e))
            return
        self.scrapes += 1
        for key, value in now.items():
            before = self.last.get(key)
            if before is not None and value < before:
                self.decreases.append("%s: %g -> %g" % (key, before, value))
        for key, before in self.last.items():
            if key not in now:
                self.decreases.append("%s: %g -> gone" % (key, before))
        self.last = now

    def stop(self):
        self.halt.set()
        self.join(10)


class ReloadCountersTest(unittest.TestCase):
    def config(self, listen, workers):
        return "\n".join([
            "listen: [%s]" % ", ".join('"%s"' % a for a in listen),
            "workers: %d" % workers,
            "zones:",
            "  - origin: example.com.",
            "    file: %s" % TEST_ZONE,
            "  - origin: example.net.",
            "    file: %s" % NET_ZONE,
            'metrics: {listen: "%s"}' % HTTP_LISTEN["metrics"],
            # Per-worker log rings too (NXDOMAIN answers only, to keep the
            # output small): never written by two servers' workers.
            "log: {class: denial}",
            "limits: {tcp_idle_timeout: 3s}",
        ]) + "\n"

    def rewrite(self, srv, listen, workers):
        tmp = srv.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(self.config(listen, workers))
        os.replace(tmp, srv.config_path)

    def test_new_listeners(self):
        self.reload_under_load(lambda r: 2)

    def test_new_listeners_and_worker_count(self):
        self.reload_under_load(lambda r: 2 if r % 2 == 0 else 1)

    def reload_under_load(self, workers_of_round):
        # The first address stays (the clients use it, and the `server`
        # label is taken from it): a port of our own, handed over to vmdnsd;
        # the others change (port 0 on other loopback addresses).
        main = ReservedPort()
        others = ["127.0.0.2:0", "127.0.0.3:0"]
        srv = Vmdnsd(config="# replaced below\n", reserved=[main])
        main_port = main.port
        self.rewrite(srv, [main.addr], workers_of_round(-1))
        with srv:
            self.metrics_port = srv.http["metrics"]
            clients = Clients(main_port).start()
            scraper = Scraper(self.metrics_port)
            scraper.start()
            running = [lambda: sum(clients.answered), lambda: scraper.scrapes]
            try:
                for r in range(ROUNDS):
                    wait_progress(running, 20, what="clients and scraper to run")
                    listen = [main.addr] + ([others[r % 2]] if r % 3 != 2 else [])
                    self.rewrite(srv, listen, workers_of_round(r))
                    srv.proc.send_signal(signal.SIGHUP)
                    wait_for(lambda: self.log_count(srv, "reloaded with new listeners") > r,
                             15, what="reload %d" % (r + 1))
                wait_progress(running, 20, what="clients and scraper to run")
            finally:
                answered = clients.stop()
                scraper.stop()
            scraper.check()
            self.assertEqual(scraper.decreases[:20], [], "counters went backwards")
            # Every answered query has been counted once the workers are idle.
            try:
                wait_for(lambda: self.total_requests() >= answered, 5)
            except TimeoutError:
                self.fail("%d queries answered, %d counted" % (answered, self.last_total))
            self.assertGreater(scraper.scrapes, 50)
            self.assertEqual(self.log_count(srv, "reload failed"), 0)

    def total_requests(self):
        got = scrape(self.metrics_port)
        self.last_total = sum(v for k, v in got.items()
                              if k.startswith("coredns_dns_requests_total"))
        return self.last_total

    @staticmethod
    def log_count(srv, needle):
        with open(srv.log_path, "r", errors="replace") as f:
            return f.read().count(needle)


if __name__ == "__main__":
    unittest.main()
