# SPDX-License-Identifier: BSD-2-Clause
"""test_redis_reply_cap.py - bounded replies (issue 13 point 7).

A Sentinel that answered with a 600 MB bulk string took vmdnsd's RSS to
1.18 GB. Here a small script speaking RESP answers every command with a
600 MB bulk string (streamed, never held), standing in for a lying
Sentinel and for a lying Redis node. vmdnsd (its async connections) and
vmdnsctl (the blocking connections of libvmdns, common/conn.c) must close
that connection with a clear log line after reading a few MB at most, and
their memory must stay bounded. A real redis-server backend next to the
lying one keeps being served all along.

Run: VMDNS_BUILD=build /usr/bin/python3 -m unittest -v test_redis_reply_cap
"""

import os
import socket
import subprocess
import threading
import time
import unittest

import redis_harness as rh
from vmdns_harness import binary, wait_for

HUGE = 600 * 1024 * 1024
CHUNK = b"x" * 65536


class LyingServer:
    """Answers every command with a 600 MB bulk string, written as fast as
    the peer reads it; counts what each connection took before it closed."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.addr = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.sent = []  # bytes sent per finished connection
        self.lock = threading.Lock()
        self.stop = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        sent = 0
        try:
            conn.settimeout(10)
            if not conn.recv(65536):
                return
            conn.sendall(b"$%d\r\n" % HUGE)
            while sent < HUGE and not self.stop:
                conn.sendall(CHUNK)
                sent += len(CHUNK)
        except OSError:
            pass
        finally:
            conn.close()
            with self.lock:
                self.sent.append(sent)

    def close(self):
        self.stop = True
        self.sock.close()


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


class TestReplyCap(unittest.TestCase):
    def setUp(self):
        self.liar = LyingServer()
        self.node = rh.Node().start()
        with self.node.client() as c:
            c("HSET", "vm.example.com.", "static", rh.value(a="10.0.0.1"))

    def tearDown(self):
        self.liar.close()
        self.node.cleanup()

    def run_vmdnsd(self, lying_backend):
        config = rh.redis_config([rh.backend_yaml("real", [self.node.addr]), lying_backend],
                                 max_backoff="200ms")
        server = rh.start_vmdnsd(config)
        try:
            rh.wait_answer(server.port, "static.vm.example.com.", {"10.0.0.1"})
            try:
                server.wait_log("(the reply cap): connection closed", timeout=10)
            except TimeoutError:
                raise AssertionError("no cap line; the liar sent %s" % self.liar.sent)
            # it keeps retrying (backoff): several connections, each cut short
            wait_for(lambda: len(self.liar.sent) >= 3, 10, what="three refused replies")
            peak = rss_mb(server.proc.pid)
            with self.liar.lock:
                sent = list(self.liar.sent)
            # the reply cap is 4 MiB; the kernel buffers a few MB more
            self.assertLess(max(sent), 32 * 1024 * 1024, sent)
            self.assertLess(peak, 150, "vmdnsd RSS %.0f MB" % peak)
            self.assertEqual(rh.addresses(server.port, "static.vm.example.com."), {"10.0.0.1"})
            print("\n  vmdnsd RSS %.0f MB; bytes read per connection before closing: %s"
                  % (peak, ", ".join("%.1f MB" % (s / 1e6) for s in sent[:5])))
            return server.log_text()
        finally:
            server.stop()
            server.cleanup()

    def test_lying_sentinel(self):
        log = self.run_vmdnsd(rh.backend_yaml("liar", sentinel=[self.liar.addr]))
        self.assertIn("reply element of more than 4194304 bytes (the reply cap): "
                      "connection closed", log)

    def test_lying_node(self):
        log = self.run_vmdnsd(rh.backend_yaml("liar", [self.liar.addr]))
        self.assertIn("reply element of more than 4194304 bytes (the reply cap): "
                      "connection closed", log)

    def test_vmdnsctl(self):
        t = time.monotonic()
        p = subprocess.run([binary("vmdnsctl"), "--redis", self.liar.addr, "--timeout", "5s",
                            "list"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("the reply cap", p.stderr)
        self.assertLess(time.monotonic() - t, 10)
        wait_for(lambda: len(self.liar.sent) >= 1, 5, what="the liar's connection closed")
        self.assertLess(max(self.liar.sent), 32 * 1024 * 1024, self.liar.sent)


if __name__ == "__main__":
    unittest.main()
