# SPDX-License-Identifier: BSD-2-Clause
"""test_answer_edns.py - EDNS0 (RFC 6891) and truncation over UDP vs TCP.

Rules from DESIGN.md: reply OPT iff the query had one; version > 0 ->
BADVERS; unknown options and flags never echoed; DO echoed; UDP payload =
min(client, configured), at least 512; too big for UDP -> TC=1 with empty
answer/authority/additional sections (the question and the OPT only, as
Knot and NSD; test_truncation.py measures the amplification); TCP has it
all.

Sizes in test.zone: `mid` 20 A (fits 512), `big` 60 A (~1000 bytes: needs
EDNS), `bigger` 100 A (~1640 bytes: TCP only at the configured 1232),
`huge-txt` one TXT RR of ~1030 bytes.
"""

import unittest

import dns.edns
import dns.flags
import dns.message
import dns.rcode

from vmdns_harness import EDNS_UDP_SIZE, ServerTestCase, query, rr_texts, tcp, udp, udp_raw

BIG = {"big.example.com. 3600 IN A 203.0.113.%d" % i for i in range(1, 61)}
BIGGER = {"bigger.example.com. 3600 IN A 198.51.100.%d" % (100 + i) for i in range(1, 101)}
MID = {"mid.example.com. 3600 IN A 192.0.2.%d" % (200 + i) for i in range(1, 21)}


def udp_wire(port, msg):
    """Send `msg` over UDP; return (raw reply, parsed reply)."""
    raw = udp_raw(msg.to_wire(), port, timeout=2)
    if raw is None:
        raise AssertionError("no reply to\n%s" % msg)
    return raw, dns.message.from_wire(raw)


class EdnsTest(ServerTestCase):
    def test_no_opt_without_edns(self):
        for name, rdtype in (
            ("www.example.com.", "A"),
            ("nope.example.com.", "A"),
            ("www.example.com.", "MX"),
            ("www.example.org.", "A"),
            ("host.sub.example.com.", "A"),
        ):
            with self.subTest(name=name, rdtype=rdtype):
                r = self.udp(name, rdtype)
                self.assertEqual(r.edns, -1, "OPT in reply to a query without one:\n%s" % r)

    def test_opt_iff_query_had_one(self):
        for name, rdtype, rcode in (
            ("www.example.com.", "A", dns.rcode.NOERROR),
            ("nope.example.com.", "A", dns.rcode.NXDOMAIN),
            ("www.example.com.", "MX", dns.rcode.NOERROR),
            ("www.example.org.", "A", dns.rcode.REFUSED),
            ("host.sub.example.com.", "A", dns.rcode.NOERROR),
        ):
            with self.subTest(name=name, rdtype=rdtype):
                r = self.udp(name, rdtype, use_edns=0)
                self.assertRcode(r, rcode)
                self.assertEqual(r.edns, 0, "no OPT in reply:\n%s" % r)

    def test_opt_on_notimp(self):
        msg = query("www.example.com.", "A", use_edns=0)
        wire = bytearray(msg.to_wire())
        wire[2] = (wire[2] & 0x87) | (2 << 3)  # STATUS
        raw = udp_raw(bytes(wire), self.port, timeout=2)
        self.assertIsNotNone(raw)
        r = dns.message.from_wire(raw)
        self.assertRcode(r, dns.rcode.NOTIMP)
        self.assertEqual(r.edns, 0, "no OPT in NOTIMP reply to an EDNS query")

    def test_badvers(self):
        for version in (1, 255):
            with self.subTest(version=version):
                r = self.udp("www.example.com.", "A", use_edns=version)
                self.assertRcode(r, dns.rcode.BADVERS)
                self.assertEqual(r.edns, 0, "BADVERS reply must carry OPT version 0")
                self.assertEqual(r.answer, [])

    def test_unknown_options_not_echoed(self):
        opts = [dns.edns.GenericOption(65001, b"vmdns"), dns.edns.GenericOption(12345, b"")]
        r = self.udp("www.example.com.", "A", use_edns=0, options=opts)
        self.assertRcode(r, dns.rcode.NOERROR)
        self.assertEqual(r.edns, 0)
        self.assertEqual(list(r.options), [], "options echoed:\n%s" % r)

    def test_cookie_answered(self):
        # RFC 7873: a client cookie alone is a well-formed query and is
        # answered, with a server cookie added (test_cookies.py has the rest);
        # a server cookie that is not ours gets BADCOOKIE over UDP and is
        # answered over TCP.
        for cookie in (bytes(range(1, 9)), bytes(range(1, 17)), bytes(range(1, 41))):
            with self.subTest(length=len(cookie)):
                opts = [dns.edns.GenericOption(10, cookie)]
                for send in (self.udp, self.tcp):
                    r = send("www.example.com.", "A", use_edns=0, options=opts)
                    self.assertEqual(r.edns, 0)
                    got = [o.data for o in r.options if o.otype == 10]
                    self.assertEqual(len(got), 1, "no COOKIE in the reply:\n%s" % r)
                    self.assertEqual(got[0][:8], cookie[:8])
                    if len(cookie) > 8 and send == self.udp:
                        self.assertEqual(r.rcode(), 23, "not BADCOOKIE:\n%s" % r)
                        self.assertEqual(r.answer, [])
                        continue
                    self.assertRcode(r, dns.rcode.NOERROR)
                    self.assertEqual(rr_texts(r.answer), {"www.example.com. 3600 IN A 192.0.2.80"})

    def test_malformed_cookie_formerr(self):
        # RFC 7873 5.2.2: a COOKIE shorter than a client cookie, or with a
        # server cookie shorter than 8 or longer than 32 bytes, is FORMERR;
        # the reply still has the question and an OPT.
        for length in (0, 7, 9, 15, 41):
            with self.subTest(length=length):
                opts = [dns.edns.GenericOption(10, bytes(length))]
                msg = query("www.example.com.", "A", use_edns=0, options=opts)
                raw, r = udp_wire(self.port, msg)
                self.assertRcode(r, dns.rcode.FORMERR)
                self.assertEqual(r.id, msg.id)
                self.assertEqual(len(r.question), 1)
                self.assertEqual(r.answer, [])
                self.assertEqual(r.edns, 0, "no OPT in the FORMERR")
                self.assertEqual(list(r.options), [])

    def test_unknown_flags_not_echoed(self):
        r = self.udp("www.example.com.", "A", use_edns=0, ednsflags=0x4001)
        self.assertEqual(r.edns, 0)
        self.assertEqual(r.ednsflags, 0, "EDNS flags echoed: %#x" % r.ednsflags)
        r = self.udp("www.example.com.", "A", use_edns=0, ednsflags=dns.flags.DO | 0x0001)
        self.assertEqual(r.ednsflags, dns.flags.DO, "EDNS flags: %#x" % r.ednsflags)

    def test_do_echoed(self):
        r = self.udp("www.example.com.", "A", want_dnssec=True)
        self.assertTrue(r.ednsflags & dns.flags.DO, "DO not echoed")
        r = self.udp("nope.example.com.", "A", want_dnssec=True)
        self.assertTrue(r.ednsflags & dns.flags.DO, "DO not echoed on NXDOMAIN")
        r = self.udp("www.example.com.", "A", use_edns=0)
        self.assertFalse(r.ednsflags & dns.flags.DO, "DO set though not asked")

    def test_advertised_payload(self):
        r = self.udp("www.example.com.", "A", use_edns=0, payload=4096)
        self.assertGreaterEqual(r.payload, 512)
        self.assertLessEqual(r.payload, EDNS_UDP_SIZE)

    def test_payload_is_min_of_client_and_configured(self):
        # Client 4096, configured 1232: big (about 1000 bytes) fits ...
        raw, r = udp_wire(self.port, query("big.example.com.", "A", use_edns=0, payload=4096))
        self.assertFalse(r.flags & dns.flags.TC, "TC on a reply that fits %d bytes" % EDNS_UDP_SIZE)
        self.assertSection(r.answer, BIG, r)
        self.assertLessEqual(len(raw), EDNS_UDP_SIZE)
        # ... bigger (about 1640) does not: TC at the configured size, not the client's.
        raw, r = udp_wire(self.port, query("bigger.example.com.", "A", use_edns=0, payload=4096))
        self.assertTrue(r.flags & dns.flags.TC, "no TC for a 1640-byte answer (configured 1232)")
        self.assertLessEqual(len(raw), EDNS_UDP_SIZE)
        # Client 600 < configured: the client's size limits.
        raw, r = udp_wire(self.port, query("big.example.com.", "A", use_edns=0, payload=600))
        self.assertTrue(r.flags & dns.flags.TC, "no TC for a 1000-byte answer to a 600-byte client")
        self.assertLessEqual(len(raw), 600)

    def test_payload_below_512_means_512(self):
        raw, r = udp_wire(self.port, query("mid.example.com.", "A", use_edns=0, payload=100))
        self.assertFalse(r.flags & dns.flags.TC, "TC although the answer fits 512 bytes")
        self.assertSection(r.answer, MID, r)
        self.assertGreater(len(raw), 100)
        raw, r = udp_wire(self.port, query("big.example.com.", "A", use_edns=0, payload=100))
        self.assertTrue(r.flags & dns.flags.TC)
        self.assertLessEqual(len(raw), 512)


class TruncationTest(ServerTestCase):
    def test_tc_without_edns_is_empty(self):
        raw, r = udp_wire(self.port, query("big.example.com.", "A"))
        self.assertTrue(r.flags & dns.flags.TC, "no TC on a 1000-byte answer over plain UDP")
        self.assertFlag(r, dns.flags.AA, True)
        self.assertRcode(r, dns.rcode.NOERROR)
        self.assertEqual(r.question[0].name.to_text(), "big.example.com.")
        self.assertEqual((r.answer, r.authority, r.additional), ([], [], []))
        # 12 header + 21 question: nothing else
        self.assertEqual(len(raw), 33)

    def test_tc_keeps_question_and_opt(self):
        raw, r = udp_wire(self.port, query("bigger.example.com.", "A", use_edns=0, want_dnssec=True))
        self.assertTrue(r.flags & dns.flags.TC)
        self.assertEqual(r.edns, 0, "OPT missing from a truncated reply")
        self.assertTrue(r.ednsflags & dns.flags.DO)
        self.assertEqual(len(r.question), 1)
        self.assertEqual(r.answer, [])

    def test_single_rr_too_big(self):
        raw, r = udp_wire(self.port, query("huge-txt.example.com.", "TXT"))
        self.assertTrue(r.flags & dns.flags.TC)
        self.assertLessEqual(len(raw), 512)
        self.assertEqual(r.answer, [])
        r = self.udp("huge-txt.example.com.", "TXT", use_edns=0)
        self.assertFalse(r.flags & dns.flags.TC)
        self.assertEqual(list(r.answer[0])[0].strings, tuple(c.encode() * 255 for c in "wxyz"))

    def test_tcp_has_the_full_answer(self):
        for name, expected in (("big.example.com.", BIG), ("bigger.example.com.", BIGGER)):
            for use_edns in (False, 0):
                with self.subTest(name=name, edns=use_edns):
                    r = tcp(query(name, "A", use_edns=use_edns), self.port)
                    self.assertFalse(r.flags & dns.flags.TC, "TC over TCP")
                    self.assertFlag(r, dns.flags.AA, True)
                    self.assertSection(r.answer, expected, r)
        r = tcp(query("huge-txt.example.com.", "TXT"), self.port)
        self.assertFalse(r.flags & dns.flags.TC)
        self.assertEqual(len(r.answer), 1)

    def test_tc_on_ipv6(self):
        if not self.server.v6:
            self.skipTest("no ::1 here")
        r = udp(query("big.example.com.", "A"), self.port6, host="::1")
        self.assertTrue(r.flags & dns.flags.TC)
        r = tcp(query("big.example.com.", "A"), self.port6, host="::1")
        self.assertSection(r.answer, BIG, r)


class SmallConfiguredPayloadTest(ServerTestCase):
    """limits.edns_udp_size is honoured: 600 configured, 4096 asked."""

    limits = {"edns_udp_size": 600}

    def test_configured_size_limits(self):
        raw, r = udp_wire(self.port, query("big.example.com.", "A", use_edns=0, payload=4096))
        self.assertTrue(r.flags & dns.flags.TC, "configured 600 bytes, got a %d-byte reply" % len(raw))
        self.assertLessEqual(len(raw), 600)
        self.assertLessEqual(r.payload, 600)
        self.assertGreaterEqual(r.payload, 512)
        raw, r = udp_wire(self.port, query("mid.example.com.", "A", use_edns=0, payload=4096))
        self.assertFalse(r.flags & dns.flags.TC)
        self.assertSection(r.answer, MID, r)


if __name__ == "__main__":
    unittest.main()
