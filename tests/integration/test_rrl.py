# SPDX-License-Identifier: BSD-2-Clause
"""test_rrl.py - response rate limiting over the wire (plugins/rrl).

A flood of the same question from many addresses of one /24
(127.0.1.1-20: loopback takes any 127/8 source) is limited: a burst of
answers, then every 2nd limited reply is an empty TC=1 slip and the rest
are dropped, so the flood gets back fewer bytes than it sent. During the
flood, a client of another /24 (127.0.2.1) gets every answer, the flooding
/24 gets its answers over TCP, and a zone that is not in `zones` is not
limited. report-only answers everything and counts it on /metrics
(coredns_rrl_responses_exceeded_total). A reload keeps the accounts: a
/24 in its penalty window stays limited after SIGHUP, with the rrl config
unchanged (the instance is kept) and with it changed (the table is kept).
"""

import os
import re
import signal
import socket
import time
import unittest
import urllib.request

import dns.flags
import dns.message

from vmdns_harness import DEFAULT_ZONES, HTTP_LISTEN, Vmdnsd, http_url, metric, query

RRL = """rrl:
  responses-per-second: 10
  window: {window}
  slip-ratio: 2
  zones: [example.com]
{extra}"""


def config(window=15, extra=""):
    return (RRL.format(window=window, extra=extra)
            + "metrics: {listen: \"%s\"}\n" % HTTP_LISTEN["metrics"])


class Flood:
    """UDP sockets bound to 127.0.NET.1..n, sending one question in turn."""

    def __init__(self, port, net=1, n=20):
        self.port = port
        self.socks = []
        for i in range(1, n + 1):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.%d.%d" % (net, i), 0))
            s.setblocking(False)
            self.socks.append(s)
        self.sent = self.received = 0
        self.replies = []

    def close(self):
        for s in self.socks:
            s.close()

    def drain(self):
        for s in self.socks:
            while True:
                try:
                    data = s.recv(65535)
                except BlockingIOError:
                    break
                self.received += len(data)
                self.replies.append(dns.message.from_wire(data))

    def run(self, name, count, seconds=1.0):
        """Send `count` queries over about `seconds`; collect replies."""
        wire = query(name, "A").to_wire()
        start = time.monotonic()
        for i in range(count):
            self.socks[i % len(self.socks)].sendto(wire, ("127.0.0.1", self.port))
            self.sent += len(wire)
            if i % 20 == 19:
                self.drain()
                lag = start + seconds * (i + 1) / count - time.monotonic()
                if lag > 0:
                    time.sleep(lag)
        time.sleep(0.3)
        self.drain()
        return self

    def counts(self):
        tc = sum(1 for r in self.replies if r.flags & dns.flags.TC)
        full = sum(1 for r in self.replies if not r.flags & dns.flags.TC and r.answer)
        return full, tc


def ask_from(port, source, name, timeout=1.0):
    """One UDP query from `source`; the reply or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((source, 0))
        s.settimeout(timeout)
        s.sendto(query(name, "A").to_wire(), ("127.0.0.1", port))
        return dns.message.from_wire(s.recv(65535))
    except socket.timeout:
        return None
    finally:
        s.close()


def tcp_from(port, source, name):
    s = socket.create_connection(("127.0.0.1", port), timeout=3, source_address=(source, 0))
    try:
        wire = query(name, "A").to_wire()
        s.sendall(len(wire).to_bytes(2, "big") + wire)
        n = int.from_bytes(s.recv(2), "big")
        data = b""
        while len(data) < n:
            data += s.recv(n - len(data))
        return dns.message.from_wire(data)
    finally:
        s.close()


class RrlTest(unittest.TestCase):
    def start(self, **kw):
        server = Vmdnsd(extra=config(**kw))
        self.addCleanup(server.cleanup)
        return server.start()

    def reload(self, server, generation, **kw):
        with open(server.config_path, "w") as f:
            f.write(server._default_config(DEFAULT_ZONES, 2, None, config(**kw)))
        server.proc.send_signal(signal.SIGHUP)
        server.wait_log("configuration %d from" % generation, timeout=20)
        self.assertNotIn("reload failed", server.log_text())

    def test_flood_limited_other_prefix_and_tcp_not(self):
        server = self.start()
        flood = Flood(server.port)
        self.addCleanup(flood.close)
        legit_ok = 0
        # 600 queries in ~1.5 s from 127.0.1.0/24, and every 0.1 s one from
        # 127.0.2.1, one over TCP from the flooding /24 and one for a zone
        # outside `zones` from the flooding /24.
        wire = query("www.example.com.", "A").to_wire()
        start = time.monotonic()
        for burst in range(15):
            for i in range(40):
                flood.socks[i % 20].sendto(wire, ("127.0.0.1", server.port))
                flood.sent += len(wire)
            flood.drain()
            r = ask_from(server.port, "127.0.2.1", "www.example.com.")
            if r is not None and not r.flags & dns.flags.TC and r.answer:
                legit_ok += 1
            t = tcp_from(server.port, "127.0.1.77", "www.example.com.")
            self.assertFalse(t.flags & dns.flags.TC)
            self.assertEqual(len(t.answer), 1)
            if burst == 14:
                # example.net is not in `zones`: never limited.
                for _ in range(30):
                    r = ask_from(server.port, "127.0.1.78", "www.example.net.")
                    self.assertIsNotNone(r)
                    self.assertFalse(r.flags & dns.flags.TC)
            time.sleep(max(0, start + 0.1 * (burst + 1) - time.monotonic()))
        time.sleep(0.3)
        flood.drain()
        full, tc = flood.counts()
        elapsed = time.monotonic() - start
        seen = ("flood: %d full, %d TC of 600 in %.2fs; %d bytes back for %d sent"
                % (full, tc, elapsed, flood.received, flood.sent))
        # A burst of 10 and 10 per second: at most ~10 + 10 * elapsed full answers.
        self.assertLessEqual(full, 10 + 10 * elapsed + 5, seen)
        self.assertGreater(full, 5, seen)
        limited = 600 - full
        # slip-ratio 2: half the limited replies are TC=1 slips, empty.
        self.assertGreater(tc, limited * 0.4, seen)
        self.assertLess(tc, limited * 0.6, seen)
        for r in flood.replies:
            if r.flags & dns.flags.TC:
                self.assertEqual((len(r.answer), len(r.authority), len(r.additional)), (0, 0, 0))
        self.assertLessEqual(flood.received, flood.sent, seen)
        self.assertEqual(legit_ok, 15)
        self.assertGreaterEqual(metric(server, "coredns_rrl_responses_exceeded_total"), limited)
        self.assertGreaterEqual(metric(server, "vmdns_rrl_slipped_total"), tc)

    def test_valid_server_cookie_exempt(self):
        # A client that holds a server cookie (RFC 7873: it proved its
        # address) is never limited, even from the flooded /24; the same
        # address without the cookie is. The cookie comes from the server.
        import dns.edns
        server = self.start()
        src = "127.0.1.77"
        client = bytes.fromhex("0102030405060708")

        def ask(cookie):
            m = query("www.example.com.", "A", use_edns=0,
                      options=[dns.edns.GenericOption(10, cookie)])
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                s.bind((src, 0))
                s.settimeout(1.0)
                s.sendto(m.to_wire(), ("127.0.0.1", server.port))
                return dns.message.from_wire(s.recv(65535))
            except socket.timeout:
                return None
            finally:
                s.close()

        first = ask(client)
        full = [o.data for o in first.options if o.otype == 10][0]
        self.assertGreater(len(full), 8)  # client + server cookie
        flood = Flood(server.port, net=1, n=20)
        try:
            flood.run("www.example.com.", 600, seconds=1.5)
        finally:
            flood.close()
        with_cookie = [ask(full) for _ in range(30)]
        self.assertTrue(all(r is not None and r.answer and not r.flags & dns.flags.TC
                            for r in with_cookie), "a client with a valid cookie was limited")
        plain = [ask_from(server.port, src, "www.example.com.", timeout=0.3) for _ in range(30)]
        limited = sum(1 for r in plain if r is None or r.flags & dns.flags.TC or not r.answer)
        self.assertGreater(limited, 10, "the /24 without cookies was not limited")

    def test_report_only(self):
        server = self.start(extra="  report-only: true\n")
        flood = Flood(server.port)
        self.addCleanup(flood.close)
        flood.run("www.example.com.", 200, seconds=0.4)
        full, tc = flood.counts()
        self.assertEqual((full, tc), (200, 0))
        exceeded = metric(server, "coredns_rrl_responses_exceeded_total")
        self.assertGreaterEqual(exceeded, 200 - 10 - 10)
        self.assertEqual(metric(server, "vmdns_rrl_dropped_total"), 0)

    def test_reload_keeps_accounts(self):
        server = self.start(window=30)
        flood = Flood(server.port)
        self.addCleanup(flood.close)
        flood.run("www.example.com.", 400, seconds=0.4)
        self.assertLess(flood.counts()[0], 30)

        def limited():
            # A few queries: all limited (dropped or slipped), none answered.
            replies = [ask_from(server.port, "127.0.1.99", "www.example.com.", timeout=0.3)
                       for _ in range(4)]
            return all(r is None or r.flags & dns.flags.TC for r in replies)

        self.assertTrue(limited())
        # Same rrl config: the running instance (and its table) serves on.
        self.reload(server, 2, window=30)
        self.assertTrue(limited())
        # Another rrl config with the same max-table-size: the table is kept.
        self.reload(server, 3, window=30, extra="  errors-per-second: 50\n")
        self.assertTrue(limited())
        # The other /24 was never limited.
        r = ask_from(server.port, "127.0.2.1", "www.example.com.")
        self.assertTrue(r is not None and r.answer and not r.flags & dns.flags.TC)

    def test_corefile(self):
        """The Corefile directive: `rrl` in the example.com block limits
        example.com (the block's zone); example.net's block has its own
        `rrl` with another allowance."""
        server = Vmdnsd(config="# replaced below\n")
        self.addCleanup(server.cleanup)
        server.config_path = os.path.join(server.tmp, "Corefile")
        with open(server.config_path, "w") as f:
            f.write("example.com:0 {\n  bind 127.0.0.1\n  file %s\n"
                    "  rrl {\n    responses-per-second 5\n    slip-ratio 1\n  }\n"
                    "  prometheus %s\n}\n"
                    "example.net:0 {\n  bind 127.0.0.1\n  file %s\n"
                    "  rrl {\n    responses-per-second 1000\n  }\n}\n"
                    % (DEFAULT_ZONES[0][1], HTTP_LISTEN["metrics"], DEFAULT_ZONES[1][1]))
        server.start(option="--corefile")
        flood = Flood(server.port)
        self.addCleanup(flood.close)
        flood.run("www.example.com.", 100, seconds=0.2)
        full, tc = flood.counts()
        self.assertLessEqual(full, 8)
        self.assertEqual(full + tc, 100)  # slip-ratio 1: every limited reply slips
        other = Flood(server.port, net=1, n=4)
        self.addCleanup(other.close)
        other.run("www.example.net.", 100, seconds=0.2)
        self.assertEqual(other.counts(), (100, 0))
        # Two blocks, two rrl instances: each family once on /metrics.
        with urllib.request.urlopen(http_url(server.http["metrics"], "/metrics"), timeout=5) as r:
            body = r.read().decode()
        self.assertEqual(body.count("# TYPE coredns_rrl_responses_exceeded_total counter"), 1)
        self.assertGreaterEqual(metric(server, "coredns_rrl_responses_exceeded_total"), 90)


if __name__ == "__main__":
    unittest.main()
