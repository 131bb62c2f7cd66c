# SPDX-License-Identifier: BSD-2-Clause
"""test_mixin_alerts.py - the CoreDNS mixin's alerts evaluate on vmdnsd's
/metrics as they do on CoreDNS's (issue 11, point 14), in a real Prometheus.

A real `prometheus` (Debian's package) scrapes a running vmdnsd every
second and evaluates the alerting rules of the coredns-mixin (the rules
kube-prometheus ships), with the mixin's expressions and thresholds and
only `job` set to this scrape job and `for:` shortened to 0s so that a
rule fires at its first true evaluation:

  CoreDNSDown                absent(up{job} == 1)
  CoreDNSLatencyHigh         p99 of the request duration histogram by
                             (server, zone, le) > 4 s
  CoreDNSErrorsHigh          SERVFAIL share of responses > 3 % (critical),
                             > 1 % (warning)
  CoreDNSForward*            forward plugin series: vmdnsd has no forward,
                             so they select nothing (as on a CoreDNS
                             without forward)

The test drives vmdnsd (two server blocks on one listener, plus a Redis
backend that never loads, whose zone answers SERVFAIL) through three
phases and asks Prometheus's HTTP API what it computed:

  1. ordinary NOERROR and NXDOMAIN traffic: nothing fires; the latency
     quantile exists for each (server, zone) the rule groups by, the zones
     being the server blocks' (example.net. and .), far below 4 s; the
     error ratio selects nothing (no SERVFAIL series yet);
  2. a burst of SERVFAILs: both CoreDNSErrorsHigh rules fire;
  3. vmdnsd stopped: CoreDNSDown fires.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

import dns.rcode

from test_ops import OpsServer, blocks_config, http_get, parse_metrics
from vmdns_harness import owned_port, query, tcp, udp, wait_for

JOB = "vmdnsd"
PENDING = "pending.example."  # a zone of a Redis backend that never loads

# The coredns-mixin's alerts (expressions and thresholds as the mixin
# writes them, with its job selector), `for` shortened from 10-15m to 0s.
RULES = """\
groups:
- name: coredns
  interval: 1s
  rules:
  - alert: CoreDNSDown
    expr: absent(up{job="%(job)s"} == 1)
    for: 0s
    labels: {severity: critical}
  - alert: CoreDNSLatencyHigh
    expr: histogram_quantile(0.99, sum(rate(coredns_dns_request_duration_seconds_bucket{job="%(job)s"}[5m])) by(server, zone, le)) > 4
    for: 0s
    labels: {severity: critical}
  - alert: CoreDNSErrorsHigh
    expr: sum(rate(coredns_dns_responses_total{job="%(job)s",rcode="SERVFAIL"}[5m])) / sum(rate(coredns_dns_responses_total{job="%(job)s"}[5m])) > 0.03
    for: 0s
    labels: {severity: critical}
  - alert: CoreDNSErrorsHigh
    expr: sum(rate(coredns_dns_responses_total{job="%(job)s",rcode="SERVFAIL"}[5m])) / sum(rate(coredns_dns_responses_total{job="%(job)s"}[5m])) > 0.01
    for: 0s
    labels: {severity: warning}
  - alert: CoreDNSForwardLatencyHigh
    expr: histogram_quantile(0.99, sum(rate(coredns_forward_request_duration_seconds_bucket{job="%(job)s"}[5m])) by(to, le)) > 4
    for: 0s
  - alert: CoreDNSForwardErrorsHigh
    expr: sum(rate(coredns_forward_responses_total{job="%(job)s",rcode="SERVFAIL"}[5m])) / sum(rate(coredns_forward_responses_total{job="%(job)s"}[5m])) > 0.03
    for: 0s
  - alert: CoreDNSForwardHealthcheckFailureCount
    expr: sum(rate(coredns_forward_healthcheck_failures_total{job="%(job)s"}[5m])) by (to) > 0
    for: 0s
  - alert: CoreDNSForwardHealthcheckBrokenCount
    expr: sum(rate(coredns_forward_healthcheck_broken_total{job="%(job)s"}[5m])) > 0
    for: 0s
""" % {"job": JOB}

LATENCY = ('histogram_quantile(0.99, sum(rate(coredns_dns_request_duration_seconds_bucket'
           '{job="%s"}[5m])) by(server, zone, le))' % JOB)
ERROR_RATIO = ('sum(rate(coredns_dns_responses_total{job="%s",rcode="SERVFAIL"}[5m])) / '
               'sum(rate(coredns_dns_responses_total{job="%s"}[5m]))' % (JOB, JOB))


class Prometheus:
    """A real prometheus scraping one target every second, with RULES."""

    def __init__(self, target):
        self.tmp = tempfile.mkdtemp(prefix="vmdns-prom-")
        with open(os.path.join(self.tmp, "rules.yml"), "w") as f:
            f.write(RULES)
        with open(os.path.join(self.tmp, "prometheus.yml"), "w") as f:
            f.write("global: {scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 900ms}\n"
                    "rule_files: [rules.yml]\n"
                    "scrape_configs:\n"
                    "  - job_name: %s\n"
                    "    static_configs: [{targets: ['%s']}]\n" % (JOB, target))
        self.proc = None
        self.port = None

    def start(self):
        for _ in range(5):  # an owned port another process holds: the next one
            self.port = owned_port()
            log = open(os.path.join(self.tmp, "prometheus.log"), "w")
            self.proc = subprocess.Popen(
                ["prometheus", "--config.file=" + os.path.join(self.tmp, "prometheus.yml"),
                 "--storage.tsdb.path=" + os.path.join(self.tmp, "data"),
                 "--web.listen-address=127.0.0.1:%d" % self.port],
                stdout=log, stderr=subprocess.STDOUT, cwd=self.tmp)
            log.close()
            try:
                wait_for(lambda: self.proc.poll() is not None or self.ready(), 30,
                         what="prometheus ready")
            except AssertionError:
                self.stop()
                raise
            if self.proc.poll() is None:
                return self
        raise AssertionError("prometheus did not start:\n" + self.log())

    def ready(self):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/-/ready" % self.port, timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def api(self, path, **params):
        url = "http://127.0.0.1:%d/api/v1/%s" % (self.port, path)
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.load(r)
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr):
        """[(labels, float value)] of an instant query."""
        return [(s["metric"], float(s["value"][1]))
                for s in self.api("query", query=expr)["result"]]

    def firing(self):
        """{(alertname, severity)} of the alerts firing now."""
        return {(a["labels"]["alertname"], a["labels"].get("severity", ""))
                for a in self.api("alerts")["alerts"] if a["state"] == "firing"}

    def evaluated_after(self, t):
        """True once the rule group has been evaluated after time t."""
        for group in self.api("rules")["groups"]:
            last = group.get("lastEvaluation", "")
            if last and not last.startswith("0001"):
                stamp = time.mktime(time.strptime(last[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
                if stamp > t:
                    return True
        return False

    def wait_evaluation(self):
        t = time.time() + 1  # whole seconds in the stamp: one more
        wait_for(lambda: self.evaluated_after(t), 15, what="a rule evaluation")

    def log(self):
        try:
            with open(os.path.join(self.tmp, "prometheus.log"), errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def pending_backend():
    """A Redis backend on an address nothing listens on, naming its zone:
    until it loads (never), that zone's names are SERVFAIL."""
    return ("redis:\n"
            "  backends:\n"
            '    - name: never\n'
            '      addresses: ["127.0.0.1:%d"]\n'
            "      zones: [%s]\n"
            "  connect_timeout: 200ms\n"
            "  max_backoff: 1s\n"
            '  state_file: "{tmp}/redis-zones"\n' % (owned_port(), PENDING))


@unittest.skipUnless(shutil.which("prometheus"), "prometheus not installed (scripts/setup)")
class MixinAlertsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = OpsServer(config=blocks_config() + pending_backend())
        cls.server.start()
        host, port = cls.server.http["metrics"]
        cls.prom = Prometheus("%s:%d" % (host, port))
        try:
            cls.prom.start()
        except Exception:
            cls.server.stop()
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.prom.stop()
        cls.server.stop()
        cls.server.cleanup()

    def traffic(self, seconds=3.0):
        """NOERROR and NXDOMAIN answers, spread over a few scrapes."""
        port = self.server.port
        end, i = time.monotonic() + seconds, 0
        while time.monotonic() < end:
            r = udp(query("www.example.net.", "A"), port)
            self.assertEqual(r.rcode(), dns.rcode.NOERROR)
            udp(query("nx%d.example.com." % i, "A"), port)
            tcp(query("www.example.com.", "AAAA"), port)
            i += 1
            time.sleep(0.05)

    def test_mixin_rules_on_real_scrapes(self):
        # 1. ordinary traffic: nothing fires, and the expressions see what
        # the rules group by
        # (after a first scrape, so that the rates see the traffic)
        wait_for(lambda: self.prom.query('up{job="%s"}' % JOB), 20,
                 what="a first scrape:\n" + self.prom.log())
        self.traffic()
        wait_for(lambda: self.prom.query('count_over_time(up{job="%s"}[1m]) >= 3' % JOB), 20,
                 what="three scrapes:\n" + self.prom.log())
        time.sleep(1.1)  # one more scrape after the traffic
        self.prom.wait_evaluation()
        self.assertEqual([v for _, v in self.prom.query('up{job="%s"}' % JOB)], [1.0])
        self.assertEqual(self.prom.firing(), set(), self.prom.api("alerts"))
        latency = self.prom.query(LATENCY)
        zones = {labels.get("zone") for labels, _ in latency}
        self.assertTrue({"example.net.", "."} <= zones, latency)
        for labels, p99 in latency:
            self.assertTrue(labels.get("server", "").startswith("dns://127.0.0.1:"), labels)
            if p99 == p99:  # NaN: a group with no requests in the window
                self.assertLess(p99, 4.0, labels)
        # no SERVFAIL yet: like CoreDNS, vmdnsd has no rcode="SERVFAIL"
        # series until one is sent, so the ratio selects nothing
        self.assertEqual(self.prom.query(ERROR_RATIO), [])
        self.assertGreater(self.prom.query('sum(rate(coredns_dns_responses_total{job="%s"}[5m]))'
                                           % JOB)[0][1], 0)
        for name in ("coredns_forward_request_duration_seconds_bucket",
                     "coredns_forward_responses_total",
                     "coredns_forward_healthcheck_failures_total",
                     "coredns_forward_healthcheck_broken_total"):
            self.assertEqual(self.prom.query(name), [], name)

        # 2. SERVFAILs (the never-loaded backend's zone): CoreDNSErrorsHigh
        # (spread over scrapes: a series' first sample is no increase to
        # rate(), so a burst inside one scrape interval would not count)
        sent = [0]

        def servfails_then_firing():
            for _ in range(10):
                r = udp(query("vm-%d.%s" % (sent[0], PENDING), "A"), self.server.port)
                self.assertEqual(r.rcode(), dns.rcode.SERVFAIL)
                sent[0] += 1
            return {("CoreDNSErrorsHigh", "critical"),
                    ("CoreDNSErrorsHigh", "warning")} <= self.prom.firing()
        wait_for(servfails_then_firing, 20, interval=0.1, what="CoreDNSErrorsHigh firing")
        self.assertNotIn("CoreDNSDown", {a for a, _ in self.prom.firing()})
        self.assertNotIn("CoreDNSLatencyHigh", {a for a, _ in self.prom.firing()})

        # 3. vmdnsd stopped: the scrape fails, up is 0, CoreDNSDown fires
        self.server.stop()
        wait_for(lambda: ("CoreDNSDown", "critical") in self.prom.firing(), 20,
                 what="CoreDNSDown firing")

    def test_health_and_reload_series(self):
        status, body, _ = http_get(self.server.http["metrics"], "/metrics")
        self.assertEqual(status, 200)
        samples, types = parse_metrics(body)
        self.assertEqual(types.get("coredns_health_request_duration_seconds"), "histogram")
        self.assertEqual(types.get("coredns_health_request_failures_total"), "counter")
        info = [dict(k[1]) for k in samples if k[0] == "coredns_reload_version_info"]
        self.assertEqual(len(info), 1)
        self.assertEqual(info[0]["hash"], "sha512")
        self.assertRegex(info[0]["value"], r"^[0-9a-f]{128}$")


if __name__ == "__main__":
    unittest.main()
