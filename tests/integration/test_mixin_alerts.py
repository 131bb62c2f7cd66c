# SPDX-License-Identifier: BSD-2-Clause
"""test_mixin_alerts.py - the CoreDNS mixin's alerts evaluate on vmdnsd's
/metrics as they do on CoreDNS's (issue 11, point 14).

The coredns-mixin (github.com/povilasv/coredns-mixin, shipped by
kube-prometheus) alerts on these series; each rule is restated below as
the selectors and the aggregation it uses (not its text):

  CoreDNSDown                  absent(up{job} == 1): Prometheus's own `up`,
                               present as soon as /metrics answers
  CoreDNSLatencyHigh           p99 of rate(coredns_dns_request_duration_seconds_bucket)
                               by (server, zone, le) > 4 s
  CoreDNSErrorsHigh            sum rate(coredns_dns_responses_total{rcode="SERVFAIL"})
                               / sum rate(coredns_dns_responses_total) > 3 % (1 %)
  CoreDNSForward*              coredns_forward_* series: CoreDNS without a
                               `forward` block has none, nor has vmdnsd, so
                               these evaluate to nothing and never fire

Two scrapes with real queries in between make the rates; the test then
evaluates each expression the way Prometheus would (histogram_quantile's
linear interpolation, sum by) and checks: every metric and label a rule
uses is there, the `by` labels group as the rule expects (server, zone per
server block), the latency and error ratios are computed from real numbers
and do not fire, and the forward rules select nothing.
"""

import unittest

import dns.rcode

from test_ops import OpsServer, blocks_config
from vmdns_harness import query, tcp, udp

LATENCY_CRITICAL_S = 4.0


def series(samples, name):
    """[(labels dict, value)] of one metric."""
    return [(dict(k[1]), v) for k, v in samples.items() if k[0] == name]


def rate(before, after, name):
    """{frozenset(labels): increase} between two scrapes (the window is
    the same for every series, so increases stand for rates)."""
    old = {frozenset(l.items()): v for l, v in series(before, name)}
    return {frozenset(l.items()): v - old.get(frozenset(l.items()), 0.0)
            for l, v in series(after, name)}


def sum_by(values, by):
    out = {}
    for labels, v in values.items():
        key = tuple((k, dict(labels).get(k, "")) for k in by)
        out[key] = out.get(key, 0.0) + v
    return out


def histogram_quantile(q, buckets):
    """Prometheus's histogram_quantile over {le: cumulative count}."""
    bounds = sorted(buckets, key=lambda le: float("inf") if le == "+Inf" else float(le))
    total = buckets["+Inf"]
    if total == 0:
        return float("nan")
    rank = q * total
    prev_bound, prev_count = 0.0, 0.0
    for le in bounds:
        count = buckets[le]
        if count >= rank:
            if le == "+Inf":
                return prev_bound
            upper = float(le)
            if count == prev_count:
                return upper
            return prev_bound + (upper - prev_bound) * (rank - prev_count) / (count - prev_count)
        prev_bound, prev_count = (float(le) if le != "+Inf" else prev_bound), count
    return prev_bound


class MixinAlertsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = OpsServer(config=blocks_config())
        cls.server.start()
        cls.before = cls.server.metrics()[0]
        port = cls.server.port
        for i in range(30):
            r = udp(query("www.example.net.", "A"), port)
            assert r.rcode() == dns.rcode.NOERROR
            udp(query("nx%d.example.com." % i, "A"), port)
            tcp(query("www.example.com.", "AAAA"), port)
        cls.after, cls.types = cls.server.metrics()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()

    def test_down_has_a_target(self):
        # `up` is 1 when Prometheus scrapes /metrics successfully: it did.
        self.assertIn("coredns_build_info", self.types)

    def test_latency_high(self):
        name = "coredns_dns_request_duration_seconds_bucket"
        self.assertEqual(self.types["coredns_dns_request_duration_seconds"], "histogram")
        incr = rate(self.before, self.after, name)
        self.assertTrue(incr, "no %s series" % name)
        for labels in incr:
            self.assertTrue({"server", "zone", "le"} <= set(dict(labels)), dict(labels))
        groups = {}
        for (server, zone, le), v in sum_by(incr, ("server", "zone", "le")).items():
            groups.setdefault((server, zone), {})[le[1]] = v
        # One series per server block: example.net. and "." on one listener.
        zones = {zone[1] for _, zone in groups}
        self.assertEqual(zones, {"example.net.", "."})
        for key, buckets in groups.items():
            p99 = histogram_quantile(0.99, buckets)
            self.assertEqual(buckets["+Inf"], max(buckets.values()), key)
            self.assertGreater(buckets["+Inf"], 0, key)
            self.assertLess(p99, LATENCY_CRITICAL_S, "CoreDNSLatencyHigh would fire: %r" % (key,))

    def test_errors_high(self):
        name = "coredns_dns_responses_total"
        incr = rate(self.before, self.after, name)
        for labels in incr:
            self.assertTrue({"server", "zone", "rcode", "plugin"} <= set(dict(labels)))
        total = sum(incr.values())
        servfail = sum(v for l, v in incr.items() if dict(l)["rcode"] == "SERVFAIL")
        self.assertGreaterEqual(total, 90)  # the queries above, and the start probes
        ratio = servfail / total
        self.assertLess(ratio, 0.01, "CoreDNSErrorsHigh would fire")
        # rcode values are CoreDNS's names (the rule matches "SERVFAIL").
        rcodes = {dict(l)["rcode"] for l in incr}
        self.assertTrue(rcodes <= {"NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED", "FORMERR",
                                   "NOTIMP"}, rcodes)
        self.assertIn("NXDOMAIN", rcodes)

    def test_forward_rules_select_nothing(self):
        for name in ("coredns_forward_request_duration_seconds_bucket",
                     "coredns_forward_responses_total",
                     "coredns_forward_healthcheck_failures_total",
                     "coredns_forward_healthcheck_broken_total"):
            self.assertEqual(series(self.after, name), [], name)

    def test_health_and_reload_series(self):
        self.assertEqual(self.types.get("coredns_health_request_duration_seconds"), "histogram")
        self.assertEqual(self.types.get("coredns_health_request_failures_total"), "counter")
        info = series(self.after, "coredns_reload_version_info")
        self.assertEqual(len(info), 1)
        self.assertEqual(info[0][0]["hash"], "sha512")
        self.assertRegex(info[0][0]["value"], r"^[0-9a-f]{128}$")


if __name__ == "__main__":
    unittest.main()
