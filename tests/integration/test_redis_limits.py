# SPDX-License-Identifier: BSD-2-Clause
"""test_redis_limits.py - huge values and the redis limits (issue 13 point 4).

A field holding 100,000 A records used to take ~60 s to parse, during which
no change of its backend was applied, and RRset counts wrapped at 65,536.
Here, with real redis-server and vmdnsd:

- a 100,000-record field written through the change stream, or by a plain
  HSET (keyspace notification, zone reread), does not delay a canary write
  behind it by more than 50 ms; it is skipped whole (over limits.value_bytes
  at the defaults), counted in vmdns_redis_limit_skipped_total and logged
  once;
- records_per_name: 1,000 records are served, 1,001 are skipped whole;
- names_per_zone and zones_per_backend: a zone over the limit is not
  loaded at all, the zones past the limit (in key order) neither;
- with the limits raised, the 100,000-record field is served, never
  truncated to 65,536 or wrapped: over UDP and TCP the answer carries the
  whole records that fit and TC=1.

Run: VMDNS_BUILD=build /usr/bin/python3 -m unittest -v test_redis_limits
"""

import json
import time
import unittest

import dns.flags
import dns.rcode
import dns.rdatatype

import redis_harness as rh
from test_redis_metrics import Http
from vmdns_harness import query, tcp, udp

ZONE = "vm.example.com."


def many_a(n, first=0):
    """A value with n distinct A records."""
    recs = ",".join('{"ip":"10.%d.%d.%d"}' % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
                    for i in range(first, first + n))
    return '{"a":[%s]}' % recs


def canary_delay(port, client, name, addr):
    """Seconds from a registrar write of name until vmdnsd answers it."""
    t = rh.register(client, ZONE, name, rh.value(a=addr))
    while rh.addresses(port, name + "." + ZONE) != {addr}:
        if time.monotonic() - t > 10:
            raise AssertionError("canary %s never answered" % name)
    return time.monotonic() - t


def baseline(port, client, seconds=0.5):
    """The worst canary delay over `seconds` of back-to-back canaries with
    nothing else going on: the machine is shared (other builds and tests
    run beside this one), so a delay is judged against this."""
    worst, i, end = 0.0, 0, time.monotonic() + seconds
    while time.monotonic() < end:
        i += 1
        worst = max(worst, canary_delay(port, client, "canary-base%d" % i, "10.9.9.%d" % (i % 250)))
    return worst


class LimitCase(unittest.TestCase):
    limits = ""
    probe = ("static." + ZONE, {"10.0.0.1"})
    keyspace_events = ""  # vmdnsd turns them on itself (CONFIG SET)

    @classmethod
    def setUpClass(cls):
        cls.node = rh.Node(extra=["--notify-keyspace-events", cls.keyspace_events]).start()
        with cls.node.client() as c:
            c("HSET", ZONE, "static", rh.value(a="10.0.0.1"))
            cls.fill(c)
        cls.http = Http()
        config = cls.http.yaml() + rh.redis_config(
            [rh.backend_yaml("lim", [cls.node.addr])], extra=cls.limits)
        cls.server = cls.http.start(config)
        cls.port = cls.server.port
        rh.wait_answer(cls.port, *cls.probe)
        cls.client = cls.node.client()

    @classmethod
    def fill(cls, c):
        pass

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()
            cls.node.cleanup()

    def skipped(self, limit):
        samples, _ = self.http.scrape()
        return samples.get(("vmdns_redis_limit_skipped_total",
                            frozenset({("backend", "lim"), ("limit", limit)})), 0)


class TestDefaults(LimitCase):
    def test_huge_field_through_the_stream_does_not_delay_a_canary(self):
        base = baseline(self.port, self.client)
        before = self.skipped("value_bytes")
        rh.register(self.client, ZONE, "huge-s", many_a(100000))
        delay = canary_delay(self.port, self.client, "canary-1", "10.9.0.2")
        print("\n  canary behind a 100,000-record stream entry: %.1f ms (baseline %.1f ms)"
              % (delay * 1e3, base * 1e3))
        self.assertLess(delay - base, 0.050, "canary delayed %.1f ms (baseline %.1f ms)"
                        % (delay * 1e3, base * 1e3))
        self.assertEqual(rh.rcode(self.port, "huge-s." + ZONE), dns.rcode.NXDOMAIN)
        self.assertEqual(self.skipped("value_bytes"), before + 1)
        self.server.wait_log("field 'huge-s' skipped whole: value of")

    def test_huge_field_by_plain_hset_does_not_delay_a_canary(self):
        base = baseline(self.port, self.client, 1.5)
        before = self.skipped("value_bytes")
        self.client("HSET", ZONE, "huge-h", many_a(100000))
        # the notification makes vmdnsd reread the zone; meanwhile and after
        # it the stream keeps flowing
        worst = 0.0
        deadline = time.monotonic() + 1.5
        i = 0
        while time.monotonic() < deadline or self.skipped("value_bytes") == before:
            i += 1
            worst = max(worst, canary_delay(self.port, self.client, "canary-h%d" % i,
                                            "10.9.1.%d" % (i % 250)))
            self.assertLess(time.monotonic(), deadline + 10, "the zone was never reread")
        print("\n  canaries while a 100,000-record field is reread: worst %.1f ms (baseline %.1f ms)"
              % (worst * 1e3, base * 1e3))
        self.assertLess(worst - base, 0.050, "a canary was delayed %.1f ms (baseline %.1f ms)"
                        % (worst * 1e3, base * 1e3))
        self.assertEqual(rh.rcode(self.port, "huge-h." + ZONE), dns.rcode.NXDOMAIN)
        self.assertEqual(rh.addresses(self.port, "static." + ZONE), {"10.0.0.1"})

    def test_records_per_name(self):
        before = self.skipped("records_per_name")
        rh.register(self.client, ZONE, "r1000", many_a(1000))
        rh.register(self.client, ZONE, "r1001", many_a(1001))
        canary_delay(self.port, self.client, "canary-r", "10.9.2.1")
        r = tcp(query("r1000." + ZONE, "A"), self.port)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertEqual(sum(len(s) for s in r.answer), 1000)
        self.assertEqual(rh.rcode(self.port, "r1001." + ZONE), dns.rcode.NXDOMAIN)
        self.assertEqual(self.skipped("records_per_name"), before + 1)
        self.server.wait_log("field 'r1001' skipped whole: 1001 records, more than the limit "
                             "of 1000 (limits.records_per_name)")
        # logged once per field, counted every time
        rh.register(self.client, ZONE, "r1001", many_a(1001, first=5))
        canary_delay(self.port, self.client, "canary-r2", "10.9.2.2")
        self.assertEqual(self.skipped("records_per_name"), before + 2)
        self.assertEqual(self.server.log_text().count("field 'r1001' skipped whole"), 1)


class TestZoneLimits(LimitCase):
    limits = "  limits: {names_per_zone: 5, zones_per_backend: 3}\n"
    probe = ("n4.a.test.", {"10.7.0.5"})

    @classmethod
    def fill(cls, c):
        # zones in key order: a.test. b.test. c.test. d.test. vm.example.com.
        for zone, names in (("a.test.", 5), ("b.test.", 6), ("c.test.", 1), ("d.test.", 1)):
            for i in range(names):
                c("HSET", zone, "n%d" % i, rh.value(a="10.7.0.%d" % (i + 1)))

    def test_zone_limits(self):
        # 5 zones: a, b, c, d, vm; the first 3 in key order are kept: a, b, c;
        # b has 6 names (> 5): not loaded at all
        self.assertEqual(rh.addresses(self.port, "n4.a.test."), {"10.7.0.5"})
        self.assertEqual(rh.rcode(self.port, "n0.b.test."), dns.rcode.REFUSED)
        self.assertEqual(rh.addresses(self.port, "n0.c.test."), {"10.7.0.1"})
        self.assertEqual(rh.rcode(self.port, "n0.d.test."), dns.rcode.REFUSED)
        self.assertEqual(rh.rcode(self.port, "static." + ZONE), dns.rcode.REFUSED)
        self.assertEqual(self.skipped("names_per_zone"), 1)
        rh.wait_for(lambda: self.skipped("zones_per_backend") == 2, 5, what="zones counted")
        log = self.server.log_text()
        self.assertIn("key 'b.test.' skipped whole: 6 names, more than 5 in one zone "
                      "(limits.names_per_zone)", log)
        self.assertIn("key 'd.test.' skipped whole: zone 4 of 5", log)


class TestRaised(LimitCase):
    limits = "  limits: {records_per_name: 200000, value_bytes: 8388608}\n"

    @classmethod
    def fill(cls, c):
        c("HSET", ZONE, "huge", many_a(100000))
        c("HSET", ZONE, "exact", many_a(65536))

    def test_huge_rrsets_are_answered_with_tc_never_wrapped(self):
        rh.wait_for(lambda: rh.rcode(self.port, "huge." + ZONE) == dns.rcode.NOERROR, 10,
                    what="huge loaded")
        for name in ("huge", "exact"):
            q = query(name + "." + ZONE, "A", use_edns=0, payload=1232)
            r = udp(q, self.port)
            self.assertEqual(r.rcode(), dns.rcode.NOERROR)
            self.assertTrue(r.flags & dns.flags.TC, name)
            self.assertGreater(sum(len(s) for s in r.answer), 60)
            r = tcp(query(name + "." + ZONE, "A"), self.port)
            self.assertEqual(r.rcode(), dns.rcode.NOERROR)
            self.assertTrue(r.flags & dns.flags.TC, name)
            # 65,535 bytes: header, question, then 16 bytes per A record
            self.assertGreater(sum(len(s) for s in r.answer), 4000, name)
        self.server.wait_log("field 'huge': an RRset larger than a DNS message")

    def test_canary_after_a_raised_huge_field(self):
        base = baseline(self.port, self.client)
        rh.register(self.client, ZONE, "huge2", many_a(100000, first=7))
        delay = canary_delay(self.port, self.client, "canary-x", "10.9.3.1")
        # parsing 100,000 records is O(n log n) now: tens of ms, not a minute
        print("\n  canary behind a served 100,000-record field: %.1f ms (baseline %.1f ms)"
              % (delay * 1e3, base * 1e3))
        self.assertLess(delay, 10.0)  # informational: the defaults skip such a value


if __name__ == "__main__":
    unittest.main()
