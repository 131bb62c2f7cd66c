# SPDX-License-Identifier: BSD-2-Clause
"""test_coredns_cli.py - vmdnsd started and steered the way CoreDNS is
(issue 11, points 2, 3, 4, 6, 15).

- The stock `coredns.service` unit with the binary's name changed: its
  ExecStart command line starts vmdnsd on the Corefile, its ExecReload
  (`/bin/kill -SIGUSR1 $MAINPID`) reloads it.
- CoreDNS's flags in Go syntax (`-conf=F`, `--conf F`, `-dns.port`,
  `-pidfile`, `-quiet`, `-version`, `-plugins`), and no arguments at all
  reading ./Corefile.
- Signals: SIGHUP, SIGUSR1 and SIGUSR2 reload and the process lives on;
  SIGQUIT quits at once (no lameduck) with exit 0.
- Logs: operational lines on stdout, nothing on stderr; a bad Corefile's
  error on stderr.
- `health` / `ready` without an address listen on :8080 / :8181 on IPv4
  and IPv6; `prometheus` without one on localhost:9153 (skipped when
  those ports are taken on this machine).
- `password {$UNSET}`, `username ""`, `ttl {$UNSET}` in a redis block are
  "not set": Redis without a password loads, the default TTL applies.
"""

import os
import shlex
import signal
import socket
import subprocess
import time
import unittest
import urllib.request

import dns.rcode

import redis_harness as rh
from vmdns_harness import (TEST_ZONE, ReservedPort, Vmdnsd, _sanitizer_env, binary, have_ipv6,
                           query, udp, wait_for)

# The unit file of CoreDNS's deployment repository (systemd/coredns.service),
# as distributions ship it.
COREDNS_SERVICE = """\
[Unit]
Description=CoreDNS DNS server
Documentation=https://coredns.io
After=network.target

[Service]
PermissionsStartOnly=true
LimitNOFILE=1048576
LimitNPROC=512
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
AmbientCapabilities=CAP_NET_BIND_SERVICE
NoNewPrivileges=true
User=coredns
WorkingDirectory=~
ExecStart=/usr/bin/coredns -conf=/etc/coredns/Corefile
ExecReload=/bin/kill -SIGUSR1 $MAINPID
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""

# A homelab Corefile: one zone from a file, the usual plugins.
COREFILE = """\
example.com:{port} {{
    bind 127.0.0.1
    file {zone}
    errors
    log
    any
{extra}}}
"""


def unit_line(key):
    for line in COREDNS_SERVICE.splitlines():
        if line.startswith(key + "="):
            return line[len(key) + 1:]
    raise KeyError(key)


def serial(port):
    r = udp(query("example.com.", "SOA"), port)
    return r.answer[0][0].serial


class CliServer(Vmdnsd):
    """A Vmdnsd started with a command line of our choosing."""

    def launch(self, argv, cwd=None, read_ports=True, stderr_apart=False):
        self.log = open(self.log_path, "wb")
        self.err_path = os.path.join(self.tmp, "stderr.log")
        self.err = open(self.err_path, "wb") if stderr_apart else None
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.err if stderr_apart else subprocess.STDOUT,
                                     cwd=cwd, env=_sanitizer_env())
        if self.err is not None:
            self.err.close()  # the child has its own copy
        if read_ports:
            self.read_ports()
        return self

    def stderr_text(self):
        with open(self.err_path, "r", errors="replace") as f:
            return f.read()


class CoreDNSCommandLineTest(unittest.TestCase):
    def setUp(self):
        self.server = CliServer(config="# unused\n")
        self.addCleanup(self.server.cleanup)
        self.zone = os.path.join(self.server.tmp, "db.example.com")
        with open(TEST_ZONE) as src, open(self.zone, "w") as dst:
            dst.write(src.read())
        self.corefile = os.path.join(self.server.tmp, "Corefile")
        self.write_corefile()

    def write_corefile(self, port=0, extra=""):
        with open(self.corefile, "w") as f:
            f.write(COREFILE.format(port=port, zone=self.zone, extra=extra))

    def bump_serial(self):
        with open(self.zone) as f:
            text = f.read()
        old = serial(self.server.port)
        with open(self.zone, "w") as f:
            f.write(text.replace(str(old), str(old + 1), 1))
        return old + 1

    def test_stock_systemd_unit(self):
        """ExecStart and ExecReload of coredns.service, binary renamed."""
        start = unit_line("ExecStart").replace("/usr/bin/coredns", binary("vmdnsd"))
        start = start.replace("/etc/coredns/Corefile", self.corefile)
        self.assertIn("-conf=", start)
        s = self.server.launch(shlex.split(start), cwd=os.path.expanduser("~"))
        first = serial(s.port)
        want = self.bump_serial()
        reload = unit_line("ExecReload").replace("$MAINPID", str(s.proc.pid))
        subprocess.run(shlex.split(reload), check=True)
        wait_for(lambda: serial(s.port) == want, 10, what="the new serial after ExecReload")
        self.assertNotEqual(first, want)
        self.assertIn("reload (SIGUSR1)", s.log_text())
        self.assertTrue(s.alive())
        s.stop()

    def test_go_flag_spellings(self):
        for argv in (["-conf", self.corefile], ["--conf=" + self.corefile],
                     ["--conf", self.corefile, "-quiet=false"], ["-corefile", self.corefile]):
            with self.subTest(argv=argv):
                s = CliServer(config="# unused\n")
                try:
                    s.launch([binary("vmdnsd")] + argv)
                    r = udp(query("www.example.com.", "A"), s.port)
                    self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                    s.stop()
                finally:
                    s.cleanup()

    def test_no_arguments_reads_corefile_here(self):
        s = self.server.launch([binary("vmdnsd")], cwd=self.server.tmp)
        r = udp(query("www.example.com.", "A"), s.port)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        s.stop()
        # Without a Corefile here: a usage error naming what to give.
        p = subprocess.run([binary("vmdnsd")], cwd="/", capture_output=True, text=True,
                           timeout=10)
        self.assertEqual(p.returncode, 2)
        self.assertIn("-conf FILE", p.stderr)

    def test_dns_port_pidfile_quiet(self):
        reserved = ReservedPort()
        self.server.reserved.append(reserved)
        with open(self.corefile, "w") as f:  # a key without a port
            f.write("example.com {\n  bind 127.0.0.1\n  file %s\n}\n" % self.zone)
        pidfile = os.path.join(self.server.tmp, "coredns.pid")
        s = self.server.launch([binary("vmdnsd"), "-conf", self.corefile,
                                "-dns.port=%d" % reserved.port, "--pidfile", pidfile,
                                "-quiet"], read_ports=False)
        wait_for(lambda: os.path.exists(pidfile), 10, what="the pid file")
        reserved.release()
        with open(pidfile) as f:
            self.assertEqual(int(f.read().strip()), s.proc.pid)
        r = udp(query("www.example.com.", "A"), reserved.port)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertNotIn("listening on", s.log_text())  # -quiet: no banner
        s.stop()
        self.assertFalse(os.path.exists(pidfile))

    def test_version_plugins_and_bad_flags(self):
        for flag in ("-version", "--version", "-V"):
            p = subprocess.run([binary("vmdnsd"), flag], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0)
            self.assertRegex(p.stdout, r"^vmdnsd \d+\.\d+")
        p = subprocess.run([binary("vmdnsd"), "-plugins"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        for name in ("dns.file", "dns.redis", "dns.health", "dns.prometheus", "dns.any"):
            self.assertIn("  %s\n" % name, p.stdout)
        for argv, why in ((["-dns.port", "0"], "not a port"), (["-bogus"], "unknown option"),
                          (["-conf"], "needs a value"), (["-quiet=maybe"], "boolean"),
                          (["-conf", "a", "-conf", "b"], "one config file"),
                          (["Corefile"], "unexpected argument")):
            p = subprocess.run([binary("vmdnsd")] + argv, capture_output=True, text=True)
            self.assertEqual(p.returncode, 2, argv)
            self.assertIn(why, p.stderr)

    def test_logs_on_stdout_errors_on_stderr(self):
        s = self.server.launch([binary("vmdnsd"), "-conf", self.corefile], stderr_apart=True)
        udp(query("www.example.com.", "A"), s.port)
        s.stop()
        self.assertIn("[INFO] vmdnsd", s.log_text())
        self.assertEqual(s.stderr_text(), "")
        with open(self.corefile, "w") as f:
            f.write("example.com {\n  whoami\n}\n")
        p = subprocess.run([binary("vmdnsd"), "-conf", self.corefile], capture_output=True,
                           text=True, timeout=10)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr.strip(),
                         "[ERROR] %s:2: unknown directive 'whoami'" % self.corefile)

    def test_reload_signals_never_kill(self):
        self.write_corefile(extra="    health 127.0.0.1:0 {\n        lameduck 5s\n    }\n")
        s = self.server.launch([binary("vmdnsd"), "-conf", self.corefile])
        for n, sig in enumerate((signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2), start=2):
            with self.subTest(sig=sig.name):
                want = self.bump_serial()
                s.proc.send_signal(sig)
                wait_for(lambda: serial(s.port) == want, 10, what="a reload after %s" % sig.name)
                self.assertTrue(s.alive())
                wait_for(lambda: "configuration %d from" % n in s.log_text(), 10,
                         what="configuration %d applied" % n)
        self.assertIn("SIGUSR2: no binary upgrade", s.log_text())
        # SIGQUIT: CoreDNS quits at once, exit 0, without the 5 s lameduck.
        t0 = time.monotonic()
        rc = s.stop(sig=signal.SIGQUIT)
        self.assertEqual(rc, 0)
        self.assertLess(time.monotonic() - t0, 4.0)
        self.assertIn("SIGQUIT", s.log_text())


def port_free(port):
    for family, host in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        try:
            with socket.socket(family, socket.SOCK_STREAM) as sk:
                sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as vmdnsd: TIME_WAIT is fine
                sk.bind((host, port))
        except OSError:
            if family == socket.AF_INET or have_ipv6():
                return False
    return True


def http_get(host, port, path):
    url = "http://%s:%d%s" % ("[%s]" % host if ":" in host else host, port, path)
    with urllib.request.urlopen(url, timeout=3) as r:
        return r.status


class EndpointDefaultsTest(unittest.TestCase):
    def test_health_ready_prometheus_defaults(self):
        """health/ready on :8080/:8181 (v4 and v6), prometheus on localhost:9153."""
        for port in (8080, 8181, 9153):
            if not port_free(port):
                self.skipTest("port %d is taken on this machine" % port)
        s = CliServer(config="# unused\n")
        self.addCleanup(s.cleanup)
        corefile = os.path.join(s.tmp, "Corefile")
        with open(corefile, "w") as f:
            f.write(COREFILE.format(port=0, zone=TEST_ZONE,
                                    extra="    health\n    ready\n    prometheus\n"))
        s.launch([binary("vmdnsd"), "-conf", corefile])
        wait_for(lambda: "serving /ready" in s.log_text(), 10, what="the ready endpoint")
        self.assertEqual(http_get("127.0.0.1", 8080, "/health"), 200)
        self.assertEqual(http_get("127.0.0.1", 8181, "/ready"), 200)
        self.assertEqual(http_get("127.0.0.1", 9153, "/metrics"), 200)
        if have_ipv6():
            self.assertEqual(http_get("::1", 8080, "/health"), 200)
            self.assertEqual(http_get("::1", 8181, "/ready"), 200)
        s.stop()


class EmptyEnvValuesTest(unittest.TestCase):
    """A redis block written for `{$REDIS_PASSWORD}` and `{$DNS_TTL}` that
    are not set in this deployment."""

    @classmethod
    def setUpClass(cls):
        cls.node = rh.Node().start()
        with cls.node.client() as c:
            rh.fill_zone(c, "vm.example.com.", [("web", '{"a":[{"ip":"10.1.2.3"}]}')])

    @classmethod
    def tearDownClass(cls):
        cls.node.cleanup()

    def run_corefile(self, env):
        s = CliServer(config="# unused\n")
        self.addCleanup(s.cleanup)
        corefile = os.path.join(s.tmp, "Corefile")
        with open(corefile, "w") as f:
            f.write("vm.example.com:0 {\n  bind 127.0.0.1\n  redis {\n"
                    "    address %s\n    password {$VMDNS_T_REDIS_PASSWORD}\n"
                    "    username \"\"\n    ttl {$VMDNS_T_DNS_TTL}\n  }\n}\n" % self.node.addr)
        old = dict(os.environ)
        os.environ.pop("VMDNS_T_REDIS_PASSWORD", None)
        os.environ.pop("VMDNS_T_DNS_TTL", None)
        os.environ.update(env)
        try:
            s.launch([binary("vmdnsd"), "-conf", corefile])
        finally:
            os.environ.clear()
            os.environ.update(old)
        rh.wait_answer(s.port, "web.vm.example.com.", {"10.1.2.3"})
        r = udp(query("web.vm.example.com.", "A"), s.port)
        s.stop()
        return r.answer[0].ttl

    def test_unset_and_empty_mean_default(self):
        self.assertEqual(self.run_corefile({}), 300)
        self.assertEqual(self.run_corefile({"VMDNS_T_DNS_TTL": ""}), 300)
        self.assertEqual(self.run_corefile({"VMDNS_T_DNS_TTL": "77"}), 77)


if __name__ == "__main__":
    unittest.main()
