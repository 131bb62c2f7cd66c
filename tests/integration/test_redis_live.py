# SPDX-License-Identifier: BSD-2-Clause
"""test_redis_live.py - live changes from Redis, while vmdnsd answers.

Writes made the registrar's way (HSET/HDEL + XADD in one MULTI/EXEC) show
up within milliseconds, in order, and raise the zone's SOA serial; a
deleted zone stops being served; a new zone appears. Writers that bypass
the stream (plain HSET/HDEL) are caught by keyspace notifications when the
server publishes them, and otherwise by the periodic resync.
"""

import time
import unittest

import dns.rcode

import redis_harness as rh

ZONE = "vm.example.com."


class LiveCase(unittest.TestCase):
    notifications = True
    resync = "60s"
    keyspace_events = "KA"  # what the redis-server publishes
    extra = ""  # more of the redis: section

    @classmethod
    def setUpClass(cls):
        cls.node = rh.Node(extra=["--notify-keyspace-events", cls.keyspace_events]).start()
        with cls.node.client() as c:
            c("HSET", ZONE, "static", rh.value(a="10.0.0.1"))
        config = rh.redis_config([rh.backend_yaml("live", [cls.node.addr])],
                                 notifications=cls.notifications, resync=cls.resync,
                                 extra=cls.extra)
        cls.server = rh.start_vmdnsd(config)
        cls.port = cls.server.port
        rh.wait_answer(cls.port, "static." + ZONE, {"10.0.0.1"})
        cls.client = cls.node.client()

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()
            cls.node.cleanup()


class TestStream(LiveCase):
    def test_register_is_answered_quickly_and_bumps_the_serial(self):
        serial = rh.soa_serial(self.port, ZONE)
        t = rh.register(self.client, ZONE, "vm-new", rh.value(a="10.1.1.1"))
        while rh.addresses(self.port, "vm-new." + ZONE) != {"10.1.1.1"}:
            self.assertLess(time.monotonic() - t, 2.0, "not answered within 2 s")
        self.assertGreater(rh.soa_serial(self.port, ZONE), serial)

    def test_deregister(self):
        rh.register(self.client, ZONE, "vm-gone", rh.value(a="10.1.1.2"))
        rh.wait_answer(self.port, "vm-gone." + ZONE, {"10.1.1.2"})
        rh.deregister(self.client, ZONE, "vm-gone")
        rh.wait_for(lambda: rh.rcode(self.port, "vm-gone." + ZONE) == dns.rcode.NXDOMAIN, 2,
                    what="vm-gone deleted")

    def test_changes_are_applied_in_order(self):
        for i in range(300):
            rh.register(self.client, ZONE, "flip", rh.value(a="10.2.%d.%d" % (i // 250, i % 250)))
            if i % 7 == 0:
                rh.deregister(self.client, ZONE, "flip")
        rh.register(self.client, ZONE, "flip-done", rh.value(a="10.2.9.9"))
        rh.wait_answer(self.port, "flip-done." + ZONE, {"10.2.9.9"})
        self.assertEqual(rh.addresses(self.port, "flip." + ZONE), {"10.2.1.49"})

    def test_srv_and_txt(self):
        rh.register(self.client, ZONE, "_ssh._tcp.vm-abc", rh.value(srv=[
            {"target": "vm-abc.vm.example.com.", "port": 38291, "priority": 0, "weight": 0}]))
        rh.register(self.client, ZONE, "vm-abc", rh.value(a="10.3.0.1", txt=[{"text": "job 42"}]))
        rh.wait_answer(self.port, "_ssh._tcp.vm-abc." + ZONE, {"0 0 38291 vm-abc.vm.example.com."},
                       rdtype="SRV")
        rh.wait_answer(self.port, "vm-abc." + ZONE, {'"job 42"'}, rdtype="TXT")

    def test_new_zone_and_delete_zone(self):
        rh.register(self.client, "new.example.net.", "www", rh.value(a="10.4.0.1"))
        rh.wait_answer(self.port, "www.new.example.net.", {"10.4.0.1"})
        self.assertEqual(rh.rcode(self.port, "new.example.net.", "SOA"), dns.rcode.NOERROR)
        rh.delete_zone(self.client, "new.example.net.")
        rh.wait_for(lambda: rh.rcode(self.port, "www.new.example.net.") == dns.rcode.REFUSED, 2,
                    what="zone removed")

    def test_hset_only_caught_by_keyspace_notification(self):
        t = time.monotonic()
        self.client("HSET", ZONE, "sneaky", rh.value(a="10.5.0.1"))
        rh.wait_answer(self.port, "sneaky." + ZONE, {"10.5.0.1"}, timeout=5)
        self.assertLess(time.monotonic() - t, 5)  # resync is 60 s: this was the notification
        self.client("HDEL", ZONE, "sneaky")
        rh.wait_for(lambda: rh.rcode(self.port, "sneaky." + ZONE) == dns.rcode.NXDOMAIN, 5,
                    what="sneaky deleted")
        self.assertEqual(rh.addresses(self.port, "static." + ZONE), {"10.0.0.1"})


class TestResync(LiveCase):
    notifications = False
    resync = "1s"
    keyspace_events = ""
    extra = "  drop_confirm: 2s\n"  # a zone hash gone is held back (degraded) this long

    def test_hset_only_caught_by_resync(self):
        self.client("HSET", ZONE, "plain", rh.value(a="10.6.0.1"))
        self.client("HSET", "plain.example.org.", "www", rh.value(a="10.6.0.2"))
        rh.wait_answer(self.port, "plain." + ZONE, {"10.6.0.1"}, timeout=5)
        rh.wait_answer(self.port, "www.plain.example.org.", {"10.6.0.2"}, timeout=5)
        serial = rh.soa_serial(self.port, ZONE)
        self.client("HDEL", ZONE, "plain")
        self.client("DEL", "plain.example.org.")
        # 2 of the backend's 3 names gone without stream entries: held back
        # (served stale, degraded) until they stay gone for drop_confirm
        self.server.wait_log("DEGRADED", timeout=5)
        self.assertEqual(rh.addresses(self.port, "www.plain.example.org."), {"10.6.0.2"})
        rh.wait_for(lambda: rh.rcode(self.port, "plain." + ZONE) == dns.rcode.NXDOMAIN, 8,
                    what="plain deleted by resync")
        rh.wait_for(lambda: rh.rcode(self.port, "www.plain.example.org.") == dns.rcode.REFUSED, 5,
                    what="zone deleted by resync")
        # unchanged names are not rewritten by a resync: after two more full
        # reloads (each one logged) the serial has still moved by one
        done = self.server.log_text().count(": reloaded ")
        self.server.wait_log(": reloaded ", count=done + 2, timeout=10)
        self.assertEqual(rh.soa_serial(self.port, ZONE), serial + 1)
        self.assertEqual(rh.addresses(self.port, "static." + ZONE), {"10.0.0.1"})


class TestAuthAndDb(unittest.TestCase):
    """AUTH (plain password and ACL user) and SELECT before anything else."""

    def test_password_acl_user_and_db(self):
        node = rh.Node(extra=["--requirepass", "s3cret"]).start_auth("s3cret")
        server = None
        try:
            with node.client() as c:
                c("AUTH", "s3cret")
                c("ACL", "SETUSER", "reader", "on", ">r3ad", "~*", "&*", "+@read", "+@connection")
                c("SELECT", 2)
                rh.register(c, ZONE, "in-db2", rh.value(a="10.0.2.2"))
                c("SELECT", 0)
                rh.register(c, ZONE, "in-db0", rh.value(a="10.0.0.9"))
            backends = [
                rh.backend_yaml("db2", [node.addr],
                                extra='      password: "s3cret"\n      db: 2'),
                rh.backend_yaml("acl", [node.addr],
                                extra='      username: reader\n      password: "r3ad"'),
                rh.backend_yaml("wrong", [node.addr], prefix="x:",
                                extra='      password: "nope"'),
            ]
            server = rh.start_vmdnsd(rh.redis_config(backends))
            port = server.port
            rh.wait_answer(port, "in-db2." + ZONE, {"10.0.2.2"})
            rh.wait_answer(port, "in-db0." + ZONE, {"10.0.0.9"})
            with node.client() as c:
                c("AUTH", "s3cret")
                c("SELECT", 2)
                rh.register(c, ZONE, "live-db2", rh.value(a="10.0.2.3"))
            rh.wait_answer(port, "live-db2." + ZONE, {"10.0.2.3"})
            rh.wait_log(server, "backend wrong: unreachable")
            self.assertIn("AUTH failed", rh.log_text(server))
            server.stop()
            server.cleanup()
            server = None
        finally:
            if server is not None:
                server.stop(check=False)
                server.cleanup()
            node.cleanup()


if __name__ == "__main__":
    unittest.main()
