# SPDX-License-Identifier: BSD-2-Clause
"""test_reload.py - reading the config again while serving (SIGHUP and the
`reload` plugin).

Every test keeps client loops running (UDP, and TCP with a new connection
per query) against the server while it reloads, with a 1 s timeout per
query: a single timeout or error fails the test, and every answer must be
either the old or the new content.

  - a good config (changed zone content) is applied on SIGHUP, five times
    in a row, with the listeners and the HTTP endpoints kept;
  - a bad config (unknown key) or a broken zone file is logged with its
    file and line, the old answers stay, and the reload counters say so;
  - a change of the listen addresses starts the new listeners next to the
    old ones and drains the old ones (an idle TCP connection gets a clean
    close; a removed address stops answering);
  - the `reload` plugin notices a changed file by itself (once per change,
    a broken file is reported once, not every interval);
  - a Corefile reloads the same way.
"""

import os
import re
import shutil
import signal
import socket
import threading
import unittest
import urllib.error
import urllib.request

import dns.exception
import dns.rcode

from vmdns_harness import (DATA, HTTP_LISTEN, TEST_ZONE, FileOpens, Vmdnsd, http_url, query, tcp, udp,
                           udp_raw, wait_for, wait_progress)

WWW = "www.example.com."
ORIGINAL = "192.0.2.80"


def http_get(endpoint, path):
    """(status, body) of GET path on endpoint (see http_url)."""
    try:
        with urllib.request.urlopen(http_url(endpoint, path), timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def metric(endpoint, name, labels=""):
    """The value of one sample line `name{labels}` of /metrics (None if absent)."""
    _, body = http_get(endpoint, "/metrics")
    key = name + ("{%s}" % labels if labels else "")
    for line in body.splitlines():
        if line.startswith(key + " "):
            return float(line.split()[-1])
    return None


def write_zone(path, www_ip, broken=False):
    """The test zone with www's A record set to www_ip (plus a bad line)."""
    with open(TEST_ZONE) as f:
        text = f.read()
    text = re.sub(r"^www(\s+IN\s+A\s+)\S+$", r"www\g<1>" + www_ip, text, flags=re.M)
    if broken:
        text += "bad-rr IN A not-an-address\n"
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def www_a(port, proto=udp, timeout=1.0):
    """The A addresses of www.example.com. (a frozenset)."""
    r = proto(query(WWW, "A"), port, timeout=timeout)
    if r.rcode() != dns.rcode.NOERROR:
        raise AssertionError("rcode %s" % dns.rcode.to_text(r.rcode()))
    return frozenset(rd.address for rrset in r.answer for rd in rrset)


class QueryLoop(threading.Thread):
    """Ask www.example.com. A over and over until stopped; record what came."""

    def __init__(self, port, proto):
        super().__init__(daemon=True)
        self.port, self.proto = port, proto
        self.halt = threading.Event()
        self.answers = {}  # frozenset of addresses -> count
        self.failures = []

    def run(self):
        while not self.halt.is_set():
            try:
                got = www_a(self.port, self.proto)
                self.answers[got] = self.answers.get(got, 0) + 1
            except (dns.exception.Timeout, OSError, EOFError, AssertionError) as e:
                self.failures.append("%s: %r" % (self.proto.__name__, e))

    def count(self):
        """Queries asked so far (answered or failed)."""
        return sum(self.answers.values()) + len(self.failures)

    def finish(self):
        self.halt.set()
        self.join(10)
        return self.answers, self.failures


class ReloadServer(Vmdnsd):
    """A vmdnsd with its zone file and config in its temp dir, the HTTP
    plugins, and helpers to rewrite the config and follow the log. It picks
    its ports (port 0): they are known once it has started."""

    def __init__(self, listen=None, extra="", workers=2):
        super().__init__(config="# replaced below\n")
        self.zone = os.path.join(self.tmp, "zone.db")
        write_zone(self.zone, ORIGINAL)
        self.workers = workers
        self.write_config(listen=listen, extra=extra)

    def write_config(self, listen=None, zone="zone.db", extra=""):
        """(Re)write the YAML config; returns its text."""
        listen = listen or ["127.0.0.1:0"]
        text = "\n".join([
            "listen: [%s]" % ", ".join('"%s"' % a for a in listen),
            "workers: %d" % self.workers,
            "zones:",
            "  - origin: example.com.",
            "    file: %s" % zone,
            'metrics: {listen: "%s"}' % HTTP_LISTEN["metrics"],
            'health: {listen: "%s"}' % HTTP_LISTEN["health"],
            'ready: {listen: "%s"}' % HTTP_LISTEN["ready"],
        ]) + "\n" + extra
        tmp = self.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.config_path)
        return text

    def hup(self):
        self.proc.send_signal(signal.SIGHUP)


class ReloadTestCase(unittest.TestCase):
    def setUp(self):
        self.srv = None
        self.loops = []

    def tearDown(self):
        for loop in self.loops:
            loop.finish()
        if self.srv is not None:
            try:
                self.srv.stop()  # exit 0 after SIGTERM, no sanitizer report
            finally:
                self.srv.cleanup()

    def start(self, **kw):
        self.srv = ReloadServer(**kw)
        self.srv.start()
        return self.srv

    def start_loops(self, port):
        loops = [QueryLoop(port, udp), QueryLoop(port, tcp)]
        for loop in loops:
            loop.start()
        self.loops += loops
        return loops

    def wait_loops(self, loops, more=20):
        """Wait until every loop has asked `more` more queries."""
        wait_progress([loop.count for loop in loops], more, what="the client loops to run")

    def finish_loops(self, loops, allowed):
        """Stop the loops; no failure, only allowed answers, enough queries."""
        total = 0
        for loop in loops:
            answers, failures = loop.finish()
            self.loops.remove(loop)
            self.assertEqual(failures, [], "queries failed during the reloads")
            unexpected = set(answers) - set(allowed)
            self.assertEqual(unexpected, set(), "answers neither old nor new: %r" % answers)
            total += sum(answers.values())
        self.assertGreater(total, 50, "the client loops hardly ran")


class GoodReloadTest(ReloadTestCase):
    def test_sighup_applies_new_content_without_dropping_queries(self):
        srv = self.start()
        health_port = srv.http["health"]
        loops = self.start_loops(srv.port)
        allowed = [frozenset([ORIGINAL])]
        for i in range(1, 6):
            ip = "192.0.2.%d" % (100 + i)
            allowed.append(frozenset([ip]))
            write_zone(srv.zone, ip)
            srv.hup()
            wait_for(lambda: www_a(srv.port) == frozenset([ip]), 10, what="the new answer " + ip)
            self.assertEqual(www_a(srv.port, tcp), frozenset([ip]))
        self.wait_loops(loops)
        self.finish_loops(loops, allowed)
        srv.wait_log("applied (listeners kept)", count=5)
        self.assertNotIn("reload failed", srv.log_text())
        # The HTTP endpoints stayed on their sockets and answer for the new config.
        self.assertEqual(http_get(health_port, "/health"), (200, "OK"))
        self.assertEqual(http_get(srv.http["ready"], "/ready")[0], 200)
        self.assertEqual(metric(srv.http["metrics"], "vmdns_reloads_total", 'result="applied"'), 5)
        self.assertEqual(metric(srv.http["metrics"], "coredns_reload_failed_total"), 0)
        self.assertEqual(metric(srv.http["metrics"], "vmdns_config_generation"), 6)

    def test_query_counters_survive_a_reload(self):
        """Prometheus reads a counter that falls back to zero as a restart:
        the coredns_dns_* counters must keep counting across SIGHUP."""
        srv = self.start()
        def requests():
            _, body = http_get(srv.http["metrics"], "/metrics")
            return sum(float(line.split()[-1]) for line in body.splitlines()
                       if line.startswith("coredns_dns_requests_total{"))
        for _ in range(10):
            www_a(srv.port)
        wait_for(lambda: requests() >= 10, 5, what="10 requests counted")
        before = requests()
        write_zone(srv.zone, "192.0.2.77")
        srv.hup()
        wait_for(lambda: www_a(srv.port) == frozenset(["192.0.2.77"]), 10, what="the reload")
        after = requests()
        self.assertGreaterEqual(after, before + 1, "counters were reset by the reload")

    def test_corefile_sighup(self):
        srv = ReloadServer()
        self.srv = srv
        corefile = os.path.join(srv.tmp, "Corefile")
        with open(corefile, "w") as f:
            f.write("example.com:0 {\n  bind 127.0.0.1\n  file zone.db\n}\n")
        srv.config_path = corefile
        srv.start(option="--corefile")
        loops = self.start_loops(srv.port)
        self.wait_loops(loops)
        write_zone(srv.zone, "192.0.2.150")
        srv.hup()
        wait_for(lambda: www_a(srv.port) == frozenset(["192.0.2.150"]), 10, what="new answer")
        self.wait_loops(loops)
        self.finish_loops(loops, [frozenset([ORIGINAL]), frozenset(["192.0.2.150"])])
        srv.wait_log("applied (listeners kept)")


class BadReloadTest(ReloadTestCase):
    def test_bad_config_and_bad_zone_keep_the_old_answers(self):
        srv = self.start()
        loops = self.start_loops(srv.port)
        # An unknown key on the last line of the config.
        text = srv.write_config(extra="bogus_key: 1\n")
        line = text.count("\n")
        srv.hup()
        srv.wait_log("reload failed, keeping the running configuration: %s:%d: unknown key "
                     "'bogus_key'" % (srv.config_path, line))
        self.assertEqual(www_a(srv.port), frozenset([ORIGINAL]))
        # A good config naming a broken zone file.
        broken = os.path.join(srv.tmp, "broken.db")
        write_zone(broken, "192.0.2.222", broken=True)
        srv.write_config(zone="broken.db")
        srv.hup()
        srv.wait_log("reload failed, keeping the running configuration: %s:" % broken)
        self.assertEqual(www_a(srv.port), frozenset([ORIGINAL]))
        self.assertEqual(www_a(srv.port, tcp), frozenset([ORIGINAL]))
        self.wait_loops(loops)
        self.finish_loops(loops, [frozenset([ORIGINAL])])
        m = srv.http["metrics"]
        self.assertEqual(metric(m, "coredns_reload_failed_total"), 2)
        self.assertEqual(metric(m, "vmdns_reloads_total", 'result="applied"'), 0)
        self.assertEqual(http_get(srv.http["ready"], "/ready")[0], 200)
        # Fixed: the next SIGHUP applies it.
        write_zone(srv.zone, "192.0.2.77")
        srv.write_config()
        srv.hup()
        wait_for(lambda: www_a(srv.port) == frozenset(["192.0.2.77"]), 10, what="fixed config")


class ListenerChangeTest(ReloadTestCase):
    def test_added_and_removed_listen_address(self):
        srv = self.start()
        p1 = srv.port
        loops = self.start_loops(p1)
        idle = socket.create_connection(("127.0.0.1", p1), timeout=5)
        self.wait_loops(loops)
        # Add a second address (p2, port 0): a new server next to the old
        # one, on p1 again and p2; p1 keeps answering.
        srv.write_config(listen=["127.0.0.1:%d" % p1, "127.0.0.1:0"])
        srv.hup()
        srv.wait_log("reloaded with new listeners")
        self.assertEqual(srv.read_ports(count=2)[0], ("127.0.0.1", p1))
        p2 = srv.listening[1][1]
        self.assertEqual(www_a(p2), frozenset([ORIGINAL]))
        self.assertEqual(www_a(p2, tcp), frozenset([ORIGINAL]))
        self.assertEqual(www_a(p1, tcp), frozenset([ORIGINAL]))
        # The idle connection of the old listeners was closed cleanly (EOF).
        idle.settimeout(5)
        self.assertEqual(idle.recv(10), b"")
        idle.close()
        self.finish_loops(loops, [frozenset([ORIGINAL])])
        # Remove p1: it stops answering, p2 goes on.
        loops = self.start_loops(p2)
        srv.write_config(listen=["127.0.0.1:%d" % p2])
        srv.hup()
        srv.wait_log("reloaded with new listeners", count=2)

        def p1_closed():
            """The old server has drained (in the background, after the log
            line): TCP refused, UDP unreachable (refused) or unanswered."""
            try:
                socket.create_connection(("127.0.0.1", p1), timeout=2).close()
                return False
            except ConnectionRefusedError:
                pass
            try:
                return udp_raw(query(WWW, "A").to_wire(), p1, timeout=0.2) is None
            except ConnectionRefusedError:
                return True

        wait_for(p1_closed, 10, what="the removed address to stop answering")
        self.wait_loops(loops)
        self.finish_loops(loops, [frozenset([ORIGINAL])])
        self.assertEqual(http_get(srv.http["health"], "/health"), (200, "OK"))


class ReloadPluginTest(ReloadTestCase):
    def test_changed_file_is_noticed(self):
        extra = "reload: {interval: 1s, jitter: 0s}\n"
        srv = self.start(extra=extra)
        srv.wait_log("plugin/reload: checking")
        loops = self.start_loops(srv.port)
        other = os.path.join(srv.tmp, "other.db")
        write_zone(other, "192.0.2.160")
        srv.write_config(zone="other.db", extra=extra)
        wait_for(lambda: www_a(srv.port) == frozenset(["192.0.2.160"]), 10,
                 what="the reload plugin to apply the change")
        self.finish_loops(loops, [frozenset([ORIGINAL]), frozenset(["192.0.2.160"])])
        srv.wait_log("changed, reloading")
        # A broken file is reported once, not at every check. Every check
        # opens the file: three more opens are at least two more checks (a
        # report would open it once more, to read it).
        opens = FileOpens(srv.config_path)
        self.addCleanup(opens.close)
        srv.write_config(zone="other.db", extra=extra + "bogus_key: 2\n")
        srv.wait_log("unknown key 'bogus_key'")
        opens.wait(3)
        self.assertEqual(srv.log_text().count("unknown key 'bogus_key'"), 1)
        self.assertEqual(www_a(srv.port), frozenset(["192.0.2.160"]))
        # No change, no reload: the count of reloads stays put over two checks.
        n = srv.log_text().count("changed, reloading")
        opens.wait(2)
        self.assertEqual(srv.log_text().count("changed, reloading"), n)


if __name__ == "__main__":
    unittest.main()
