# SPDX-License-Identifier: BSD-2-Clause
"""test_redis_loading.py - not lame while loading (issue 12.7, issue 11.13).

Until a Redis backend's first load has finished, the names of the zones it
is known to serve - the zones it served in the last run (kept in the
`state_file`) and the zones its `zones:` list names - get SERVFAIL, as
Knot and NSD answer for a configured zone that is not loaded, not REFUSED
(a lame delegation to resolvers); /ready says 503 until then, even for a
backend that proved unreachable. Names under no such zone stay REFUSED.

  - A 200,000-name zone and a small one are served and written to the
    state file; vmdnsd is restarted with its Redis stopped (SIGSTOP: the
    load hangs): SERVFAIL for both zones, REFUSED outside, /ready 503
    naming the backend. Redis continues: a query loop during the load sees
    only SERVFAIL then NOERROR, never REFUSED; /ready turns 200 once loaded.
  - On a first run (no state file yet), a backend's `zones:` list alone
    gives SERVFAIL while it has not loaded; the file appears after the load.
"""

import os
import signal
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import dns.rcode

import redis_harness as rh
from vmdns_harness import http_url, sanitized_build, wait_for

BIG = "big.example."
VM = "vm.example.com."
SLOW = 4 if sanitized_build() else 1  # ASan/TSan load the big zone several times slower
NAMES = 200000 // SLOW
LAST = "n%d." % (NAMES - 1)
LAST_IP = "10.%d.%d.%d" % ((NAMES - 1) >> 16, ((NAMES - 1) >> 8) & 255, (NAMES - 1) & 255)


def ready(server):
    try:
        with urllib.request.urlopen(http_url(server.http["ready"], "/ready"), timeout=2) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def config(node, state_file, zones=None):
    extra = "      zones: [%s]" % ", ".join(zones) if zones else ""
    return rh.redis_config([rh.backend_yaml("main", [node.addr], extra=extra)],
                           read_timeout="30s",
                           extra='  state_file: "%s"\nready: {listen: "127.0.0.1:0"}\n'
                           % state_file)


class LoadingTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="vmdns-loading-")
        self.state = os.path.join(self.tmp, "redis-zones")
        self.node = rh.Node().start()
        self.addCleanup(self.node.cleanup)
        self.stopped = False
        self.addCleanup(self.resume)

    def resume(self):
        if self.stopped:
            os.kill(self.node.proc.pid, signal.SIGCONT)
            self.stopped = False

    def pause(self):
        os.kill(self.node.proc.pid, signal.SIGSTOP)
        self.stopped = True

    def start(self, cfg, probe):
        server = rh.start_vmdnsd(cfg, probe=probe)
        self.addCleanup(server.cleanup)
        return server

    def test_servfail_until_loaded_from_the_state_file(self):
        with self.node.client() as c:
            rh.fill_zone(c, BIG, (("n%d" % i, rh.value(a="10.%d.%d.%d" % (
                i >> 16, (i >> 8) & 255, i & 255))) for i in range(NAMES)), batch=5000)
            c("HSET", VM, "vm-1", rh.value(a="10.9.9.1"))
        server = self.start(config(self.node, self.state), "n1." + BIG)
        rh.wait_answer(server.port, LAST + BIG, {LAST_IP}, timeout=30 * SLOW)
        wait_for(lambda: os.path.exists(self.state) and BIG in open(self.state).read()
                 and VM in open(self.state).read(), 15, what="the state file lists both zones")
        self.assertIn("main " + BIG, open(self.state).read().splitlines())
        server.stop()

        self.pause()  # the next load hangs until SIGCONT
        server = self.start(config(self.node, self.state), "n1." + BIG)
        for name in ("n1." + BIG, BIG, "vm-1." + VM, "nosuch." + VM):
            self.assertEqual(rh.rcode(server.port, name), dns.rcode.SERVFAIL, name)
        self.assertEqual(rh.rcode(server.port, "www.example.org."), dns.rcode.REFUSED)
        status, body = ready(server)
        self.assertEqual(status, 503, body)
        self.assertIn("main", body)
        time.sleep(2.5)  # past the point where the backend was "settled" before
        self.assertEqual(ready(server)[0], 503)
        self.assertEqual(rh.rcode(server.port, "vm-1." + VM), dns.rcode.SERVFAIL)

        seen, stop = {}, threading.Event()

        def loop():
            i = 0
            while not stop.is_set():
                rc = rh.rcode(server.port, "n%d.%s" % (i % NAMES, BIG))
                seen[rc] = seen.get(rc, 0) + 1
                i += 7919
        t = threading.Thread(target=loop, daemon=True)
        t.start()
        t0 = time.monotonic()
        self.resume()
        rh.wait_answer(server.port, LAST + BIG, {LAST_IP}, timeout=60 * SLOW)
        loaded = time.monotonic() - t0
        wait_for(lambda: ready(server)[0] == 200, 10, what="/ready 200 once loaded")
        time.sleep(0.2)
        stop.set()
        t.join(5)
        print("\nrcodes during a %.2f s load of %d names: %s" % (
            loaded, NAMES, {dns.rcode.to_text(k) if k is not None else "timeout": v
                            for k, v in seen.items()}))
        self.assertNotIn(dns.rcode.REFUSED, seen)
        self.assertGreater(seen.get(dns.rcode.NOERROR, 0), 0)
        self.assertEqual(rh.addresses(server.port, "vm-1." + VM), {"10.9.9.1"})
        self.assertEqual(rh.rcode(server.port, "www.example.org."), dns.rcode.REFUSED)

    def test_zones_list_alone(self):
        with self.node.client() as c:
            c("HSET", VM, "vm-1", rh.value(a="10.9.9.1"))
        self.pause()
        self.assertFalse(os.path.exists(self.state))  # a first run: no zones remembered
        server = self.start(config(self.node, self.state, zones=[VM]), "vm-1." + VM)
        self.assertEqual(rh.rcode(server.port, "vm-1." + VM), dns.rcode.SERVFAIL)
        self.assertEqual(rh.rcode(server.port, "other.example.net."), dns.rcode.REFUSED)
        self.assertEqual(ready(server)[0], 503)
        self.resume()
        rh.wait_answer(server.port, "vm-1." + VM, {"10.9.9.1"}, timeout=30 * SLOW)
        wait_for(lambda: ready(server)[0] == 200, 10, what="/ready 200 once loaded")
        wait_for(lambda: os.path.exists(self.state) and "main " + VM in open(self.state).read(),
                 15, what="the state file written after the first load")


if __name__ == "__main__":
    unittest.main()
