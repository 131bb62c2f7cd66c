# SPDX-License-Identifier: BSD-2-Clause
"""test_corefile.py - `vmdnsd --corefile`: a CoreDNS Corefile serves exactly
what the equivalent YAML config serves.

Two vmdnsd processes run side by side on loopback ports they pick: one from a
YAML config, one from a Corefile that says the same thing in CoreDNS syntax
(server block keys with a port, `bind`, `file` with and without explicit
zones and with a path relative to the Corefile, a snippet pulled in with
`import` and arguments, `{$ENV}` substitution, comments, `any`, and the
ignored `cache`). The same queries, over UDP with and without EDNS and over
TCP, must get the same answers: rcode, flags, and every section record for
record. Then the Corefile's mistakes: `--check --corefile` names the file,
line and directive, and a bad Corefile stops startup the same way.
"""

import os
import shutil
import subprocess
import unittest

import dns.flags
import dns.rcode

from vmdns_harness import (DATA, DEFAULT_ZONES, ProcessError, Vmdnsd, binary, have_ipv6, query,
                           rr_texts, tcp, udp)

# (name, type) pairs covering every answering rule the test zones exercise.
QUERIES = [
    ("example.com.", "SOA"), ("example.com.", "NS"), ("example.com.", "MX"),
    ("www.example.com.", "A"), ("www.example.com.", "AAAA"), ("WwW.ExAmPlE.cOm.", "A"),
    ("nothere.example.com.", "A"), ("www.example.com.", "TXT"), ("ent.example.com.", "A"),
    ("chain1.example.com.", "A"), ("ext.example.com.", "A"), ("loop1.example.com.", "A"),
    ("to-net.example.com.", "A"), ("a.wild.example.com.", "TXT"), ("a.b.wild.example.com.", "A"),
    ("host.sub.example.com.", "A"), ("sub.example.com.", "NS"), ("mx-in.example.com.", "MX"),
    ("_ssh._tcp.vm-abc.example.com.", "SRV"), ("caa.example.com.", "CAA"),
    ("mid.example.com.", "A"), ("example.com.", "ANY"), ("www.example.net.", "A"),
    ("gone.example.net.", "A"), ("example.org.", "A"), ("huge-txt.example.com.", "TXT"),
]

COREFILE = """\
# Corefile equivalent of the YAML config of this test (see the module doc).
(common) {
    any                     # RFC 8482 answers to ANY, as `any: true`
    errors
    bind {args[0]} {args[1]}
}

example.com:{$VMDNS_COREFILE_TEST_PORT} example.org.:{$VMDNS_COREFILE_TEST_PORT} {
    file "%(test_zone)s" example.com
    import common %(binds)s
    cache 30
}

example.net:{$VMDNS_COREFILE_TEST_PORT} {
    file zones/net.zone     # relative to this Corefile
    import common %(binds)s
}
"""


def describe(r):
    """Everything about a reply that must match: rcode, flags, sections."""
    if r is None:
        return None
    return (dns.rcode.to_text(r.rcode()), dns.flags.to_text(r.flags), r.edns,
            r.payload if r.edns >= 0 else None, rr_texts(r.answer), rr_texts(r.authority),
            rr_texts(r.additional))


class SameAnswersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.v6 = have_ipv6()
        cls.yaml = Vmdnsd(extra="any: true\nerrors: true\n")
        cls.core = Vmdnsd(config="# replaced below\n")
        os.makedirs(os.path.join(cls.core.tmp, "zones"))
        shutil.copy(DEFAULT_ZONES[1][1], os.path.join(cls.core.tmp, "zones", "net.zone"))
        cls.core.config_path = os.path.join(cls.core.tmp, "Corefile")
        with open(cls.core.config_path, "w") as f:
            f.write(COREFILE % {"test_zone": DEFAULT_ZONES[0][1],
                                "binds": "127.0.0.1 ::1" if cls.v6 else "127.0.0.1 127.0.0.1"})
        os.environ["VMDNS_COREFILE_TEST_PORT"] = "0"  # any free port
        try:
            cls.yaml.start()
            cls.core.start(option="--corefile")
        except Exception:
            cls.yaml.cleanup()
            cls.core.cleanup()
            raise
        finally:
            del os.environ["VMDNS_COREFILE_TEST_PORT"]

    @classmethod
    def tearDownClass(cls):
        for srv in (cls.yaml, cls.core):
            try:
                srv.stop()
            finally:
                srv.cleanup()

    def compare(self, send, **kw):
        for name, rdtype in QUERIES:
            with self.subTest(name=name, type=rdtype, **kw):
                a = send(query(name, rdtype, **kw), self.yaml.port)
                b = send(query(name, rdtype, **kw), self.core.port)
                self.assertEqual(describe(a), describe(b), "YAML:\n%s\nCorefile:\n%s" % (a, b))

    def test_udp_plain(self):
        self.compare(udp)

    def test_udp_edns(self):
        self.compare(udp, use_edns=0, payload=1232, want_dnssec=True)

    def test_tcp(self):
        self.compare(tcp, use_edns=0)

    def test_ipv6_listener(self):
        if not self.v6:
            self.skipTest("no IPv6 loopback")
        a = udp(query("www.example.com.", "A"), self.yaml.port6, host="::1")
        b = udp(query("www.example.com.", "A"), self.core.port6, host="::1")
        self.assertEqual(describe(a), describe(b))
        self.assertEqual(dns.rcode.NOERROR, b.rcode())

    def test_answers_are_real(self):
        """The comparison is not between two empty servers."""
        r = udp(query("www.example.com.", "A"), self.core.port)
        self.assertEqual(rr_texts(r.answer), {"www.example.com. 3600 IN A 192.0.2.80"})
        r = udp(query("www.example.net.", "A"), self.core.port)
        self.assertEqual(rr_texts(r.answer), {"www.example.net. 300 IN A 192.0.2.200"})
        r = udp(query("example.com.", "ANY"), self.core.port)
        self.assertIn("HINFO", r.answer[0].to_text())

    def test_cache_noted_once(self):
        out = self.core.output()
        self.assertEqual(out.count("cache: ignored"), 1, out)
        self.assertIn("Corefile:11: cache: ignored", out)


class EveryAddressTest(unittest.TestCase):
    """A server block without `bind` listens on every address (":PORT"):
    0.0.0.0, and [::] where the host has IPv6, which the server decides when
    it binds (the parsed config is the same on every host)."""

    def test_no_bind(self):
        srv = Vmdnsd(config="# replaced below\n")
        srv.config_path = os.path.join(srv.tmp, "Corefile")
        with open(srv.config_path, "w") as f:
            f.write("example.com:0 {\n  file %s\n}\n" % DEFAULT_ZONES[0][1])
        try:
            srv.start(option="--corefile")  # port 0: 0.0.0.0 and [::] get a port each
            r = udp(query("www.example.com.", "A"), srv.port)
            self.assertEqual(rr_texts(r.answer), {"www.example.com. 3600 IN A 192.0.2.80"})
            out = srv.output()
            if have_ipv6():
                r = tcp(query("www.example.com.", "A"), srv.port6, host="::1")
                self.assertEqual(dns.rcode.NOERROR, r.rcode())
                self.assertIn("listening on 0.0.0.0:%d, [::]:%d (udp+tcp)" % (srv.port, srv.port6),
                              out)
            else:
                self.assertIn("listening on 0.0.0.0:%d (udp+tcp)" % srv.port, out)
                self.assertRegex(out, r"not listening on \[::\]:\d+")
            srv.stop()
        finally:
            srv.cleanup()


class CorefileErrorTest(unittest.TestCase):
    def setUp(self):
        self.srv = Vmdnsd(config="# replaced below\n")
        self.path = os.path.join(self.srv.tmp, "Corefile")

    def tearDown(self):
        self.srv.cleanup()

    def check(self, text):
        with open(self.path, "w") as f:
            f.write(text)
        return subprocess.run([binary("vmdnsd"), "--check", "--corefile", self.path],
                              capture_output=True, text=True, timeout=30)

    def test_check_ok(self):
        shutil.copy(DEFAULT_ZONES[0][1], os.path.join(self.srv.tmp, "db"))
        r = self.check(".:0 {\n  bind 127.0.0.1\n  file db example.com\n  log\n}\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("configuration OK", r.stdout)

    def test_unknown_directive(self):
        r = self.check("example.com {\n  log\n  whoami\n}\n")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.strip(),
                         "[ERROR] %s:3: unknown directive 'whoami'" % self.path)

    def test_bad_value_reported_at_its_line(self):
        """A value the plugin rejects is reported at the Corefile's line."""
        r = self.check("example.com {\n  bind 127.0.0.1\n  health :8080 {\n"
                       "    lameduck soon\n  }\n}\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s:4: lameduck: bad duration 'soon'" % self.path, r.stderr)

    def test_missing_zone_file(self):
        r = self.check("example.com {\n  bind 127.0.0.1\n  file nothere.db\n}\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s:3: cannot open zone file" % self.path, r.stderr)

    def test_redis_blocks_check(self):
        """Two redis blocks: two backends, accepted by the redis plugin."""
        r = self.check("vm.example.com {\n  bind 127.0.0.1\n"
                       "  redis {\n    address 127.0.0.1:6379\n    address 127.0.0.2:6379\n"
                       "    prefix _dns:\n    connect_timeout 100\n    read_timeout 500\n"
                       "    ttl 30\n  }\n"
                       "  redis {\n    address 127.0.0.3:6379\n    password s3cret\n  }\n}\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.check("vm.example.com {\n  bind 127.0.0.1\n"
                       "  redis {\n    address 127.0.0.1:6379\n    read_timeout never\n  }\n}\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s:5:" % self.path, r.stderr)

    def test_startup_fails_on_bad_corefile(self):
        with open(self.path, "w") as f:
            f.write("example.com:0 {\n  bind 127.0.0.1\n  whoami\n}\n")
        self.srv.config_path = self.path
        with self.assertRaises(ProcessError) as ctx:
            self.srv.start(timeout=5, option="--corefile")
        self.srv.log.close()
        self.assertIn("%s:3: unknown directive 'whoami'" % self.path, str(ctx.exception))


if __name__ == "__main__":
    unittest.main()
