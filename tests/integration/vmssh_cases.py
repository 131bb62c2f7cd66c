# SPDX-License-Identifier: BSD-2-Clause
"""vmssh_cases.py - the shared base of the vmssh test files.

Each test file (test_vmssh_*.py) holds a mixin of tests and runs it once per
firewall backend (nft, iptables) through VmsshCase: one namespace network
(netns_harness.Network) per class, and before every test a host whose
firewall holds only "the host's own" rules (a filter rule and a nat rule that
vmssh must never touch), a VM zone without names, and a fresh vmssh config
and state_dir. Helpers here assert what the issue asks of every step:
nothing left in the ruleset, no name in DNS or Redis, no port held.
"""

import time
import unittest

import netns_harness as nh
from vmdns_harness import wait_for

# The host's own firewall, per backend: vmssh must leave it as it is.
HOST_NFT = """table inet hostfw {
    chain input {
        type filter hook input priority filter; policy accept;
        tcp dport 2222 accept
    }
}
"""
HOST_IPTABLES = [
    ["iptables", "-A", "INPUT", "-p", "tcp", "--dport", "2222", "-j", "ACCEPT"],
    ["iptables", "-t", "nat", "-A", "PREROUTING", "-p", "tcp", "--dport", "29999", "-j", "DNAT",
     "--to-destination", "198.51.100.7:22"],
]


class VmsshCase(unittest.TestCase):
    """Base of the per-backend test classes (set `backend`)."""

    backend = None
    vms = 2  # VM namespaces

    @classmethod
    def setUpClass(cls):
        # A skip (no namespaces here) is raised by each test's setUp rather
        # than here, so every test counts as skipped ("Ran N tests",
        # skipped=N) and scripts/test's arithmetic stays right.
        cls.net, cls.skip_reason = None, None
        try:
            if cls.backend is None:
                raise unittest.SkipTest("base class")
            nh.vmssh_binary()  # skips while the tree has no vmssh
            cls.net = nh.Network(vms=cls.vms)
        except unittest.SkipTest as e:
            cls.skip_reason = str(e)

    @classmethod
    def tearDownClass(cls):
        if cls.net is None:
            return
        try:
            cls.net.stop_vmdnsd()  # fails on a vmdnsd crash or sanitizer report
        finally:
            cls.net.close()
        leftover = [n for n in nh.list_netns() if n.startswith(cls.net.base)]
        if leftover:
            raise AssertionError("namespaces left behind: %s" % leftover)

    def setUp(self):
        if self.skip_reason is not None:
            self.skipTest(self.skip_reason)
        self.net.check_processes()
        self.reset_host()
        self.net.reset_zone()
        self.vmssh = nh.Vmssh(self.net, self.backend)

    def reset_host(self):
        """An empty ruleset plus the host's own rules; FORWARD policy ACCEPT."""
        h = self.net.host
        h.run(["nft", "flush", "ruleset"])
        if self.backend == "nft":
            h.run(["nft", "-f", "-"], input=HOST_NFT)
        else:
            for cmd in HOST_IPTABLES:
                h.run(cmd)
        self.baseline = self.host_rules()

    def host_rules(self):
        """The host's own rules, as text to compare."""
        if self.backend == "nft":
            return self.net.host.run(["nft", "list", "table", "inet", "hostfw"]).stdout
        out = self.net.host.run(["iptables-save"]).stdout
        return sorted(l for l in out.splitlines() if l.startswith("-A"))

    # ---- assertions

    def assertHostRulesKept(self):
        now = self.host_rules()
        if self.backend == "nft":
            self.assertEqual(now, self.baseline, "the host's own nft table changed")
        else:
            for line in self.baseline:
                self.assertIn(line, now, "the host's own iptables rule is gone")

    def assertNoTrace(self, vm, ip=None, port=None):
        """No rule mentions the VM, its address or its port; no name in Redis
        or DNS."""
        lines = nh.traces(self.net.ruleset(), vm, ip, port)
        self.assertEqual(lines, [], "ruleset still mentions %s (%s, port %s)" % (vm, ip, port))
        fields = [f for f in self.net.zone_fields() if f == vm or f.endswith("." + vm)]
        self.assertEqual(fields, [], "names of %s left in Redis" % vm)
        name = nh.fqdn(vm)
        wait_for(lambda: self.net.rcode(name) == "NXDOMAIN", 3, what="%s NXDOMAIN" % name)
        wait_for(lambda: self.net.rcode("_ssh._tcp." + name, "SRV") == "NXDOMAIN", 3,
                 what="_ssh._tcp.%s NXDOMAIN" % name)

    def assertNothingOpen(self):
        self.assertEqual(self.vmssh.list(), {}, "vmssh list is not empty")
        self.assertEqual(self.net.zone_fields(), [], "names left in the VM zone")

    def assertFailed(self, r, what):
        """Exit 1 with exactly one line on stderr."""
        self.assertEqual(r.returncode, 1, "%s: want exit 1, got %d\nstdout: %s\nstderr: %s"
                         % (what, r.returncode, r.stdout, r.stderr))
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, "%s: want one line on stderr, got:\n%s" % (what, r.stderr))

    def assertResolves(self, vm, port):
        """A = the host's address and _ssh._tcp SRV = the port (dnspython)."""
        name = nh.fqdn(vm)
        wait_for(lambda: self.net.answers(name) == {nh.HOST_EXT_IP}, 3,
                 what="%s A %s" % (name, nh.HOST_EXT_IP))
        srv = self.net.answers("_ssh._tcp." + name, "SRV")
        self.assertEqual({s.split()[2] for s in srv}, {str(port)}, "SRV of %s: %s" % (name, srv))

    def assertSshLands(self, port, ip):
        """ssh -p port root@host logs in, and lands on the VM address ip."""
        r = self.net.ssh(port)
        self.assertEqual(r.returncode, 0, "ssh -p %d failed: %s" % (port, r.stderr))
        fields = r.stdout.split()
        self.assertEqual(fields[0], nh.CLIENT_IP, "ssh session seen from %s" % r.stdout)
        self.assertEqual(fields[2:4], [ip, "22"], "ssh -p %d landed on %s" % (port, r.stdout))

    def assertRefused(self, port):
        state = self.net.client.tcp_state(nh.HOST_EXT_IP, port)
        self.assertEqual(state, "refused", "port %d after close: %s" % (port, state))

    def wait_until(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > deadline:
                self.fail("timed out waiting for " + what)
            time.sleep(0.1)
