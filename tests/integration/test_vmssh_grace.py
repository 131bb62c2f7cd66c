# SPDX-License-Identifier: BSD-2-Clause
"""test_vmssh_grace.py - `vmssh grace` for real, in a VM network namespace.

netns_harness builds a host and a VM namespace with a real sshd on
0.0.0.0:22 in the VM; this test adds a second sshd there on [::1]:22 for
IPv6 sessions. Real ssh sessions (from the host namespace to the VM's
address, and inside the VM to ::1) are what `vmssh grace`, run in the VM
namespace, must see:

  - no session: exit 0 at once, nothing printed;
  - a session that ends after 3 s: "Job completed. SSH sessions active,
    waiting up to 4m50s..." and exit 3 after about 3 s;
  - a session that outlives --max 2s: exit 4 after about 2 s;
  - an IPv4 and an IPv6 session: both counted ("2 SSH sessions active"),
    a line when the first ends, exit 3 when the second does;
  - grace: max/interval from --config; bad values exit 1, stray options 2.

Skipped (with the reason) where network namespaces cannot be created.
"""

import os
import subprocess
import time
import unittest

import netns_harness as nh
from vmdns_harness import _sanitizer_env

VM0 = nh.Network.vm_link_addr(0)
EXIT_NONE, EXIT_ENDED, EXIT_LIMIT = 0, 3, 4


class GraceTests(unittest.TestCase):
    net = None
    skip_reason = None

    @classmethod
    def setUpClass(cls):
        # As vmssh_cases: a skip is raised by each test's setUp, so every
        # test counts as skipped.
        try:
            cls.exe = nh.vmssh_binary()
            cls.net = nh.Network(vms=1, services=False)
            cls.start_sshd6()
        except unittest.SkipTest as e:
            cls.skip_reason = str(e)

    @classmethod
    def start_sshd6(cls):
        """A second sshd in the VM namespace, on [::1]:22 (IPv6 sessions)."""
        net = cls.net
        cls.ipv6 = net.vm[0].run(["ip", "-6", "addr", "show", "dev", "lo"],
                                 check=False).stdout.find("::1") >= 0
        if not cls.ipv6:
            return
        cfg = os.path.join(net.tmp, "sshd_config.v6")
        with open(os.path.join(net.tmp, "sshd_config.0")) as f:
            text = f.read().replace("ListenAddress 0.0.0.0:22", "ListenAddress [::1]:22")
        with open(cfg, "w") as f:
            f.write(text)
        sshd = nh.shutil.which("sshd") or "/usr/sbin/sshd"
        net._spawn("sshd6 in vm0", net.vm[0], [sshd, "-D", "-e", "-f", cfg], "sshd6.log")
        deadline = time.monotonic() + 10
        while net.vm[0].run(["ssh-keyscan", "-6", "-T", "1", "::1"],
                            check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise AssertionError("sshd on [::1]:22 did not start")
            time.sleep(0.1)

    @classmethod
    def tearDownClass(cls):
        if cls.net is not None:
            cls.net.close()

    def setUp(self):
        if self.skip_reason is not None:
            self.skipTest(self.skip_reason)
        self.net.check_processes()
        self.sessions = []

    def tearDown(self):
        for p in self.sessions:
            if p.poll() is None:
                p.kill()
            p.communicate(timeout=5)  # reaps it and closes its pipes

    def session(self, ns, host, seconds):
        """An ssh session from namespace ns to host that lasts `seconds`
        after login; returns once it is logged in."""
        argv = ["ssh", "-F", "/dev/null", "-i", self.net.client_key, "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR",
                "root@" + host, "echo ready; sleep %s" % seconds]
        p = ns.popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True)
        self.sessions.append(p)
        line = p.stdout.readline()
        self.assertEqual(line.strip(), "ready", "ssh to %s: %s" % (host, p.stderr.read()
                                                                   if p.poll() is not None else ""))
        return p

    def grace(self, *args, config=None):
        """Run vmssh grace in the VM namespace: (exit code, stdout, stderr, seconds)."""
        argv = [self.exe] + (["--config", config] if config else []) + ["grace"]
        argv += [str(a) for a in args]
        t0 = time.monotonic()
        r = self.net.vm[0].run(argv, check=False, timeout=120, env=_sanitizer_env())
        took = time.monotonic() - t0
        nh._check_sanitizer("vmssh grace", r.stderr)
        return r.returncode, r.stdout, r.stderr, took

    def test_no_session_exits_at_once(self):
        code, out, err, took = self.grace()
        self.assertEqual((code, out, err), (EXIT_NONE, "", ""))
        self.assertLess(took, 1.5)

    def test_session_ends_after_3s(self):
        self.session(self.net.host, VM0, 3)
        code, out, err, took = self.grace("--interval", "200ms")
        self.assertEqual(code, EXIT_ENDED, out + err)
        lines = out.splitlines()
        self.assertEqual(lines[0], "Job completed. SSH sessions active, waiting up to 4m50s...")
        self.assertEqual(lines[1], "1 SSH session active")
        self.assertEqual(lines[-1], "All SSH sessions ended")
        self.assertGreater(took, 2.0)
        self.assertLess(took, 6.0)  # a loaded box

    def test_session_outlives_max(self):
        self.session(self.net.host, VM0, 60)
        code, out, err, took = self.grace("--max", "2s", "--interval", "500ms")
        self.assertEqual(code, EXIT_LIMIT, out + err)
        self.assertIn("waiting up to 2s...", out)
        self.assertIn("still active", out.splitlines()[-1])
        self.assertGreater(took, 1.9)
        self.assertLess(took, 4.0)

    def test_ipv6_session_counted(self):
        if not self.ipv6:
            self.skipTest("no ::1 in the VM namespace")
        # the IPv6 one first and longer, the IPv4 one right before grace
        # starts (a login can take a second on a loaded box: both must still
        # be there at grace's first look)
        self.session(self.net.vm[0], "::1", 5)
        self.session(self.net.host, VM0, 2.5)
        code, out, err, took = self.grace("--interval", "200ms")
        self.assertEqual(code, EXIT_ENDED, out + err)
        lines = out.splitlines()
        self.assertEqual(lines[1], "2 SSH sessions active")
        self.assertIn("1 SSH session active", lines)  # the IPv6 one, alone
        self.assertEqual(lines[-1], "All SSH sessions ended")
        self.assertGreater(took, 2.0)
        # IPv6 alone is counted too.
        self.session(self.net.vm[0], "::1", 60)
        code, out, err, _took = self.grace("--max", "300ms", "--interval", "100ms")
        self.assertEqual(code, EXIT_LIMIT, out + err)
        self.assertIn("1 SSH session active", out)

    def test_config_and_command_line(self):
        cfg = os.path.join(self.net.tmp, "vmssh.yaml")
        with open(cfg, "w") as f:
            f.write(nh.config_yaml("nft", "/nonexistent", extra="grace:\n  max: 1s\n"
                                   "  interval: 100ms\n"))
        code, out, err, _ = self.grace(config=cfg)
        self.assertEqual((code, out, err), (EXIT_NONE, "", ""))
        self.session(self.net.host, VM0, 60)
        code, out, err, took = self.grace(config=cfg)
        self.assertEqual(code, EXIT_LIMIT, out + err)
        self.assertIn("waiting up to 1s...", out)
        self.assertLess(took, 3.0)
        # The command line wins over the config.
        code, out, err, _ = self.grace("--max", "200ms", config=cfg)
        self.assertEqual(code, EXIT_LIMIT, out + err)
        self.assertIn("waiting up to 200ms...", out)
        for bad in (["--max", "soon"], ["--interval", "0s"], ["--port", "0"],
                    ["--port", "65536"]):
            code, out, err, _ = self.grace(*bad)
            self.assertEqual(code, 1, bad)
            self.assertEqual(len(err.splitlines()), 1, err)
        for bad in (["--max"], ["extra"], ["--lease", "1h"]):
            code, out, err, _ = self.grace(*bad)
            self.assertEqual(code, 2, (bad, err))
        r = self.net.vm[0].run([self.exe, "close", "x", "--max", "1s"], check=False)
        self.assertEqual(r.returncode, 2)
        with open(cfg, "w") as f:
            f.write(nh.config_yaml("nft", "/nonexistent", extra="grace:\n  maxx: 1s\n"))
        code, out, err, _ = self.grace(config=cfg)
        self.assertEqual(code, 1)
        self.assertIn("vmssh.yaml:", err)


if __name__ == "__main__":
    unittest.main()
