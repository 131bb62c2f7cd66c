# SPDX-License-Identifier: BSD-2-Clause
"""test_vmssh_concurrent.py - vmssh under concurrency and crashes, for real.

For each firewall backend, on the netns_harness network:

  - 50 `vmssh open`s started at once get 50 distinct ports; every forward
    is in the ruleset and reaches an sshd, and ssh into a sample lands on
    the right VM address; 50 concurrent `close`s then leave nothing (no
    rule, no name);
  - the agent killed with SIGKILL at random points of `open`, 20 times,
    then `reconcile --live` the VMs that still exist: nothing of the killed
    VMs is left (no rule, no name), the live VMs are untouched and still
    reachable.

The 50 VMs share one VM namespace and its sshd (one address each, routed
there); what matters is 50 forwards.
"""

import os
import random
import signal
import time
import unittest

import netns_harness as nh
from vmssh_cases import VmsshCase
from vmdns_harness import wait_for

N = 50
KILLS = 20


class ConcurrentTests:
    def test_50_concurrent_opens_then_50_concurrent_closes(self):
        vms = ["vm-c%02d" % i for i in range(N)]
        ips = {vm: nh.Network.vm_addr(0, 100 + i) for i, vm in enumerate(vms)}
        procs = {vm: self.vmssh.popen("open", vm, "--vm-ip", ips[vm], "--name", nh.fqdn(vm),
                                      "--user", "root") for vm in vms}
        ports = {}
        for vm, p in procs.items():
            out, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, "open %s: %s" % (vm, err))
            ports[vm] = nh.parse_open(out)[0]
        self.assertEqual(len(set(ports.values())), N, "ports not distinct: %s" % ports)
        listed = self.vmssh.list()
        self.assertEqual(listed, {vm: (ports[vm], ips[vm], nh.fqdn(vm)) for vm in vms})
        ruleset = self.net.ruleset()
        for vm in vms:
            self.assertTrue(nh.traces(ruleset, vm, ips[vm], ports[vm]),
                            "no rule for %s in the ruleset" % vm)
            banner = self.net.client.banner(nh.HOST_EXT_IP, ports[vm])
            self.assertTrue(banner.startswith("SSH-2.0-"), "port %d: %r" % (ports[vm], banner))
        for vm in random.Random(1).sample(vms, 5):
            self.assertSshLands(ports[vm], ips[vm])
            self.assertResolves(vm, ports[vm])

        procs = {vm: self.vmssh.popen("close", vm) for vm in vms}
        for vm, p in procs.items():
            _out, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, "close %s: %s" % (vm, err))
        ruleset = self.net.ruleset()
        for vm in vms:
            self.assertEqual(nh.traces(ruleset, vm, ips[vm], ports[vm]), [],
                             "%s left in the ruleset" % vm)
        self.assertNothingOpen()
        for vm in random.Random(2).sample(vms, 5):
            self.assertRefused(ports[vm])
            wait_for(lambda: self.net.rcode(nh.fqdn(vm)) == "NXDOMAIN", 3, what=vm + " NXDOMAIN")
        self.assertHostRulesKept()

    def test_sigkill_during_open_then_reconcile(self):
        live = {"vm-live%d" % i: nh.Network.vm_addr(1, i) for i in range(3)}
        live_ports = {vm: self.vmssh.open_ok(vm, ip) for vm, ip in live.items()}
        live_rules = {vm: nh.traces(self.net.ruleset(), vm, live[vm], live_ports[vm])
                      for vm in live}
        # how long an open takes, to spread the kills over it
        t0 = time.monotonic()
        self.vmssh.open_ok("vm-timing", nh.Network.vm_addr(0, 1))
        took = time.monotonic() - t0
        seed = int(os.environ.get("VMSSH_TEST_SEED", str(int(time.time()))))
        rnd = random.Random(seed)
        killed = {"vm-timing": nh.Network.vm_addr(0, 1)}
        for i in range(KILLS):
            vm, ip = "vm-k%02d" % i, nh.Network.vm_addr(0, 200 + i)
            killed[vm] = ip
            p = self.vmssh.popen("open", vm, "--vm-ip", ip, "--name", nh.fqdn(vm))
            time.sleep(rnd.uniform(0, took * 1.1))
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.communicate(timeout=30)
            # what the agent had started (nft, iptables) finishes on its own
            wait_for(lambda: not nh.session_pids(p.pid), 10, what="the killed open's children")
        # the kills must have left something behind for reconcile to find
        ruleset = self.net.ruleset()
        orphans = [vm for vm, ip in killed.items() if nh.traces(ruleset, vm, ip)]
        named = [vm for vm in killed if vm in self.net.zone_fields()]
        self.assertTrue(orphans, "no killed open left a forward (open takes %.0f ms; seed %d)"
                        % (took * 1000, seed))
        if os.environ.get("VMSSH_TEST_VERBOSE"):
            print("\n%d of %d killed opens left a forward, %d a name; open takes %.1f ms"
                  % (len(orphans), len(killed), len(named), took * 1000))
        r = self.vmssh("reconcile", "--live", ",".join(sorted(live)))
        self.assertEqual(r.returncode, 0, "reconcile: %s (seed %d)" % (r.stderr, seed))
        ruleset = self.net.ruleset()
        for vm, ip in killed.items():
            self.assertEqual(nh.traces(ruleset, vm, ip), [],
                             "%s (killed) left in the ruleset (seed %d)" % (vm, seed))
        fields = set(self.net.zone_fields())
        want = {vm for vm in live} | {"_ssh._tcp." + vm for vm in live}
        self.assertEqual(fields, want, "names after reconcile (seed %d)" % seed)
        self.assertEqual(self.vmssh.list(),
                         {vm: (live_ports[vm], live[vm], nh.fqdn(vm)) for vm in live})
        for vm in live:
            self.assertEqual(nh.traces(ruleset, vm, live[vm], live_ports[vm]), live_rules[vm],
                             "%s's rules changed" % vm)
            self.assertSshLands(live_ports[vm], live[vm])
            self.assertResolves(vm, live_ports[vm])
        for vm in killed:
            wait_for(lambda: self.net.rcode(nh.fqdn(vm)) == "NXDOMAIN", 3, what=vm + " NXDOMAIN")
        # reconcile is idempotent and a file works as well as the option
        live_file = os.path.join(self.vmssh.dir, "live")
        with open(live_file, "w") as f:
            f.write("".join(vm + "\n" for vm in sorted(live)))
        r = self.vmssh("reconcile", "--live-file", live_file)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(set(self.vmssh.list()), set(live))
        for vm in live:
            self.vmssh.close(vm)
        self.assertNothingOpen()


class NftConcurrentTest(ConcurrentTests, VmsshCase):
    backend = "nft"


class IptablesConcurrentTest(ConcurrentTests, VmsshCase):
    backend = "iptables"


if __name__ == "__main__":
    unittest.main()
