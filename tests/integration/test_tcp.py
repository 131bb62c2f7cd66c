# SPDX-License-Identifier: BSD-2-Clause
"""test_tcp.py - vmdnsd's listeners over the wire: UDP v4/v6 and RFC 7766 TCP.

Starts the vmdnsd of $VMDNS_BUILD (default <repo>/build) on loopback port 0
(the ports it got are read from its "listening on" line), with 2 workers, a tiny zone and a small TCP connection limit and idle
timeout, and checks what a client sees:

  - UDP over IPv4 and IPv6 (dnspython and dig), TC for a big answer, and the
    full answer over TCP;
  - TCP: two queries in one segment, a query split byte by byte with pauses,
    50 pipelined queries, a client that vanishes mid-query;
  - the idle timeout closes a quiet connection, not a busy one;
  - the connection limit: of limit+5 connections the extras are closed at
    once and the first ones keep working;
  - SIGTERM with connections open: a prompt, clean exit.

Self-contained on purpose (its own zone file and config in a temp dir), so
it tests the server layer without depending on the shared test zones.
Run: VMDNS_BUILD=build /usr/bin/python3 -m unittest tests/integration/test_tcp.py
"""

import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from vmdns_harness import SANITIZER_MARKERS, parse_listening, wait_for

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIMIT = 8
IDLE_S = 1.0
BIG_N = 40

ZONE = """$ORIGIN example.com.
$TTL 300
@    IN SOA ns1 hostmaster 1 3600 600 86400 30
@    IN NS  ns1
ns1  IN A   192.0.2.53
www  IN A   192.0.2.1
www  IN AAAA 2001:db8::1
""" + "".join("big IN A 10.0.0.%d\n" % i for i in range(1, BIG_N + 1))


def vmdnsd_path():
    build = os.path.abspath(os.environ.get("VMDNS_BUILD", os.path.join(REPO, "build")))
    for rel in ("src/vmdnsd", "vmdnsd"):
        p = os.path.join(build, rel)
        if os.access(p, os.X_OK):
            return p
    raise unittest.SkipTest("vmdnsd not built under %s" % build)


def have_ipv6():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def query(name, rdtype="A", qid=None, edns=False):
    q = dns.message.make_query(name, rdtype, use_edns=0 if edns else False)
    q.flags &= ~dns.flags.RD
    if qid is not None:
        q.id = qid
    return q


def frame(msg):
    wire = msg.to_wire()
    return struct.pack("!H", len(wire)) + wire


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def read_msg(sock):
    (n,) = struct.unpack("!H", recv_exact(sock, 2))
    return dns.message.from_wire(recv_exact(sock, n))


def closed_by_peer(sock, within):
    """True if the server closes `sock` (EOF or reset) within `within` seconds."""
    sock.settimeout(within)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class TestListeners(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.binary = vmdnsd_path()
        cls.v6 = have_ipv6()
        cls.tmp = tempfile.mkdtemp(prefix="vmdns-test-tcp-")
        zone = os.path.join(cls.tmp, "example.com.zone")
        with open(zone, "w") as f:
            f.write(ZONE)
        listen = ['"127.0.0.1:0"']
        if cls.v6:
            listen.append('"[::1]:0"')
        cls.config = os.path.join(cls.tmp, "vmdns.yaml")
        with open(cls.config, "w") as f:
            f.write(
                "listen: [%s]\n"
                "workers: 2\n"
                "zones: [{origin: example.com., file: %s}]\n"
                "limits: {edns_udp_size: 1232, tcp_max_connections: %d, tcp_idle_timeout: %dms}\n"
                % (", ".join(listen), zone, LIMIT, int(IDLE_S * 1000))
            )
        cls.stderr = open(os.path.join(cls.tmp, "stderr"), "w+")
        cls.proc = subprocess.Popen([cls.binary, "--config", cls.config],
                                    stdout=cls.stderr, stderr=cls.stderr)

        def listening():
            if cls.proc.poll() is not None:
                raise RuntimeError("vmdnsd exited at startup:\n" + cls._log())
            found = [parse_listening(line) for line in cls._log().splitlines()]
            return next((f for f in found if f), None)

        try:
            ports = dict(wait_for(listening, 15, what="vmdnsd's listening line"))
        except TimeoutError:
            cls._stop()
            raise RuntimeError("vmdnsd did not come up:\n" + cls._log())
        cls.port, cls.port6 = ports["127.0.0.1"], ports.get("::1")
        deadline = time.monotonic() + 15
        while True:
            try:
                dns.query.udp(query("www.example.com."), "127.0.0.1", port=cls.port, timeout=0.2)
                break
            except Exception:
                if cls.proc.poll() is not None or time.monotonic() > deadline:
                    cls._stop()
                    raise RuntimeError("vmdnsd did not come up:\n" + cls._log())
                time.sleep(0.05)

    @classmethod
    def _log(cls):
        with open(cls.stderr.name, errors="replace") as f:
            return f.read()

    @classmethod
    def _stop(cls):
        if cls.proc.poll() is None:
            cls.proc.send_signal(signal.SIGTERM)
            try:
                cls.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                cls.proc.kill()
                cls.proc.wait()

    @classmethod
    def tearDownClass(cls):
        cls._stop()
        cls.stderr.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def tcp(self, family=socket.AF_INET):
        v6 = family == socket.AF_INET6
        s = socket.create_connection(("::1", self.port6) if v6 else ("127.0.0.1", self.port),
                                     timeout=5)
        self.addCleanup(s.close)
        return s

    def check_www(self, r, qid=None):
        if qid is not None:
            self.assertEqual(r.id, qid)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertTrue(r.flags & dns.flags.AA)
        self.assertEqual([rr.address for rrset in r.answer for rr in rrset], ["192.0.2.1"])

    # ---- UDP ----

    def test_udp_v4(self):
        r = dns.query.udp(query("www.example.com."), "127.0.0.1", port=self.port, timeout=2)
        self.check_www(r)

    def test_udp_v6(self):
        if not self.v6:
            self.skipTest("no IPv6 loopback")
        r = dns.query.udp(query("WwW.Example.COM."), "::1", port=self.port6, timeout=2)
        self.check_www(r)
        self.assertEqual(r.question[0].name.to_text(), "WwW.Example.COM.")

    def test_udp_tc_then_tcp_full(self):
        r = dns.query.udp(query("big.example.com."), "127.0.0.1", port=self.port, timeout=2)
        self.assertTrue(r.flags & dns.flags.TC)
        r = dns.query.tcp(query("big.example.com."), "127.0.0.1", port=self.port, timeout=2)
        self.assertFalse(r.flags & dns.flags.TC)
        self.assertEqual(sum(len(rrset) for rrset in r.answer), BIG_N)

    def test_dig_udp_and_tcp(self):
        if shutil.which("dig") is None:
            self.skipTest("no dig")
        hosts = [("127.0.0.1", self.port)] + ([("::1", self.port6)] if self.v6 else [])
        for host, port in hosts:
            for proto in ("+notcp", "+tcp"):
                out = subprocess.run(
                    ["dig", "@" + host, "-p", str(port), proto, "+norec", "+short",
                     "+time=2", "+tries=1", "www.example.com", "AAAA"],
                    capture_output=True, text=True, timeout=10)
                self.assertEqual(out.stdout.strip(), "2001:db8::1", (host, proto, out))

    # ---- TCP framing (RFC 7766) ----

    def test_two_queries_in_one_segment(self):
        s = self.tcp()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(frame(query("www.example.com.", qid=101)) + frame(query("big.example.com.", qid=102)))
        got = {}
        for _ in range(2):
            r = read_msg(s)
            got[r.id] = r
        self.check_www(got[101], 101)
        self.assertEqual(sum(len(rrset) for rrset in got[102].answer), BIG_N)

    def test_query_split_byte_by_byte(self):
        s = self.tcp()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        data = frame(query("www.example.com.", qid=201))
        for i in range(len(data)):
            s.send(data[i:i + 1])
            time.sleep(0.01)
        self.check_www(read_msg(s), 201)
        # and the connection is still good for another query
        s.sendall(frame(query("www.example.com.", qid=202)))
        self.check_www(read_msg(s), 202)

    def test_50_pipelined(self):
        families = [socket.AF_INET] + ([socket.AF_INET6] if self.v6 else [])
        for family in families:
            s = self.tcp(family)
            names = {}
            data = b""
            for i in range(50):
                qid = 3000 + i
                name = "www.example.com." if i % 3 else "nope%d.example.com." % i
                names[qid] = name
                data += frame(query(name, qid=qid))
            s.sendall(data)
            seen = set()
            for _ in range(50):
                r = read_msg(s)
                self.assertIn(r.id, names)
                self.assertNotIn(r.id, seen)
                seen.add(r.id)
                self.assertEqual(r.question[0].name.to_text(), names[r.id])
                if names[r.id].startswith("www"):
                    self.check_www(r)
                else:
                    self.assertEqual(r.rcode(), dns.rcode.NXDOMAIN)
            self.assertEqual(len(seen), 50)

    def test_client_vanishes_mid_query(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        s.sendall(frame(query("www.example.com."))[:7])
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # RST with half a query sent
        r = dns.query.tcp(query("www.example.com."), "127.0.0.1", port=self.port, timeout=2)
        self.check_www(r)

    def test_half_close_after_queries(self):
        # A client may send its queries and shut its side down at once: the
        # answers still come, then the server closes.
        s = self.tcp()
        s.sendall(frame(query("www.example.com.", qid=801)) + frame(query("www.example.com.", qid=802)))
        s.shutdown(socket.SHUT_WR)
        self.check_www(read_msg(s), 801)
        self.check_www(read_msg(s), 802)
        self.assertTrue(closed_by_peer(s, 2.0))

    # ---- limits ----

    def test_idle_timeout(self):
        quiet = self.tcp()
        busy = self.tcp()
        t0 = time.monotonic()
        self.assertFalse(closed_by_peer(quiet, IDLE_S / 2), "closed before the idle timeout")
        # keep `busy` active for twice the idle timeout
        qid = 400
        while time.monotonic() - t0 < 2 * IDLE_S:
            busy.sendall(frame(query("www.example.com.", qid=qid)))
            self.check_www(read_msg(busy), qid)
            qid += 1
            time.sleep(IDLE_S / 4)
        self.assertTrue(closed_by_peer(quiet, IDLE_S), "idle connection still open")
        busy.sendall(frame(query("www.example.com.", qid=499)))
        busy.settimeout(2)
        self.check_www(read_msg(busy), 499)

    def answered(self, qid):
        """A new connection with one query answered, or None if the server
        closed it instead (it is at its connection limit)."""
        s = self.tcp()
        s.sendall(frame(query("www.example.com.", qid=qid)))
        try:
            self.check_www(read_msg(s), qid)
            return s
        except (EOFError, ConnectionResetError):
            s.close()
            return None

    def fill(self, n, qid):
        """n answered connections. Connections the tests before closed may
        still count until the server has seen them go: start over until
        all n are taken (a retry on what the server does, not a sleep)."""
        def attempt():
            conns = []
            for i in range(n):
                s = self.answered(qid + i)
                if s is None:
                    for c in conns:
                        c.close()
                    return None
                conns.append(s)
            return conns
        return wait_for(attempt, 10, what="%d connections answered" % n)

    def test_yy_connection_limit(self):
        """Runs last but one, so the connections it closes at the end are
        no concern of the tests that keep connections open."""
        first = self.fill(LIMIT, 500)
        extras = [self.tcp() for _ in range(5)]
        for s in extras:
            self.assertTrue(closed_by_peer(s, 2.0), "connection beyond the limit kept open")
        for i, s in enumerate(first):
            s.settimeout(2)
            s.sendall(frame(query("www.example.com.", qid=600 + i)))
            self.check_www(read_msg(s), 600 + i)
        first[0].close()
        # A slot is free once the server has seen that close.
        wait_for(lambda: self.answered(700), 10, what="the freed slot")
        for s in first[1:]:
            s.close()

    # ---- last: shutdown ----

    def test_zz_sigterm_with_open_connections(self):
        open_conn = self.tcp()
        open_conn.sendall(frame(query("www.example.com."))[:5])  # half a query
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.fail("vmdnsd did not exit within 10 s of SIGTERM")
        self.assertEqual(code, 0, self._log())
        self.assertLess(time.monotonic() - t0, 5)
        log = self._log()
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, log)


if __name__ == "__main__":
    unittest.main()
