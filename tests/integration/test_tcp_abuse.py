# SPDX-License-Identifier: BSD-2-Clause
"""test_tcp_abuse.py - vmdnsd under TCP abuse and out of file descriptors (issue 12, 4 and 5).

Real vmdnsd, python sockets, floods from many loopback addresses (127.1.x.y):

  - per-client cap: connections past tcp_max_connections_per_client from
    one address are closed at once, another address is still served;
  - slowloris: a message that does not complete within tcp_io_timeout
    closes the connection; a flood of them (more than tcp_max_connections,
    a byte every 3 s) does not deny TCP service, and UDP p99 stays < 10 ms;
  - non-readers: a flood of clients that pipeline queries and never read
    is reset, the kernel memory of the server's sockets stays bounded, and
    UDP p99 stays < 10 ms, with `workers: 1` and with the default count;
  - file descriptors: the soft RLIMIT_NOFILE is raised to the hard limit at
    startup and a tcp_max_connections it cannot hold is lowered with a
    warning; with descriptors exhausted (TCP connections and HTTP clients)
    and one HTTP connection pending, the listeners pause: the CPU stays
    idle, the log gets a bounded number of lines, and service resumes when
    the connections close.

The floods are those of bench/tcp_abuse.py (which runs them against knotd
and nsd too); here they last VMDNS_ABUSE_SECONDS: by default 20 s, the
issue's length, in a real build (UDP answer rate and p99, vmdnsd's RSS
under RSS_MAX_MB, the TCP client's share), and 3 s under a sanitizer.
"""

import os
import resource
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

from vmdns_harness import HTTP_LISTEN, Vmdnsd, binary, metric, sanitized_build, wait_for

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "bench"))
import tcp_abuse  # noqa: E402

UDP_P99_MS = 10.0
# Under a sanitizer vmdnsd accepts and resets flood connections 10-15x
# slower (1,200 against 15,600 in 3 s, one worker), so a real client's
# connection can wait in the kernel's accept queue, behind the flood, past
# the probe's 1 s timeout: the share of TCP queries answered is a figure of
# the real build (held there); a sanitizer build must still answer some.
SANITIZED = sanitized_build()
# The 20 s floods in the real build; 3 s under a sanitizer (the
# same checks, at a tenth of the speed they would prove little more).
SECONDS = float(os.environ.get("VMDNS_ABUSE_SECONDS", "3" if SANITIZED else "20"))
# vmdnsd's RSS during a flood (the bench: 6-60 MB for 1,000 connections):
# bounded, whatever the flood, in the real build (a sanitizer's allocator
# and shadow memory make RSS its own).
RSS_MAX_MB = 256


def assert_tcp_served(test, tcp, share):
    """The real TCP client got at least `share` of its queries answered
    (a sanitizer build: at least one)."""
    if SANITIZED:
        test.assertGreaterEqual(tcp["answered"], 1, tcp)
    else:
        test.assertGreaterEqual(tcp["answered"], share * tcp["asked"], tcp)


def zone_file(tmp):
    path = os.path.join(tmp, "example.com.zone")
    with open(path, "w") as f:
        f.write(tcp_abuse.ZONE)
    return path


def tcp_ask(port, src="127.0.0.1", qid=7, timeout=2.0):
    """One query on a new connection from src; the answer's id or None."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.bind((src, 0))
            s.connect(("127.0.0.1", port))
            s.sendall(tcp_abuse.tcp_msg(tcp_abuse.make_query("www.example.com", qid=qid)))
            return read_answer_id(s)
    except OSError:
        return None


def read_answer_id(s):
    buf = b""
    while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
        d = s.recv(4096)
        if not d:
            return None
        buf += d
    return struct.unpack("!H", buf[2:4])[0]


def closed_within(s, seconds):
    """True if the server closes s (EOF or reset) within `seconds`."""
    s.settimeout(seconds)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def closed(srv, reason):
    """vmdns_tcp_connections_closed_total of one reason."""
    return metric(srv, 'vmdns_tcp_connections_closed_total{reason="%s"}' % reason)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class AbuseCase(unittest.TestCase):
    workers = 1
    limits = {}

    def start(self, workers=None, limits=None):
        tmp = tempfile.mkdtemp(prefix="vmdns-abuse-")
        lim = {"tcp_max_connections": 256, "tcp_max_connections_per_client": 32,
               "tcp_io_timeout": "300ms"}
        lim.update(limits or {})
        self.cur_workers = self.workers if workers is None else workers
        srv = Vmdnsd(zones=[("example.com.", zone_file(tmp))], workers=self.cur_workers,
                     limits=lim, v6=False,
                     extra='metrics: {listen: "%s"}\n' % HTTP_LISTEN["metrics"])
        srv.start(probe="example.com.")
        self.addCleanup(srv.cleanup)
        self.addCleanup(lambda: srv.stop(check=False) if srv.alive() else None)
        return srv

    def flood(self, srv, kind, conns, nsrc):
        """One flood with the UDP and TCP probes; asserts UDP p99 (one
        retry: a shared 2-core host can be busy with other work)."""
        for attempt in range(3):
            r = tcp_abuse.measure(srv.proc.pid, srv.port, kind, conns, nsrc, SECONDS)
            u = r["udp"]
            print("\n%s x%d (workers %s): udp %d/%d p50 %.2f ms p99 %.2f ms; tcp %d/%d; "
                  "server sockets %.1f MB; kernel TCP %.1f MB; rss %.1f MB; flood %s"
                  % (kind, conns, self.cur_workers, u["answered"], u["sent"], u["p50_ms"], u["p99_ms"],
                     r["tcp"]["answered"], r["tcp"]["asked"], r["server_sock_mem_max"] / 1e6,
                     r["tcp_mem_max_pages"] * os.sysconf("SC_PAGE_SIZE") / 1e6,
                     r["rss_max_kb"] / 1024.0,
                     {k: v for k, v in r["flood"].items() if k != "close_after_first_byte"}),
                  file=sys.stderr)
            if u["p99_ms"] < UDP_P99_MS and u["answered"] >= 0.99 * u["sent"]:
                break
        brief = dict(r, flood={k: v for k, v in r["flood"].items() if k != "close_after_first_byte"})
        self.assertGreaterEqual(u["answered"], 0.99 * u["sent"], brief)
        self.assertLess(u["p99_ms"], UDP_P99_MS, brief)
        if not SANITIZED:
            self.assertLess(r["rss_max_kb"], RSS_MAX_MB * 1024, brief)
        self.assertTrue(srv.alive())
        return r


class TestPerClientCap(AbuseCase):
    def test_cap_per_address(self):
        srv = self.start(limits={"tcp_max_connections_per_client": 4})
        held = []
        for _ in range(10):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=2)
            self.addCleanup(s.close)
            held.append(s)
        closed = [closed_within(s, 0.5) for s in held]
        self.assertEqual(closed.count(False), 4, closed)
        self.assertEqual(metric(srv, 'vmdns_tcp_connections_closed_total{reason="refused_client"}'),
                         6)
        # The ones kept are served.
        for i, s in enumerate(held):
            if not closed[i]:
                s.settimeout(2)
                s.sendall(tcp_abuse.tcp_msg(tcp_abuse.make_query("www.example.com", qid=100 + i)))
                self.assertEqual(read_answer_id(s), 100 + i)
        # Another address is not held back by the first one's connections.
        self.assertEqual(tcp_ask(srv.port, src="127.0.0.2", qid=9), 9)
        # Closing one frees its slot.
        for i, s in enumerate(held):
            if not closed[i]:
                s.close()
                break
        self.assertEqual(wait_for(lambda: tcp_ask(srv.port, qid=11), 3), 11)


class TestSlowloris(AbuseCase):
    def test_partial_message_times_out(self):
        srv = self.start()
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=2)
        self.addCleanup(s.close)
        s.sendall(b"\x00")  # the first byte of a length: the clock runs
        t0 = time.monotonic()
        self.assertTrue(closed_within(s, 2.0))
        took = time.monotonic() - t0
        self.assertGreater(took, 0.2)
        self.assertLess(took, 1.0)
        # A message split in parts that arrive within the timeout is answered.
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=2)
        self.addCleanup(s.close)
        m = tcp_abuse.tcp_msg(tcp_abuse.make_query("www.example.com", qid=77))
        s.sendall(m[:1])
        time.sleep(0.1)
        s.sendall(m[1:10])
        time.sleep(0.1)
        s.sendall(m[10:])
        self.assertEqual(read_answer_id(s), 77)

    def test_message_without_a_header_closes(self):
        """Two zero bytes are an empty message: not a query. Taken for one,
        a slowloris connection left the evictable (fresh) list and held its
        slot until the idle timeout; 256 of them refused every client."""
        srv = self.start()
        for short in (b"\x00\x00", b"\x00\x05hello"):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=2)
            self.addCleanup(s.close)
            s.sendall(short)
            self.assertTrue(closed_within(s, 1.0), short)
        # a query before the bad message is still answered
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=2)
        self.addCleanup(s.close)
        s.sendall(tcp_abuse.tcp_msg(tcp_abuse.make_query("www.example.com", qid=55)) + b"\x00\x00")
        self.assertEqual(read_answer_id(s), 55)
        self.assertTrue(closed_within(s, 1.0))

    def test_flood_does_not_deny_service(self):
        srv = self.start()
        r = self.flood(srv, "slowloris", 300, 30)  # more than tcp_max_connections (256)
        f = r["flood"]
        self.assertGreater(closed(srv, "io_timeout") + closed(srv, "evicted_new"),
                           f["closed_by_server"] / 2, "slowloris closes on /metrics")
        self.assertGreater(f["closed_by_server"], 0)
        late = [round(t, 3) for t in f["close_after_first_byte"] if t > 1.5]
        self.assertLess(len(late), 0.01 * max(1, len(f["close_after_first_byte"])) + 1, late[:10])
        assert_tcp_served(self, r["tcp"], 0.9)


class TestNonReaders(AbuseCase):
    def check(self, srv, conns=500):
        r = self.flood(srv, "nonreader", conns, conns // 10)
        f = r["flood"]
        self.assertGreater(f["closed_by_server"], conns / 2, f)  # reset, not held
        # The server's sockets hold small buffers: well under 128 KiB each
        # (autotuned, one such connection took megabytes).
        self.assertLess(r["server_sock_mem_max"], conns * 128 * 1024, r)
        # A full table resets the oldest connection whose answers wait for a
        # client that does not take them: real clients get slots (30/30 here
        # on an idle machine; before that rule, 6-25 of 30).
        assert_tcp_served(self, r["tcp"], 0.6)

    def test_one_worker(self):
        srv = self.start(workers=1)
        self.check(srv)
        # what happened to the non-readers is on /metrics
        reset = (closed(srv, "write_timeout") + closed(srv, "evicted_stalled"))
        self.assertGreater(reset, 250, "non-readers reset (write_timeout + evicted_stalled)")
        self.assertIsNotNone(metric(srv, "vmdns_tcp_connections_open"))

    def test_default_workers(self):
        self.check(self.start(workers="auto"))


class TestFileDescriptors(AbuseCase):
    def spawn(self, soft, hard, limits):
        """vmdnsd with RLIMIT_NOFILE (soft, hard) set before it runs."""
        tmp = tempfile.mkdtemp(prefix="vmdns-fd-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", tmp]))
        conf = os.path.join(tmp, "vmdns.yaml")
        with open(conf, "w") as f:
            f.write('listen: ["127.0.0.1:0"]\nworkers: 1\nhealth: {listen: "127.0.0.1:0"}\n'
                    "zones: [{origin: example.com., file: %s}]\nlimits: {%s}\n"
                    % (zone_file(tmp), ", ".join("%s: %s" % kv for kv in limits.items())))
        log = open(os.path.join(tmp, "log"), "w+")
        self.addCleanup(log.close)
        proc = subprocess.Popen(
            [binary("vmdnsd"), "--config", conf], stdout=log, stderr=log, stdin=subprocess.DEVNULL,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard)))
        self.addCleanup(lambda: (proc.poll() is None and proc.kill(), proc.wait()))

        def text():
            log.seek(0)
            return log.read()

        def ready():
            if proc.poll() is not None:
                raise AssertionError("vmdnsd exited:\n" + text())
            return "listening on" in text() and "serving /health" in text()

        wait_for(ready, 15, what="vmdnsd up")
        t = text()
        port = int(t.split("listening on 127.0.0.1:")[1].split()[0].rstrip(","))
        hport = int(t.split("serving /health on")[1].split("(port ")[1].split(")")[0])
        return proc, port, hport, text

    def test_raise_and_fit(self):
        proc, port, _, text = self.spawn(100, 400, {"tcp_max_connections": 1024})
        t = text()
        self.assertIn("open files limit raised from 100 to 400", t)
        self.assertIn("tcp_max_connections 1024 is more than the open files limit", t)
        with open("/proc/%d/limits" % proc.pid) as f:
            line = next(l for l in f if l.startswith("Max open files"))
        self.assertEqual(line.split()[3:5], ["400", "400"])
        self.assertEqual(tcp_ask(port, qid=5), 5)

    def test_exhausted_pauses_and_resumes(self):
        # 160 descriptors; the TCP cap is lowered to fit, so HTTP clients
        # take the rest; DNS TCP and HTTP accepts then both hit EMFILE.
        proc, port, hport, text = self.spawn(160, 160, {"tcp_max_connections": 1024,
                                                         "tcp_max_connections_per_client": 1024})
        held = []
        self.addCleanup(lambda: [s.close() for s in held])
        # HTTP clients (evhttp has no limit of its own): 5 more than there
        # are descriptors left; those 5 wait in the listen backlog (64).
        fds = lambda: len(os.listdir("/proc/%d/fd" % proc.pid))
        for i in range(160 - fds() + 5):
            held.append(socket.create_connection(("127.0.0.1", hport), timeout=2))
        wait_for(lambda: fds() >= 160, 10, what="vmdnsd out of descriptors")
        for i in range(10):  # DNS clients: their accept() fails too
            held.append(socket.create_connection(("127.0.0.1", port), timeout=2))
        time.sleep(0.5)
        # One more HTTP client waits in the backlog; so does a DNS client.
        pending = [socket.create_connection(("127.0.0.1", hport), timeout=1),
                   socket.create_connection(("127.0.0.1", port), timeout=1)]
        self.addCleanup(lambda: [s.close() for s in pending])
        pending[0].sendall(b"GET /health HTTP/1.0\r\n\r\n")
        time.sleep(0.5)
        lines0 = text().count("\n")
        cpu0 = cpu_seconds(proc.pid)
        time.sleep(2.0)
        cpu = cpu_seconds(proc.pid) - cpu0
        t = text()
        self.assertIn("http 127.0.0.1:0: accept: Too many open files", t)
        self.assertLess(cpu, 0.3, "vmdnsd spins while out of descriptors")
        self.assertLess(t.count("\n") - lines0, 3, t[-2000:])
        self.assertLess(t.count("accept"), 6, t[-2000:])
        # Free the descriptors: the pending HTTP client is answered, DNS too.
        for s in held:
            s.close()
        held.clear()
        pending[0].settimeout(3)
        self.assertIn(b"200", pending[0].recv(100))
        self.assertEqual(wait_for(lambda: tcp_ask(port, qid=6), 5), 6)


if __name__ == "__main__":
    unittest.main()
