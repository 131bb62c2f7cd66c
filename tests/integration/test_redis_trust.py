# SPDX-License-Identifier: BSD-2-Clause
"""test_redis_trust.py - never trust an empty or lying source (issue 13).

Real redis-server processes (and a lying Sentinel: a small script speaking
the Sentinel protocol) misbehave in ordinary ways while vmdnsd answers;
each test asserts what DNS answers during and after the fault:
  - Redis restarted empty (no persistence): the names keep answering
    (stale), the backend is degraded (metric, /ready detail); the data
    restored (a restart from its RDB): served and healthy at once;
  - the held drop confirmed with `vmdnsctl confirm-drop`, and by the names
    staying gone for drop_confirm;
  - [master, replica], the master stalled, the empty replica taken over
    and later resynced, with resync_interval 0: stale meanwhile, back at
    once after the resync; a replica promoted under vmdnsd (a new
    replication id, same session): reloaded at once;
  - a Sentinel announcing an empty node and then the old one back, with a
    write in between: the old names never become NXDOMAIN;
  - stream entries for a zone without a hash (com.) are ignored and
    counted; a stray delzone is ignored while the hash exists;
  - a stream key and a zone key of the wrong type are reported once, and
    the other zones are still served;
  - maxmemory + allkeys-lru: a warning and a metric, and when Redis evicts
    the zone hash, the names are kept.
"""

import os
import shutil
import socket
import subprocess
import threading
import time
import unittest

import dns.rcode

import redis_harness as rh
from test_ops import http_get, parse_metrics
from vmdns_harness import HTTP_LISTEN, wait_for

ZONE = "vm.example.com."
N = 60  # names per test zone


def vm_addr(i):
    return "10.9.%d.%d" % (i // 256, i % 256)


def fill(node, zone=ZONE, n=N, prefix="vm"):
    with node.client() as c:
        rh.fill_zone(c, zone, [("%s-%d" % (prefix, i), rh.value(a=vm_addr(i))) for i in range(n)])


def vmdnsctl():
    return os.path.join(os.environ.get("VMDNS_BUILD", "build"), "src", "vmdnsctl", "vmdnsctl")


class Prober(threading.Thread):
    """Asks for some of the zone's names in a loop; notes every answer that
    is not the expected address (NXDOMAIN, REFUSED, other data). A query
    without a reply (a busy shared machine) is counted apart."""

    def __init__(self, port, names):
        super().__init__(daemon=True)
        self.port, self.names = port, list(names.items())
        self.sent, self.failures, self.timeouts = 0, [], 0
        self.stopping = threading.Event()

    def run(self):
        i = 0
        while not self.stopping.is_set():
            name, want = self.names[i % len(self.names)]
            i += 1
            r = rh.ask(self.port, name, timeout=1.0)
            self.sent += 1
            if r is None:
                self.timeouts += 1
            elif r.rcode() != dns.rcode.NOERROR or rh.answer_set(r) != {want}:
                self.failures.append((name, dns.rcode.to_text(r.rcode()), rh.answer_set(r)))
            time.sleep(0.005)

    def stop(self):
        self.stopping.set()
        self.join(5)
        assert self.timeouts * 10 <= self.sent, "%d of %d queries unanswered" % (
            self.timeouts, self.sent)


class FakeSentinel:
    """A lying Sentinel: answers SENTINEL get-master-addr-by-name with
    whatever node it is told, no replicas, and announces +switch-master to
    its PSUBSCRIBE clients on switch()."""

    def __init__(self, master_port, name="vmdns"):
        self.name, self.master = name, master_port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.subscribers, self.lock = [], threading.Lock()
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port

    @staticmethod
    def bulk(s):
        s = s.encode() if isinstance(s, str) else s
        return b"$%d\r\n%s\r\n" % (len(s), s)

    def _accept(self):
        while not self.closing:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        f = conn.makefile("rb")
        try:
            while True:
                line = f.readline()
                if not line:
                    return
                if not line.startswith(b"*"):
                    continue
                args = []
                for _ in range(int(line[1:])):
                    n = int(f.readline()[1:])
                    args.append(f.read(n + 2)[:-2].decode())
                cmd = [a.lower() for a in args[:2]]
                if cmd[0] == "ping":
                    conn.sendall(b"+PONG\r\n")
                elif cmd[:2] == ["sentinel", "get-master-addr-by-name"]:
                    conn.sendall(b"*2\r\n" + self.bulk("127.0.0.1") + self.bulk(str(self.master)))
                elif cmd[0] == "sentinel":
                    conn.sendall(b"*0\r\n")
                elif cmd[0] == "psubscribe":
                    conn.sendall(b"*3\r\n" + self.bulk("psubscribe") + self.bulk(args[1]) +
                                 b":1\r\n")
                    with self.lock:
                        self.subscribers.append(conn)
                else:
                    conn.sendall(b"-ERR unknown command\r\n")
        except (OSError, ValueError):
            return

    def switch(self, port):
        old, self.master = self.master, port
        payload = "%s 127.0.0.1 %d 127.0.0.1 %d" % (self.name, old, port)
        msg = (b"*4\r\n" + self.bulk("pmessage") + self.bulk("+switch-master") +
               self.bulk("+switch-master") + self.bulk(payload))
        with self.lock:
            for conn in self.subscribers:
                try:
                    conn.sendall(msg)
                except OSError:
                    pass

    def cleanup(self):
        self.closing = True
        self.sock.close()
        with self.lock:
            for conn in self.subscribers:
                conn.close()


class TrustCase(unittest.TestCase):
    def setUp(self):
        self.things = []
        self.server = None

    def tearDown(self):
        if self.server is not None:
            try:
                self.server.stop()
            finally:
                self.server.cleanup()
        for t in reversed(self.things):
            t.cleanup()

    def node(self, extra=()):
        n = rh.Node(extra=list(extra)).start()
        self.things.append(n)
        return n

    def start(self, backends, resync="60s", drop_confirm="5m", notifications=False, extra=""):
        http = ('metrics: {listen: "%s"}\nready: {listen: "%s"}\n'
                % (HTTP_LISTEN["metrics"], HTTP_LISTEN["ready"]))
        cfg = rh.redis_config(backends, resync=resync, notifications=notifications,
                              extra="  drop_confirm: %s\n%s%s" % (drop_confirm, extra, http))
        self.server = rh.start_vmdnsd(cfg)
        self.port = self.server.port
        return self.server

    def metric(self, name, backend="t"):
        status, body, _ = http_get(self.server.http["metrics"], "/metrics")
        self.assertEqual(status, 200)
        samples, _ = parse_metrics(body)
        return samples.get((name, frozenset({("backend", backend)})))

    def wait_metric(self, name, want, backend="t", timeout=10.0):
        wait_for(lambda: self.metric(name, backend) == want, timeout,
                 what="%s{backend=%s} == %s (now %s)"
                 % (name, backend, want, self.metric(name, backend)))

    def ready(self):
        status, body, _ = http_get(self.server.http["ready"], "/ready")
        return status, body

    def prober(self, n=N, prefix="vm"):
        p = Prober(self.port, {"%s-%d.%s" % (prefix, i, ZONE): vm_addr(i)
                               for i in range(0, n, 7)})
        p.start()
        wait_for(lambda: p.sent > 10, 10, what="the prober to run")
        return p

    def assert_all(self, n=N, prefix="vm"):
        for i in range(n):
            self.assertEqual(rh.addresses(self.port, "%s-%d.%s" % (prefix, i, ZONE)),
                             {vm_addr(i)}, "%s-%d" % (prefix, i))


class TestEmptyRestart(TrustCase):
    def test_restart_empty_stale_then_restored(self):
        node = self.node()
        fill(node)
        self.start([rh.backend_yaml("t", [node.addr])])
        rh.wait_answer(self.port, "vm-%d.%s" % (N - 1, ZONE), {vm_addr(N - 1)})
        self.assertEqual(self.metric("vmdns_redis_degraded"), 0)
        self.assertEqual(self.metric("vmdns_redis_unsafe_persistence"), 1)  # --save "", no AOF
        self.server.wait_log("has no persistence")
        node.cmd("SAVE")  # a backup, restored later
        backup = os.path.join(node.tmp, "backup.rdb")
        shutil.move(os.path.join(node.tmp, "dump.rdb"), backup)

        prober = self.prober()
        try:
            node.kill()
            node.start()  # empty: no dump.rdb, no AOF
            self.server.wait_log("DEGRADED", timeout=10)
            self.wait_metric("vmdns_redis_degraded", 1)
            self.assertEqual(self.metric("vmdns_redis_names_held"), N)
            status, body = self.ready()
            self.assertEqual(status, 200)  # still serving: ready, with the detail
            self.assertIn("backend t degraded: %d names served stale" % N, body)
            self.assert_all()
            # a write meanwhile is applied on top of the stale names
            with node.client() as c:
                rh.register(c, ZONE, "during", rh.value(a="10.8.0.1"))
            rh.wait_answer(self.port, "during." + ZONE, {"10.8.0.1"}, timeout=5)
            time.sleep(1.5)  # a recheck or two: still held
            self.assert_all()

            # the data restored: a restart from the backup (another run_id):
            # reloaded at once, no longer degraded
            node.kill()
            shutil.move(backup, os.path.join(node.tmp, "dump.rdb"))
            t = time.monotonic()
            node.start()
            self.wait_metric("vmdns_redis_degraded", 0, timeout=5)
            self.assertLess(time.monotonic() - t, 4)
            self.server.wait_log("no longer degraded")
        finally:
            prober.stop()
        self.assertGreater(prober.sent, 50)
        self.assertEqual(prober.failures, [], "names failed while Redis was empty")
        self.assertEqual(self.ready(), (200, "OK"))
        self.assert_all()
        # "during" was written to the empty node only: the restored data
        # does not have it (one name of 61: within max_drop)
        rh.wait_for(lambda: rh.rcode(self.port, "during." + ZONE) == dns.rcode.NXDOMAIN, 5,
                    what="during dropped")
        self.assertGreaterEqual(self.metric("vmdns_redis_discontinuities_total"), 2)

    def test_confirm_drop_with_vmdnsctl(self):
        node = self.node()
        fill(node)
        self.start([rh.backend_yaml("t", [node.addr])])
        rh.wait_answer(self.port, "vm-0." + ZONE, {vm_addr(0)})
        node.kill()
        node.start()
        self.wait_metric("vmdns_redis_degraded", 1)
        self.assert_all()
        r = subprocess.run([vmdnsctl(), "--redis", node.addr, "confirm-drop", "t"],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        rh.wait_for(lambda: rh.rcode(self.port, "vm-0." + ZONE) == dns.rcode.REFUSED, 5,
                    what="the zone dropped once confirmed")
        self.wait_metric("vmdns_redis_degraded", 0)
        self.assertEqual(self.metric("vmdns_redis_drops_confirmed_total"), 1)
        self.assertEqual(self.metric("vmdns_redis_names_held"), 0)
        self.server.wait_log("confirmed with vmdnsctl confirm-drop")
        # a confirm with nothing held is harmless
        r = subprocess.run([vmdnsctl(), "--redis", node.addr, "confirm-drop", "t"],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.server.wait_log("no drop is held back")

    def test_confirm_drop_by_time(self):
        node = self.node()
        fill(node)
        self.start([rh.backend_yaml("t", [node.addr])], drop_confirm="3s")
        rh.wait_answer(self.port, "vm-0." + ZONE, {vm_addr(0)})
        node.kill()
        node.start()
        self.server.wait_log("DEGRADED")
        t = time.monotonic()
        rh.wait_for(lambda: rh.rcode(self.port, "vm-0." + ZONE) == dns.rcode.REFUSED, 8,
                    what="the zone dropped after drop_confirm")
        self.assertGreater(time.monotonic() - t, 2.0)  # held for drop_confirm (3 s)
        self.server.wait_log("the names stayed gone for drop_confirm")
        self.wait_metric("vmdns_redis_degraded", 0)


class TestReplicaTakeover(TrustCase):
    def test_empty_replica_then_resync_with_resync_0(self):
        primary = self.node()
        replica = self.node()  # empty: not replicating yet
        fill(primary)
        self.start([rh.backend_yaml("t", [primary.addr, replica.addr])], resync="0")
        rh.wait_answer(self.port, "vm-%d.%s" % (N - 1, ZONE), {vm_addr(N - 1)})
        prober = self.prober()
        try:
            os.kill(primary.proc.pid, 19)  # SIGSTOP: the master stalls
            try:
                self.server.wait_log("connected to %s" % replica.addr, timeout=10)
                self.server.wait_log("DEGRADED", timeout=5)
                self.assert_all()
            finally:
                os.kill(primary.proc.pid, 18)  # SIGCONT
            with primary.client() as c:
                rh.register(c, ZONE, "late", rh.value(a="10.8.0.9"))
            replica.replicaof(primary)  # full resync: the node changes under vmdnsd
            t = time.monotonic()
            rh.wait_answer(self.port, "late." + ZONE, {"10.8.0.9"}, timeout=5)
            self.wait_metric("vmdns_redis_degraded", 0, timeout=5)
            self.assertLess(time.monotonic() - t, 4)  # at once, not at a resync (0: never)
        finally:
            prober.stop()
        self.assertEqual(prober.failures, [], "names failed during the takeover")
        self.assert_all()
        # the replica's resync dropped its clients: vmdnsd moved on to the
        # primary (another run_id), a discontinuity either way
        self.assertGreaterEqual(self.metric("vmdns_redis_discontinuities_total"), 2)


    def test_new_replication_id_reloads_while_connected(self):
        primary = self.node()
        replica = self.node()
        fill(primary)
        replica.replicaof(primary)
        replica.wait_replicated(primary)
        self.start([rh.backend_yaml("t", [replica.addr])], resync="0")
        rh.wait_answer(self.port, "vm-%d.%s" % (N - 1, ZONE), {vm_addr(N - 1)})
        reloads = self.metric("vmdns_redis_reloads_total")
        # promoted: a new replication id on the node vmdnsd reads, same session
        replica.replicaof(None)
        self.server.wait_log("replication id of %s changed" % replica.addr, timeout=5)
        wait_for(lambda: self.metric("vmdns_redis_reloads_total") > reloads, 5,
                 what="a full reload (resync_interval is 0)")
        self.assertEqual(self.metric("vmdns_redis_reconnects_total"), 0)
        self.assertEqual(self.metric("vmdns_redis_discontinuities_total"), 1)
        with replica.client() as c:  # followed from the newest entry on
            rh.register(c, ZONE, "promoted", rh.value(a="10.8.0.6"))
        rh.wait_answer(self.port, "promoted." + ZONE, {"10.8.0.6"}, timeout=5)
        self.assert_all()


class TestLyingSentinel(TrustCase):
    def test_switch_to_empty_node_and_back(self):
        good = self.node()
        empty = self.node()
        fill(good)
        fake = FakeSentinel(good.port)
        self.things.append(fake)
        self.start([rh.backend_yaml("t", sentinel=[fake.addr])])
        rh.wait_answer(self.port, "vm-%d.%s" % (N - 1, ZONE), {vm_addr(N - 1)})
        prober = self.prober()
        try:
            fake.switch(empty.port)
            self.server.wait_log("connected to %s" % empty.addr, timeout=10)
            self.wait_metric("vmdns_redis_degraded", 1)
            # a write to the empty node: the zone hash exists there now
            with empty.client() as c:
                rh.register(c, ZONE, "between", rh.value(a="10.8.0.5"))
            rh.wait_answer(self.port, "between." + ZONE, {"10.8.0.5"}, timeout=5)
            self.assert_all()
            fake.switch(good.port)
            self.server.wait_log("connected to %s" % good.addr, timeout=10)
            self.wait_metric("vmdns_redis_degraded", 0)
        finally:
            prober.stop()
        self.assertGreater(prober.sent, 50)
        self.assertEqual(prober.failures, [], "old names failed (NXDOMAIN?) during the lie")
        self.assert_all()


class TestStreamTrust(TrustCase):
    def test_entries_for_zone_without_hash_ignored(self):
        node = self.node()
        fill(node)
        self.start([rh.backend_yaml("t", [node.addr])])
        rh.wait_answer(self.port, "vm-0." + ZONE, {vm_addr(0)})
        with node.client() as c:
            for name in ("a", "b", "c"):
                c("XADD", rh.STREAM, "*", "zone", "com.", "name", name, "op", "set",
                  "value", rh.value(a="10.66.0.1"))
        self.wait_metric("vmdns_redis_stream_ignored_total", 3)
        self.server.wait_log("for zone com. ignored: the backend has no hash")
        self.assertEqual(rh.rcode(self.port, "a.com."), dns.rcode.REFUSED)
        self.assertEqual(rh.rcode(self.port, "com.", "SOA"), dns.rcode.REFUSED)
        # a new zone written the registrar's way (hash + entry) is served
        with node.client() as c:
            rh.register(c, "new.example.net.", "www", rh.value(a="10.67.0.1"))
        rh.wait_answer(self.port, "www.new.example.net.", {"10.67.0.1"}, timeout=5)
        with node.client() as c:
            rh.register(c, "new.example.net.", "www2", rh.value(a="10.67.0.2"))
        rh.wait_answer(self.port, "www2.new.example.net.", {"10.67.0.2"}, timeout=5)
        self.assertEqual(self.metric("vmdns_redis_stream_ignored_total"), 3)

    def test_stray_delzone_ignored_while_hash_exists(self):
        node = self.node()
        fill(node)
        self.start([rh.backend_yaml("t", [node.addr])])
        rh.wait_answer(self.port, "vm-0." + ZONE, {vm_addr(0)})
        prober = self.prober()
        try:
            with node.client() as c:
                c("XADD", rh.STREAM, "*", "zone", ZONE, "name", "", "op", "delzone", "value", "")
            self.wait_metric("vmdns_redis_stream_ignored_total", 1)
            self.server.wait_log("a delzone entry for zone %s ignored" % ZONE)
        finally:
            prober.stop()
        self.assertEqual(prober.failures, [], "names failed after a stray delzone")
        self.assert_all()
        # a real delete (hash gone, with its entry) is applied at once
        with node.client() as c:
            rh.delete_zone(c, ZONE)
        rh.wait_for(lambda: rh.rcode(self.port, "vm-0." + ZONE) == dns.rcode.REFUSED, 5,
                    what="zone deleted")
        self.assertEqual(self.metric("vmdns_redis_degraded"), 0)


class TestWrongTypes(TrustCase):
    def test_wrong_types_reported_once_zones_served(self):
        node = self.node(extra=["--notify-keyspace-events", "KA"])
        fill(node)
        fill(node, zone="other.example.org.", n=5)
        self.start([rh.backend_yaml("t", [node.addr])], notifications=True)
        rh.wait_answer(self.port, "vm-0." + ZONE, {vm_addr(0)})
        rh.wait_answer(self.port, "vm-1.other.example.org.", {vm_addr(1)})
        # a zone key replaced by a string: reported, the zone kept, the rest served
        with node.client() as c:  # the keyspace notification has the zone reread
            c("DEL", "other.example.org.")
            c("SET", "other.example.org.", "oops")
        self.server.wait_log("key 'other.example.org.' is a string, not a hash")
        self.assertEqual(rh.addresses(self.port, "vm-1.other.example.org."), {vm_addr(1)})
        # the stream key a string: reported, no reconnect loop, zones served
        reconnects = self.metric("vmdns_redis_reconnects_total")
        with node.client() as c:
            c("DEL", rh.STREAM)
            c("SET", rh.STREAM, "oops")
        self.server.wait_log("key '%s' is a string, not a stream" % rh.STREAM)
        time.sleep(2.5)
        self.assertEqual(self.metric("vmdns_redis_reconnects_total"), reconnects)
        self.assertEqual(self.metric("vmdns_redis_backend_up"), 1)
        self.assert_all()
        log = self.server.log_text()
        self.assertEqual(log.count("is a string, not a stream"), 1)
        self.assertEqual(log.count("is a string, not a hash"), 1)
        self.assertGreaterEqual(self.metric("vmdns_redis_wrong_type_total"), 2)
        # the stream usable again: followed again
        with node.client() as c:
            c("DEL", rh.STREAM)
        self.server.wait_log("is gone now")
        with node.client() as c:
            rh.register(c, ZONE, "after", rh.value(a="10.8.0.7"))
        rh.wait_answer(self.port, "after." + ZONE, {"10.8.0.7"}, timeout=5)


class TestEviction(TrustCase):
    def test_eviction_warned_and_names_kept(self):
        node = self.node(extra=["--maxmemory", "3mb", "--maxmemory-policy", "allkeys-lru",
                                "--notify-keyspace-events", "KEA"])
        fill(node)
        self.start([rh.backend_yaml("t", [node.addr])], notifications=True)
        rh.wait_answer(self.port, "vm-%d.%s" % (N - 1, ZONE), {vm_addr(N - 1)})
        self.server.wait_log("has maxmemory-policy allkeys-lru")
        self.assertEqual(self.metric("vmdns_redis_unsafe_eviction"), 1)
        prober = self.prober()
        try:
            junk = "x" * 2000
            with node.client() as c:
                for round_ in range(100):
                    c("MSET", *[a for k in range(200) for a in ("junk:%d:%d" % (round_, k), junk)])
                    if c("EXISTS", ZONE) == 0:
                        break
                self.assertEqual(c("EXISTS", ZONE), 0, "Redis did not evict the zone")
            self.wait_metric("vmdns_redis_degraded", 1)
            time.sleep(1)
        finally:
            prober.stop()
        self.assertEqual(prober.failures, [], "names failed after the eviction")
        self.assert_all()
        self.assertEqual(self.server.log_text().count("has maxmemory-policy allkeys-lru"), 1)


if __name__ == "__main__":
    unittest.main()
