# SPDX-License-Identifier: BSD-2-Clause
"""test_ops.py - operating vmdnsd like CoreDNS: /metrics, /health, /ready, the query log, `any`.

A real vmdnsd serves the test zones with the operating plugins configured
on loopback ports vmdnsd picks itself (port 0); the tests talk DNS with dnspython and HTTP with
urllib, and read the query log from vmdnsd's stdout:

  - a known set of queries (20 NOERROR + 20 NXDOMAIN, some over TCP, some
    with DO) gives exactly those counts in CoreDNS's metric names and
    labels, histograms are consistent, and every line is valid text format;
  - /health answers 200 OK; /ready 200 OK once loaded, 503 during lameduck
    while queries are still answered, and vmdnsd then exits 0;
  - a query's log line has CoreDNS's format with the right id, port, sizes;
  - `log: {class: denial}` logs NXDOMAIN and not NOERROR;
  - `any: true` answers ANY with HINFO "ANY obsoleted" "See RFC 8482" (TTL 8482), as CoreDNS;
  - a metrics port in use, or a bad class, stops startup with FILE:LINE.
"""

import os
import re
import signal
import socket
import subprocess
import time
import unittest
import urllib.error
import urllib.request

import dns.flags
import dns.opcode
import dns.message
import dns.rcode
import dns.rdatatype

from vmdns_harness import (DEFAULT_ZONES, HTTP_LISTEN, ProcessError, Vmdnsd, binary, http_url,
                           query, tcp, udp, wait_for)

# One exposition line: name{labels} value (labels optional).
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
# CoreDNS's default log format.
LOG_LINE = re.compile(
    r'^\[INFO\] (?P<ip>\[[0-9a-f:]+\]|[0-9.]+):(?P<port>\d+) - (?P<id>\d+) '
    r'"(?P<type>\S+) (?P<cls>\S+) (?P<name>\S+) (?P<proto>udp|tcp) (?P<size>\d+) '
    r'(?P<do>true|false) (?P<bufsize>\d+)" (?P<rcode>[A-Z0-9]+) (?P<flags>[a-z,]*) '
    r'(?P<rsize>\d+) (?P<duration>\d+(\.\d+)?)s$')
DURATION_BUCKETS = ["0.00025", "0.0005", "0.001", "0.002", "0.004", "0.008", "0.016", "0.032",
                    "0.064", "0.128", "0.256", "0.512", "1.024", "2.048", "4.096", "8.192", "+Inf"]
# The `server` label: the listen address as configured (CoreDNS's label),
# so with port 0 it says :0 whatever port was bound.
SERVER_LABEL = "dns://127.0.0.1:0"
SIZE_BUCKETS = ["0", "100", "200", "300", "400", "511", "1023", "2047", "4095", "8291", "16000",
                "32000", "48000", "64000", "+Inf"]


def http_get(endpoint, path, timeout=5.0):
    """(status, body text, headers) of GET path on endpoint (see http_url)."""
    try:
        with urllib.request.urlopen(http_url(endpoint, path), timeout=timeout) as r:
            return r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers


def parse_metrics(text):
    """Exposition text -> {(name, frozenset(labels.items())): float}; checks every line."""
    samples = {}
    types = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ", 3)
            assert name not in types, "family %s declared twice" % name
            types[name] = typ
            continue
        m = SAMPLE.match(line)
        assert m, "not a valid sample line: %r" % line
        labels = dict(LABEL.findall(m.group(2) or ""))
        key = (m.group(1), frozenset(labels.items()))
        assert key not in samples, "duplicate sample %r" % line
        samples[key] = float(m.group(3))
    return samples, types


def find(samples, name, **labels):
    """Samples of `name` whose labels include `labels`: {frozenset: value}."""
    want = set(labels.items())
    return {k[1]: v for k, v in samples.items() if k[0] == name and want <= set(k[1])}


def value(samples, name, **labels):
    """The one sample of `name` with exactly these labels (0 if absent)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def ops_config(http=None, extra=""):
    """A config with the zones of the harness and the operating plugins.
    vmdnsd picks its ports (port 0); `http` may give an endpoint's listen
    address instead ({"metrics": "127.0.0.1:PORT"})."""
    listen = dict(HTTP_LISTEN)
    listen.update(http or {})
    lines = [
        'listen: ["127.0.0.1:0"]',
        "workers: 2",
        "zones:",
    ]
    for origin, path in DEFAULT_ZONES:
        lines += ["  - origin: %s" % origin, "    file: %s" % path]
    lines += [
        'metrics: {listen: "%s"}' % listen["metrics"],
        'health: {listen: "%s", lameduck: 0s}' % listen["health"],
        'ready: {listen: "%s"}' % listen["ready"],
        "log: true",
        "errors: true",
        "any: true",
    ]
    return "\n".join(lines) + "\n" + extra


class OpsServer(Vmdnsd):
    """A Vmdnsd with the operating plugins; `http` maps "metrics", "health"
    and "ready" to their ports once started."""

    def __init__(self, extra="", config=None):
        super().__init__(config=config if config is not None else ops_config(extra=extra))

    def metrics(self):
        status, body, headers = http_get(self.http["metrics"], "/metrics")
        assert status == 200, "/metrics said %d: %s" % (status, body)
        return parse_metrics(body)

    def log_lines(self):
        with open(self.log_path, "r", errors="replace") as f:
            return f.read().splitlines()


def blocks_config():
    """ops_config() as two server blocks on one listener: example.net. and
    "." (CoreDNS's longest match picks the block; the metrics' zone label is
    the block's zone)."""
    text = ops_config().replace('listen: ["127.0.0.1:0"]\n', "")
    return text + ('servers:\n'
                   '  - {zones: ["."], listen: ["127.0.0.1:0"]}\n'
                   '  - {zones: [example.net.], listen: ["127.0.0.1:0"]}\n')


class MetricsCountTest(unittest.TestCase):
    """Exact counts after a known set of queries, in a server block nothing
    else queries (example.net.: its own block beside ".")."""

    @classmethod
    def setUpClass(cls):
        cls.server = OpsServer(config=blocks_config())
        try:
            cls.server.start()  # probes example.com.: example.net. stays untouched
        except Exception:
            cls.server.cleanup()
            raise
        port = cls.server.port
        for i in range(20):
            q = query("www.example.net.", "A", want_dnssec=(i < 10))
            r = udp(q, port)
            assert r.rcode() == dns.rcode.NOERROR, r
        for i in range(20):
            q = query("nx%d.example.net." % i, "A")
            r = tcp(q, port) if i < 5 else udp(q, port)
            assert r.rcode() == dns.rcode.NXDOMAIN, r
        cls.samples, cls.types = cls.server.metrics()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()

    def labels(self, **kw):
        base = {"server": SERVER_LABEL, "zone": "example.net.",
                "view": ""}
        base.update(kw)
        return base

    def test_responses_total(self):
        s = self.samples
        # Answered from the view: the plugin is the data source (CoreDNS's
        # `file` writes them there too).
        self.assertEqual(value(s, "coredns_dns_responses_total",
                               **self.labels(rcode="NOERROR", plugin="file")), 20)
        self.assertEqual(value(s, "coredns_dns_responses_total",
                               **self.labels(rcode="NXDOMAIN", plugin="file")), 20)
        # Nothing else was answered from that zone.
        total = sum(find(s, "coredns_dns_responses_total", zone="example.net.").values())
        self.assertEqual(total, 40)
        self.assertEqual(self.types["coredns_dns_responses_total"], "counter")

    def test_requests_total(self):
        s = self.samples
        self.assertEqual(value(s, "coredns_dns_requests_total",
                               **self.labels(proto="udp", family="1", type="A")), 35)
        self.assertEqual(value(s, "coredns_dns_requests_total",
                               **self.labels(proto="tcp", family="1", type="A")), 5)
        self.assertEqual(value(s, "coredns_dns_do_requests_total", **self.labels()), 10)

    def test_duration_histogram(self):
        s = self.samples
        lab = self.labels()  # no `type` label (issue 11, point 14)
        buckets = [value(s, "coredns_dns_request_duration_seconds_bucket", le=le, **lab)
                   for le in DURATION_BUCKETS]
        self.assertEqual(buckets, sorted(buckets), "buckets must be cumulative")
        self.assertEqual(buckets[-1], 40)
        self.assertEqual(value(s, "coredns_dns_request_duration_seconds_count", **lab), 40)
        total = value(s, "coredns_dns_request_duration_seconds_sum", **lab)
        self.assertGreater(total, 0)
        self.assertLess(total, 40 * 0.1)  # each answer well under 100 ms
        self.assertEqual(self.types["coredns_dns_request_duration_seconds"], "histogram")

    def test_size_histograms(self):
        s = self.samples
        for name in ("coredns_dns_request_size_bytes", "coredns_dns_response_size_bytes"):
            udp_lab, tcp_lab = self.labels(proto="udp"), self.labels(proto="tcp")
            b = [value(s, name + "_bucket", le=le, **udp_lab) for le in SIZE_BUCKETS]
            self.assertEqual(b, sorted(b), name)
            self.assertEqual(b[-1], 35, name)
            self.assertEqual(value(s, name + "_count", **tcp_lab), 5, name)
            # Our queries and answers are all between 1 and 511 bytes.
            self.assertEqual(b[0], 0, name)
            self.assertEqual(value(s, name + "_bucket", le="511", **udp_lab), 35, name)
        # www.example.net. A is 12 + 17 + 4 = 33 bytes, 44 with an OPT (DO);
        # nxN.example.net. A is 30 + len("nxN") bytes.
        want = 10 * 44 + 10 * 33 + sum(30 + len("nx%d" % i) for i in range(5, 20))
        self.assertEqual(value(s, "coredns_dns_request_size_bytes_sum",
                               **self.labels(proto="udp")), want)

    def test_build_info_panics_plugins(self):
        s = self.samples
        info = find(s, "coredns_build_info")
        self.assertEqual(len(info), 1)
        labels = dict(next(iter(info)))
        self.assertEqual(set(labels), {"version", "revision", "goversion"})
        self.assertRegex(labels["version"], r"^\d+\.\d+\.\d+")
        self.assertEqual(value(s, "coredns_panics_total"), 0)
        self.assertIn(("coredns_panics_total", frozenset()), s)
        enabled = {dict(k)["name"] for k in find(s, "coredns_plugin_enabled")}
        # cookie is on by default (not in this config)
        self.assertEqual(enabled, {"cookie", "errors", "log", "prometheus", "health", "ready", "any",
                                   "file"})

    def test_process_metrics(self):
        s = self.samples
        self.assertGreater(value(s, "process_resident_memory_bytes"), 1 << 20)
        self.assertGreater(value(s, "process_open_fds"), 3)
        start = value(s, "process_start_time_seconds")
        self.assertLess(abs(start - time.time()), 600)

    def test_content_type_and_other_paths(self):
        status, _, headers = http_get(self.server.http["metrics"], "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        self.assertEqual(http_get(self.server.http["metrics"], "/nope")[0], 404)

    def test_counts_grow(self):
        before = value(self.server.metrics()[0], "coredns_dns_responses_total",
                       **self.labels(rcode="NOERROR", plugin="file"))
        udp(query("www.example.net.", "A"), self.server.port)
        after = value(self.server.metrics()[0], "coredns_dns_responses_total",
                      **self.labels(rcode="NOERROR", plugin="file"))
        self.assertEqual(after, before + 1)


class ProbesAndLogTest(unittest.TestCase):
    """Health, ready, the query log and the `any` plugin on one server."""

    @classmethod
    def setUpClass(cls):
        cls.server = OpsServer()
        try:
            cls.server.start()
        except Exception:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()

    def test_health(self):
        self.assertEqual(http_get(self.server.http["health"], "/health")[:2], (200, "OK"))
        self.assertEqual(http_get(self.server.http["health"], "/other")[0], 404)

    def test_ready(self):
        self.assertEqual(http_get(self.server.http["ready"], "/ready")[:2], (200, "OK"))

    def wait_log(self, pred, what):
        def look():
            return [l for l in self.server.log_lines() if pred(l)]
        return wait_for(look, 5, what=what)

    def test_log_line_udp(self):
        msg = query("WWW.Example.NET.", "A", use_edns=0, payload=1232)
        msg.id = 4321
        wire = msg.to_wire()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(2)
            s.connect(("127.0.0.1", self.server.port))
            s.send(wire)
            reply = s.recv(65535)
            port = s.getsockname()[1]
        lines = self.wait_log(lambda l: '"A IN www.example.net.' in l and " - 4321 " in l,
                              "the log line of query 4321")
        m = LOG_LINE.match(lines[-1])
        self.assertIsNotNone(m, "not CoreDNS's format: %r" % lines[-1])
        self.assertEqual(m.group("ip"), "127.0.0.1")
        self.assertEqual(int(m.group("port")), port)
        self.assertEqual(m.group("name"), "www.example.net.")
        self.assertEqual(m.group("proto"), "udp")
        self.assertEqual(int(m.group("size")), len(wire))
        self.assertEqual(m.group("do"), "false")
        self.assertEqual(m.group("bufsize"), "1232")
        self.assertEqual(m.group("rcode"), "NOERROR")
        self.assertEqual(m.group("flags"), "qr,aa")
        self.assertEqual(int(m.group("rsize")), len(reply))
        self.assertLess(float(m.group("duration")), 1.0)

    def test_log_line_tcp_nxdomain_do(self):
        msg = query("nope.example.com.", "AAAA", want_dnssec=True)
        msg.id = 999
        r = tcp(msg, self.server.port)
        self.assertEqual(r.rcode(), dns.rcode.NXDOMAIN)
        lines = self.wait_log(lambda l: " - 999 " in l and "nope.example.com." in l,
                              "the log line of query 999")
        m = LOG_LINE.match(lines[-1])
        self.assertIsNotNone(m, lines[-1])
        self.assertEqual((m.group("type"), m.group("cls"), m.group("proto")), ("AAAA", "IN", "tcp"))
        self.assertEqual((m.group("do"), m.group("bufsize")), ("true", "65535"))
        self.assertEqual((m.group("rcode"), m.group("flags")), ("NXDOMAIN", "qr,aa"))
        self.assertEqual(int(m.group("rsize")), len(r.to_wire()))

    def test_notimp_is_logged_and_counted(self):
        # Refused by the core before any plugin (opcode STATUS): still one
        # log line and one count, as CoreDNS does.
        before = value(self.server.metrics()[0], "coredns_dns_responses_total",
                       server=SERVER_LABEL, zone=".", view="",
                       rcode="NOTIMP", plugin="")
        msg = query("www.example.net.", "A")
        msg.set_opcode(dns.opcode.STATUS)
        msg.id = 777
        r = udp(msg, self.server.port)
        self.assertEqual(r.rcode(), dns.rcode.NOTIMP)
        lines = self.wait_log(lambda l: " - 777 " in l and "NOTIMP" in l,
                              "the log line of query 777")
        m = LOG_LINE.match(lines[-1])
        self.assertIsNotNone(m, lines[-1])
        self.assertEqual(m.group("name"), "www.example.net.")
        after = value(self.server.metrics()[0], "coredns_dns_responses_total",
                      server=SERVER_LABEL, zone=".", view="",
                      rcode="NOTIMP", plugin="")
        self.assertEqual(after, before + 1)

    def test_any_hinfo(self):
        for name in ("www.example.net.", "does-not-exist.example.net."):
            r = udp(query(name, "ANY"), self.server.port)
            self.assertEqual(r.rcode(), dns.rcode.NOERROR)
            self.assertTrue(r.flags & dns.flags.AA)
            self.assertEqual(len(r.answer), 1, r)
            rrset = r.answer[0]
            self.assertEqual(rrset.rdtype, dns.rdatatype.HINFO)
            self.assertEqual(rrset.ttl, 8482)
            self.assertEqual(rrset.name.to_text(), name)
            self.assertEqual(rrset[0].to_text(), '"ANY obsoleted" "See RFC 8482"')
        # With EDNS the OPT is still there, after the answer.
        r = udp(query("www.example.net.", "ANY", use_edns=0, want_dnssec=True), self.server.port)
        self.assertEqual(r.edns, 0)
        self.assertTrue(r.ednsflags & dns.flags.DO)
        self.assertEqual(r.answer[0].rdtype, dns.rdatatype.HINFO)
        # Outside every zone: still REFUSED by the core.
        r = udp(query("example.org.", "ANY"), self.server.port)
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)
        # The answering plugin shows in the metrics.
        s, _ = self.server.metrics()
        self.assertGreaterEqual(sum(find(s, "coredns_dns_responses_total", plugin="any").values()),
                                3)


class LogClassTest(unittest.TestCase):
    def test_denial_only(self):
        srv = OpsServer(config=ops_config().replace(
            "log: true", "log: {class: [denial]}").replace("workers: 2", "workers: 1"))
        with srv:
            udp(query("www.example.net.", "A"), srv.port)
            udp(query("gone.example.net.", "A"), srv.port)
            wait_for(lambda: any("gone.example.net." in l for l in srv.log_lines()), 5,
                     what="the NXDOMAIN log line")
            logged = [l for l in srv.log_lines() if LOG_LINE.match(l)]
            self.assertFalse([l for l in logged if "www.example.net." in l], logged)
            # The startup probes (example.com. SOA, NOERROR) were not logged either.
            self.assertEqual(len(logged), 1, logged)


class LogFormatTest(unittest.TestCase):
    """CoreDNS's {common} and {combined} formats, as CoreDNS prints them:
    {remote}:{port} - {>id} "{type} {class} {name} {proto} {size} {>do}
    {>bufsize}" {rcode} {>rflags} {rsize} {duration}, and for combined
    the opcode (a number, as CoreDNS's replacer writes it) in quotes after
    it."""

    def check(self, fmt, tail):
        srv = OpsServer(config=ops_config().replace("log: true", 'log: {format: "%s"}' % fmt))
        with srv:
            q = dns.message.make_query("www.example.net.", "A", use_edns=0, payload=1232)
            q.id = 4242
            wire = q.to_wire()
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
                s.settimeout(5)
                s.sendto(wire, ("127.0.0.1", srv.port))
                rsize = len(s.recv(4096))
            wait_for(lambda: any(" 4242 " in l for l in srv.log_lines()), 5, what="the log line")
            line = [l for l in srv.log_lines() if " 4242 " in l][0]
            self.assertRegex(line, r'^\[INFO\] 127\.0\.0\.1:%d - 4242 "A IN www\.example\.net\. '
                             r'udp %d false 1232" NOERROR qr,aa,rd %d \d+(\.\d+)?s%s$'
                             % (port, len(wire), rsize, tail))

    def test_common(self):
        self.check("{common}", "")

    def test_combined(self):
        self.check("{combined}", ' "0"')  # CoreDNS prints the opcode as a number


class LameduckTest(unittest.TestCase):
    def test_ready_503_while_still_answering(self):
        srv = OpsServer(config=ops_config().replace("lameduck: 0s", "lameduck: 2s"))
        try:
            srv.start()
            self.assertEqual(http_get(srv.http["ready"], "/ready")[0], 200)
            t0 = time.monotonic()
            srv.proc.send_signal(signal.SIGTERM)
            wait_for(lambda: http_get(srv.http["ready"], "/ready")[0] == 503, 1.5,
                     what="/ready to say 503")
            status, body, _ = http_get(srv.http["ready"], "/ready")
            self.assertEqual(status, 503)
            self.assertIn("lameduck", body)
            # Still alive and answering, and still healthy.
            self.assertEqual(http_get(srv.http["health"], "/health")[0], 200)
            r = udp(query("www.example.net.", "A"), srv.port)
            self.assertEqual(r.rcode(), dns.rcode.NOERROR)
            self.assertTrue(srv.alive())
            rc = srv.proc.wait(15)
            self.assertEqual(rc, 0, srv.output())
            self.assertGreaterEqual(time.monotonic() - t0, 1.8)
        finally:
            if srv.proc is not None and srv.proc.poll() is not None:
                srv.log.close()
                srv.proc = None
            srv.cleanup()


class StartupErrorTest(unittest.TestCase):
    def test_metrics_port_in_use(self):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            taken = busy.getsockname()[1]
            srv = OpsServer(config=ops_config({"metrics": "127.0.0.1:%d" % taken}))
            try:
                with self.assertRaises(ProcessError):
                    srv.start(timeout=5)
                out = srv.output()
                self.assertRegex(out, r"vmdns\.yaml:\d+: metrics: cannot listen on 127\.0\.0\.1:%d: "
                                      r"Address already in use" % taken)
            finally:
                if getattr(srv, "log", None) is not None:
                    srv.log.close()
                srv.cleanup()

    def test_bad_log_class(self):
        srv = OpsServer(config=ops_config().replace("log: true", "log: {class: [denial, bogus]}"))
        try:
            p = subprocess.run([binary("vmdnsd"), "--check-config", srv.config_path],
                               capture_output=True, text=True, timeout=15)
            self.assertNotEqual(p.returncode, 0)
            with open(srv.config_path) as f:
                line = f.read().splitlines().index("log: {class: [denial, bogus]}") + 1
            self.assertRegex(p.stderr, r"vmdns\.yaml:%d: log: unknown class 'bogus'" % line)
        finally:
            srv.cleanup()

    def test_check_config_binds_nothing(self):
        # --check-config with the HTTP ports taken still passes: it binds nothing.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            taken = busy.getsockname()[1]
            srv = OpsServer(config=ops_config({"metrics": "127.0.0.1:%d" % taken}))
            try:
                p = subprocess.run([binary("vmdnsd"), "--check-config", srv.config_path],
                                   capture_output=True, text=True, timeout=15)
                self.assertEqual(p.returncode, 0, p.stderr)
            finally:
                srv.cleanup()


if __name__ == "__main__":
    unittest.main()
