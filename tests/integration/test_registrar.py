# SPDX-License-Identifier: BSD-2-Clause
"""test_registrar.py - vmdnsctl (and so libvmdns) against real redis-servers.

Run: VMDNS_BUILD=<build dir> /usr/bin/python3 -m unittest discover \
         -s tests/integration -p 'test_registrar*.py'

Every test starts its own redis-server(s) on loopback ports and checks
what Redis really holds after each command: the zone hash fields (exact
JSON in the CoreDNS redis-plugin schema) and the change-stream entries
(zone/name/op/value, in order). Covered:

  - zone-create, register (A, AAAA, SSH SRV, TTL, lease), deregister;
  - set (MX, TXT, CAA, SRV, CNAME, NS, PTR), list as zone-file text;
  - renew and gc of expired leases;
  - every kind of bad input refused with a one-line error and nothing
    written (byte-for-byte snapshot of the whole database);
  - failover: primary killed, replica promoted, the write lands on it;
    a demoted primary skipped; Sentinel naming the master;
  - two processes registering 1,000 names each at the same time, none lost;
  - --wait-visible against a real vmdnsd (skipped only when vmdnsd has not
    been built in VMDNS_BUILD).
"""

import json
import os
import subprocess
import socket
import threading
import time
import unittest

from lib_registrar.resp import Resp, hgetall, snapshot, stream
from redis_harness import Sentinel
from vmdns_harness import Redis, Vmdnsd, binary, build_dir, dead_port, dig, wait_for

ZONE = "vm.example.com."


def vmdnsctl():
    return binary("vmdnsctl")


class CtlTestCase(unittest.TestCase):
    """One redis-server per test; self.ctl(...) runs vmdnsctl against it."""

    def setUp(self):
        self.redis = Redis().start()
        self.addCleanup(self.redis.stop)
        self.port = self.redis.port

    def ctl(self, *args, redis=None, ok=True, timeout=30):
        """Run vmdnsctl; with ok=True require exit 0, else require failure
        with exactly one line on stderr. Returns the CompletedProcess."""
        nodes = redis if redis is not None else ["127.0.0.1:%d" % self.port]
        cmd = [vmdnsctl()]
        for n in nodes:
            cmd += ["--redis", n]
        cmd += [str(a) for a in args]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        # The test Redis has no persistence: vmdnsctl warns about it once
        # (test_registrar_heal.py checks that); the rest must be clean.
        errors = [ln for ln in p.stderr.splitlines() if not ln.startswith("vmdnsctl: warning: ")]
        if ok:
            self.assertEqual(p.returncode, 0, "%s failed: %s" % (cmd, p.stderr))
            self.assertEqual(errors, [])
        else:
            self.assertNotEqual(p.returncode, 0, "%s succeeded: %s" % (cmd, p.stdout))
            lines = errors
            self.assertEqual(len(lines), 1, "want one error line, got %r" % p.stderr)
            self.assertTrue(lines[0].startswith("vmdnsctl: "), lines[0])
        return p

    def zone(self, zone=ZONE, port=None):
        self.ctl("zone-create", zone, "--ns", "ns1.example.com", "ns2.example.com",
                 "--mbox", "hostmaster@example.com",
                 redis=["127.0.0.1:%d" % (port or self.port)])


class TestRegister(CtlTestCase):
    def test_zone_register_deregister(self):
        self.zone()
        h = hgetall(self.port, ZONE)
        self.assertEqual(json.loads(h["@"]), {
            "ns": [{"host": "ns1.example.com.", "ttl": 300},
                   {"host": "ns2.example.com.", "ttl": 300}],
            "soa": {"ttl": 300, "ns": "ns1.example.com.", "mbox": "hostmaster.example.com.",
                    "refresh": 3600, "retry": 600, "expire": 86400, "minttl": 30}})

        before = time.time()
        self.ctl("register", "vm-abc123.vm.example.com", "--ipv4", "10.1.2.3", "--ipv6",
                 "fd00::3", "--ssh-port", "38291", "--ttl", "30", "--lease", "30m")
        h = hgetall(self.port, ZONE)
        self.assertEqual(set(h), {"@", "vm-abc123", "_ssh._tcp.vm-abc123"})
        name = json.loads(h["vm-abc123"])
        expires = name.pop("expires")
        self.assertTrue(before + 1800 - 1 <= expires <= time.time() + 1800 + 1)
        self.assertEqual(name, {"a": [{"ip": "10.1.2.3", "ttl": 30}],
                                "aaaa": [{"ip": "fd00::3", "ttl": 30}]})
        srv = json.loads(h["_ssh._tcp.vm-abc123"])
        self.assertEqual(srv, {"srv": [{"target": "vm-abc123.vm.example.com.", "port": 38291,
                                        "priority": 0, "weight": 0, "ttl": 30}],
                               "expires": expires})

        entries = stream(self.port)
        self.assertEqual(len(entries), 3)
        self.assertEqual(entries[0]["name"], "@")
        self.assertEqual(entries[1], {"zone": ZONE, "name": "vm-abc123", "op": "set",
                                      "value": h["vm-abc123"]})
        self.assertEqual(entries[2], {"zone": ZONE, "name": "_ssh._tcp.vm-abc123", "op": "set",
                                      "value": h["_ssh._tcp.vm-abc123"]})

        self.ctl("deregister", "vm-abc123.vm.example.com.")
        self.assertEqual(set(hgetall(self.port, ZONE)), {"@"})
        entries = stream(self.port)
        self.assertEqual(entries[3:], [
            {"zone": ZONE, "name": "vm-abc123", "op": "del", "value": ""},
            {"zone": ZONE, "name": "_ssh._tcp.vm-abc123", "op": "del", "value": ""}])

    def test_set_and_list(self):
        self.zone()
        self.ctl("register", "vm-1.vm.example.com", "--ipv4", "10.0.0.1", "--ssh-port", "2222")
        self.ctl("set", "mail.vm.example.com", "MX", "300", "10 mx.example.com.",
                 "20 mx2.example.com")
        self.ctl("set", "vm-1.vm.example.com", "TXT", "60", '"owner=ci job=42"')
        self.ctl("set", "vm.example.com", "CAA", "3600", '0 issue "letsencrypt.org"')
        self.ctl("set", "www.vm.example.com", "CNAME", "30", "vm-1.vm.example.com.")
        self.ctl("set", "_http._tcp.vm.example.com", "SRV", "30", "1 2 80 vm-1.vm.example.com.")
        self.ctl("set", "sub.vm.example.com", "NS", "300", "ns.sub.example.org.")
        h = hgetall(self.port, ZONE)
        self.assertEqual(json.loads(h["mail"]), {"mx": [
            {"host": "mx.example.com.", "preference": 10, "ttl": 300},
            {"host": "mx2.example.com.", "preference": 20, "ttl": 300}]})
        # set keeps the other types of the name
        self.assertEqual(json.loads(h["vm-1"]), {
            "a": [{"ip": "10.0.0.1", "ttl": 30}],
            "txt": [{"text": "owner=ci job=42", "ttl": 60}]})
        apex = json.loads(h["@"])
        self.assertEqual(apex["caa"], [{"flag": 0, "tag": "issue", "value": "letsencrypt.org",
                                        "ttl": 3600}])
        self.assertIn("soa", apex)

        out = self.ctl("list", "vm.example.com").stdout
        lines = [l for l in out.splitlines() if l and not l.startswith(";")]
        want = [
            "vm.example.com.\t300\tIN\tSOA\tns1.example.com. hostmaster.example.com. 0 3600 600 86400 30",
            "vm.example.com.\t300\tIN\tNS\tns1.example.com.",
            "vm.example.com.\t300\tIN\tNS\tns2.example.com.",
            'vm.example.com.\t3600\tIN\tCAA\t0 issue "letsencrypt.org"',
            "_http._tcp.vm.example.com.\t30\tIN\tSRV\t1 2 80 vm-1.vm.example.com.",
            "mail.vm.example.com.\t300\tIN\tMX\t10 mx.example.com.",
            "mail.vm.example.com.\t300\tIN\tMX\t20 mx2.example.com.",
            "sub.vm.example.com.\t300\tIN\tNS\tns.sub.example.org.",
            "vm-1.vm.example.com.\t30\tIN\tA\t10.0.0.1",
            'vm-1.vm.example.com.\t60\tIN\tTXT\t"owner=ci job=42"',
            "_ssh._tcp.vm-1.vm.example.com.\t30\tIN\tSRV\t0 0 2222 vm-1.vm.example.com.",
            "www.vm.example.com.\t30\tIN\tCNAME\tvm-1.vm.example.com.",
        ]
        self.assertEqual(lines, want, out)
        self.assertEqual(self.ctl("list").stdout, out)  # the only zone
        # bad data written by another tool shows as a comment, not served
        with Resp(self.port) as r:
            r("HSET", ZONE, "broken", '{"a":[{"ip":"300.1.1.1"},{"ip":"10.9.9.9"}]}')
            r("HSET", ZONE, "garbage", "not json")
        out = self.ctl("list", ZONE).stdout
        self.assertIn("; broken.vm.example.com.: 1 bad record not served (a[0]: bad IPv4 "
                      "address '300.1.1.1')", out)
        self.assertIn("broken.vm.example.com.\t300\tIN\tA\t10.9.9.9", out)
        self.assertIn("; garbage.vm.example.com.: value is not a JSON object", out)
        # removing a type
        self.ctl("set", "mail.vm.example.com", "MX", "300")
        self.assertNotIn("mail", hgetall(self.port, ZONE))
        self.assertEqual(stream(self.port)[-1], {"zone": ZONE, "name": "mail", "op": "del",
                                                 "value": ""})
        p = self.ctl("list", "nope.example.com", ok=False)
        self.assertIn("does not exist", p.stderr)

    def test_renew_and_gc(self):
        self.zone()
        self.ctl("register", "short.vm.example.com", "--ipv4", "10.0.0.1", "--ssh-port", "22",
                 "--lease", "1s")
        self.ctl("register", "long.vm.example.com", "--ipv4", "10.0.0.2", "--lease", "1s")
        self.ctl("register", "forever.vm.example.com", "--ipv4", "10.0.0.3")
        self.ctl("renew", "long.vm.example.com", "--lease", "1h")
        exp = json.loads(hgetall(self.port, ZONE)["long"])["expires"]
        self.assertAlmostEqual(exp, time.time() + 3600, delta=3)
        time.sleep(2.2)
        self.assertIn("expired at", self.ctl("list", ZONE).stdout)
        n = len(stream(self.port))
        out = self.ctl("gc").stdout
        self.assertEqual(out, "removed 2 expired names\n")
        self.assertEqual(set(hgetall(self.port, ZONE)), {"@", "long", "forever"})
        self.assertEqual(sorted((e["name"], e["op"]) for e in stream(self.port)[n:]),
                         [("_ssh._tcp.short", "del"), ("short", "del")])
        self.assertEqual(self.ctl("gc").stdout, "removed 0 expired names\n")
        p = self.ctl("renew", "short.vm.example.com", "--lease", "1h", ok=False)
        self.assertIn("does not exist", p.stderr)

    def test_bad_input_is_refused_and_nothing_written(self):
        self.zone()
        self.ctl("register", "vm-1.vm.example.com", "--ipv4", "10.0.0.1")
        before = snapshot(self.port)
        long_label = "a" * 64
        long_name = ".".join(["b" * 60] * 4) + ".vm.example.com"
        cases = [
            # (args, exit status, words the message must contain)
            (["register", "bad_name.vm.example.com", "--ipv4", "10.0.0.1"], 1, "bad_name"),
            (["register", "a..b.vm.example.com", "--ipv4", "10.0.0.1"], 1, "empty label"),
            (["register", "-a.vm.example.com", "--ipv4", "10.0.0.1"], 1, "'-'"),
            (["register", long_label + ".vm.example.com", "--ipv4", "10.0.0.1"], 1, "63"),
            (["register", long_name, "--ipv4", "10.0.0.1"], 1, "255"),
            (["register", "vm-2.vm.example.com", "--ipv4", "300.1.2.3"], 1, "300.1.2.3"),
            (["register", "vm-2.vm.example.com", "--ipv4", "fd00::1"], 1, "IPv4"),
            (["register", "vm-2.vm.example.com", "--ipv6", "10.0.0.1"], 1, "IPv6"),
            (["register", "vm-2.other.org", "--ipv4", "10.0.0.1"], 1, "no zone"),
            (["register", "vm.example.com", "--ipv4", "10.0.0.1"], 1, "apex"),
            (["register", "vm-2.vm.example.com"], 2, "--ipv4"),
            (["register", "vm-2.vm.example.com", "--ipv4", "10.0.0.1", "--ssh-port", "70000"],
             2, "--ssh-port"),
            (["register", "vm-2.vm.example.com", "--ipv4", "10.0.0.1", "--ssh-port", "0"], 2,
             "--ssh-port"),
            (["register", "vm-2.vm.example.com", "--ipv4", "10.0.0.1", "--ttl", "-1"], 2, "TTL"),
            (["register", "vm-2.vm.example.com", "--ipv4", "10.0.0.1", "--ttl", "2147483648"],
             2, "TTL"),
            (["register", "vm-2.vm.example.com", "--ipv4", "10.0.0.1", "--lease", "5x"], 2,
             "lease"),
            (["register", "vm-2.vm.example.com", "--ipv4", "10.0.0.1", "--lease", "0s"], 2,
             "lease"),
            (["register", "vm-2.vm.example.com", "--ipv4", "10.0.0.1", "--bogus", "1"], 2,
             "--bogus"),
            (["deregister", "vm.example.com"], 1, "apex"),
            (["deregister", "x.nowhere.org"], 1, "no zone"),
            (["renew", "vm-9.vm.example.com", "--lease", "1h"], 1, "does not exist"),
            (["renew", "vm-1.vm.example.com"], 2, "--lease"),
            (["set", "mail.vm.example.com", "MX", "300", "mx.example.com."], 1, "MX"),
            (["set", "mail.vm.example.com", "MX", "300", "70000 mx.example.com."], 1, "MX"),
            (["set", "mail.vm.example.com", "A", "300", "10.0.0.1", "10.0.0.300"], 1,
             "10.0.0.300"),
            (["set", "mail.vm.example.com", "SRV", "300", "0 0 x."], 1, "SRV"),
            (["set", "mail.vm.example.com", "TXT", "300", "two words"], 1, "TXT"),
            (["set", "mail.vm.example.com", "HINFO", "300", '"a" "b"'], 2, "HINFO"),
            (["set", "mail.vm.example.com", "A", "-5", "10.0.0.1"], 2, "TTL"),
            (["set", "vm-1.vm.example.com", "CNAME", "300", "x.example.com."], 1, "CNAME"),
            (["set", "vm-1.vm.example.com", "SOA", "300", "a. b. 1 2 3 4 5"], 1, "SOA"),
            (["set", "mail.other.org", "A", "300", "10.0.0.1"], 1, "no zone"),
            (["zone-create", "bad_zone.example.com", "--ns", "ns1.example.com", "--mbox",
              "h@example.com"], 1, "bad_zone"),
            (["zone-create", "z.example.org", "--mbox", "h@example.com"], 2, "--ns"),
            (["zone-create", "z.example.org", "--ns", "bad..ns", "--mbox", "h@example.com"], 1,
             "empty label"),
            (["frobnicate"], 2, "frobnicate"),
            ([], 2, "no command"),
            (["--sentinel", "127.0.0.1:1", "gc"], 2, "--master"),
        ]
        for args, status, words in cases:
            with self.subTest(args=args):
                p = self.ctl(*args, ok=False)
                self.assertEqual(p.returncode, status, p.stderr)
                self.assertIn(words, p.stderr)
        self.assertEqual(snapshot(self.port), before)

    def test_unreachable_redis_fails_fast_with_a_message(self):
        port, sock = dead_port()
        self.addCleanup(sock.close)
        t0 = time.monotonic()
        p = self.ctl("register", "x.vm.example.com", "--ipv4", "10.0.0.1", "--timeout", "300ms",
                     redis=["127.0.0.1:%d" % port], ok=False)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertIn("no Redis master reachable", p.stderr)
        self.assertEqual(p.returncode, 1)

    def test_prefix_suffix_and_longest_zone(self):
        args = ["--prefix", "dns:", "--suffix", ":v1"]
        for z in ("example.com", "vm.example.com"):
            self.ctl(*args, "zone-create", z, "--ns", "ns1.example.com", "--mbox", "h.example.com")
        self.ctl(*args, "register", "a.vm.example.com", "--ipv4", "10.0.0.1")
        self.ctl(*args, "register", "b.example.com", "--ipv4", "10.0.0.2")
        self.assertIn("a", hgetall(self.port, "dns:vm.example.com.:v1"))
        self.assertIn("b", hgetall(self.port, "dns:example.com.:v1"))
        self.assertEqual(len(stream(self.port, "dns:vmdns:changes:v1")), 2 + 2 * 2)
        out = self.ctl(*args, "list").stdout
        self.assertIn("; zone example.com.", out)
        self.assertIn("; zone vm.example.com.", out)


class TestAuth(unittest.TestCase):
    def test_password_username_and_db(self):
        r = Redis().start()
        self.addCleanup(r.stop)
        r.cli("CONFIG", "SET", "requirepass", "s3cret")
        base = [vmdnsctl(), "--redis", "127.0.0.1:%d" % r.port]
        run = lambda *a: subprocess.run(base + list(a), capture_output=True, text=True,
                                        timeout=30)
        p = run("--password", "s3cret", "--db", "3", "zone-create", ZONE, "--ns",
                "ns1.example.com", "--mbox", "h.example.com")
        self.assertEqual(p.returncode, 0, p.stderr)
        with Resp(r.port) as c:
            c("AUTH", "s3cret")
            c("SELECT", "3")
            self.assertEqual(c("TYPE", ZONE), "hash")
            c("ACL", "SETUSER", "agent", "on", ">pw", "~*", "+@all")
        p = run("--username", "agent", "--password", "pw", "--db", "3", "register",
                "x.vm.example.com", "--ipv4", "10.0.0.1")
        self.assertEqual(p.returncode, 0, p.stderr)
        t0 = time.monotonic()
        p = run("--password", "wrong", "gc")
        self.assertEqual(p.returncode, 1)
        self.assertIn("AUTH", p.stderr)
        self.assertLess(time.monotonic() - t0, 1.5)  # a bad password is not retried
        p = run("gc")
        self.assertEqual(p.returncode, 1)
        self.assertIn("NOAUTH", p.stderr)


class TestConcurrency(CtlTestCase):
    def test_two_agents_register_1000_names_each(self):
        self.zone()
        errors = []

        def agent(n):
            for i in range(1000):
                p = subprocess.run(
                    [vmdnsctl(), "--redis", "127.0.0.1:%d" % self.port, "register",
                     "a%d-vm%d.vm.example.com" % (n, i), "--ipv4", "10.%d.%d.%d" % (n, i // 256, i % 256),
                     "--ssh-port", str(20000 + i)],
                    capture_output=True, text=True, timeout=30)
                if p.returncode != 0:
                    errors.append(p.stderr)

        threads = [threading.Thread(target=agent, args=(n,)) for n in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        h = hgetall(self.port, ZONE)
        self.assertEqual(len(h), 1 + 2 * 2000)
        for n in (1, 2):
            for i in range(1000):
                self.assertEqual(json.loads(h["a%d-vm%d" % (n, i)])["a"][0]["ip"],
                                 "10.%d.%d.%d" % (n, i // 256, i % 256))
        names = [e["name"] for e in stream(self.port)]
        self.assertEqual(len(names), 1 + 2 * 2000)
        self.assertEqual(len(set(names)), 1 + 2 * 2000)


class TestFailover(unittest.TestCase):
    def setUp(self):
        self.a = Redis(extra_args=["--repl-diskless-sync-delay", "0"]).start()
        self.addCleanup(self.a.stop)
        self.b = Redis(extra_args=["--repl-diskless-sync-delay", "0"]).start()
        self.addCleanup(self.b.stop)
        self.b.cli("REPLICAOF", "127.0.0.1", self.a.port)
        wait_for(lambda: "master_link_status:up" in self.b.cli("INFO", "replication"), 10,
                 what="replica link")
        self.nodes = []
        for r in (self.a, self.b):
            self.nodes += ["--redis", "127.0.0.1:%d" % r.port]

    def run_ctl(self, *args):
        return subprocess.run([vmdnsctl()] + self.nodes + list(args), capture_output=True,
                              text=True, timeout=30)

    def test_write_goes_to_promoted_replica_after_primary_dies(self):
        p = self.run_ctl("zone-create", ZONE, "--ns", "ns1.example.com", "--mbox", "h.example.com")
        self.assertEqual(p.returncode, 0, p.stderr)
        wait_for(lambda: "@" in hgetall(self.b.port, ZONE), 5, what="replication")
        self.a.proc.kill()
        self.a.proc.wait(5)
        self.b.cli("REPLICAOF", "NO", "ONE")
        p = self.run_ctl("register", "after.vm.example.com", "--ipv4", "10.0.0.9")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(hgetall(self.b.port, ZONE)["after"]),
                         {"a": [{"ip": "10.0.0.9", "ttl": 30}]})
        self.assertEqual(stream(self.b.port)[-2]["name"], "after")

    def test_demoted_primary_is_skipped(self):
        p = self.run_ctl("zone-create", ZONE, "--ns", "ns1.example.com", "--mbox", "h.example.com")
        self.assertEqual(p.returncode, 0, p.stderr)
        wait_for(lambda: "@" in hgetall(self.b.port, ZONE), 5, what="replication")
        self.b.cli("REPLICAOF", "NO", "ONE")
        self.a.cli("REPLICAOF", "127.0.0.1", self.b.port)
        p = self.run_ctl("register", "x.vm.example.com", "--ipv4", "10.0.0.1")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("x", hgetall(self.b.port, ZONE))

    def test_no_master_is_an_error_not_a_success(self):
        self.a.proc.kill()
        self.a.proc.wait(5)
        p = self.run_ctl("--timeout", "500ms", "register", "x.vm.example.com", "--ipv4",
                         "10.0.0.1")
        self.assertEqual(p.returncode, 1)
        self.assertIn("no Redis master reachable", p.stderr)
        self.assertIn("not a master", p.stderr)

    def test_sentinel_names_the_master(self):
        sentinel = Sentinel(self.a).start()
        self.addCleanup(sentinel.cleanup)
        sport = sentinel.port
        p = subprocess.run([vmdnsctl(), "--sentinel", "127.0.0.1:%d" % sport, "--master",
                            "vmdns", "zone-create", ZONE, "--ns", "ns1.example.com", "--mbox",
                            "h.example.com"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("@", hgetall(self.a.port, ZONE))
        p = subprocess.run([vmdnsctl(), "--sentinel", "127.0.0.1:%d" % sport, "--master",
                            "nosuch", "gc"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn("nosuch", p.stderr)


def vmdnsd_built():
    return os.path.isfile(os.path.join(build_dir(), "src", "vmdnsd"))


@unittest.skipUnless(vmdnsd_built(), "vmdnsd not built in VMDNS_BUILD (%s)" % build_dir())
class TestWaitVisible(CtlTestCase):
    """register/deregister --wait-visible return only once vmdnsd answers."""

    def test_wait_visible_then_dig_answers(self):
        self.zone()
        config = ("listen: [\"127.0.0.1:{port}\"]\nworkers: 1\n"
                  "redis:\n  backends:\n    - name: test\n"
                  "      addresses: [\"127.0.0.1:%d\"]\n" % self.port)
        d = Vmdnsd(config=config)
        self.addCleanup(d.cleanup)
        d.start(probe=ZONE)
        try:
            at = "127.0.0.1:%d" % d.port
            self.ctl("register", "vm-w1.vm.example.com", "--ipv4", "10.7.0.1", "--ipv6",
                     "fd00::71", "--ssh-port", "38291", "--wait-visible", at,
                     "--wait-timeout", "5s")
            # no polling here: the command returned, so the answer is there now
            self.assertEqual(dig(d.port, "+short", "vm-w1.vm.example.com", "A").split(),
                             ["10.7.0.1"])
            self.assertEqual(dig(d.port, "+short", "vm-w1.vm.example.com", "AAAA").split(),
                             ["fd00::71"])
            self.assertEqual(dig(d.port, "+short", "_ssh._tcp.vm-w1.vm.example.com",
                                 "SRV").split(),
                             ["0", "0", "38291", "vm-w1.vm.example.com."])
            self.ctl("deregister", "vm-w1.vm.example.com", "--wait-visible", at)
            self.assertIn("status: NXDOMAIN", dig(d.port, "vm-w1.vm.example.com", "A"))
            # a server that is not there: a timeout error, but the write was made
            silent, sock = dead_port(socket.SOCK_DGRAM)
            self.addCleanup(sock.close)
            p = self.ctl("register", "vm-w2.vm.example.com", "--ipv4", "10.7.0.2",
                         "--wait-visible", "127.0.0.1:%d" % silent, "--wait-timeout",
                         "300ms", ok=False)
            self.assertIn("did not show", p.stderr)
            self.assertIn("vm-w2", hgetall(self.port, ZONE))
        finally:
            d.stop()


if __name__ == "__main__":
    unittest.main()
