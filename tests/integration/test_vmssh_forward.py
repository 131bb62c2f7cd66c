# SPDX-License-Identifier: BSD-2-Clause
"""test_vmssh_forward.py - vmssh open/close for real, in network namespaces.

For each firewall backend (nft, iptables), on the network netns_harness
builds (client ns -> host ns with redis-server, vmdnsd and vmssh -> VM
namespaces running a real sshd):

  - `open` prints how to connect; from the client namespace the name
    resolves at vmdnsd (A = the host's address, _ssh._tcp SRV = the port)
    and `ssh -p PORT` to the host's external address logs into the VM;
    `close` refuses ssh, makes the name NXDOMAIN and leaves no trace of the
    VM in `nft list ruleset` / `iptables-save`; the host's own rules and
    other VMs' forwards are never disturbed;
  - a failure at each step (injected with VMSSH_FAIL_AT, or real: nft or
    iptables failing on the 1st/2nd/3rd rule through a stand-in on PATH,
    Redis down, a name in no zone) leaves no rule, no name and no port held (the
    port range has one port, which the next open gets);
  - a port bound by a local listener is skipped;
  - bad command lines exit 2 and bad values exit 1, touching nothing;
  - `list`, `renew` (also writing a name Redis lost again), re-opening, leases (nft: the kernel drops an expired
    forward by itself; iptables: reconcile does);
  - iptables: a host whose FORWARD policy is DROP still forwards.

Skipped (with the reason) where network namespaces cannot be created.
"""

import time
import unittest

import netns_harness as nh
from vmssh_cases import VmsshCase
from vmdns_harness import wait_for

VM0 = nh.Network.vm_link_addr(0)  # VM namespace 0's own address
VM1 = nh.Network.vm_link_addr(1)


class ForwardTests:
    """The tests; mixed into one class per backend below."""

    fail_points = ("port", "forward", "dns")

    def test_open_resolve_ssh_close(self):
        r = self.vmssh.open("vm-a", VM0)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("SSH access available:", r.stdout)
        port, user, name = nh.parse_open(r.stdout)
        self.assertEqual((user, name), ("root", "vm-a.vm.example.com"))
        self.assertTrue(30000 <= port <= 39999, port)
        # dig from the client namespace: A and SRV
        wait_for(lambda: self.net.dig("vm-a.vm.example.com", "A") == ("NOERROR", [nh.HOST_EXT_IP]),
                 3, what="dig A vm-a")
        status, srv = self.net.dig("_ssh._tcp.vm-a.vm.example.com", "SRV")
        self.assertEqual(status, "NOERROR")
        self.assertEqual(len(srv), 1, srv)
        prio, weight, srv_port, target = srv[0].split()
        self.assertEqual((int(srv_port), target.rstrip(".")), (port, "vm-a.vm.example.com"))
        self.assertSshLands(port, VM0)
        self.assertEqual(self.vmssh.list(), {"vm-a": (port, VM0, "vm-a.vm.example.com")})
        self.assertHostRulesKept()

        r = self.vmssh.close("vm-a")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRefused(port)
        r = self.net.ssh(port)
        self.assertEqual(r.returncode, 255)
        self.assertIn("refused", r.stderr)
        self.assertEqual(self.net.dig("vm-a.vm.example.com", "A")[0], "NXDOMAIN")
        self.assertEqual(self.net.dig("_ssh._tcp.vm-a.vm.example.com", "SRV")[0], "NXDOMAIN")
        self.assertNoTrace("vm-a", VM0, port)
        self.assertHostRulesKept()
        self.assertNothingOpen()
        # closing what is not open is not an error
        r = self.vmssh.close("vm-a")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.vmssh.close("vm-never-opened")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_vms_do_not_disturb_each_other(self):
        pa = self.vmssh.open_ok("vm-a", VM0)
        before = nh.traces(self.net.ruleset(), "vm-a", VM0, pa)
        self.assertTrue(before, "no rule mentions vm-a")
        pb = self.vmssh.open_ok("vm-b", VM1)
        self.assertNotEqual(pa, pb)
        self.assertSshLands(pb, VM1)
        self.assertEqual(self.vmssh.close("vm-b").returncode, 0)
        self.assertEqual(nh.traces(self.net.ruleset(), "vm-a", VM0, pa), before,
                         "vm-a's rules changed while vm-b came and went")
        self.assertNoTrace("vm-b", VM1, pb)
        self.assertSshLands(pa, VM0)
        self.assertResolves("vm-a", pa)
        self.assertEqual(self.vmssh.close("vm-a").returncode, 0)
        self.assertHostRulesKept()

    def test_reopen_keeps_the_port_and_another_address_conflicts(self):
        port = self.vmssh.open_ok("vm-a", VM0)
        self.assertEqual(self.vmssh.open_ok("vm-a", VM0), port)
        rules = nh.traces(self.net.ruleset(), "vm-a", VM0, port)
        r = self.vmssh.open("vm-a", VM1)
        self.assertFailed(r, "open vm-a with another address")
        self.assertEqual(nh.traces(self.net.ruleset(), "vm-a", VM0, port), rules)
        self.assertSshLands(port, VM0)
        self.vmssh.close("vm-a")
        self.assertNoTrace("vm-a", VM0, port)

    def test_failure_at_each_step_leaves_nothing(self):
        self.vmssh.write(port_range="30000-30000")  # one port: held or not is plain to see
        for point in self.fail_points:
            with self.subTest(fail_at=point):
                r = self.vmssh.open("vm-f", VM0, fail_at=point)
                self.assertFailed(r, "open with VMSSH_FAIL_AT=%s" % point)
                self.assertNoTrace("vm-f", VM0, 30000)
                self.assertHostRulesKept()
                self.assertNothingOpen()
                self.assertEqual(self.vmssh.open_ok("vm-g", VM1), 30000, "port 30000 still held")
                self.assertSshLands(30000, VM1)
                self.assertEqual(self.vmssh.close("vm-g").returncode, 0)
                self.assertNoTrace("vm-g", VM1, 30000)

    def test_firewall_command_failing_leaves_nothing(self):
        self.vmssh.write(port_range="30000-30000")
        for program, condition in self.failing_commands:
            with self.subTest(program=program, condition=condition):
                env = self.vmssh.failing_path(program, condition)
                r = self.vmssh.open("vm-f", VM0, env=env)
                self.assertFailed(r, "open with %s failing when %s" % (program, condition))
                self.assertNoTrace("vm-f", VM0, 30000)
                self.assertHostRulesKept()
                self.assertNothingOpen()
                self.assertEqual(self.vmssh.open_ok("vm-g", VM1), 30000, "port 30000 still held")
                self.assertEqual(self.vmssh.close("vm-g").returncode, 0)

    def test_redis_down_at_the_dns_step_leaves_nothing(self):
        self.vmssh.write(port_range="30000-30000")
        self.net.stop_redis()
        try:
            r = self.vmssh.open("vm-r", VM0)
            self.assertFailed(r, "open with Redis down")
            self.assertEqual(nh.traces(self.net.ruleset(), "vm-r", VM0, 30000), [])
        finally:
            self.net.start_redis()
        wait_for(lambda: self.net.rcode(nh.ZONE, "SOA") == "NOERROR", 10,
                 what="vmdnsd to serve the zone again")
        self.assertNoTrace("vm-r", VM0, 30000)
        self.assertEqual(self.vmssh.open_ok("vm-s", VM0), 30000, "port 30000 still held")
        self.assertResolves("vm-s", 30000)
        self.vmssh.close("vm-s")
        self.assertNoTrace("vm-s", VM0, 30000)

    def test_name_in_no_zone_fails_at_the_dns_step_and_leaves_nothing(self):
        self.vmssh.write(port_range="30000-30000")
        r = self.vmssh.open("vm-z", VM0, name="vm-z.elsewhere.example.org")
        self.assertFailed(r, "open with a name in no zone")
        self.assertEqual(nh.traces(self.net.ruleset(), "vm-z", VM0, 30000), [])
        self.assertNothingOpen()
        self.assertEqual(self.vmssh.open_ok("vm-y", VM0), 30000, "port 30000 still held")
        self.vmssh.close("vm-y")

    def test_port_bound_by_a_local_listener_is_skipped(self):
        self.vmssh.write(port_range="30000-30001")
        listener = self.net.host.socket()
        try:
            listener.bind(("0.0.0.0", 30000))
            listener.listen(1)
            self.assertEqual(self.vmssh.open_ok("vm-l", VM0), 30001)
            r = self.vmssh.open("vm-m", VM1)
            self.assertFailed(r, "open with every port taken")
            self.assertNoTrace("vm-m", VM1)
        finally:
            listener.close()
        self.vmssh.close("vm-l")
        self.assertNoTrace("vm-l", VM0, 30001)

    def test_bad_command_lines_exit_2_and_touch_nothing(self):
        cfg = ["--config", self.vmssh.path]
        bad = [
            [],
            cfg,
            cfg + ["frobnicate"],
            cfg + ["open"],
            cfg + ["open", "vm-a"],  # no --vm-ip, no --name
            cfg + ["open", "vm-a", "--vm-ip", VM0],
            cfg + ["open", "vm-a", "--vm-ip", VM0, "--name", "vm-a.vm.example.com", "--bogus"],
            cfg + ["open", "vm-a", "--vm-ip"],
            cfg + ["open", "vm-a", "extra", "--vm-ip", VM0, "--name", "vm-a.vm.example.com"],
            cfg + ["close"],
            cfg + ["close", "vm-a", "vm-b"],
            cfg + ["renew"],
            cfg + ["list", "extra"],
            cfg + ["reconcile"],
            cfg + ["reconcile", "--live"],
            ["--config"],
            ["--bogus", "list"],
        ]
        before = self.net.ruleset_stable()
        for argv in bad:
            with self.subTest(argv=argv):
                r = self.vmssh(*argv, raw=True)
                self.assertEqual(r.returncode, 2, "vmssh %s: want 2, got %d (%s)"
                                 % (" ".join(argv), r.returncode, r.stderr.strip()))
                self.assertTrue(r.stderr.strip(), "no message on stderr")
        self.assertEqual(self.net.ruleset_stable(), before)
        self.assertNothingOpen()

    def test_bad_values_exit_1_and_touch_nothing(self):
        bad_open = [
            ("bad id!", VM0, "x.vm.example.com"),
            ("a/b", VM0, "x.vm.example.com"),
            ("x" * 64, VM0, "x.vm.example.com"),
            ("vm-v", "10.201.0.256", "x.vm.example.com"),
            ("vm-v", "10.201.0", "x.vm.example.com"),
            ("vm-v", "vm.example.com", "x.vm.example.com"),
            ("vm-v", VM0, "bad..name.vm.example.com"),
            ("vm-v", VM0, "bad_name.vm.example.com"),
            ("vm-v", VM0, "-x.vm.example.com"),
            ("vm-v", VM0, ("a" * 64) + ".vm.example.com"),
        ]
        before = self.net.ruleset_stable()
        for vm, ip, name in bad_open:
            with self.subTest(vm=vm, ip=ip, name=name):
                r = self.vmssh.open(vm, ip, name=name)
                self.assertFailed(r, "open %r %r %r" % (vm, ip, name))
        for lease in ("2x", "-1s", "soon"):
            with self.subTest(lease=lease):
                self.assertFailed(self.vmssh.open("vm-v", VM0, lease=lease), "lease %r" % lease)
        for port_range in ("40000-30000", "0-100", "30000-70000", "x-y"):
            with self.subTest(port_range=port_range):
                self.vmssh.write(port_range=port_range)
                self.assertFailed(self.vmssh.open("vm-v", VM0), "port_range %r" % port_range)
        self.vmssh.write()
        self.assertEqual(self.net.ruleset_stable(), before)
        self.assertNothingOpen()

    def test_list(self):
        want = {}
        for i, vm in enumerate(["vm-l1", "vm-l2", "vm-l3"]):
            ip = nh.Network.vm_addr(0, 10 + i)
            port = self.vmssh.open_ok(vm, ip)
            want[vm] = (port, ip, nh.fqdn(vm))
        self.assertEqual(self.vmssh.list(), want)
        self.vmssh.close("vm-l2")
        del want["vm-l2"]
        self.assertEqual(self.vmssh.list(), want)
        for vm in want:
            self.vmssh.close(vm)
        self.assertEqual(self.vmssh.list(), {})

    def test_reconcile_keeps_the_live_and_closes_the_rest(self):
        pa = self.vmssh.open_ok("vm-a", VM0)
        pb = self.vmssh.open_ok("vm-b", VM1)
        rules_a = nh.traces(self.net.ruleset(), "vm-a", VM0, pa)
        r = self.vmssh("reconcile", "--live", "vm-a,vm-gone")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNoTrace("vm-b", VM1, pb)
        self.assertEqual(nh.traces(self.net.ruleset(), "vm-a", VM0, pa), rules_a)
        self.assertSshLands(pa, VM0)
        self.assertResolves("vm-a", pa)
        r = self.vmssh("reconcile", "--live", "")  # no VM is live
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNoTrace("vm-a", VM0, pa)
        self.assertNothingOpen()
        self.assertHostRulesKept()

    def test_renew(self):
        port = self.vmssh.open_ok("vm-n", VM0, lease="3s")
        time.sleep(1.5)
        r = self.vmssh("renew", "vm-n", "--lease", "1h")
        self.assertEqual(r.returncode, 0, r.stderr)
        time.sleep(2.5)  # past the first lease
        self.expire_leases()
        self.assertEqual(self.vmssh.list().get("vm-n", (None,))[0], port, "renewed forward gone")
        self.assertSshLands(port, VM0)
        self.assertResolves("vm-n", port)
        r = self.vmssh("renew", "vm-not-open", "--lease", "1h")
        self.assertFailed(r, "renew of a VM that is not open")
        self.vmssh.close("vm-n")
        self.assertNoTrace("vm-n", VM0, port)

    def test_renew_heals_a_name_the_backend_lost(self):
        """vmssh renew writes the VM's name again when Redis lost it (issue
        13.3): the host knows the VM's address and port, Redis is not the
        only copy."""
        port = self.vmssh.open_ok("vm-h", VM0, lease="1h")
        self.assertResolves("vm-h", port)
        self.net.redis_cli("HDEL", nh.ZONE, "vm-h", "_ssh._tcp.vm-h")  # lost
        self.assertEqual(self.net.redis_cli("HEXISTS", nh.ZONE, "vm-h").strip(), "0")
        r = self.vmssh("renew", "vm-h", "--lease", "1h")
        self.assertEqual(r.returncode, 0, r.stderr)
        for field in ("vm-h", "_ssh._tcp.vm-h"):
            self.assertEqual(self.net.redis_cli("HEXISTS", nh.ZONE, field).strip(), "1",
                             field)
        self.assertResolves("vm-h", port)
        self.vmssh.close("vm-h")
        self.assertNoTrace("vm-h", VM0, port)

    def test_lease_expires_by_itself(self):
        keep = self.vmssh.open_ok("vm-keep", VM1, lease="1h")
        port = self.vmssh.open_ok("vm-e", VM0, lease="2s")
        self.assertSshLands(port, VM0)
        time.sleep(2.2)
        self.expire_leases(live=["vm-keep", "vm-e"])
        self.wait_until(lambda: not nh.traces(self.net.ruleset(), "vm-e", VM0, port), 5,
                        "the expired forward to leave the ruleset")
        self.assertRefused(port)
        self.wait_until(lambda: self.net.rcode(nh.fqdn("vm-e")) == "NXDOMAIN", 5,
                        "the expired name to vanish")
        self.assertSshLands(keep, VM1)
        self.vmssh.close("vm-keep")

    def expire_leases(self, live=None):
        """nft: nothing to do (the kernel drops the element); iptables:
        reconcile removes forwards whose lease has passed."""


class NftForwardTest(ForwardTests, VmsshCase):
    backend = "nft"
    # the transaction (`nft -f`) fails; listing still works
    failing_commands = [("nft", 'echo " $* " | grep -q " -f "')]


class IptablesForwardTest(ForwardTests, VmsshCase):
    backend = "iptables"
    fail_points = ("port", "forward", "forward:2", "forward:3", "dns")
    # adding the 1st (PREROUTING), 2nd (FORWARD) or 3rd (POSTROUTING) rule fails: the
    # rules already added must be removed
    failing_commands = [
        ("iptables", 'echo " $* " | grep -Eq " -[AI] PREROUTING "'),
        ("iptables", 'echo " $* " | grep -Eq " -[AI] FORWARD "'),
        ("iptables", 'echo " $* " | grep -Eq " -[AI] POSTROUTING "'),
    ]

    def expire_leases(self, live=None):
        live = live if live is not None else [vm for vm in self.vmssh.list()]
        r = self.vmssh("reconcile", "--live", ",".join(live))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_forward_policy_drop_still_forwards(self):
        self.net.host.run(["iptables", "-P", "FORWARD", "DROP"])
        port = self.vmssh.open_ok("vm-d", VM0)
        self.assertSshLands(port, VM0)
        self.assertEqual(self.vmssh.close("vm-d").returncode, 0)
        self.assertNoTrace("vm-d", VM0, port)
        self.assertIn(":FORWARD DROP", self.net.host.run(["iptables-save"]).stdout)


if __name__ == "__main__":
    unittest.main()
