# SPDX-License-Identifier: BSD-2-Clause
"""test_truncation.py - UDP answers that do not fit carry no records, and
what that does to amplification; the EDNS buffer cap.

Against a running vmdnsd with dnspython over the wire (zone written here):
`txt` holds a TXT set of about 6 KB, `a40` 40 A records (about 680 bytes),
`a100` 100 A records (about 1650 bytes).
  - without EDNS (512 bytes) `a40` and `txt` get TC=1 with empty answer,
    authority and additional sections: the reply is the query's header and
    question, no larger than the query;
  - with EDNS the OPT is kept, still no record; the client's 4096 is capped
    at the configured 1232 (`a100` is truncated, our OPT says 1232);
  - `edns_udp_size: 4096` raises the cap (a100 fits) but the 6 KB set is
    still sent empty;
  - over TCP every answer is whole;
  - the amplification (reply bytes / query bytes) of these truncated
    answers, measured over a few hundred queries, is at most 1.
"""

import os
import shutil
import socket
import tempfile
import unittest

import dns.flags
import dns.message
import dns.rcode

from vmdns_harness import Vmdnsd, query, tcp, udp_raw

ZONE = """$ORIGIN amp.test.
$TTL 3600
@   IN SOA ns1 hostmaster 1 3600 600 86400 300
@   IN NS  ns1
ns1 IN A   192.0.2.1
"""


def write_zone(path):
    lines = [ZONE]
    for i in range(30):
        lines.append('txt IN TXT "%03d-%s"' % (i, "t" * 190))
    for i in range(1, 41):
        lines.append("a40 IN A 198.51.100.%d" % i)
    for i in range(1, 101):
        lines.append("a100 IN A 203.0.113.%d" % i)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


class Truncation(unittest.TestCase):
    limits = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="vmdns-trunc-")
        zone = os.path.join(cls.tmp, "amp.zone")
        write_zone(zone)
        cls.server = Vmdnsd(zones=[("amp.test.", zone)], limits=cls.limits)
        cls.server.start(probe="amp.test.")
        cls.port = cls.server.port

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def ask(self, name, rdtype, **kw):
        wire = query(name, rdtype, **kw).to_wire()
        raw = udp_raw(wire, self.port, timeout=2)
        self.assertIsNotNone(raw, "no reply to %s %s" % (name, rdtype))
        return wire, raw, dns.message.from_wire(raw)

    def assert_empty_tc(self, r, raw, wire):
        self.assertTrue(r.flags & dns.flags.TC, "no TC:\n%s" % r)
        self.assertTrue(r.flags & dns.flags.AA)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertEqual(len(r.question), 1)
        self.assertEqual((r.answer, r.authority, r.additional), ([], [], []),
                         "records in a truncated reply:\n%s" % r)
        self.assertLessEqual(len(raw), len(wire), "the reply is larger than the query")


class DefaultCap(Truncation):
    def test_no_edns_empty(self):
        for name, rdtype in (("a40.amp.test.", "A"), ("txt.amp.test.", "TXT"),
                             ("a100.amp.test.", "A")):
            with self.subTest(name=name):
                wire, raw, r = self.ask(name, rdtype)
                self.assert_empty_tc(r, raw, wire)
                self.assertEqual(r.edns, -1)

    def test_edns_keeps_opt_only(self):
        wire, raw, r = self.ask("txt.amp.test.", "TXT", use_edns=0, payload=4096, want_dnssec=True)
        self.assert_empty_tc(r, raw, wire)
        self.assertEqual(r.edns, 0)
        self.assertTrue(r.ednsflags & dns.flags.DO)
        self.assertEqual(r.payload, 1232, "our OPT must say the capped size")

    def test_client_4096_capped_at_1232(self):
        # 100 A (~1650 bytes) would fit 4096: the cap truncates it
        wire, raw, r = self.ask("a100.amp.test.", "A", use_edns=0, payload=4096)
        self.assert_empty_tc(r, raw, wire)
        # 40 A (~680 bytes) fit 1232
        wire, raw, r = self.ask("a40.amp.test.", "A", use_edns=0, payload=4096)
        self.assertFalse(r.flags & dns.flags.TC)
        self.assertEqual(len(r.answer[0]), 40)

    def test_tcp_whole(self):
        for name, rdtype, n in (("txt.amp.test.", "TXT", 30), ("a100.amp.test.", "A", 100)):
            with self.subTest(name=name):
                r = tcp(query(name, rdtype), self.port)
                self.assertFalse(r.flags & dns.flags.TC)
                self.assertEqual(len(r.answer[0]), n)

    def test_amplification(self):
        """Bytes out / bytes in for 300 queries that all truncate (no EDNS,
        and EDNS 4096 against the 1232 cap): at most 1 (was 26.7x for the
        TXT set and 16x for 40 A before truncated answers were emptied)."""
        cases = [("txt.amp.test.", "TXT", {}), ("a40.amp.test.", "A", {}),
                 ("txt.amp.test.", "TXT", {"use_edns": 0, "payload": 4096}),
                 ("a100.amp.test.", "A", {"use_edns": 0, "payload": 4096})]
        sent = received = 0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(2)
            s.connect(("127.0.0.1", self.port))
            for i in range(300):
                name, rdtype, kw = cases[i % len(cases)]
                wire = query(name, rdtype, **kw).to_wire()
                s.send(wire)
                sent += len(wire)
                received += len(s.recv(65535))
        ratio = received / sent
        print("\ntruncated answers: %d bytes in, %d bytes out, amplification %.3f"
              % (sent, received, ratio))
        self.assertLessEqual(ratio, 1.0)


class RaisedCap(Truncation):
    limits = {"edns_udp_size": 4096}

    def test_raised_cap(self):
        wire, raw, r = self.ask("a100.amp.test.", "A", use_edns=0, payload=4096)
        self.assertFalse(r.flags & dns.flags.TC)
        self.assertEqual(len(r.answer[0]), 100)
        self.assertEqual(r.payload, 4096)
        # the 6 KB set does not fit 4096 either: empty, not 4 KB of records
        wire, raw, r = self.ask("txt.amp.test.", "TXT", use_edns=0, payload=4096)
        self.assert_empty_tc(r, raw, wire)


if __name__ == "__main__":
    unittest.main()
