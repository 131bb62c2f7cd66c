# SPDX-License-Identifier: BSD-2-Clause
"""test_redis_metrics.py - the redis plugin's vmdns_redis_* metrics, and
/health and /ready through a backend's startup, outage and vmdnsd's shutdown.

Issue 5 asks for vmdns's own metrics next to CoreDNS's (per backend: up,
records, zones, bad records, conflicts, last change, stream lag, reloads)
and for probes that tell the truth while Redis misbehaves. Real
redis-servers on loopback hold a known data set:

  alpha (listed first): vm.example.com.  vm-a1 (A + AAAA), vm-a2, vm-shared
  beta:                 vm.example.com.  vm-shared (hidden by alpha's: 1 conflict)
                        lab.example.com. vm-b1 (two A), vm-bad (not JSON: 1 bad record)

so every metric has an exact expected value. Then:

  - a registrar write on alpha's change stream is counted, timed, not lagging;
  - beta is killed (SIGKILL): up 0, stale 1, its names still answered,
    /health 200, /ready 200 (its data is served, so readiness stays);
    restarted from its RDB file: up 1, stale 0, same data;
  - SIGTERM with `lameduck: 1s`: /ready 503 "lameduck" while DNS still answers;
  - SIGHUP with a backend renamed: the new configuration's collector is the
    only one on /metrics (no family twice, no old backend label);
  - a backend with two nodes whose first one dies: failovers_total 1;
  - startup: a stalled backend keeps /ready at 503 naming it (the others
    are answered meanwhile) until its load finishes; an absent backend
    (connection refused) holds /ready at 503 naming it (it has never loaded; its
    zones answer SERVFAIL) and is merged in later, /ready 200 then.

Run: VMDNS_BUILD=build /usr/bin/python3 -m unittest -v test_redis_metrics
(from tests/integration).
"""

import os
import signal
import time
import unittest

import redis_harness as rh
from test_ops import http_get, parse_metrics
from vmdns_harness import HTTP_LISTEN, wait_for

VM = "vm.example.com."
LAB = "lab.example.com."

FAMILIES = {
    "vmdns_redis_backend_up": "gauge",
    "vmdns_redis_backend_loaded": "gauge",
    "vmdns_redis_backend_stale": "gauge",
    "vmdns_redis_zones": "gauge",
    "vmdns_redis_zones_ignored": "gauge",
    "vmdns_redis_names": "gauge",
    "vmdns_redis_records": "gauge",
    "vmdns_redis_bad_records_total": "counter",
    "vmdns_redis_conflicts_total": "counter",
    "vmdns_redis_changes_total": "counter",
    "vmdns_redis_parsed_off_thread_total": "counter",
    "vmdns_redis_last_change_timestamp_seconds": "gauge",
    "vmdns_redis_last_change_seconds": "gauge",
    "vmdns_redis_stream_lag_seconds": "gauge",
    "vmdns_redis_reloads_total": "counter",
    "vmdns_redis_reconnects_total": "counter",
    "vmdns_redis_failovers_total": "counter",
    "vmdns_redis_limit_skipped_total": "counter",  # also labelled by limit
    "vmdns_redis_degraded": "gauge",
    "vmdns_redis_names_held": "gauge",
    "vmdns_redis_drops_held_total": "counter",
    "vmdns_redis_drops_confirmed_total": "counter",
    "vmdns_redis_stream_ignored_total": "counter",
    "vmdns_redis_discontinuities_total": "counter",
    "vmdns_redis_wrong_type_total": "counter",
    "vmdns_redis_unsafe_eviction": "gauge",
    "vmdns_redis_unsafe_persistence": "gauge",
}


def fill_alpha(node):
    with node.client() as c:
        c("HSET", VM,
          "vm-a1", rh.value(a="10.1.0.1", aaaa=[{"ip": "fd00::a1", "ttl": 30}]),
          "vm-a2", rh.value(a="10.1.0.2"),
          "vm-shared", rh.value(a="10.1.0.99"))


def fill_beta(node):
    with node.client() as c:
        c("HSET", VM, "vm-shared", rh.value(a="10.2.0.99"))
        c("HSET", LAB, "vm-b1", rh.value(a=["10.2.0.1", "10.2.0.2"]), "vm-bad", "not json")


class Http:
    """The metrics, health and ready endpoints: their config lines (vmdnsd
    picks the ports) and, once start() has started vmdnsd, their addresses."""

    def __init__(self, lameduck="1s"):
        self.lameduck = lameduck
        self.endpoints = {}

    def yaml(self):
        return ('metrics: {listen: "%s"}\n'
                'health: {listen: "%s", lameduck: %s}\n'
                'ready: {listen: "%s"}\n'
                % (HTTP_LISTEN["metrics"], HTTP_LISTEN["health"], self.lameduck,
                   HTTP_LISTEN["ready"]))

    def start(self, config_text):
        """Start vmdnsd with this config and learn where its endpoints are."""
        server = rh.start_vmdnsd(config_text)
        self.endpoints = server.http
        return server

    @property
    def metrics(self):
        return self.endpoints["metrics"]

    def scrape(self):
        """(samples, types) of /metrics; parse_metrics checks every line and
        that no family is declared twice."""
        status, body, _ = http_get(self.metrics, "/metrics")
        assert status == 200, "/metrics said %d: %s" % (status, body)
        return parse_metrics(body)

    def get(self, name, backend):
        """One vmdns_redis_* sample of one backend, None if absent."""
        samples, _ = self.scrape()
        return samples.get((name, frozenset({("backend", backend)})))

    def wait_metric(self, name, backend, want, timeout=10.0):
        wait_for(lambda: self.get(name, backend) == want, timeout,
                 what="%s{backend=%s} == %s (now %s)"
                 % (name, backend, want, self.get(name, backend)))

    def status(self, what):
        """(status, body) of /health or /ready."""
        status, body, _ = http_get(self.endpoints[what], "/" + what)
        return status, body


def config(backends, http, **kw):
    """A redis config with no periodic resync and no keyspace notifications,
    so nothing but what a test does changes the counters."""
    kw.setdefault("resync", "3600s")
    kw.setdefault("notifications", False)
    return rh.redis_config(backends, workers=2, extra=http.yaml(), **kw)


def stop_server(server):
    """Stop vmdnsd (must exit 0, no sanitizer report) and clean up."""
    try:
        server.stop()
    finally:
        server.cleanup()


class RedisMetricsTest(unittest.TestCase):
    """Two backends with the known data set and one vmdnsd, per test."""

    def setUp(self):
        self.alpha = rh.Node().start()
        self.beta = rh.Node().start()
        self.server = None
        fill_alpha(self.alpha)
        fill_beta(self.beta)
        self.http = Http()
        self.cfg_backends = [rh.backend_yaml("alpha", [self.alpha.addr]),
                             rh.backend_yaml("beta", [self.beta.addr])]
        self.server = self.http.start(config(self.cfg_backends, self.http))
        for b in ("alpha", "beta"):
            self.http.wait_metric("vmdns_redis_backend_loaded", b, 1)

    def tearDown(self):
        try:
            if self.server is not None:
                stop_server(self.server)
        finally:
            self.alpha.cleanup()
            self.beta.cleanup()

    def metric(self, name, backend):
        return self.http.get(name, backend)

    def assertMetrics(self, backend, **want):
        samples, _ = self.http.scrape()
        got = {k: samples.get(("vmdns_redis_" + k, frozenset({("backend", backend)})))
               for k in want}
        self.assertEqual(got, want, "backend %s" % backend)

    def test_values_after_load_and_a_change(self):
        self.assertMetrics("alpha", backend_up=1, backend_loaded=1, backend_stale=0, zones=1,
                           names=3, records=4, bad_records_total=0, conflicts_total=0,
                           changes_total=0, last_change_timestamp_seconds=0,
                           last_change_seconds=None, stream_lag_seconds=0, reloads_total=1,
                           reconnects_total=0, failovers_total=0)
        self.assertMetrics("beta", backend_up=1, backend_loaded=1, backend_stale=0, zones=2,
                           names=2, records=3, bad_records_total=1, conflicts_total=1,
                           changes_total=0, last_change_timestamp_seconds=0,
                           last_change_seconds=None, stream_lag_seconds=0, reloads_total=1,
                           reconnects_total=0, failovers_total=0)
        # Every family: HELP/TYPE once, the right type, only the `backend` label.
        samples, types = self.http.scrape()
        for name, typ in FAMILIES.items():
            self.assertEqual(types.get(name), typ, name)
        for (name, labels), _v in samples.items():
            if name.startswith("vmdns_redis_"):
                self.assertIn(name, FAMILIES)
                want = {"backend", "limit"} if name == "vmdns_redis_limit_skipped_total" \
                    else {"backend"}
                self.assertEqual({k for k, _ in labels}, want, name)
        # DNS agrees: the first listed backend wins the shared name.
        self.assertEqual(rh.addresses(self.server.port, "vm-shared." + VM), {"10.1.0.99"})
        self.assertEqual(rh.addresses(self.server.port, "vm-b1." + LAB), {"10.2.0.1", "10.2.0.2"})

        # One registrar write on alpha's change stream.
        before = time.time()
        with self.alpha.client() as c:
            rh.register(c, VM, "vm-a3", rh.value(a="10.1.0.3"))
        rh.wait_answer(self.server.port, "vm-a3." + VM, {"10.1.0.3"})
        after = time.time()
        self.http.wait_metric("vmdns_redis_changes_total", "alpha", 1)
        self.assertMetrics("alpha", names=4, records=5, stream_lag_seconds=0, reloads_total=1)
        ts = self.metric("vmdns_redis_last_change_timestamp_seconds", "alpha")
        self.assertGreaterEqual(ts, before - 0.01)
        self.assertLessEqual(ts, after + 0.01)
        age = self.metric("vmdns_redis_last_change_seconds", "alpha")
        self.assertIsNotNone(age)
        self.assertLess(age, time.time() - before + 0.5)
        time.sleep(1.1)  # the age grows with time, the timestamp does not
        self.assertGreaterEqual(self.metric("vmdns_redis_last_change_seconds", "alpha"), 1.0)
        self.assertEqual(self.metric("vmdns_redis_last_change_timestamp_seconds", "alpha"), ts)
        self.assertMetrics("beta", changes_total=0, names=2, last_change_seconds=None)

    def test_backend_killed_data_served_stale_then_back(self):
        port = self.server.port
        self.beta.cmd("SAVE")  # so the restarted node has the same data
        self.beta.kill()
        self.http.wait_metric("vmdns_redis_backend_up", "beta", 0)
        self.assertMetrics("beta", backend_up=0, backend_loaded=1, backend_stale=1, names=2,
                           records=3, zones=2, reconnects_total=1, failovers_total=0)
        self.assertMetrics("alpha", backend_up=1, backend_stale=0, reconnects_total=0)
        # Its data is still answered, and the probes stay green.
        self.assertEqual(rh.addresses(port, "vm-b1." + LAB), {"10.2.0.1", "10.2.0.2"})
        self.assertEqual(rh.addresses(port, "vm-a1." + VM), {"10.1.0.1"})
        self.assertEqual(self.http.status("health"), (200, "OK"))
        self.assertEqual(self.http.status("ready"), (200, "OK"))
        # Still down after a failed retry (logged once), still served.
        rh.wait_log(self.server, "backend beta: no node reachable")
        self.assertMetrics("beta", backend_up=0, backend_stale=1, reconnects_total=1)
        self.assertEqual(rh.addresses(port, "vm-b1." + LAB), {"10.2.0.1", "10.2.0.2"})

        self.beta.start()  # same port, reads its dump.rdb
        self.http.wait_metric("vmdns_redis_backend_up", "beta", 1)
        self.assertMetrics("beta", backend_up=1, backend_stale=0, reconnects_total=1,
                           failovers_total=0)
        self.http.wait_metric("vmdns_redis_names", "beta", 2)
        self.assertEqual(rh.addresses(port, "vm-b1." + LAB), {"10.2.0.1", "10.2.0.2"})
        self.assertEqual(self.http.status("ready"), (200, "OK"))

    def test_lameduck_ready_503_while_answering(self):
        server, self.server = self.server, None
        try:
            self.assertEqual(self.http.status("ready"), (200, "OK"))
            t0 = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)
            wait_for(lambda: self.http.status("ready")[0] == 503, 0.9,
                     what="/ready to say 503 in lameduck")
            status, body = self.http.status("ready")
            self.assertEqual(status, 503)
            self.assertIn("lameduck", body)
            self.assertEqual(self.http.status("health"), (200, "OK"))
            self.assertEqual(rh.addresses(server.port, "vm-a1." + VM), {"10.1.0.1"})
            self.assertEqual(rh.addresses(server.port, "vm-b1." + LAB),
                             {"10.2.0.1", "10.2.0.2"})
            self.assertEqual(self.http.get("vmdns_redis_backend_up", "beta"), 1)
            self.assertLess(time.monotonic() - t0, 1.0, "checks ran past the lameduck period")
            rc = server.proc.wait(15)
            self.assertEqual(rc, 0, server.output())
            self.assertGreaterEqual(time.monotonic() - t0, 0.95)
        finally:
            if server.proc is not None and server.proc.poll() is not None:
                server.log.close()
                server.proc = None
            server.cleanup()

    def test_reload_replaces_the_collector(self):
        renamed = [rh.backend_yaml("alpha", [self.alpha.addr]),
                   rh.backend_yaml("gamma", [self.beta.addr])]
        with open(self.server.config_path, "w") as f:
            f.write(config(renamed, self.http).replace("{port}", "0"))  # same listeners
        self.server.proc.send_signal(signal.SIGHUP)

        def generation():
            samples, _ = self.http.scrape()
            return samples.get(("vmdns_config_generation", frozenset()))

        wait_for(lambda: generation() == 2, 20, what="configuration 2 to take over")
        for _ in range(3):  # several scrapes: the old collector must be gone for good
            samples, _ = self.http.scrape()
            backends = {dict(labels)["backend"] for (name, labels) in samples
                        if name.startswith("vmdns_redis_")}
            self.assertEqual(backends, {"alpha", "gamma"})
        # The new generation's plugin counts from its own (complete) load.
        self.assertMetrics("gamma", backend_up=1, backend_loaded=1, names=2, records=3,
                           bad_records_total=1, conflicts_total=1, reloads_total=1)
        self.assertMetrics("alpha", backend_up=1, names=3, records=4, reloads_total=1)
        self.assertEqual(rh.addresses(self.server.port, "vm-b1." + LAB), {"10.2.0.1", "10.2.0.2"})


class FailoverMetricsTest(unittest.TestCase):
    def test_second_node_takes_over(self):
        n1, n2 = rh.Node().start(), rh.Node().start()
        server = None
        try:
            for n in (n1, n2):
                fill_alpha(n)
            http = Http()
            server = http.start(config([rh.backend_yaml("pair", [n1.addr, n2.addr])], http))
            http.wait_metric("vmdns_redis_backend_loaded", "pair", 1)
            self.assertEqual(http.get("vmdns_redis_failovers_total", "pair"), 0)
            n1.kill()
            http.wait_metric("vmdns_redis_failovers_total", "pair", 1)
            http.wait_metric("vmdns_redis_backend_up", "pair", 1)
            self.assertEqual(http.get("vmdns_redis_reconnects_total", "pair"), 1)
            self.assertEqual(http.get("vmdns_redis_backend_stale", "pair"), 0)
            self.assertEqual(http.get("vmdns_redis_names", "pair"), 3)
            self.assertEqual(rh.addresses(server.port, "vm-a2." + VM), {"10.1.0.2"})
            rh.wait_log(server, "connected to %s" % n2.addr)
            stop_server(server)
            server = None
        finally:
            if server is not None:
                server.kill()
                server.cleanup()
            n1.cleanup()
            n2.cleanup()


class ReadyStartupTest(unittest.TestCase):
    def test_stalled_backend_holds_ready_until_loaded(self):
        fast, slow = rh.Node().start(), rh.Node().start()
        server = None
        stopped = False
        try:
            fill_alpha(fast)
            fill_beta(slow)
            os.kill(slow.proc.pid, signal.SIGSTOP)  # accepts connections, answers nothing
            stopped = True
            http = Http()
            backends = [rh.backend_yaml("fast", [fast.addr]), rh.backend_yaml("slow", [slow.addr])]
            server = http.start(config(backends, http, connect_timeout="8s", read_timeout="8s"))
            rh.wait_answer(server.port, "vm-a1." + VM, {"10.1.0.1"})
            http.wait_metric("vmdns_redis_backend_loaded", "fast", 1)
            status, body = http.status("ready")
            self.assertEqual(status, 503, body)
            self.assertIn("slow", body)
            self.assertNotIn("fast", body)
            self.assertEqual(http.status("health"), (200, "OK"))
            self.assertEqual(http.get("vmdns_redis_backend_up", "slow"), 0)
            self.assertEqual(http.get("vmdns_redis_backend_loaded", "slow"), 0)
            self.assertEqual(http.get("vmdns_redis_backend_stale", "slow"), 0)
            # vmdnsd has asked the stopped node and waits for its answer:
            # still loading, so still not ready.
            wait_for(lambda: rh.unread_bytes(slow.port) > 0, 10,
                     what="vmdnsd's request to reach the stopped node")
            self.assertEqual(http.status("ready")[0], 503)

            os.kill(slow.proc.pid, signal.SIGCONT)
            stopped = False
            t0 = time.monotonic()
            wait_for(lambda: http.status("ready")[0] == 200, 10, what="/ready 200 after the load")
            self.assertLess(time.monotonic() - t0, 5)
            self.assertEqual(http.get("vmdns_redis_backend_loaded", "slow"), 1)
            self.assertEqual(http.get("vmdns_redis_names", "slow"), 2)
            self.assertEqual(rh.addresses(server.port, "vm-b1." + LAB), {"10.2.0.1", "10.2.0.2"})
            stop_server(server)
            server = None
        finally:
            if stopped:
                os.kill(slow.proc.pid, signal.SIGCONT)
            if server is not None:
                server.kill()
                server.cleanup()
            fast.cleanup()
            slow.cleanup()

    def test_absent_backend_blocks_ready_until_loaded(self):
        present = rh.Node().start()
        # Its data is saved to its RDB file, then it goes: a free port,
        # nothing listening, until it is started again with that data.
        absent = rh.Node().start()
        server = None
        try:
            fill_alpha(present)
            fill_beta(absent)
            absent.cmd("SAVE")
            absent.kill()
            http = Http()
            backends = [rh.backend_yaml("present", [present.addr]),
                        rh.backend_yaml("absent", [absent.addr])]
            server = http.start(config(backends, http))
            # The present backend answers; the absent one, never loaded,
            # keeps /ready at 503 (issue 11.13), naming it.
            rh.wait_answer(server.port, "vm-a1." + VM, {"10.1.0.1"})
            rh.wait_log(server, "backend absent: unreachable before its first load finished")
            status, body = http.status("ready")
            self.assertEqual(status, 503, body)
            self.assertIn("absent", body)
            self.assertNotIn("present", body)
            self.assertEqual(http.get("vmdns_redis_backend_up", "absent"), 0)
            self.assertEqual(http.get("vmdns_redis_backend_loaded", "absent"), 0)
            self.assertEqual(http.get("vmdns_redis_backend_stale", "absent"), 0)
            self.assertEqual(http.get("vmdns_redis_names", "absent"), 0)

            absent.start()  # retried in the background (max_backoff 500ms), merged in
            http.wait_metric("vmdns_redis_backend_loaded", "absent", 1)
            self.assertEqual(http.get("vmdns_redis_backend_up", "absent"), 1)
            self.assertEqual(http.get("vmdns_redis_names", "absent"), 2)
            self.assertEqual(http.get("vmdns_redis_reloads_total", "absent"), 1)
            self.assertEqual(rh.addresses(server.port, "vm-b1." + LAB), {"10.2.0.1", "10.2.0.2"})
            self.assertEqual(http.status("ready"), (200, "OK"))
            stop_server(server)
            server = None
        finally:
            if server is not None:
                server.kill()
                server.cleanup()
            present.cleanup()
            absent.cleanup()


if __name__ == "__main__":
    unittest.main()
