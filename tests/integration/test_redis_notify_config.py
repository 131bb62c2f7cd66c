# SPDX-License-Identifier: BSD-2-Clause
"""test_redis_notify_config.py - writers that bypass the change stream are
seen within 1 s by default (issue 11 point 9).

A stock redis-server publishes no keyspace events. At connect vmdnsd reads
notify-keyspace-events and adds K, g and h (CONFIG SET), keeping the flags
already set, so `redis-cli HSET zone. name json` is answered within a
second. Where CONFIG is refused (here: renamed away), one clear log line
says so and resync_interval catches such writes. A plain write right
after a registrar write (whose stream entries must not hide it: the
registrar also clears fields that do not exist, which Redis does not
announce) is seen within a second too.

Run: VMDNS_BUILD=build /usr/bin/python3 -m unittest -v test_redis_notify_config
"""

import subprocess
import time
import unittest

import dns.rcode

import redis_harness as rh
from vmdns_harness import binary

ZONE = "vm.example.com."


class Case(unittest.TestCase):
    node_extra = []
    resync = "60s"

    def setUp(self):
        self.node = rh.Node(extra=self.node_extra).start()
        with self.node.client() as c:
            c("HSET", ZONE, "static", rh.value(a="10.0.0.1"))
        self.server = rh.start_vmdnsd(rh.redis_config(
            [rh.backend_yaml("b", [self.node.addr])], resync=self.resync))
        rh.wait_answer(self.server.port, "static." + ZONE, {"10.0.0.1"})

    def tearDown(self):
        try:
            self.server.stop()
        finally:
            self.server.cleanup()
            self.node.cleanup()

    def plain_hset_delay(self, name, addr, timeout):
        with self.node.client() as c:
            c("HSET", ZONE, name, rh.value(a=addr))
        t = time.monotonic()
        rh.wait_answer(self.server.port, name + "." + ZONE, {addr}, timeout=timeout)
        return time.monotonic() - t


class TestStockRedis(Case):
    node_extra = ["--notify-keyspace-events", "Ex"]  # something else already set

    def test_enabled_at_connect_and_hset_seen_within_a_second(self):
        self.server.wait_log("enabling keyspace notifications")
        with self.node.client() as c:
            flags = c("CONFIG", "GET", "notify-keyspace-events")[1]
        flags = flags.decode() if isinstance(flags, bytes) else flags
        for f in "KghEx":  # added K, g, h; kept E and x
            self.assertIn(f, flags)
        for i in range(3):
            d = self.plain_hset_delay("plain%d" % i, "10.1.0.%d" % (i + 1), timeout=5)
            self.assertLess(d, 1.0, "plain HSET took %.2f s" % d)
        with self.node.client() as c:
            c("HDEL", ZONE, "plain0")
        rh.wait_for(lambda: rh.rcode(self.server.port, "plain0." + ZONE) == dns.rcode.NXDOMAIN,
                    1.0, what="plain HDEL seen")

    def test_a_restarted_node_gets_it_again(self):
        self.server.wait_log("enabling keyspace notifications")
        self.node.cmd("CONFIG", "SET", "notify-keyspace-events", "")
        self.node.kill()  # a restart without persistence loses the setting too
        self.node.start()
        with self.node.client() as c:
            c("HSET", ZONE, "static", rh.value(a="10.0.0.1"))
        self.server.wait_log("enabling keyspace notifications", count=2, timeout=15)
        d = self.plain_hset_delay("after", "10.2.0.1", timeout=5)
        self.assertLess(d, 1.0)

    def test_plain_write_right_after_a_registrar_write(self):
        """`vmdnsctl register` (HSET, a no-op HDEL of the SRV field, two
        stream entries) and at once a plain HSET, in one window: the plain
        write is seen within a second. It used to wait for resync_interval:
        two entries balanced the registrar's event and the plain one."""
        self.server.wait_log("enabling keyspace notifications")
        for i in range(4):
            r = subprocess.run([binary("vmdnsctl"), "--redis", self.node.addr, "register",
                                "reg%d.%s" % (i, ZONE), "--ipv4", "10.3.0.%d" % (i + 1)],
                               capture_output=True, text=True, timeout=10)
            self.assertEqual(r.returncode, 0, r.stderr)
            d = self.plain_hset_delay("after%d" % i, "10.4.0.%d" % (i + 1), timeout=5)
            self.assertLess(d, 1.0, "plain HSET after a registrar write took %.2f s" % d)
        # a registrar delete of a name that is not there, then a plain HDEL
        with self.node.client() as c:
            rh.deregister(c, ZONE, "never-there")
            c("HDEL", ZONE, "after0")
        rh.wait_for(lambda: rh.rcode(self.server.port, "after0." + ZONE) == dns.rcode.NXDOMAIN,
                    1.0, what="a plain HDEL after a registrar delete of a missing name")


class TestConfigRefused(Case):
    node_extra = ["--rename-command", "CONFIG", ""]
    resync = "1s"

    def test_one_log_line_and_resync(self):
        self.server.wait_log("cannot enable keyspace notifications")
        log = self.server.log_text()
        self.assertIn("(CONFIG GET refused: ERR unknown command", log)
        self.assertIn("writes that bypass the change stream are seen at the next resync "
                      "(resync_interval 1000 ms)", log)
        d = self.plain_hset_delay("plain", "10.3.0.1", timeout=5)
        self.assertLess(d, 3.0)
        self.assertEqual(self.server.log_text().count("cannot enable keyspace notifications"), 1)


if __name__ == "__main__":
    unittest.main()
