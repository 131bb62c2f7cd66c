# SPDX-License-Identifier: BSD-2-Clause
"""test_registrar_heal.py - the registrar's side of issue 13: agents heal
the data (point 3), and the operator hears of dangerous Redis settings and
of a full Redis in plain words (point 6).

  - Renew heals: 40 VMs registered with vmdnsctl, vmdnsd serving them;
    Redis is restarted empty (no persistence, as a crash would leave it);
    the operator's zone-create runs again and each agent's next renew
    (`vmdnsctl renew NAME --lease ... --ipv4 ... --ssh-port ...`, i.e.
    vmdns_renew_vm) writes its VM again: every VM is back in Redis and
    answers A and SRV over DNS within that one renew pass. A renew without
    the VM's data (vmdns_renew) still says "does not exist".
  - Warnings: a Redis without persistence and without replicas, or with
    an eviction policy, gets exactly one "vmdnsctl: warning:" line naming
    the setting; appendonly yes + noeviction gets none.
  - OOM: with maxmemory reached (noeviction), register, renew and set fail
    with "Redis is out of memory", never EXECABORT, and write nothing.
"""

import subprocess
import time
import unittest

import redis_harness as rh
from vmdns_harness import binary

ZONE = "vm.example.com."
N = 40
LEASE = "10m"


def ctl(node, *args, check=True):
    p = subprocess.run([binary("vmdnsctl"), "--redis", node.addr] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=30)
    if check and p.returncode != 0:
        raise AssertionError("vmdnsctl %s failed: %s" % (" ".join(map(str, args)), p.stderr))
    return p


def zone_create(node):
    ctl(node, "zone-create", ZONE, "--ns", "ns1.vm.example.com", "--mbox",
        "hostmaster@vm.example.com")


def vm(i):
    return "vm-%d.%s" % (i, ZONE), "10.9.0.%d" % (i + 1), 30000 + i


class RenewHealsTest(unittest.TestCase):
    def test_renew_writes_lost_vms_again(self):
        node = rh.Node().start()
        self.addCleanup(node.cleanup)
        zone_create(node)
        for i in range(N):
            name, ip, port = vm(i)
            ctl(node, "register", name, "--ipv4", ip, "--ssh-port", port, "--lease", LEASE)
        server = rh.start_vmdnsd(rh.redis_config([rh.backend_yaml("a", [node.addr])],
                                                 max_backoff="200ms"))
        self.addCleanup(server.cleanup)
        for i in range(N):
            name, ip, _ = vm(i)
            rh.wait_answer(server.port, name, {ip})

        node.kill()  # a crash; it comes back without its data
        node.start()
        self.assertEqual(node.cmd("DBSIZE"), 0)
        zone_create(node)  # the operator's provisioning runs again
        p = ctl(node, "renew", vm(0)[0], "--lease", LEASE, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("does not exist", p.stderr)  # plain renew cannot heal

        t0 = time.monotonic()
        for i in range(N):  # one renew pass of the agents
            name, ip, port = vm(i)
            ctl(node, "renew", name, "--lease", LEASE, "--ipv4", ip, "--ssh-port", port)
        fields = set(node.cmd("HKEYS", ZONE))
        for i in range(N):
            self.assertIn("vm-%d" % i, fields)
            self.assertIn("_ssh._tcp.vm-%d" % i, fields)
        for i in range(N):
            name, ip, port = vm(i)
            rh.wait_answer(server.port, name, {ip}, timeout=10)
            rh.wait_answer(server.port, "_ssh._tcp." + name, {"0 0 %d %s" % (port, name)},
                           rdtype="SRV", timeout=10)
        print("\n%d VMs back in Redis and DNS %.2f s after the renew pass began"
              % (N, time.monotonic() - t0))

        # A VM that is there keeps its stored records: only the lease moves.
        before = node.cmd("HGET", ZONE, "vm-1")
        ctl(node, "renew", vm(1)[0], "--lease", "20m", "--ipv4", "10.99.99.99")
        after = node.cmd("HGET", ZONE, "vm-1")
        self.assertIn("10.9.0.2", after)
        self.assertNotEqual(before, after)


class RedisSettingsTest(unittest.TestCase):
    def warnings(self, node):
        zone_create(node)
        p = ctl(node, "register", "w." + ZONE, "--ipv4", "10.0.0.1")
        return [ln for ln in p.stderr.splitlines() if ln.startswith("vmdnsctl: warning: ")], p

    def test_no_persistence_warned_once(self):
        node = rh.Node().start()
        self.addCleanup(node.cleanup)
        w, p = self.warnings(node)
        self.assertEqual(len(w), 1, p.stderr)
        self.assertIn("no persistence", w[0])
        self.assertIn("appendonly yes", w[0])

    def test_eviction_policy_warned(self):
        node = rh.Node(extra=["--appendonly", "yes", "--maxmemory-policy", "allkeys-lru"]).start()
        self.addCleanup(node.cleanup)
        w, p = self.warnings(node)
        self.assertEqual(len(w), 1, p.stderr)
        self.assertIn("maxmemory-policy is allkeys-lru", w[0])
        self.assertNotIn("persistence", w[0])

    def test_safe_settings_no_warning(self):
        node = rh.Node(extra=["--appendonly", "yes", "--maxmemory-policy", "noeviction"]).start()
        self.addCleanup(node.cleanup)
        w, p = self.warnings(node)
        self.assertEqual(w, [], p.stderr)
        self.assertEqual(p.stderr, "")

    def test_oom_is_said_plainly(self):
        node = rh.Node(extra=["--maxmemory-policy", "noeviction"]).start()
        self.addCleanup(node.cleanup)
        zone_create(node)
        ctl(node, "register", "a." + ZONE, "--ipv4", "10.0.0.1")
        node.cmd("CONFIG", "SET", "maxmemory", "1")
        for args in (["register", "b." + ZONE, "--ipv4", "10.0.0.2"],
                     ["renew", "a." + ZONE, "--lease", "5m"],
                     ["set", "a." + ZONE, "TXT", "60", '"x"']):
            p = ctl(node, *args, check=False)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("Redis is out of memory", p.stderr, args)
            self.assertNotIn("EXECABORT", p.stderr)
        node.cmd("CONFIG", "SET", "maxmemory", "0")
        self.assertIsNone(node.cmd("HGET", ZONE, "b"))
        self.assertNotIn("expires", node.cmd("HGET", ZONE, "a"))


if __name__ == "__main__":
    unittest.main()
