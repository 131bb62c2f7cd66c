# SPDX-License-Identifier: BSD-2-Clause
"""test_zone_owner.py - a zone served from a file and found in Redis too.

Every zone in the view has one owner, the plugin that publishes it; the
first to publish an apex keeps it (src/view/view.h). vmdnsd reads its zone
files before any Redis backend has loaded, so a zone file always wins over
the same zone in Redis:

  - dig answers the file's data, never Redis's, and the Redis copy is
    counted (vmdns_redis_zones_ignored) and logged once;
  - deleting the zone in Redis leaves the file's data answered (before,
    the Redis copy replaced the file's and took it along when it went);
  - a reload that adds a zone file for a zone Redis serves already fails
    with a message naming both plugins and the zone, and changes nothing;
  - a reload that drops `zones:` altogether keeps the view (Redis is not
    loaded again) and Redis's copy of the zone is answered from then on;
  - in a Corefile, the order is the plugins' (file before redis, as
    CoreDNS's plugin.cfg), not the order of the lines: a block that names
    `redis` before `file` for the same zone answers the file's data, and
    the Redis copy is logged (issue 11, point 12).
"""

import os
import re
import signal
import unittest
import urllib.request

import redis_harness as rh
from vmdns_harness import HTTP_LISTEN, TEST_ZONE, Vmdnsd, dig, http_url, wait_for

ZONE = "example.com."  # in tests/integration/data/test.zone: www A 192.0.2.80
REDIS_ONLY = "vm.example.net."


def metric(endpoint, name):
    """{labels: value} of one family on /metrics (see http_url)."""
    with urllib.request.urlopen(http_url(endpoint, "/metrics"), timeout=5) as r:
        body = r.read().decode()
    out = {}
    for line in body.splitlines():
        m = re.match(r"^%s(\{[^}]*\})? (\S+)$" % re.escape(name), line)
        if m:
            out[m.group(1) or ""] = float(m.group(2))
    return out


def dig_a(port, name):
    """The A addresses dig shows for name (a set), and the status."""
    out = dig(port, name, "A")
    status = re.search(r"status: (\w+)", out)
    addrs = set(re.findall(r"^\S+\s+\d+\s+IN\s+A\s+(\S+)$", out, flags=re.M))
    return (status.group(1) if status else None), addrs


class ZoneOwnerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = rh.Node().start()
        with cls.node.client() as c:
            c("HSET", ZONE, "www", rh.value(a="198.51.100.1"))
            c("HSET", ZONE, "redis-only", rh.value(a="198.51.100.2"))
            c("HSET", REDIS_ONLY, "vm", rh.value(a="10.0.0.1"))
        cls.config_text = rh.redis_config(
            [rh.backend_yaml("one", [cls.node.addr])],
            extra='metrics: {listen: "%s"}\n' % HTTP_LISTEN["metrics"])
        config = cls.config_text + "zones:\n  - origin: %s\n    file: %s\n" % (ZONE, TEST_ZONE)
        cls.server = rh.start_vmdnsd(config, probe=ZONE)
        cls.port = cls.server.port
        cls.metrics_port = cls.server.http["metrics"]
        # Redis has loaded once its own zone answers.
        rh.wait_answer(cls.port, "vm." + REDIS_ONLY, {"10.0.0.1"})
        cls.client = cls.node.client()

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()
            cls.node.cleanup()

    def ignored(self):
        return metric(self.metrics_port, "vmdns_redis_zones_ignored").get('{backend="one"}')

    def test_file_wins_and_stays_when_redis_drops_the_zone(self):
        # The file's data, not Redis's.
        self.assertEqual(dig_a(self.port, "www." + ZONE), ("NOERROR", {"192.0.2.80"}))
        self.assertEqual(dig_a(self.port, "redis-only." + ZONE)[0], "NXDOMAIN")
        wait_for(lambda: self.ignored() == 1, 5, what="vmdns_redis_zones_ignored 1")
        rh.wait_log(self.server, "redis: zone example.com. is served by the file plugin")
        # More writes to the zone in Redis: still ignored, logged once.
        rh.register(self.client, ZONE, "www", rh.value(a="198.51.100.9"))
        rh.register(self.client, REDIS_ONLY, "marker", rh.value(a="10.0.0.2"))
        rh.wait_answer(self.port, "marker." + REDIS_ONLY, {"10.0.0.2"})
        self.assertEqual(dig_a(self.port, "www." + ZONE), ("NOERROR", {"192.0.2.80"}))
        self.assertEqual(rh.log_text(self.server).count("is served by the file plugin"), 1)

        # Redis drops the zone: the file's data is still answered.
        rh.delete_zone(self.client, ZONE)
        wait_for(lambda: self.ignored() == 0, 5, what="vmdns_redis_zones_ignored 0")
        self.assertEqual(dig_a(self.port, "www." + ZONE), ("NOERROR", {"192.0.2.80"}))
        soa = dig(self.port, ZONE, "SOA")
        self.assertIn("status: NOERROR", soa)
        self.assertIn("hostmaster.example.com.", soa)
        self.assertEqual(dig_a(self.port, "vm." + REDIS_ONLY), ("NOERROR", {"10.0.0.1"}))

    def test_reload_adding_a_file_for_a_redis_zone_fails(self):
        path = os.path.join(self.server.tmp, "vm.example.net.zone")
        with open(path, "w") as f:
            f.write("$ORIGIN vm.example.net.\n$TTL 60\n"
                    "@ IN SOA ns1 hostmaster 1 3600 600 86400 60\n@ IN NS ns1\n"
                    "ns1 IN A 192.0.2.53\nvm IN A 192.0.2.99\n")
        with open(self.server.config_path) as f:
            before = f.read()
        with open(self.server.config_path, "w") as f:
            f.write(before + "  - origin: %s\n    file: %s\n" % (REDIS_ONLY, path))
        try:
            self.server.proc.send_signal(signal.SIGHUP)
            rh.wait_log(self.server, "reload failed")
            log = rh.log_text(self.server)
            self.assertRegex(log, r"zone vm\.example\.net\. .* is served by the redis plugin")
            self.assertEqual(dig_a(self.port, "vm." + REDIS_ONLY), ("NOERROR", {"10.0.0.1"}))
            self.assertEqual(dig_a(self.port, "www." + ZONE), ("NOERROR", {"192.0.2.80"}))
        finally:
            with open(self.server.config_path, "w") as f:
                f.write(before)

    def test_zz_dropping_the_files_shows_redis(self):  # last: it changes the config
        rh.register(self.client, ZONE, "www", rh.value(a="198.51.100.9"))
        wait_for(lambda: self.ignored() == 1, 5, what="vmdns_redis_zones_ignored 1")
        self.assertEqual(dig_a(self.port, "www." + ZONE), ("NOERROR", {"192.0.2.80"}))
        with open(self.server.config_path, "w") as f:
            f.write(self.config_text.replace("{port}", "0"))  # the same listeners
        seen = len(rh.log_text(self.server))
        self.server.proc.send_signal(signal.SIGHUP)
        rh.wait_log(self.server, "applied (listeners kept)")
        log = rh.log_text(self.server)[seen:]
        self.assertNotIn("reload failed", log)
        self.assertIn("zone example.com. no longer served", log)
        self.assertRegex(log, r"configuration \d+: kept the view; plugins kept: [^;]*redis")
        wait_for(lambda: dig_a(self.port, "www." + ZONE) == ("NOERROR", {"198.51.100.9"}), 5,
                 what="Redis's copy of the zone")
        self.assertEqual(dig_a(self.port, "vm." + REDIS_ONLY), ("NOERROR", {"10.0.0.1"}))
        wait_for(lambda: self.ignored() == 0, 5, what="vmdns_redis_zones_ignored 0")


class CorefileOrderTest(unittest.TestCase):
    """`redis` before `file` in one server block: plugin order decides."""

    def test_file_first_whatever_the_line_order(self):
        node = rh.Node().start()
        server = None
        try:
            with node.client() as c:
                c("HSET", ZONE, "www", rh.value(a="198.51.100.1"))
                c("HSET", REDIS_ONLY, "vm", rh.value(a="10.0.0.1"))
            server = Vmdnsd(config="# replaced below\n", v6=False)
            server.config_path = os.path.join(server.tmp, "Corefile")
            with open(server.config_path, "w") as f:
                f.write("example.com:0 vm.example.net:0 {\n"
                        "    bind 127.0.0.1\n"
                        "    redis {\n        address %s\n    }\n"
                        "    file %s example.com\n"
                        "}\n" % (node.addr, TEST_ZONE))
            server.start(option="--corefile", probe=ZONE)
            rh.wait_answer(server.port, "vm." + REDIS_ONLY, {"10.0.0.1"})
            self.assertEqual(dig_a(server.port, "www." + ZONE), ("NOERROR", {"192.0.2.80"}))
            rh.wait_log(server, "redis: zone example.com. is served by the file plugin")
        finally:
            if server is not None:
                server.stop(check=False)
                server.cleanup()
            node.cleanup()


if __name__ == "__main__":
    unittest.main()
