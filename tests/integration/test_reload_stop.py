# SPDX-License-Identifier: BSD-2-Clause
"""test_reload_stop.py - the graceful stop: SIGTERM -> lameduck -> drain -> exit 0.

  - SIGTERM while several TCP connections have pipelined queries in
    flight (more than the server can answer before the clients read):
    every query sent before the signal gets its answer, then the
    connection is closed cleanly (EOF, not a reset), and vmdnsd exits 0;
  - an idle TCP connection is closed promptly at the stop (not at its idle
    timeout), and the process does not wait for it;
  - with `health: {lameduck: 1s}`: /ready says 503 at once, UDP and new TCP
    connections are answered for the lameduck period, then the same drain.
"""

import signal
import socket
import struct
import threading
import time
import unittest
import urllib.error
import urllib.request

import dns.rcode

from vmdns_harness import (HTTP_LISTEN, SANITIZER_MARKERS, Vmdnsd, http_url, query, tcp, udp,
                           unread_bytes, wait_for)

QUERIES_PER_CONN = 3000
CONNS = 4


def frame(msg):
    wire = msg.to_wire()
    return struct.pack("!H", len(wire)) + wire


class Reader(threading.Thread):
    """Read length-prefixed replies from a socket until EOF; remember their
    ids and how the stream ended."""

    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock = sock
        self.ids = []
        self.rcodes = set()
        self.end = None

    def run(self):
        buf = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    self.end = "eof"
                    break
                buf += chunk
                while len(buf) >= 2 and len(buf) - 2 >= struct.unpack("!H", buf[:2])[0]:
                    n = struct.unpack("!H", buf[:2])[0]
                    qid, flags = struct.unpack("!HH", buf[2:6])  # the header is enough
                    buf = buf[2 + n:]
                    self.ids.append(qid)
                    self.rcodes.add(flags & 0xF)
            if buf:
                self.end = "eof with %d stray bytes" % len(buf)
        except OSError as e:
            self.end = repr(e)


def http_status(endpoint, path):
    try:
        with urllib.request.urlopen(http_url(endpoint, path), timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


class SigtermDrainTest(unittest.TestCase):
    def setUp(self):
        # The clients below read nothing for a while on purpose: give them
        # more than the default tcp_io_timeout (500 ms), after which a
        # client that takes none of its answers is reset.
        self.srv = Vmdnsd(workers=2, limits={"tcp_io_timeout": "20s"})
        self.srv.start()

    def tearDown(self):
        if self.srv.proc is not None and self.srv.proc.poll() is None:
            self.srv.kill()
        if self.srv.proc is not None:
            self.srv.log.close()
        self.srv.cleanup()

    def wait_exit(self, timeout=10):
        rc = self.srv.proc.wait(timeout)
        self.srv.log.close()
        out = self.srv.output()
        self.srv.proc = None
        self.assertEqual(rc, 0, out)
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, out)
        return out

    def test_pipelined_queries_sent_before_sigterm_are_answered(self):
        """Each connection pipelines 3000 queries whose answers (100 A
        records each, ~5 MB in all) are more than the kernel buffers hold,
        and reads nothing until after SIGTERM: when the signal comes the
        server has stopped reading (backpressure) with queries still unread
        in its socket. A stop that closed the connections at once would
        lose them and reset the connection (checked against such a build);
        the drain answers every one, then closes with a FIN."""
        socks, readers, sent, payloads = [], [], [], []
        for c in range(CONNS):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
            s.settimeout(10)
            s.connect(("127.0.0.1", self.srv.port))
            socks.append(s)
            readers.append(Reader(s))
        asks = [("bigger.example.com.", "A"), ("www.example.com.", "A"),
                ("nothere.example.com.", "A"), ("_ssh._tcp.vm-abc.example.com.", "SRV")]
        for c in range(CONNS):
            ids, data = [], b""
            for i in range(QUERIES_PER_CONN):
                q = query(*asks[0 if i % 10 else 1 + (i // 10) % 3])
                q.id = (c * QUERIES_PER_CONN + i) % 65536
                ids.append(q.id)
                data += frame(q)
            sent.append(ids)
            payloads.append(data)
        for s, data in zip(socks, payloads):
            s.sendall(data)
        # The server answers until the answers back up: then every client
        # has answers it has not read, and the server queries it has not.
        clients = [s.getsockname()[1] for s in socks]
        wait_for(lambda: all(unread_bytes(p) > 0 for p in clients)
                 and unread_bytes(self.srv.port) > 0, 10, interval=0.01,
                 what="the answers to back up")
        self.srv.proc.send_signal(signal.SIGTERM)
        for r in readers:
            r.start()
        for r in readers:
            r.join(15)
        out = self.wait_exit()
        for c, r in enumerate(readers):
            self.assertEqual(r.end, "eof", "connection %d ended with %s" % (c, r.end))
            self.assertEqual(sorted(r.ids), sorted(sent[c]),
                             "connection %d: %d of %d answers" % (c, len(r.ids), len(sent[c])))
            self.assertEqual(r.rcodes, {dns.rcode.NOERROR, dns.rcode.NXDOMAIN})
        self.assertIn("draining", out)
        for s in socks:
            s.close()

    def test_idle_connection_closed_promptly(self):
        idle = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        busy = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        busy.sendall(frame(query("www.example.com.", "A")))
        self.assertEqual(len(busy.recv(2)), 2)  # answered: now idle, between queries
        t0 = time.monotonic()
        self.srv.proc.send_signal(signal.SIGTERM)
        self.assertEqual(idle.recv(10), b"")
        busy.settimeout(10)
        rest = busy.recv(65536)  # the rest of the answer, then EOF
        while rest:
            rest = busy.recv(65536)
        self.wait_exit()
        # Far below the 10 s idle timeout (the drain waits 250 ms for the
        # first query of a connection that has sent nothing).
        self.assertLess(time.monotonic() - t0, 2.5)
        idle.close()
        busy.close()


class LameduckThenDrainTest(unittest.TestCase):
    def test_lameduck_then_drain(self):
        srv = Vmdnsd(extra='health: {listen: "%s", lameduck: 1s}\n'
                           'ready: {listen: "%s"}\n' % (HTTP_LISTEN["health"], HTTP_LISTEN["ready"]))
        try:
            srv.start()
            http = srv.http
            held = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            t0 = time.monotonic()
            srv.proc.send_signal(signal.SIGTERM)
            wait_for(lambda: http_status(http["ready"], "/ready") == 503, 0.9, interval=0.02,
                     what="/ready to say 503 in lameduck")
            self.assertEqual(http_status(http["health"], "/health"), 200)
            # Still answering, on UDP, on a new TCP connection, on an old one.
            self.assertEqual(udp(query("www.example.com.", "A"), srv.port).rcode(), 0)
            self.assertEqual(tcp(query("www.example.com.", "A"), srv.port).rcode(), 0)
            held.sendall(frame(query("www.example.com.", "A")))
            reader = Reader(held)
            reader.start()
            reader.join(10)
            self.assertEqual(reader.end, "eof")  # answered, then closed by the drain
            self.assertEqual(len(reader.ids), 1)
            rc = srv.proc.wait(10)
            self.assertEqual(rc, 0, srv.output())
            elapsed = time.monotonic() - t0
            self.assertGreaterEqual(elapsed, 0.95)
            self.assertLess(elapsed, 4)
            held.close()
        finally:
            if srv.proc is not None:
                if srv.proc.poll() is None:
                    srv.kill()
                srv.log.close()
                srv.proc = None
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
