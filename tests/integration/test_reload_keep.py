# SPDX-License-Identifier: BSD-2-Clause
"""test_reload_keep.py - a reload keeps what its config did not change.

Issue 8 point 2: config lifetime apart from data lifetime. A real
redis-server holds a zone of many names, two zone files are served next to
it, and vmdnsd reloads (SIGHUP) with:
  - only the `log` section changed: the view and the Redis backend are
    kept as they are. The backend does not load its data again
    (vmdns_redis_reloads_total and vmdns_redis_reconnects_total do not
    move), so a name written with a plain HSET and no stream entry is not
    picked up; the process does not grow by a second copy of the data
    (RSS within a margin, where a rebuilt view would double it);
  - one zone file changed: that file is read again (its new record
    answers), the other one is not ("unchanged, not read again"), and Redis
    is still untouched; a zone dropped from the config goes;
  - `zones:` dropped altogether: the view is kept, the file's zones go,
    Redis is still untouched (no second copy of its data);
  - the backend's connection settings changed: the view is kept, the
    backend is replaced by a new one that loads from scratch (the plain
    HSET shows up);
  - `redis` dropped altogether: the view is kept, Redis's zone goes, the
    zone file is not read again.
Backends kept one by one (added, removed, reordered):
test_reload_backends.py.
"""

import os
import re
import signal
import unittest

import dns.rcode

import redis_harness as rh
from test_redis_metrics import Http, stop_server
from vmdns_harness import wait_for

ZONE = "vm.example.com."
NAMES = 150000

ZONE_FILE = """\
$ORIGIN {origin}
$TTL 300
@    IN SOA ns1.{origin} hostmaster.{origin} {serial} 3600 600 86400 30
@    IN NS  ns1.{origin}
ns1  IN A   192.0.2.1
www  IN A   192.0.2.{www}
{extra}
"""


def addr(i):
    return "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


class ReloadKeepTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = rh.Node().start()
        with cls.node.client() as c:
            rh.fill_zone(c, ZONE, (("vm-%d" % i, rh.value(a=addr(i))) for i in range(NAMES)),
                         batch=5000)

    @classmethod
    def tearDownClass(cls):
        cls.node.cleanup()

    def write_zone(self, server, name, origin, serial, www, extra=""):
        path = os.path.join(server.tmp, name)
        with open(path, "w") as f:
            f.write(ZONE_FILE.format(origin=origin, serial=serial, www=www, extra=extra))
        return path

    def config(self, server, http, log):
        return (rh.redis_config([rh.backend_yaml("main", [self.node.addr])], workers=2,
                                resync="3600s", notifications=False,
                                extra=http.yaml())
                .replace("{port}", "0")  # port 0, the same listeners at every reload
                + "zones:\n  - origin: a.example.\n    file: a.zone\n"
                  "  - origin: b.example.\n    file: b.zone\n"
                + ("log: {class: [%s]}\n" % log if log else ""))

    def sighup(self, server, generation):
        server.proc.send_signal(signal.SIGHUP)
        rh.wait_log(server, "configuration %d from" % generation, timeout=20)
        self.assertNotIn("reload failed", rh.log_text(server))

    def counters(self, http):
        return (http.get("vmdns_redis_reloads_total", "main"),
                http.get("vmdns_redis_reconnects_total", "main"))

    def test_log_only_and_zone_file_reloads_keep_the_rest(self):
        http = Http()
        server = rh.Vmdnsd(config="# replaced below\n")
        try:
            self.write_zone(server, "a.zone", "a.example.", 1, 10)
            self.write_zone(server, "b.zone", "b.example.", 1, 20)
            with open(server.config_path, "w") as f:
                f.write(self.config(server, http, None))
            server.start(probe=ZONE)
            http.endpoints = server.http
            last = "vm-%d.%s" % (NAMES - 1, ZONE)
            rh.wait_answer(server.port, last, {addr(NAMES - 1)}, timeout=60)
            http.wait_metric("vmdns_redis_backend_loaded", "main", 1, timeout=60)
            before = self.counters(http)
            rss_before = rss_kib(server.proc.pid)

            # Written past the stream: only a reload of the data would see it.
            with self.node.client() as c:
                c("HSET", ZONE, "vm-sneaky", rh.value(a="10.250.0.1"))

            # 1. Only `log` changes.
            with open(server.config_path, "w") as f:
                f.write(self.config(server, http, "denial"))
            self.sighup(server, 2)
            text = rh.log_text(server)
            self.assertIn("configuration 2: kept the view", text)
            line = [l for l in text.splitlines() if "configuration 2: kept the view" in l][0]
            self.assertRegex(line, r"plugins kept: .*redis", line)
            self.assertRegex(line, r"set up: log$", line)
            self.assertEqual(self.counters(http), before, "the backend was touched")
            self.assertEqual(rh.rcode(server.port, "vm-sneaky." + ZONE), dns.rcode.NXDOMAIN)
            self.assertEqual(rh.addresses(server.port, last), {addr(NAMES - 1)})
            rss_after = rss_kib(server.proc.pid)
            # A second view of the zone would add about what the first one
            # costs; keeping it adds next to nothing.
            self.assertLess(rss_after, rss_before * 1.25 + 8192,
                            "RSS %d KiB -> %d KiB" % (rss_before, rss_after))

            # 2. One zone file changes (new serial, one more record).
            self.write_zone(server, "b.zone", "b.example.", 2, 21, "new  IN A   192.0.2.99")
            self.sighup(server, 3)
            text = rh.log_text(server)
            self.assertRegex(text, r"zone a\.example\. from \S*a\.zone: unchanged, not read again")
            self.assertRegex(text, r"zone b\.example\. from \S*b\.zone: \d+ records")
            self.assertEqual(text.count("b.zone: unchanged"), 0)
            wait_for(lambda: rh.addresses(server.port, "new.b.example.") == {"192.0.2.99"}, 5,
                     what="the new record of b.zone")
            self.assertEqual(rh.addresses(server.port, "www.b.example."), {"192.0.2.21"})
            self.assertEqual(rh.addresses(server.port, "www.a.example."), {"192.0.2.10"})
            self.assertEqual(self.counters(http), before, "the backend was touched")
            self.assertEqual(rh.rcode(server.port, "vm-sneaky." + ZONE), dns.rcode.NXDOMAIN)

            # 3. A zone dropped from the config is no longer served.
            with open(server.config_path, "w") as f:
                f.write(self.config(server, http, "denial").replace(
                    "  - origin: b.example.\n    file: b.zone\n", ""))
            self.sighup(server, 4)
            wait_for(lambda: rh.rcode(server.port, "www.b.example.") == dns.rcode.REFUSED, 5,
                     what="b.example. to be gone")
            self.assertEqual(rh.addresses(server.port, "www.a.example."), {"192.0.2.10"})
            self.assertEqual(self.counters(http), before, "the backend was touched")

            # 3b. No `zones:` at all: the view is kept, the zone files' zones
            # go, Redis stays as it is.
            with open(server.config_path, "w") as f:
                f.write(self.config(server, http, "denial").split("zones:\n")[0]
                        + "log: {class: [denial]}\n")
            self.sighup(server, 5)
            line = [l for l in rh.log_text(server).splitlines()
                    if "reload: configuration 5:" in l][0]
            self.assertIn("kept the view", line)
            self.assertNotIn("file", line)
            wait_for(lambda: rh.rcode(server.port, "www.a.example.") == dns.rcode.REFUSED, 5,
                     what="a.example. to be gone")
            self.assertEqual(rh.addresses(server.port, last), {addr(NAMES - 1)})
            self.assertEqual(self.counters(http), before, "the backend was touched")
            self.assertLess(rss_kib(server.proc.pid), rss_before * 1.25 + 8192)

            # 4. The backend's connect_timeout changes and a zone file comes
            # back: the view is kept, the backend replaced by one loaded
            # again (the plain HSET shows up now).
            with open(server.config_path, "w") as f:
                f.write(self.config(server, http, "denial").replace(
                    "  - origin: b.example.\n    file: b.zone\n", "").replace(
                    "connect_timeout: 300ms", "connect_timeout: 301ms"))
            self.sighup(server, 6)
            line = [l for l in rh.log_text(server).splitlines()
                    if "reload: configuration 6:" in l][0]
            self.assertIn("kept the view", line)
            self.assertRegex(line, r"set up: file, redis$", line)
            rh.wait_answer(server.port, "vm-sneaky." + ZONE, {"10.250.0.1"}, timeout=30)
            self.assertEqual(rh.addresses(server.port, "www.a.example."), {"192.0.2.10"})

            # 5. No `redis` at all: the view is kept, Redis's zone goes, the
            # zone file is not read again.
            with open(server.config_path) as f:
                text = f.read()
            with open(server.config_path, "w") as f:
                f.write(re.sub(r"(?ms)^redis:\n.*?^(?=metrics:)", "", text))
            self.sighup(server, 7)
            line = [l for l in rh.log_text(server).splitlines()
                    if "reload: configuration 7:" in l][0]
            self.assertIn("kept the view", line)
            self.assertRegex(line, r"plugins kept: .*file", line)
            self.assertNotIn("redis", line)
            wait_for(lambda: rh.rcode(server.port, last) == dns.rcode.REFUSED, 5,
                     what="the Redis zone to be gone")
            self.assertEqual(rh.addresses(server.port, "www.a.example."), {"192.0.2.10"})
        finally:
            stop_server(server)


if __name__ == "__main__":
    unittest.main()
