# SPDX-License-Identifier: BSD-2-Clause
"""test_server_blocks.py - server blocks scope like CoreDNS's (issue 11,
points 1 and 14): a split-horizon Corefile, and the same in YAML.

One real vmdnsd, three server blocks on two loopback addresses:

  example.com:0 { bind 127.0.0.2; file ...; log; prometheus }  "internal"
  example.net:0 { bind 127.0.0.1; file ...; prometheus }        "public"
  .:0           { bind 127.0.0.1; prometheus }                  catch-all

Each zone is answered only on its own listener and REFUSED on the other
(the `.` block on 127.0.0.1 must not leak example.com from the shared
view); only the internal block logs queries; /metrics labels each query
with its listener (server="dns://127.0.0.2:0") and its block's zone,
REFUSED names no block takes with zone="dropped", and answers with the
plugin that wrote them (plugin="file"). Then the YAML config with a
`servers:` list says the same and must behave the same, and a SIGHUP that
changes one block's options keeps scoping.
"""

import os
import re
import signal
import unittest
import urllib.request

import dns.opcode
import dns.rcode

from vmdns_harness import DEFAULT_ZONES, Vmdnsd, http_url, query, tcp, udp, wait_for

COM, NET = DEFAULT_ZONES[0][1], DEFAULT_ZONES[1][1]

COREFILE = """\
# split horizon: the internal zone only on 127.0.0.2
example.net:0 {
    bind 127.0.0.1
    file %(net)s
    prometheus 127.0.0.1:0
}
example.com:0 {
    bind 127.0.0.2
    file %(com)s
    log
    prometheus 127.0.0.1:0
}
.:0 {
    bind 127.0.0.1
    prometheus 127.0.0.1:0
}
""" % {"com": COM, "net": NET}

YAML = """\
# the same split horizon as a `servers:` list
workers: 2
zones:
  - {origin: example.com., file: %(com)s}
  - {origin: example.net., file: %(net)s}
metrics: {listen: "127.0.0.1:0"}     # inherited by every server
servers:
  - zones: [example.net.]
    listen: ["127.0.0.1:0"]
  - zones: [example.com.]
    listen: ["127.0.0.2:0"]
    log: true
  - zones: ["."]
    listen: ["127.0.0.1:0"]
""" % {"com": COM, "net": NET}


def rcode(reply):
    return dns.rcode.to_text(reply.rcode())


class ScopeMixin:
    """The checks, for a started vmdnsd in self.v."""

    def ports(self):
        by_host = {}
        for host, port in self.v.listening:
            by_host.setdefault(host, port)
        return by_host["127.0.0.2"], by_host["127.0.0.1"]

    def ask(self, name, host, port, rdtype="A", over=udp):
        return over(query(name, rdtype), port, host=host)

    def check_scope(self):
        internal, public = self.ports()
        for over in (udp, tcp):
            r = self.ask("www.example.com.", "127.0.0.2", internal, over=over)
            self.assertEqual(rcode(r), "NOERROR")
            self.assertTrue(r.answer, "internal name answered on its listener")
            # The public listener: its blocks are example.net and `.`; the
            # `.` block must not answer example.com out of the shared view.
            r = self.ask("www.example.com.", "127.0.0.1", public, over=over)
            self.assertEqual(rcode(r), "REFUSED")
            self.assertFalse(r.answer)
            r = self.ask("www.example.net.", "127.0.0.1", public, over=over)
            self.assertEqual(rcode(r), "NOERROR")
            self.assertTrue(r.answer)
            # example.net is not served on the internal listener.
            r = self.ask("www.example.net.", "127.0.0.2", internal, over=over)
            self.assertEqual(rcode(r), "REFUSED")
            # Outside every zone: the `.` block takes it on 127.0.0.1.
            r = self.ask("example.org.", "127.0.0.1", public, over=over)
            self.assertEqual(rcode(r), "REFUSED")
            # A query the core refuses (opcode STATUS) keeps its rcode even
            # where no block takes the name.
            msg = query("www.example.net.", "A")
            msg.set_opcode(dns.opcode.STATUS)
            self.assertEqual(rcode(over(msg, internal, host="127.0.0.2")), "NOTIMP")

    def check_log(self):
        internal, public = self.ports()
        self.ask("logged.example.com.", "127.0.0.2", internal)
        self.ask("unlogged.example.net.", "127.0.0.1", public)
        self.ask("unlogged.example.org.", "127.0.0.2", internal)  # no block: not logged
        self.v.wait_log("logged.example.com.")
        # The internal block's log line came; give the others the same time.
        self.ask("logged2.example.com.", "127.0.0.2", internal)
        self.v.wait_log("logged2.example.com.")
        self.assertNotIn("unlogged.example.net.", self.v.log_text())
        self.assertNotIn("unlogged.example.org.", self.v.log_text())

    def metrics(self):
        with urllib.request.urlopen(http_url(self.v.http["metrics"], "/metrics"), timeout=5) as r:
            return r.read().decode()

    def check_metrics(self):
        internal, public = self.ports()
        self.ask("www.example.com.", "127.0.0.2", internal)
        self.ask("www.example.net.", "127.0.0.2", internal)
        self.ask("www.example.net.", "127.0.0.1", public)
        text = self.metrics()
        srv2, srv1 = 'server="dns://127.0.0.2:0"', 'server="dns://127.0.0.1:0"'
        self.assertRegex(text, r'coredns_dns_requests_total\{%s,zone="example\.com\.",view="",'
                         r'proto="udp",family="1",type="A"\} \d+' % srv2)
        self.assertRegex(text, r'coredns_dns_responses_total\{%s,zone="example\.com\.",view="",'
                         r'rcode="NOERROR",plugin="file"\} \d+' % srv2)
        self.assertRegex(text, r'coredns_dns_responses_total\{%s,zone="example\.net\.",view="",'
                         r'rcode="NOERROR",plugin="file"\} \d+' % srv1)
        # A name no block on the listener takes: zone "dropped".
        self.assertRegex(text, r'coredns_dns_responses_total\{%s,zone="dropped",view="",'
                         r'rcode="REFUSED",plugin=""\} \d+' % srv2)
        self.assertRegex(text, r'coredns_dns_request_duration_seconds_bucket\{%s,'
                         r'zone="example\.com\.",view="",le="\+Inf"\} \d+' % srv2)
        self.assertNotRegex(text, r'coredns_dns_request_duration_seconds_bucket\{[^}]*type=')
        # coredns_plugin_enabled per block: log only in the internal one.
        self.assertIn('coredns_plugin_enabled{%s,zone="example.com.",view="",name="log"} 1'
                      % srv2, text)
        self.assertNotRegex(text, r'coredns_plugin_enabled\{%s,[^}]*name="log"\}' % srv1)
        self.assertIn('coredns_plugin_enabled{%s,zone="example.net.",view="",name="file"} 1'
                      % srv1, text)
        self.assertRegex(text, r'coredns_reload_version_info\{hash="sha512",value="[0-9a-f]{128}"\} 1')


class CorefileBlocksTest(ScopeMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.v = Vmdnsd(config="# replaced below\n", v6=False)
        cls.v.config_path = os.path.join(cls.v.tmp, "Corefile")
        with open(cls.v.config_path, "w") as f:
            f.write(COREFILE)
        cls.v.start(option="--corefile", probe="example.net.")

    @classmethod
    def tearDownClass(cls):
        cls.v.stop()
        cls.v.cleanup()

    def test_scope(self):
        self.check_scope()

    def test_log_per_block(self):
        self.check_log()

    def test_metrics_labels(self):
        self.check_metrics()

    def test_reload_keeps_scope(self):
        """SIGHUP with the log moved to the public block: scoping holds,
        and the log follows its block."""
        internal, public = self.ports()
        with open(self.v.config_path) as f:
            text = f.read()
        moved = text.replace("    log\n", "").replace(
            "    file %s\n    prometheus" % NET, "    file %s\n    log\n    prometheus" % NET)
        self.assertNotEqual(moved, text)
        with open(self.v.config_path, "w") as f:
            f.write(moved)
        try:
            applied = self.v.log_text().count("applied")
            self.v.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: self.v.log_text().count("applied") > applied, 10,
                     what="reload applied:\n" + self.v.output())
            self.check_scope()
            self.ask("moved.example.net.", "127.0.0.1", public)
            self.v.wait_log("moved.example.net.")
            self.ask("notnow.example.com.", "127.0.0.2", internal)
            self.ask("moved2.example.net.", "127.0.0.1", public)
            self.v.wait_log("moved2.example.net.")
            self.assertNotIn("notnow.example.com.", self.v.log_text())
        finally:
            with open(self.v.config_path, "w") as f:
                f.write(text)
            applied = self.v.log_text().count("applied")
            self.v.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: self.v.log_text().count("applied") > applied, 10,
                     what="reload applied")


ENDPOINTS = """\
example.net:0 {
    bind 127.0.0.1
    file %(net)s
    prometheus 127.0.0.1:0
    health 127.0.0.1:0
}
example.com:0 {
    bind 127.0.0.2
    file %(com)s
    prometheus 127.0.0.2:0
    health 127.0.0.2:0 {
        lameduck 1s
    }
}
""" % {"com": COM, "net": NET}


class SeveralEndpointsTest(unittest.TestCase):
    """Several `prometheus` and `health` addresses in different blocks:
    every one is served, as CoreDNS does (issue 11, point 10)."""

    def test_every_address_served(self):
        v = Vmdnsd(config="# replaced below\n", v6=False)
        v.config_path = os.path.join(v.tmp, "Corefile")
        with open(v.config_path, "w") as f:
            f.write(ENDPOINTS)
        try:
            v.start(option="--corefile", probe="example.net.")
            found = re.findall(r"serving /(metrics|health) on (\S+) \(port (\d+)\)", v.log_text())
            by_path = {}
            for path, listen, port in found:
                by_path.setdefault(path, set()).add((listen.rpartition(":")[0], int(port)))
            for path in ("metrics", "health"):
                hosts = {h for h, _ in by_path.get(path, ())}
                self.assertEqual(hosts, {"127.0.0.1", "127.0.0.2"}, path)
                for host, port in by_path[path]:
                    url = http_url((host, port), "/" + path)
                    with urllib.request.urlopen(url, timeout=5) as r:
                        body = r.read().decode()
                    self.assertEqual(r.status, 200, url)
                    if path == "metrics":  # every endpoint shows every block
                        self.assertIn('server="dns://127.0.0.1:0"', body)
                        self.assertIn('server="dns://127.0.0.2:0"', body)
            # SIGTERM: the longest lameduck of the blocks (1s) applies.
            v.proc.send_signal(signal.SIGTERM)
            v.wait_log("lameduck for 1000ms")
        finally:
            v.stop(check=False)
            v.cleanup()


ERRORS_PER_BLOCK = """\
loud.example:0 {
    bind 127.0.0.1
    redis loud.example {
        address 127.0.0.1:%(dead)d
        connect_timeout 200
    }
    errors
}
quiet.example:0 {
    bind 127.0.0.2
    redis quiet.example {
        address 127.0.0.1:%(dead)d
        connect_timeout 200
    }
}
"""


class ErrorsPerBlockTest(unittest.TestCase):
    """`errors` logs the server failures of its own block only: two blocks
    whose Redis zones never load (SERVFAIL), one with `errors`."""

    def test_only_the_block_with_errors_logs(self):
        from vmdns_harness import owned_port
        v = Vmdnsd(config="# replaced below\n", v6=False)
        v.config_path = os.path.join(v.tmp, "Corefile")
        with open(v.config_path, "w") as f:
            f.write(ERRORS_PER_BLOCK % {"dead": owned_port()})
        try:
            v.start(option="--corefile", probe="example.org.")  # REFUSED: no error
            ports = dict(v.listening)
            for host, zone in (("127.0.0.2", "quiet.example."), ("127.0.0.1", "loud.example.")):
                r = udp(query("vm-1." + zone, "A"), ports[host], host=host)
                self.assertEqual(rcode(r), "SERVFAIL")
            v.wait_log("plugin/errors: ")
            text = v.log_text()
            self.assertRegex(text, r"\[ERROR\] plugin/errors: 2 vm-1\.loud\.example\. A")
            self.assertNotIn("vm-1.quiet.example.", text)
        finally:
            v.stop(check=False)
            v.cleanup()


class DuplicateZoneTest(unittest.TestCase):
    """One zone in two blocks on one listener is an error, as in CoreDNS."""

    def test_refused_with_file_and_line(self):
        import subprocess
        import tempfile
        from vmdns_harness import binary
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "Corefile")
            with open(path, "w") as f:
                f.write("example.com:5399 {\n bind 127.0.0.1\n}\n"
                        "a.example.com:5399 {\n bind 127.0.0.1\n}\n"
                        "example.com:5399 {\n bind 127.0.0.1\n}\n")
            p = subprocess.run([binary("vmdnsd"), "--check", "--corefile", path],
                               capture_output=True, text=True, timeout=10)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("Corefile:7: zone example.com. on 127.0.0.1:5399 is in two server "
                          "blocks (the other starts on line 1)", p.stdout + p.stderr)
            # The same zone on two different addresses is fine.
            with open(path, "w") as f:
                f.write("example.com:5399 {\n bind 127.0.0.1\n}\n"
                        "example.com:5399 {\n bind 127.0.0.2\n}\n")
            p = subprocess.run([binary("vmdnsd"), "--check", "--corefile", path],
                               capture_output=True, text=True, timeout=10)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


class YamlServersTest(ScopeMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.v = Vmdnsd(config=YAML, v6=False)
        cls.v.start(probe="example.net.")

    @classmethod
    def tearDownClass(cls):
        cls.v.stop()
        cls.v.cleanup()

    def test_scope(self):
        self.check_scope()

    def test_log_per_block(self):
        self.check_log()

    def test_data_source_in_a_server_is_refused(self):
        bad = YAML.replace("    log: true\n", "    log: true\n    redis: {}\n")
        v = Vmdnsd(config=bad, v6=False)
        try:
            with self.assertRaises(Exception):
                v.start(timeout=5)
            self.assertRegex(v.log_text(), r"vmdns\.yaml:\d+: redis: a data source fills the "
                             r"view every server shares")
        finally:
            v.kill()
            v.cleanup()


if __name__ == "__main__":
    unittest.main()
