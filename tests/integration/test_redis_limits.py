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
- with the limits raised, the 100,000-record field (and one of exactly
  65,536) is loaded whole, never wrapped to 34,464 records or an empty
  NOERROR: it cannot fit even a 65,535-byte TCP message, so the answer is
  TC=1 with empty sections over UDP and TCP alike (as Knot and NSD), and
  the load logs that the name cannot be answered in full.

Run: VMDNS_BUILD=build /usr/bin/python3 -m unittest -v test_redis_limits
"""

import json
import signal
import time
import unittest

import dns.flags
import dns.rcode
import dns.rdatatype

import redis_harness as rh
from test_redis_metrics import Http
from vmdns_harness import query, sanitized_build, tcp, udp

ZONE = "vm.example.com."
BIG = "big.example.com."
RAISED = "  limits: {records_per_name: 200000, value_bytes: 16777216}\n"
# Issue 13: a huge field delays a canary write by no more than 50 ms. That is
# the bound for a real build; a sanitizer build instruments what still runs
# on the backend thread for such a value (receiving its 2 MB and hashing it,
# about 1 ms plain) 10-50 times over, so it gets 150 ms: what it must still
# catch is a parse on that thread (seconds under a sanitizer).
CANARY_MAX_S = 0.150 if sanitized_build() else 0.050


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
            c("HSET", BIG, "static", rh.value(a="10.0.0.2"))
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

    def parsed_off(self):
        """Values the backend handed to its parse thread."""
        samples, _ = self.http.scrape()
        return samples.get(("vmdns_redis_parsed_off_thread_total",
                            frozenset({("backend", "lim")})), 0)

    def check_served_too_big(self, name, zone):
        """name (limits raised) is served: an RRset too big for any message."""
        rh.wait_for(lambda: rh.rcode(self.port, name + "." + zone) == dns.rcode.NOERROR, 20,
                    what="%s served" % name)
        assert_too_big(self, self.port, name + "." + zone)


def assert_too_big(case, port, name):
    """name holds an RRset bigger than any DNS message: NOERROR with TC=1
    and empty sections, over UDP and over TCP alike (never wrapped)."""
    r = udp(query(name, "A", use_edns=0, payload=1232), port)
    case.assertEqual(r.rcode(), dns.rcode.NOERROR, name)
    case.assertTrue(r.flags & dns.flags.TC, name)
    r = tcp(query(name, "A"), port)
    case.assertEqual(r.rcode(), dns.rcode.NOERROR, name)
    case.assertTrue(r.flags & dns.flags.TC, name)
    case.assertEqual(len(r.answer), 0, name)


class CanaryCases:
    """A 100,000-record field written through the stream, or by a plain
    HSET, delays no canary write behind it by more than 50 ms; what becomes
    of the field (skipped, or served) depends on the limits of the class
    that mixes this in: `sighted()` counts the times vmdnsd dealt with such
    a field, `check_huge(name)` checks its answer."""

    def excess(self, attempt):
        """How much `attempt` (returning the worst canary delay it saw)
        delays canaries beyond the baseline measured just before it. The
        machine is shared with other builds and tests, so scheduler noise
        can inflate one measurement: the best of three attempts counts (a
        delay vmdnsd causes shows in all three)."""
        results = []
        for i in range(3):
            base = baseline(self.port, self.client)
            worst = attempt(i)
            results.append((worst - base, worst, base))
            if worst - base < CANARY_MAX_S:
                break
        best = min(results)
        print("\n  %s: canary %.1f ms, baseline %.1f ms (attempts: %s)"
              % (self._testMethodName, best[1] * 1e3, best[2] * 1e3,
                 ", ".join("+%.1f ms" % (r[0] * 1e3) for r in results)))
        return best[0]

    def test_huge_field_through_the_stream_does_not_delay_a_canary(self):
        before = self.sighted()

        def attempt(i):
            rh.register(self.client, ZONE, "huge-s%d" % i, many_a(100000, first=i))
            return canary_delay(self.port, self.client, "canary-s%d" % i, "10.9.0.%d" % (i + 1))

        self.assertLess(self.excess(attempt), CANARY_MAX_S)
        rh.wait_for(lambda: self.sighted() >= before + 1, 10, what="the huge field dealt with")
        self.check_huge("huge-s0", ZONE)

    def test_huge_field_by_plain_hset_does_not_delay_a_canary(self):
        before = self.sighted()

        def attempt(i):
            # the notification makes vmdnsd reread that zone (2 MB through
            # HSCAN); meanwhile and after it the stream keeps flowing
            seen = self.sighted()
            self.client("HSET", BIG, "huge-h%d" % i, many_a(100000, first=i))
            worst, j = 0.0, 0
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline or self.sighted() == seen:
                j += 1
                worst = max(worst, canary_delay(self.port, self.client, "canary-h%d-%d" % (i, j),
                                                "10.9.1.%d" % (j % 250)))
                self.assertLess(time.monotonic(), deadline + 10, "the zone was never reread")
            return worst

        self.assertLess(self.excess(attempt), CANARY_MAX_S)
        self.assertGreater(self.sighted(), before)
        self.check_huge("huge-h0", BIG)
        self.assertEqual(rh.addresses(self.port, "static." + BIG), {"10.0.0.2"})


class TestDefaults(CanaryCases, LimitCase):
    def sighted(self):
        return self.skipped("value_bytes")

    def check_huge(self, name, zone):
        # over limits.value_bytes: skipped whole, unparsed, logged once
        self.assertEqual(rh.rcode(self.port, name + "." + zone), dns.rcode.NXDOMAIN)
        self.server.wait_log("field '%s' skipped whole: value of" % name)

    def test_records_per_name(self):
        before = self.skipped("records_per_name")
        rh.register(self.client, ZONE, "r1000", many_a(1000))
        rh.register(self.client, ZONE, "r1001", many_a(1001))
        canary_delay(self.port, self.client, "canary-r", "10.9.2.1")
        r = tcp(query("r1000." + ZONE, "A"), self.port)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertEqual(sum(len(s) for s in r.answer), 1000)
        self.assertEqual(rh.rcode(self.port, "r1001." + ZONE), dns.rcode.NXDOMAIN)
        # every sighting counts: the stream entry, and the keyspace
        # notification's reread of the zone when it comes in time
        first = self.skipped("records_per_name")
        self.assertGreaterEqual(first, before + 1)
        self.server.wait_log("field 'r1001' skipped whole: 1001 records, more than the limit "
                             "of 1000 (limits.records_per_name)")
        # logged once per field, counted every time
        rh.register(self.client, ZONE, "r1001", many_a(1001, first=5))
        canary_delay(self.port, self.client, "canary-r2", "10.9.2.2")
        self.assertGreaterEqual(self.skipped("records_per_name"), first + 1)
        self.assertEqual(self.server.log_text().count("field 'r1001' skipped whole"), 1)


class TestZoneLimits(LimitCase):
    limits = "  limits: {names_per_zone: 5, zones_per_backend: 3}\n"
    probe = ("n4.a.test.", {"10.7.0.5"})

    @classmethod
    def fill(cls, c):
        for zone, names in (("a.test.", 5), ("b.test.", 6), ("c.test.", 1), ("d.test.", 1)):
            for i in range(names):
                c("HSET", zone, "n%d" % i, rh.value(a="10.7.0.%d" % (i + 1)))

    def test_zone_limits(self):
        # 6 zones; in byte order a.test., b.test., big.example.com., c.test.,
        # d.test., vm.example.com.: the first 3 are kept (a, b, big), b has 6
        # names (> 5) and is not loaded at all
        self.assertEqual(rh.addresses(self.port, "n4.a.test."), {"10.7.0.5"})
        self.assertEqual(rh.rcode(self.port, "n0.b.test."), dns.rcode.REFUSED)
        self.assertEqual(rh.addresses(self.port, "static." + BIG), {"10.0.0.2"})
        self.assertEqual(rh.rcode(self.port, "n0.c.test."), dns.rcode.REFUSED)
        self.assertEqual(rh.rcode(self.port, "n0.d.test."), dns.rcode.REFUSED)
        self.assertEqual(rh.rcode(self.port, "static." + ZONE), dns.rcode.REFUSED)

        self.assertEqual(self.skipped("names_per_zone"), 1)
        rh.wait_for(lambda: self.skipped("zones_per_backend") == 3, 5, what="zones counted")
        log = self.server.log_text()
        self.assertIn("key 'b.test.' skipped whole: 6 names, more than 5 in one zone "
                      "(limits.names_per_zone)", log)
        self.assertIn("key 'd.test.' skipped whole: zone 5 of 6", log)
        # a skipped zone is not served in part: the stream's writes to it
        # are ignored too (and counted), those to a kept zone applied
        names = self.skipped("names_per_zone")
        rh.register(self.client, "b.test.", "n9", rh.value(a="10.7.9.9"))
        rh.register(self.client, "a.test.", "n9", rh.value(a="10.7.9.9"))
        rh.wait_answer(self.port, "n9.a.test.", {"10.7.9.9"})
        self.assertEqual(rh.rcode(self.port, "n9.b.test."), dns.rcode.REFUSED)
        self.assertEqual(self.skipped("names_per_zone"), names + 1)


class TestRaisedCanary(CanaryCases, LimitCase):
    """With the limits raised, the 100,000-record field is parsed and
    served; its parse runs off the backend thread, so the stream goes on
    meanwhile, and nothing of the same name overtakes it."""
    limits = RAISED

    def sighted(self):
        return self.parsed_off()

    def check_huge(self, name, zone):
        self.check_served_too_big(name, zone)
        self.server.wait_log("field '%s': an RRset larger than a DNS message" % name)

    def never_overtaken(self, name, later, want):
        """A big set of name, and right behind it the `later` commands of
        the same name (one MULTI/EXEC: one XREAD sees both entries). The big
        value may be answered for a moment (changes are published one by
        one, as Redis made them), but the later change must not be
        overtaken: once `want` (rdata texts; empty: the name is gone) is
        answered, neither the big value nor the old one ever comes back, and
        `want` is what stays."""
        fqdn = name + "." + ZONE
        first = rh.answer_set(udp(query(fqdn, "A"), self.port))
        inner = [c for c in rh.set_commands(ZONE, name, many_a(100000, first=3)) + later
                 if c[0] not in ("MULTI", "EXEC")]
        self.client.pipeline([["MULTI"]] + inner + [["EXEC"]])
        settled, limit = None, time.monotonic() + 20
        while settled is None or time.monotonic() < settled + 0.5:
            self.assertLess(time.monotonic(), limit, "the later change was never applied")
            r = udp(query(fqdn, "A"), self.port)
            big = bool(r.flags & dns.flags.TC)
            now = None if big else rh.answer_set(r)
            if settled is not None:
                self.assertFalse(big, "the big value overtook the later change")
                self.assertEqual(now, want, "the later change was undone")
            else:
                self.assertTrue(big or now in (first, want), now)
                if now == want:
                    settled = time.monotonic()

    def test_a_later_set_of_the_same_name_is_never_overtaken(self):
        self.never_overtaken("order-set", rh.set_commands(ZONE, "order-set",
                                                          rh.value(a="10.9.4.1")), {"10.9.4.1"})

    def test_a_later_del_of_the_same_name_is_never_overtaken(self):
        rh.register(self.client, ZONE, "order-del", rh.value(a="10.9.4.3"))
        rh.wait_answer(self.port, "order-del." + ZONE, {"10.9.4.3"})
        later = [["MULTI"], ["HDEL", ZONE, "order-del"],
                 ["XADD", rh.STREAM, "*", "zone", ZONE, "name", "order-del", "op", "del",
                  "value", ""], ["EXEC"]]
        self.never_overtaken("order-del", later, set())
        self.assertEqual(rh.rcode(self.port, "order-del." + ZONE), dns.rcode.NXDOMAIN)

    def test_a_big_value_in_flight_survives_a_lost_session(self):
        # the entry is read, its parse in flight, when the session goes:
        # it is applied all the same (the stream moved past it), once
        before = self.parsed_off()
        rh.register(self.client, ZONE, "lost", many_a(100000, first=9))
        rh.wait_for(lambda: self.parsed_off() > before, 10, what="the big value read")
        self.client("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
        self.check_huge("lost", ZONE)
        canary_delay(self.port, self.client, "canary-lost", "10.9.4.2")


class TestRaisedInFlight(LimitCase):
    """Big values still being parsed when the backend is replaced (a
    reload that changes its config) or stopped: nothing leaks or is used
    after being freed (the ASan and TSan builds check that at the stop),
    and the new backend serves what the old one had not applied yet."""
    limits = RAISED

    def write_big(self, tag):
        cmds = []
        for i in range(4):
            cmds += rh.set_commands(ZONE, "%s%d" % (tag, i), many_a(100000, first=i))
        before = self.parsed_off()
        self.client.pipeline(cmds)
        rh.wait_for(lambda: self.parsed_off() > before, 10, what="a big value read")

    def test_reload_and_stop_with_parses_in_flight(self):
        self.write_big("reload")
        with open(self.server.config_path) as f:
            text = f.read()
        with open(self.server.config_path, "w") as f:
            f.write(text.replace("connect_timeout: 300ms", "connect_timeout: 301ms"))
        self.server.proc.send_signal(signal.SIGHUP)
        self.server.wait_log("configuration 2 from", timeout=20)
        self.assertIn("0 kept running with their data, 1 loading", self.server.log_text())
        for i in range(4):
            self.check_served_too_big("reload%d" % i, ZONE)
        canary_delay(self.port, self.client, "canary-reload", "10.9.5.1")
        self.write_big("stop")
        self.assertEqual(self.server.stop(), 0)


class TestRaised(LimitCase):
    limits = "  limits: {records_per_name: 200000, value_bytes: 8388608}\n"

    @classmethod
    def fill(cls, c):
        c("HSET", ZONE, "huge", many_a(100000))
        c("HSET", ZONE, "exact", many_a(65536))
        c("HSET", ZONE, "fits", many_a(4000))

    def test_huge_rrsets_are_answered_with_tc_never_wrapped(self):
        rh.wait_for(lambda: rh.rcode(self.port, "huge." + ZONE) == dns.rcode.NOERROR, 10,
                    what="huge loaded")
        for name in ("huge", "exact"):
            assert_too_big(self, self.port, name + "." + ZONE)
        # and a name with 4,000 records (64,000 bytes) fits over TCP, whole
        r = tcp(query("fits." + ZONE, "A"), self.port)
        self.assertFalse(r.flags & dns.flags.TC)
        self.assertEqual(sum(len(s) for s in r.answer), 4000)
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
