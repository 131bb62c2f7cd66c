# SPDX-License-Identifier: BSD-2-Clause
"""test_config_errors.py - vmdnsd's command line, config checking and lifecycle.

A bad config (unknown key, bad address, bad number, unreadable or broken
zone file) must stop vmdnsd at startup with ONE line "FILE:LINE: problem"
and a non-zero exit code, both with --check-config and with --config. A
good one passes --check-config (without binding anything) and serves with
--config or -c; SIGTERM and SIGINT stop it cleanly (exit 0).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import unittest

import dns.rcode

from vmdns_harness import TEST_ZONE, Vmdnsd, binary, query, udp

INFO = re.compile(r"^\[?(INFO|DEBUG|info|debug)\b")

GOOD = """\
listen: ["127.0.0.1:{port}"]
workers: 1
zones:
  - origin: example.com.
    file: {zone}
limits: {{edns_udp_size: 1232, tcp_max_connections: 64, tcp_idle_timeout: 10s}}
"""


class ConfigErrorTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="vmdns-cfg-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def run_vmdnsd(self, *args, timeout=15):
        return subprocess.run([binary("vmdnsd")] + list(args), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def check_rejected(self, config_text, file_re, line, problem_re, zone_text=None):
        """Both --check-config and --config fail with one 'FILE:LINE: problem' line."""
        if zone_text is not None:
            self.write("bad.zone", zone_text)
        path = self.write("vmdns.yaml", config_text)
        for args in (["--check-config", path], ["--config", path]):
            with self.subTest(args=args[0]):
                p = self.run_vmdnsd(*args)
                self.assertNotEqual(p.returncode, 0, "accepted:\n%s" % config_text)
                # Informational log lines (zone loaded ...) may come first;
                # the error itself is one line.
                lines = [l for l in p.stderr.splitlines() if l.strip() and not INFO.match(l)]
                self.assertEqual(len(lines), 1, "expected one error line, got:\n%s" % p.stderr)
                m = re.search(r"(\S+):(\d+): (.+)", lines[0])
                self.assertIsNotNone(m, "not 'FILE:LINE: problem': %r" % lines[0])
                self.assertRegex(m.group(1), file_re, lines[0])
                self.assertEqual(int(m.group(2)), line, "wrong line in %r" % lines[0])
                self.assertRegex(m.group(3), problem_re, lines[0])

    def test_good_config_checks(self):
        path = self.write("vmdns.yaml", GOOD.format(port=53, zone=TEST_ZONE))
        # Port 53 need not be free (or allowed): checking binds nothing.
        p = self.run_vmdnsd("--check-config", path)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_relative_zone_path_is_relative_to_config(self):
        shutil.copy(TEST_ZONE, os.path.join(self.tmp, "rel.zone"))
        path = self.write("vmdns.yaml", GOOD.format(port=53, zone="rel.zone"))
        p = subprocess.run([binary("vmdnsd"), "--check-config", path], capture_output=True,
                           text=True, timeout=15, cwd="/")
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_unknown_top_level_key(self):
        cfg = GOOD.format(port=53, zone=TEST_ZONE) + "bogus_key: 1\n"
        self.check_rejected(cfg, r"vmdns\.yaml$", 7, r"bogus_key")

    def test_unknown_nested_key(self):
        cfg = GOOD.format(port=53, zone=TEST_ZONE).replace("tcp_idle_timeout: 10s", "tcp_idle_timeuot: 10s")
        self.check_rejected(cfg, r"vmdns\.yaml$", 6, r"tcp_idle_timeuot")

    def test_unknown_zone_key(self):
        cfg = GOOD.format(port=53, zone=TEST_ZONE).replace("\nlimits:", "\n    tyep: master\nlimits:")
        self.check_rejected(cfg, r"vmdns\.yaml$", 6, r"tyep")
        cfg = GOOD.format(port=53, zone=TEST_ZONE).replace("    file:", "    fiel:")
        self.check_rejected(cfg, r"vmdns\.yaml$", 4, r"file")  # the entry lacks `file`

    def test_bad_address(self):
        for addr in ("127.0.0.1:99999", "not-an-address:53", "300.1.2.3:53", "[::1:53"):
            with self.subTest(addr=addr):
                cfg = GOOD.format(port=53, zone=TEST_ZONE).replace('"127.0.0.1:53"', '"%s"' % addr)
                self.check_rejected(cfg, r"vmdns\.yaml$", 1, r".")

    def test_bad_numbers(self):
        base = GOOD.format(port=53, zone=TEST_ZONE)
        self.check_rejected(base.replace("workers: 1", "workers: many"), r"vmdns\.yaml$", 2, r"many")
        self.check_rejected(base.replace("edns_udp_size: 1232", "edns_udp_size: 100"), r"vmdns\.yaml$", 6,
                            r"\b100\b")
        self.check_rejected(base.replace("10s", "10 parsecs"), r"vmdns\.yaml$", 6, r"parsecs")

    def test_bad_notify_settings(self):
        # the transfer plugin's NOTIFY retries: out of range, named at their line
        base = GOOD.format(port=53, zone=TEST_ZONE) + 'transfer:\n  to: ["127.0.0.1"]\n'
        self.check_rejected(base + "  notify_timeout: 5ms\n", r"vmdns\.yaml$", 9,
                            r"notify_timeout must be 10ms to 10m")
        self.check_rejected(base + "  notify_timeout: soon\n", r"vmdns\.yaml$", 9, r"soon")
        self.check_rejected(base + "  notify_tries: 0\n", r"vmdns\.yaml$", 9, r"\b0\b")
        self.check_rejected(base + "  notify_tries: 11\n", r"vmdns\.yaml$", 9, r"\b11\b")
        path = self.write("good.yaml", base + "  notify_timeout: 250ms\n  notify_tries: 3\n")
        p = self.run_vmdnsd("--check-config", path)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_unreadable_zone_file(self):
        missing = os.path.join(self.tmp, "missing.zone")
        cfg = GOOD.format(port=53, zone=missing)
        # Named at the `file:` line of the config, saying which file.
        self.check_rejected(cfg, r"vmdns\.yaml$", 5, re.escape(missing))

    def test_broken_zone_file(self):
        zone = (
            "$ORIGIN example.com.\n"
            "$TTL 300\n"
            "@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n"
            "@ IN NS ns1\n"
            "www IN A 192.0.2.300\n"  # line 5: bad address
            "ns1 IN A 192.0.2.1\n"
        )
        cfg = GOOD.format(port=53, zone=os.path.join(self.tmp, "bad.zone"))
        self.check_rejected(cfg, r"bad\.zone$", 5, r".", zone_text=zone)

    def test_zone_without_soa(self):
        zone = "$ORIGIN example.com.\n$TTL 300\nwww IN A 192.0.2.1\n"
        cfg = GOOD.format(port=53, zone=os.path.join(self.tmp, "bad.zone"))
        self.write("bad.zone", zone)
        path = self.write("vmdns.yaml", cfg)
        p = self.run_vmdnsd("--check-config", path)
        self.assertNotEqual(p.returncode, 0, "zone without SOA accepted")
        self.assertRegex(p.stderr, r"\S+:\d+: .*SOA")

    def test_yaml_syntax_error(self):
        cfg = GOOD.format(port=53, zone=TEST_ZONE).replace("workers: 1", "workers: [1")
        path = self.write("vmdns.yaml", cfg)
        p = self.run_vmdnsd("--check-config", path)
        self.assertNotEqual(p.returncode, 0)
        self.assertRegex(p.stderr, re.escape(path) + r":\d+: ")

    def test_missing_config_file(self):
        p = self.run_vmdnsd("--check-config", os.path.join(self.tmp, "nope.yaml"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("nope.yaml", p.stderr)

    def test_bad_command_line(self):
        self.assertNotEqual(self.run_vmdnsd("--no-such-option").returncode, 0)
        self.assertNotEqual(self.run_vmdnsd().returncode, 0)


class LifecycleTest(unittest.TestCase):
    def test_short_option_and_sigterm(self):
        server = Vmdnsd(workers=1)
        try:
            server.start(option="-c")
            r = udp(query("www.example.com.", "A"), server.port)
            self.assertEqual(r.rcode(), dns.rcode.NOERROR)
            self.assertEqual(server.stop(signal.SIGTERM), 0)
        finally:
            server.cleanup()

    def test_sigint_and_workers_auto(self):
        with_auto = Vmdnsd(workers="auto")
        try:
            with_auto.start()
            r = udp(query("www.example.com.", "A"), with_auto.port)
            self.assertEqual(r.rcode(), dns.rcode.NOERROR)
            self.assertEqual(with_auto.stop(signal.SIGINT), 0)
        finally:
            with_auto.cleanup()

    def test_port_in_use_fails(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        tmp = tempfile.mkdtemp(prefix="vmdns-cfg-")
        try:
            path = os.path.join(tmp, "vmdns.yaml")
            with open(path, "w") as f:
                f.write(GOOD.format(port=port, zone=TEST_ZONE))
            p = subprocess.run([binary("vmdnsd"), "--config", path], capture_output=True, text=True,
                               timeout=15, stdin=subprocess.DEVNULL)
            self.assertNotEqual(p.returncode, 0, "started although its UDP port is taken")
            self.assertIn(str(port), p.stderr)
        finally:
            s.close()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
