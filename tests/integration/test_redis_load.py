# SPDX-License-Identifier: BSD-2-Clause
"""test_redis_load.py - the redis plugin loading real Redis backends.

Three redis-servers on loopback, loaded in parallel by one vmdnsd: a zone
split across two backends, a name held by both (the first listed wins, the
conflict is logged, and the other shows once the winner deletes it), a
third backend with a key prefix and suffix, its own SOA and a wildcard;
the default SOA/NS of a zone without `@`. Then each kind of bad data
(skipped per record, logged with key and field, the rest of the zone
served) and leases (an expired name is not answered).
"""

import socket
import time
import unittest
import urllib.error
import urllib.request

import dns.rcode

import redis_harness as rh
from vmdns_harness import http_url


class TestParallelLoad(unittest.TestCase):
    N = 1000

    @classmethod
    def setUpClass(cls):
        cls.nodes = [rh.Node().start() for _ in range(3)]
        a, b, c = cls.nodes
        with a.client() as ca, b.client() as cb, c.client() as cc:
            rh.fill_zone(ca, "vm.example.com.",
                         [("vm-a%d" % i, rh.value(a="10.1.%d.%d" % (i // 250, i % 250)))
                          for i in range(cls.N)])
            rh.fill_zone(cb, "vm.example.com.",
                         [("vm-b%d" % i, rh.value(a="10.2.%d.%d" % (i // 250, i % 250)))
                          for i in range(cls.N)])
            ca("HSET", "vm.example.com.", "x", rh.value(a="10.0.0.1"))
            cb("HSET", "vm.example.com.", "x", rh.value(a="10.0.0.2"))
            ca("HSET", "vm.example.com.", "_ssh._tcp.vm-a0", rh.value(srv=[
                {"target": "vm-a0.vm.example.com.", "port": 38291, "priority": 0, "weight": 0,
                 "ttl": 30}]))
            cc("HSET", "dns:other.example.org.:v1", "@", rh.value(
                soa={"ttl": 60, "ns": "ns.other.example.org.", "mbox": "admin.other.example.org.",
                     "refresh": 1, "retry": 2, "expire": 3, "minttl": 4},
                ns=[{"host": "ns.other.example.org.", "ttl": 60}]))
            cc("HSET", "dns:other.example.org.:v1", "*", rh.value(a="10.3.0.1"))
            cc("HSET", "dns:other.example.org.:v1", "www", rh.value(a="10.3.0.2"))
            cc("SET", "dns:notazone.example.org.:v1", "a string, not a hash")
            cc("HSET", "other.example.org.", "www", rh.value(a="10.9.9.9"))  # no prefix: not ours
        config = rh.redis_config([
            rh.backend_yaml("a", [a.addr]),
            rh.backend_yaml("b", [b.addr]),
            rh.backend_yaml("c", [c.addr], prefix="dns:", suffix=":v1"),
        ])
        cls.t0 = time.monotonic()
        cls.server = rh.start_vmdnsd(config)
        cls.port = cls.server.port
        rh.wait_answer(cls.port, "vm-a%d.vm.example.com." % (cls.N - 1), {"10.1.3.249"})
        rh.wait_answer(cls.port, "vm-b%d.vm.example.com." % (cls.N - 1), {"10.2.3.249"})
        rh.wait_answer(cls.port, "www.other.example.org.", {"10.3.0.2"})
        # every load ended (a name answered says only that it was loaded:
        # HSCAN order is the hash's, so A's `x` may come after vm-a999)
        for b in ("a", "b", "c"):
            rh.wait_log(cls.server, "redis: backend %s: loaded" % b, timeout=30)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()
            for n in cls.nodes:
                n.cleanup()

    def test_every_backend_loaded(self):
        for i in range(0, self.N, 37):
            self.assertEqual(rh.addresses(self.port, "vm-a%d.vm.example.com." % i),
                             {"10.1.%d.%d" % (i // 250, i % 250)})
            self.assertEqual(rh.addresses(self.port, "VM-B%d.vm.example.com." % i),
                             {"10.2.%d.%d" % (i // 250, i % 250)})
        self.assertEqual(rh.addresses(self.port, "_ssh._tcp.vm-a0.vm.example.com.", "SRV"),
                         {"0 0 38291 vm-a0.vm.example.com."})
        log = rh.log_text(self.server)
        for b in ("a", "b", "c"):
            self.assertIn("redis: backend %s: loaded" % b, log)

    def test_split_zone_gets_default_soa_and_ns(self):
        r = rh.ask(self.port, "vm.example.com.", "SOA")
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        soa = r.answer[0][0]
        self.assertEqual(soa.rname.to_text(), "hostmaster.vm.example.com.")
        self.assertGreater(soa.serial, 1600000000)  # time-based
        self.assertEqual(rh.addresses(self.port, "vm.example.com.", "NS"),
                         {"ns1.vm.example.com."})
        r = rh.ask(self.port, "nope.vm.example.com.")
        self.assertEqual(r.rcode(), dns.rcode.NXDOMAIN)
        self.assertEqual(r.authority[0][0].rname.to_text(), "hostmaster.vm.example.com.")

    def test_prefix_suffix_backend_with_own_soa_and_wildcard(self):
        r = rh.ask(self.port, "other.example.org.", "SOA")
        self.assertEqual(r.answer[0][0].rname.to_text(), "admin.other.example.org.")
        self.assertEqual(rh.addresses(self.port, "www.other.example.org."), {"10.3.0.2"})
        self.assertEqual(rh.addresses(self.port, "anything.other.example.org."), {"10.3.0.1"})
        self.assertEqual(rh.rcode(self.port, "x.notazone.example.org."), dns.rcode.REFUSED)
        self.assertEqual(rh.rcode(self.port, "vmdns:changes."), dns.rcode.REFUSED)

    def test_conflict_first_backend_wins_then_the_other_shows(self):
        self.assertEqual(rh.addresses(self.port, "x.vm.example.com."), {"10.0.0.1"})
        self.assertIn("redis: backend b: x.vm.example.com. is also on backend a",
                      rh.log_text(self.server))
        a = self.nodes[0]
        with a.client() as c:
            rh.deregister(c, "vm.example.com.", "x")
        rh.wait_answer(self.port, "x.vm.example.com.", {"10.0.0.2"}, timeout=5)
        with a.client() as c:
            rh.register(c, "vm.example.com.", "x", rh.value(a="10.0.0.1"))
        rh.wait_answer(self.port, "x.vm.example.com.", {"10.0.0.1"}, timeout=5)


class TestBadData(unittest.TestCase):
    ZONE = "bad.example.com."

    @classmethod
    def setUpClass(cls):
        cls.node = rh.Node().start()
        long_field = ".".join(["a" * 60] * 4)  # 244 bytes + the zone: over 255 in wire form
        with cls.node.client() as c:
            c("HSET", cls.ZONE,
              "good", rh.value(a="10.0.0.1"),
              "notjson", "{this is not json",
              "badaddr", rh.value(a=["300.1.2.3", "10.0.0.2"]),
              "onlybad", rh.value(a="1.2.3"),
              long_field, rh.value(a="10.0.0.3"),
              "bad..label", rh.value(a="10.0.0.4"),
              "cnameplus", rh.value(a="10.0.0.5", cname=[{"host": "good.bad.example.com."}]),
              "unsupported", rh.value(a="10.0.0.6", loc=[{"lat": 1}]),
              "onlyunsupported", rh.value(hinfo=[{"cpu": "x", "os": "y"}]),
              "badttl", rh.value(a="10.0.0.7", ttl=-5),
              "last", rh.value(a="10.0.0.9"))
        config = rh.redis_config([rh.backend_yaml("bad", [cls.node.addr])])
        cls.server = rh.start_vmdnsd(config, probe=cls.ZONE)
        cls.port = cls.server.port
        rh.wait_answer(cls.port, "last." + cls.ZONE, {"10.0.0.9"})

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()
            cls.node.cleanup()

    def test_good_records_served(self):
        self.assertEqual(rh.addresses(self.port, "good." + self.ZONE), {"10.0.0.1"})
        self.assertEqual(rh.addresses(self.port, "badaddr." + self.ZONE), {"10.0.0.2"})
        self.assertEqual(rh.addresses(self.port, "cnameplus." + self.ZONE), {"10.0.0.5"})
        self.assertEqual(rh.addresses(self.port, "unsupported." + self.ZONE), {"10.0.0.6"})
        self.assertEqual(rh.addresses(self.port, "cnameplus." + self.ZONE, "CNAME"), set())

    def test_bad_records_skipped(self):
        for name in ("notjson", "onlybad", "onlyunsupported", "badttl"):
            self.assertEqual(rh.rcode(self.port, "%s.%s" % (name, self.ZONE)),
                             dns.rcode.NXDOMAIN, name)

    def test_each_bad_record_logged_once_with_key_and_field(self):
        log = rh.log_text(self.server)
        for field in ("notjson", "badaddr", "onlybad", "bad..label", "cnameplus", "unsupported",
                      "onlyunsupported", "badttl", ".".join(["a" * 60] * 4)):
            line = "key '%s' field '%s'" % (self.ZONE, field)
            self.assertEqual(log.count(line), 1, "%s in:\n%s" % (line, log))

    def test_bad_stream_entry_is_skipped_and_the_next_applied(self):
        with self.node.client() as c:
            rh.register(c, self.ZONE, "streambad", "[1, 2")
            rh.register(c, self.ZONE, "streamgood", rh.value(a="10.0.1.1"))
        rh.wait_answer(self.port, "streamgood." + self.ZONE, {"10.0.1.1"})
        self.assertEqual(rh.rcode(self.port, "streambad." + self.ZONE), dns.rcode.NXDOMAIN)
        self.assertIn("field 'streambad'", rh.log_text(self.server))


class TestLease(unittest.TestCase):
    ZONE = "lease.example.com."

    def test_expiring_name_stops_being_answered(self):
        node = rh.Node().start()
        server = None
        try:
            now = time.time()
            with node.client() as c:
                c("HSET", self.ZONE, "forever", rh.value(a="10.0.0.1"),
                  "expired", rh.value(a="10.0.0.2", expires=now - 10),
                  "soon", rh.value(a="10.0.0.3", expires=now + 2))
            server = rh.start_vmdnsd(rh.redis_config([rh.backend_yaml("l", [node.addr])]),
                                     probe=self.ZONE)
            port = server.port
            rh.wait_answer(port, "forever." + self.ZONE, {"10.0.0.1"})
            self.assertEqual(rh.addresses(port, "soon." + self.ZONE), {"10.0.0.3"})
            self.assertEqual(rh.rcode(port, "expired." + self.ZONE), dns.rcode.NXDOMAIN)
            # a lease written through the stream, already past: not answered either
            with node.client() as c:
                rh.register(c, self.ZONE, "late", rh.value(a="10.0.0.4", expires=now - 1))
                rh.register(c, self.ZONE, "marker", rh.value(a="10.0.0.5"))
            rh.wait_answer(port, "marker." + self.ZONE, {"10.0.0.5"})
            self.assertEqual(rh.rcode(port, "late." + self.ZONE), dns.rcode.NXDOMAIN)
            time.sleep(max(0.0, now + 2.05 - time.time()))
            self.assertEqual(rh.rcode(port, "soon." + self.ZONE), dns.rcode.NXDOMAIN)
            self.assertEqual(rh.addresses(port, "forever." + self.ZONE), {"10.0.0.1"})
            # renewed: answered again
            with node.client() as c:
                rh.register(c, self.ZONE, "soon", rh.value(a="10.0.0.3", expires=time.time() + 60))
            rh.wait_answer(port, "soon." + self.ZONE, {"10.0.0.3"})
        finally:
            if server is not None:
                try:
                    server.stop()
                finally:
                    server.cleanup()
            node.cleanup()


def http_ready(endpoint):
    """(status, body) of GET /ready on endpoint ((host, port), see http_url)."""
    try:
        with urllib.request.urlopen(http_url(endpoint, "/ready"), timeout=2) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class TestReady(unittest.TestCase):
    def test_not_ready_until_every_backend_loaded(self):
        node = rh.Node().start()
        # A node that accepts connections and never answers: its first
        # connection attempt lasts connect_timeout.
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        server = None
        try:
            with node.client() as c:
                c("HSET", "ready.example.com.", "www", rh.value(a="10.0.0.1"))
            config = rh.redis_config(
                [rh.backend_yaml("fast", [node.addr]),
                 rh.backend_yaml("silent", ["127.0.0.1:%d" % silent.getsockname()[1]])],
                connect_timeout="3s",
                extra='ready: {listen: "127.0.0.1:0"}\n')
            server = rh.start_vmdnsd(config, probe="ready.example.com.")
            ready_port = server.http["ready"]
            rh.wait_answer(server.port, "www.ready.example.com.", {"10.0.0.1"})
            status, body = http_ready(ready_port)
            self.assertEqual(status, 503, body)
            self.assertIn("silent", body)
            self.assertNotIn("fast", body)
            # A backend that proves unreachable has still never loaded:
            # /ready stays 503 (issue 11.13), naming only it.
            rh.wait_log(server, "backend silent: unreachable", timeout=15)
            status, body = http_ready(ready_port)
            self.assertEqual(status, 503, body)
            self.assertIn("silent", body)
            self.assertNotIn("fast", body)
            server.stop()
            server.cleanup()
            server = None
        finally:
            if server is not None:
                server.stop(check=False)
                server.cleanup()
            silent.close()
            node.cleanup()


if __name__ == "__main__":
    unittest.main()
