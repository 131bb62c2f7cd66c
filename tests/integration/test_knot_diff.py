# SPDX-License-Identifier: BSD-2-Clause
"""test_knot_diff.py - vmdnsd and knotd must answer the same zone the same way.

knotd (Knot DNS, Debian package `knot`) is a mature authoritative server.
Both serve tests/integration/data/test.zone and example.net.zone; for every
query of QUERIES we compare rcode, AA, TC, OPT presence/version/DO and the
answer, authority and additional sections as sets of RRs (owner lower-cased,
TTL included; order ignored; OPT excluded from additional).

Left out on purpose, because the behaviour legitimately differs:
  - ANY: RFC 8482 lets each server pick which RRset (or HINFO) to return.
  - CNAME loops (loop1, self): how much of the loop is shown before the
    limit cuts it is implementation-defined.
  - to-net (CNAME into example.net, another served zone): knotd stops at the
    zone boundary; DESIGN.md has vmdnsd follow chains inside all served zones.
  - DS at the delegation (sub DS): knotd is DNSSEC-aware and answers DS from
    the parent side; vmdns does no DNSSEC and gives the referral.
  - Class CH (version.bind, id.server): knotd answers its identity; vmdnsd
    REFUSES every class but IN.
  - The answer of a truncated UDP reply: both send it empty now (TC=1, no
    records); those queries still compare rcode/AA/TC only.
  - Opcodes other than QUERY: knotd implements NOTIFY and UPDATE (answering
    NOTAUTH/REFUSED for them); vmdnsd replies NOTIMP to all of them. STATUS
    (implemented by neither) is compared.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import dns.flags
import dns.message
import dns.rcode

from vmdns_harness import (
    DEFAULT_ZONES,
    ProcessError,
    Vmdnsd,
    owned_port,
    query,
    start_on_owned_port,
    startup_failure,
    rr_texts,
    tcp,
    udp,
    udp_raw,
)

# (name, type, options). options: edns (False or version, default 0),
# do (DO bit), payload, tcp, flags_only (compare header/OPT only), opcode.
QUERIES = [
    ("example.com.", "SOA", {}),
    ("example.com.", "NS", {}),
    ("example.com.", "MX", {}),
    ("example.com.", "TXT", {}),
    ("example.com.", "A", {}),
    ("example.com.", "AAAA", {}),
    ("www.example.com.", "A", {}),
    ("www.example.com.", "AAAA", {"edns": False}),
    ("www.example.com.", "MX", {}),
    ("nope.example.com.", "A", {}),
    ("a.b.nope.example.com.", "AAAA", {"edns": False}),
    ("x.www.example.com.", "A", {}),
    ("Vm-AbC.ExAmple.COM.", "A", {}),
    ("vm-abc.example.com.", "AAAA", {"do": True}),
    ("_ssh._tcp.vm-abc.example.com.", "SRV", {}),
    ("ent.example.com.", "A", {}),
    ("host.ent.example.com.", "A", {}),
    ("chain1.example.com.", "A", {}),
    ("chain2.example.com.", "AAAA", {}),
    ("chain1.example.com.", "CNAME", {}),
    ("ext.example.com.", "A", {}),
    ("dangling.example.com.", "A", {}),
    ("cn-nodata.example.com.", "MX", {}),
    ("foo.wild.example.com.", "A", {}),
    ("a.b.wild.example.com.", "TXT", {}),
    ("foo.wild.example.com.", "MX", {}),
    ("exists.wild.example.com.", "A", {}),
    ("exists.wild.example.com.", "TXT", {}),
    ("foo.exists.wild.example.com.", "A", {}),
    ("ent2.wild.example.com.", "A", {}),
    ("x.ent2.wild.example.com.", "A", {}),
    ("*.wild.example.com.", "A", {}),
    ("sub.*.wild.example.com.", "TXT", {}),
    ("ghost.*.wild.example.com.", "A", {}),
    ("foo.wc.example.com.", "A", {}),
    ("sub.example.com.", "NS", {}),
    ("sub.example.com.", "A", {}),
    ("host.sub.example.com.", "A", {}),
    ("deep.host.sub.example.com.", "AAAA", {"edns": False}),
    ("ns1.sub.example.com.", "A", {}),
    ("mx-in.example.com.", "MX", {}),
    ("mx-out.example.com.", "MX", {}),
    ("caa.example.com.", "CAA", {}),
    ("long.example.com.", "TXT", {"edns": False}),
    ("mid.example.com.", "A", {"edns": False}),
    ("big.example.com.", "A", {}),
    ("big.example.com.", "A", {"edns": False, "flags_only": True}),
    ("big.example.com.", "A", {"edns": False, "tcp": True}),
    ("bigger.example.com.", "A", {"flags_only": True}),
    ("bigger.example.com.", "A", {"tcp": True}),
    ("huge-txt.example.com.", "TXT", {"edns": False, "flags_only": True}),
    ("huge-txt.example.com.", "TXT", {}),
    ("nope.example.net.", "A", {}),
    ("www.example.net.", "TXT", {}),
    ("www.example.net.", "A", {}),
    ("www.example.org.", "A", {}),
    ("notexample.com.", "A", {}),
    ("com.", "NS", {}),
    ("www.example.com.", "A", {"edns": 1}),
    ("www.example.com.", "A", {"opcode": 2}),
]


def knot_config(tmp, port, zones):
    lines = [
        "server:",
        "    rundir: %s" % tmp,
        "    listen: 127.0.0.1@%d" % port,
        "    udp-workers: 1",
        "    tcp-workers: 1",
        "    background-workers: 1",
        "log:",
        "  - target: stderr",
        "    any: info",  # for "server started": the sockets are ours
        "database:",
        "    storage: %s" % tmp,
        "template:",
        "  - id: default",
        "    storage: %s" % tmp,
        "    zonefile-sync: -1",
        "    journal-content: none",
        "zone:",
    ]
    for origin, path in zones:
        lines += ["  - domain: %s" % origin, "    file: %s" % path]
    return "\n".join(lines) + "\n"


class Knotd:
    """knotd in the foreground on a loopback port of this test process's
    block (owned_port(); the next one if that is taken), serving `zones`."""

    def __init__(self, zones):
        self.port = owned_port()
        self.zones = zones
        self.tmp = tempfile.mkdtemp(prefix="knotd-test-")
        self.conf = os.path.join(self.tmp, "knot.conf")
        self.log_path = os.path.join(self.tmp, "knotd.log")
        self.proc = None

    def start(self, timeout=15.0):
        self.timeout = timeout
        return start_on_owned_port(self, False)

    def start_once(self):
        with open(self.conf, "w") as f:
            f.write(knot_config(self.tmp, self.port, self.zones))
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["knotd", "-c", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.timeout
        while True:
            if self.proc.poll() is not None:
                self.log.close()
                raise startup_failure(self.proc, self.log_path, "knotd")
            started = "server started" in open(self.log_path, errors="replace").read()
            try:
                if not started:  # bound (knotd exits if not): only then is the port ours
                    raise ProcessError("not started yet")
                r = udp(query("example.com.", "SOA"), self.port, timeout=0.2)
                if r.rcode() == dns.rcode.NOERROR:  # zones loaded (SERVFAIL before)
                    r = udp(query("www.example.net.", "A"), self.port, timeout=0.2)
                    if r.rcode() == dns.rcode.NOERROR:
                        return self
            except Exception:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise ProcessError("knotd not ready: %s" % open(self.log_path, errors="replace").read())
            time.sleep(0.05)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def ask(port, name, rdtype, opts):
    """Send one query per `opts` to port; return the parsed reply."""
    edns = opts.get("edns", 0)
    kw = {}
    if edns is not False:
        kw = {"use_edns": edns, "payload": opts.get("payload", 1232), "want_dnssec": opts.get("do", False)}
    msg = query(name, rdtype, **kw)
    if opts.get("tcp"):
        return tcp(msg, port)
    if "opcode" in opts:
        wire = bytearray(msg.to_wire())
        wire[2] = (wire[2] & 0x87) | (opts["opcode"] << 3)
        raw = udp_raw(bytes(wire), port, timeout=2)
        if raw is None:
            raise AssertionError("no reply")
        return dns.message.from_wire(raw)
    return udp(msg, port)


def summary(r, flags_only):
    """What we compare of a reply."""
    out = {
        "rcode": dns.rcode.to_text(r.rcode()),
        "AA": bool(r.flags & dns.flags.AA),
        "TC": bool(r.flags & dns.flags.TC),
        "RD": bool(r.flags & dns.flags.RD),
        "RA": bool(r.flags & dns.flags.RA),
        "opt": r.edns,
        "DO": bool(r.ednsflags & dns.flags.DO) if r.edns >= 0 else None,
        "question": [q.to_text() for q in r.question],
    }
    if not flags_only:
        out["answer"] = sorted(rr_texts(r.answer))
        out["authority"] = sorted(rr_texts(r.authority))
        out["additional"] = sorted(rr_texts(r.additional))
    return out


@unittest.skipUnless(shutil.which("knotd"), "knotd not installed")
class KnotDiffTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.knot = Knotd(DEFAULT_ZONES)
        try:
            cls.knot.start()
        except Exception:
            cls.knot.stop()
            raise
        cls.vmdns = Vmdnsd(zones=DEFAULT_ZONES)
        try:
            cls.vmdns.start()
        except Exception:
            cls.vmdns.cleanup()
            cls.knot.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.knot.stop()
        try:
            cls.vmdns.stop()
        finally:
            cls.vmdns.cleanup()

    def test_same_answers(self):
        self.assertGreaterEqual(len(QUERIES), 40)
        for name, rdtype, opts in QUERIES:
            with self.subTest(query="%s %s %s" % (name, rdtype, opts)):
                want = summary(ask(self.knot.port, name, rdtype, opts), opts.get("flags_only"))
                got = summary(ask(self.vmdns.port, name, rdtype, opts), opts.get("flags_only"))
                self.assertEqual(got, want, "vmdnsd (first) differs from knotd (second)")
        self.assertTrue(self.vmdns.alive(), self.vmdns.output())


if __name__ == "__main__":
    unittest.main()
