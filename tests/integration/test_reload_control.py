# SPDX-License-Identifier: BSD-2-Clause
"""test_reload_control.py - a reload never stalls the control thread.

The control thread serves /health, /ready and /metrics. Issue 8 point 2
says nothing slow may run there; a probe that times out gets the pod
restarted. Two reloads that take seconds, while /health is asked again
and again (every answer must come within 200 ms):
  - the changed zone file is big: it is read by the file plugin's loader
    thread while the running configuration keeps answering;
  - the listeners change while a TCP client has pipelined many queries
    and does not read its answers: the old server's drain waits for it (up
    to 3 s) on a job thread, and the new server is announced at once.
"""

import os
import signal
import socket
import struct
import threading
import time
import unittest

import dns.rcode

from test_ops import http_get
from vmdns_harness import (HTTP_LISTEN, Vmdnsd, query, sanitized_build, udp, unread_bytes,
                           wait_for, wait_progress)

# Big enough that reading the file takes well over 0.3 s; a sanitized build
# reads 5-10 times slower, so a third of it proves the same in less time.
BIG_NAMES = 100000 if sanitized_build() else 300000


# /health must answer within this, reload or not. A sanitized build on a
# busy machine gets more room: the loader, the call_rcu thread and the
# workers then compete for the CPUs with the control thread; what this test
# catches is a control thread blocked for the whole reload (seconds).
HEALTH_MAX_S = 0.6 if sanitized_build() else 0.2


def write_big_zone(path, serial, names):
    with open(path, "w") as f:
        f.write("$ORIGIN big.example.\n$TTL 300\n"
                "@ IN SOA ns1 hostmaster %d 3600 600 86400 30\n@ IN NS ns1\nns1 IN A 192.0.2.1\n"
                % serial)
        f.write("".join("h%d IN A 10.%d.%d.%d\n" % (i, i >> 16 & 255, i >> 8 & 255, i & 255)
                        for i in range(names)))


class HealthProbe(threading.Thread):
    """GET /health in a loop; keep the slowest answer."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.halt = threading.Event()
        self.slowest = 0.0
        self.count = 0
        self.errors = []

    def run(self):
        while not self.halt.is_set():
            t = time.monotonic()
            try:
                status, _, _ = http_get(self.port, "/health", timeout=5.0)
                if status != 200:
                    self.errors.append(status)
            except OSError as e:
                self.errors.append(repr(e))
            self.slowest = max(self.slowest, time.monotonic() - t)
            self.count += 1
            time.sleep(0.01)

    def finish(self):
        self.halt.set()
        self.join(10)
        return self.slowest, self.count, self.errors


def log_has(srv, text):
    with open(srv.log_path, errors="replace") as f:
        return text in f.read()


class ReloadControlTest(unittest.TestCase):
    def start(self, extra, workers=2, limits=None):
        srv = Vmdnsd(workers=workers, limits=limits,
                     extra='health: {listen: "%s"}\n' % HTTP_LISTEN["health"] + extra)
        srv.start()
        self.health = srv.http["health"]
        return srv

    def test_health_answers_while_a_big_zone_file_is_read(self):
        srv = self.start("")
        try:
            with open(srv.config_path) as f:
                base = f.read()
            big = os.path.join(srv.tmp, "big.zone")
            write_big_zone(big, 1, BIG_NAMES)
            with open(srv.config_path, "w") as f:
                f.write(base.replace("zones:\n", "zones:\n  - origin: big.example.\n"
                                                 "    file: %s\n" % big))
            srv.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: log_has(srv, "configuration 2 from"), 60, what="the first reload")
            self.assertEqual(udp(query("h7.big.example.", "A"), srv.port).rcode(),
                             dns.rcode.NOERROR)

            write_big_zone(big, 2, BIG_NAMES + 1)  # changed: read again
            probe = HealthProbe(self.health)
            probe.start()
            wait_progress([lambda: probe.count], 3, what="the probe to run")
            t0 = time.monotonic()
            srv.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: log_has(srv, "configuration 3 from"), 60, what="the second reload")
            took = time.monotonic() - t0
            slowest, count, errors = probe.finish()
            self.assertEqual(errors, [])
            self.assertGreater(took, 0.3, "the zone was read too fast to prove anything")
            self.assertLess(slowest, HEALTH_MAX_S,
                            "/health took %.3fs during a %.2fs reload" % (slowest, took))
            self.assertGreater(count, 3)
            ok = udp(query("h%d.big.example." % BIG_NAMES, "A"), srv.port)
            self.assertEqual(ok.rcode(), dns.rcode.NOERROR)
            self.assertFalse(log_has(srv, "reload failed"))

            # A stop while a reload reads the file does not wait for it:
            # the loader is left behind, publishes nothing, frees its own.
            write_big_zone(big, 3, BIG_NAMES + 2)
            srv.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: log_has(srv, "configuration 4: kept the view"), 10,
                     what="the third reload to start reading")
            srv.stop()  # exit 0, no sanitizer report
            with open(srv.log_path, errors="replace") as f:
                text = f.read()
            # Had the stop waited for the loader, it would have published
            # and logged the zone of serial 3.
            self.assertNotIn("serial 3\n", text, "the stop waited for the zone file")
        finally:
            srv.stop()
            srv.cleanup()

    def test_health_answers_while_the_old_server_drains(self):
        # tcp_io_timeout: the client below reads nothing on purpose; by
        # default (500 ms) it would be reset long before the drain.
        srv = self.start("", workers=2, limits={"tcp_io_timeout": "20s"})
        sock = None
        try:
            # A client that sends many queries and reads nothing: the old
            # server cannot finish them until it reads (or the drain ends).
            sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            wire = query("www.example.com.", "TXT").to_wire()
            framed = struct.pack("!H", len(wire)) + wire
            sock.setblocking(False)
            stuck = False
            try:
                for _ in range(400000):
                    sock.send(framed)
            except BlockingIOError:
                stuck = True  # the server stopped reading: it has answers to write
            self.assertTrue(stuck, "the server kept up with the client")
            wait_for(lambda: unread_bytes(srv.port) > 0, 10,
                     what="queries the server has not read")
            with open(srv.config_path) as f:
                text = f.read()
            with open(srv.config_path, "w") as f:
                f.write(text.replace("workers: 2", "workers: 1"))  # a new server
            probe = HealthProbe(self.health)
            probe.start()
            wait_progress([lambda: probe.count], 3, what="the probe to run")
            t0 = time.monotonic()
            srv.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: log_has(srv, "reloaded with new listeners"), 10,
                     what="the new server")
            announced = time.monotonic() - t0
            # probes while the drain still waits for our client
            wait_progress([lambda: probe.count], 20, what="probes during the drain")
            slowest, count, errors = probe.finish()
            self.assertEqual(errors, [])
            self.assertLess(announced, 1.0, "the switch waited for the drain")
            self.assertLess(slowest, HEALTH_MAX_S, "/health took %.3fs during the drain" % slowest)
            self.assertGreater(count, 10)
            self.assertEqual(udp(query("www.example.com.", "A"), srv.port).rcode(),
                             dns.rcode.NOERROR)
        finally:
            if sock is not None:
                sock.close()
            srv.stop()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
