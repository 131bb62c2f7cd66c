# SPDX-License-Identifier: BSD-2-Clause
"""test_reload_redis.py - reloading a Redis-backed configuration.

A reload that changes a backend's connection settings replaces that
backend: the new one loads every zone again from scratch, hidden next to
the running one in the same view, and takes over when the new
configuration does (one that does not change it keeps the backend:
test_reload_keep.py); so does one that changes how records are built
(default_ttl). Until the
load is done the new data is incomplete, so vmdnsd must keep answering
from the old configuration and switch only when the new one is ready.
Every reload here changes the backends' connect_timeout to force the new
load. A real redis-server holds a zone of 30,000 names; client
loops query names from the whole zone during several SIGHUPs (one of them
also adding a zone file), and every single answer must be the right address:
a switch to a half-loaded view would show up as NXDOMAIN or REFUSED.
A Corefile with a redis block reloads the same way.
"""

import os
import signal
import threading
import unittest

import dns.exception
import dns.rcode

import redis_harness as rh
from vmdns_harness import TEST_ZONE, query, udp, wait_for, wait_progress

ZONE = "vm.example.com."
NAMES = 30000


def addr(i):
    return "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)


class Checker(threading.Thread):
    """Ask for names all over the zone; count right answers, keep wrong ones."""

    def __init__(self, port, start_at):
        super().__init__(daemon=True)
        self.port, self.i = port, start_at
        self.halt = threading.Event()
        self.ok = 0
        self.bad = []

    def run(self):
        while not self.halt.is_set():
            i = self.i % NAMES
            self.i += 7919  # a prime stride: names from everywhere in the zone
            name = "vm-%d.%s" % (i, ZONE)
            try:
                r = udp(query(name, "A"), self.port, timeout=1.0)
                got = {rd.address for rrset in r.answer for rd in rrset}
                if r.rcode() != dns.rcode.NOERROR or got != {addr(i)}:
                    self.bad.append("%s: %s %s" % (name, dns.rcode.to_text(r.rcode()), got))
                else:
                    self.ok += 1
            except (dns.exception.Timeout, OSError, EOFError) as e:
                self.bad.append("%s: %r" % (name, e))

    def finish(self):
        self.halt.set()
        self.join(10)
        return self.ok, self.bad


class RedisReloadTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = rh.Node().start()
        with cls.node.client() as c:
            rh.fill_zone(c, ZONE, (("vm-%d" % i, rh.value(a=addr(i))) for i in range(NAMES)))

    @classmethod
    def tearDownClass(cls):
        cls.node.cleanup()

    def reload_under_load(self, server, reloads, between=None, new_views=0):
        checkers = [Checker(server.port, k * 1000) for k in range(3)]
        for c in checkers:
            c.start()
        answered = [lambda c=c: c.ok + len(c.bad) for c in checkers]
        wait_progress(answered, 10, what="the checkers to run")
        for n in range(1, reloads + 1):
            if between is not None:
                between(n)
            server.proc.send_signal(signal.SIGHUP)
            rh.wait_log(server, "configuration %d from" % (n + 1), timeout=20)
            wait_progress(answered, 10, what="the checkers to run after reload %d" % n)
        for c in checkers:
            ok, bad = c.finish()
            self.assertEqual(bad[:10], [], "%d wrong answers during the reloads" % len(bad))
            self.assertGreater(ok, 20)
        text = rh.log_text(server)
        self.assertEqual(text.count("applied (listeners kept)"), reloads, text[-3000:])
        self.assertEqual(text.count(": a new view;"), new_views, text[-3000:])
        self.assertEqual(text.count(": kept the view;"), reloads - new_views, text[-3000:])
        self.assertEqual(text.count("0 kept running with their data, 1 loading"),
                         reloads - new_views, text[-3000:])
        self.assertNotIn("reload failed", text)
        self.assertNotIn("switching anyway", text)

    def test_yaml_reload_waits_for_the_new_load(self):
        backends = [rh.backend_yaml("main", [self.node.addr])]
        server = rh.start_vmdnsd(rh.redis_config(backends, workers=2))
        try:
            rh.wait_answer(server.port, "vm-%d.%s" % (NAMES - 1, ZONE), {addr(NAMES - 1)})
            with open(server.config_path) as f:
                base = f.read()

            def change(n):
                text = base.replace("connect_timeout: 300ms", "connect_timeout: %dms" % (300 + n))
                if n >= 2:  # the second reload adds a zone file as well
                    text += "zones:\n  - origin: example.com.\n    file: %s\n" % TEST_ZONE
                if n >= 3:  # the third changes how records are built as well
                    text = text.replace("  stream_maxlen: 1000000\n",
                                        "  stream_maxlen: 1000000\n  default_ttl: 301\n")
                with open(server.config_path, "w") as f:
                    f.write(text)

            self.reload_under_load(server, 3, change)
            r = udp(query("www.example.com.", "A"), server.port)
            self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        finally:
            try:
                server.stop()
            finally:
                server.cleanup()

    def test_corefile_redis_reload(self):
        server = rh.Vmdnsd(config="# replaced below\n")
        try:
            corefile = os.path.join(server.tmp, "Corefile")
            with open(corefile, "w") as f:
                f.write("vm.example.com:0 {\n  bind 127.0.0.1\n"
                        "  redis {\n    address %s\n    connect_timeout 300\n"
                        "    read_timeout 2000\n  }\n}\n" % self.node.addr)
            server.config_path = corefile
            server.start(probe=ZONE, option="--corefile")
            rh.wait_answer(server.port, "vm-%d.%s" % (NAMES - 1, ZONE), {addr(NAMES - 1)})
            def change(n):
                with open(corefile) as f:
                    text = f.read()
                with open(corefile, "w") as f:
                    f.write(text.replace("connect_timeout %d" % (300 + n - 1),
                                         "connect_timeout %d" % (300 + n)))

            self.reload_under_load(server, 2, change)
        finally:
            try:
                server.stop()
            finally:
                server.cleanup()


if __name__ == "__main__":
    unittest.main()
