# SPDX-License-Identifier: BSD-2-Clause
"""test_protocol.py - protocol details over the wire (issue 12 point 6).

Against a running vmdnsd, raw packets and dnspython:
  - FORMERR to a query with a readable OPT carries an OPT (RFC 6891 7):
    QDCOUNT 0, QDCOUNT 2, bytes after the last record, QTYPE OPT; none
    when the query had none;
  - every opcode but QUERY gets NOTIMP (as Knot does for what it does not
    implement), with an OPT when the query had one, with or without a
    question, over UDP and TCP;
  - CHAOS: without `nsid`, version.bind, id.server and hostname.bind are
    REFUSED and an NSID request gets nothing; with `nsid: node-7`,
    id.server and hostname.bind answer TXT "node-7" (AA), an NSID request
    gets NSID "node-7" on every reply (errors and truncated ones too, and
    beside a cookie), and version.bind stays REFUSED; the Corefile's
    `nsid` without data uses the host name.
"""

import os
import socket
import struct
import unittest

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.tsig
import dns.tsigkeyring

from vmdns_harness import DEFAULT_ZONES, Vmdnsd, query, tcp, tcp_raw, udp, udp_raw

OPT = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"  # root, OPT, 1232, no options
NSID = 3


def header(qd, ar, opcode=0, id_=0x4242):
    return struct.pack("!6H", id_, opcode << 11, qd, 0, 0, ar)


def question(name="www.example.com."):
    return dns.message.make_query(name, "A").to_wire()[12:]


def parse(raw):
    """(opcode, rcode, counts, has OPT at the end) of a raw reply."""
    flags = struct.unpack("!H", raw[2:4])[0]
    counts = struct.unpack("!4H", raw[4:12])
    has_opt = counts[3] >= 1 and len(raw) >= 23 and raw[-11:-8] == b"\x00\x00\x29"
    return (flags >> 11) & 0xF, flags & 0xF, counts, has_opt


def nsid_of(r):
    for o in r.options:
        if o.otype == NSID:
            return o.data
    return None


class ServerCase(unittest.TestCase):
    extra = ""

    @classmethod
    def setUpClass(cls):
        cls.server = Vmdnsd(extra=cls.extra)
        cls.server.start()
        cls.port = cls.server.port

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()

    def raw(self, pkt, over_tcp=False):
        r = tcp_raw(pkt, self.port) if over_tcp else udp_raw(pkt, self.port, timeout=2)
        self.assertIsNotNone(r, "no reply to %r" % pkt)
        return r


class FormerrOpt(ServerCase):
    def test_formerr_carries_opt(self):
        q = question()
        cases = {
            "QDCOUNT 0": header(0, 1) + OPT,
            "QDCOUNT 2": header(2, 1) + q + q + OPT,
            "trailing bytes": header(1, 1) + q + OPT + b"\x00",
            "QTYPE OPT": query("www.example.com.", "OPT", use_edns=0).to_wire(),
        }
        for what, pkt in cases.items():
            for over_tcp in (False, True):
                with self.subTest(what=what, tcp=over_tcp):
                    _, rcode, counts, has_opt = parse(self.raw(pkt, over_tcp))
                    self.assertEqual(rcode, dns.rcode.FORMERR)
                    self.assertTrue(has_opt, "FORMERR without an OPT (counts %s)" % (counts,))
                    self.assertEqual(counts[3], 1)

    def test_formerr_without_opt_has_none(self):
        q = question()
        for what, pkt in {"QDCOUNT 0": header(0, 0), "QDCOUNT 2": header(2, 0) + q + q,
                          "OPT cut short": header(0, 1) + OPT[:-3]}.items():
            with self.subTest(what=what):
                _, rcode, counts, has_opt = parse(self.raw(pkt))
                self.assertEqual(rcode, dns.rcode.FORMERR)
                self.assertFalse(has_opt)
                self.assertEqual(counts, (0, 0, 0, 0))


class Opcodes(ServerCase):
    def test_notimp_for_every_other_opcode(self):
        q = question()
        for opcode in range(1, 16):
            for pkt, has_q in ((header(1, 1, opcode) + q + OPT, True),
                               (header(0, 1, opcode) + OPT, False),
                               (header(1, 0, opcode) + q, True)):
                for over_tcp in (False, True):
                    with self.subTest(opcode=opcode, question=has_q, tcp=over_tcp):
                        raw = self.raw(pkt, over_tcp)
                        op, rcode, counts, has_opt = parse(raw)
                        self.assertEqual((op, rcode), (opcode, dns.rcode.NOTIMP))
                        self.assertEqual(raw[:2], b"\x42\x42")
                        self.assertEqual(has_opt, pkt.endswith(OPT))
                        self.assertEqual(counts[:3], (1 if has_q else 0, 0, 0))


class TsigWithoutTsigPlugin(ServerCase):
    """No `tsig` configured: a signed query is still never answered
    unsigned (RFC 8945 5.2): NOTAUTH with an unsigned BADKEY TSIG."""

    def test_unknown_key_badkey(self):
        keyring = dns.tsigkeyring.from_text(
            {"some-key.": ("hmac-sha256", "c29tZS1rZXktc29tZS1rZXktc29tZS1rZXktMTIzNA==")})
        for over_tcp in (False, True):
            with self.subTest(tcp=over_tcp):
                m = dns.message.make_query("www.example.com.", "A")
                m.use_tsig(keyring, keyname="some-key.")
                raw = self.raw(m.to_wire(), over_tcp)
                self.assertEqual(raw[3] & 0xF, dns.rcode.NOTAUTH)
                self.assertEqual(struct.unpack("!H", raw[6:8])[0], 0)  # no answer
                with self.assertRaises(dns.tsig.PeerBadKey):
                    dns.message.from_wire(raw, keyring=keyring, request_mac=m.mac)


class ChaosWithoutNsid(ServerCase):
    def test_chaos_refused(self):
        for name in ("version.bind.", "id.server.", "hostname.bind.", "version.server."):
            with self.subTest(name=name):
                r = udp(query(name, "TXT", rdclass="CH"), self.port)
                self.assertEqual(r.rcode(), dns.rcode.REFUSED)
                self.assertEqual(r.answer, [])

    def test_no_nsid(self):
        r = udp(query("www.example.com.", use_edns=0,
                      options=[dns.edns.GenericOption(NSID, b"")]), self.port)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertIsNone(nsid_of(r))


class WithNsid(ServerCase):
    extra = "nsid: node-7\n"

    def test_id_server(self):
        for name in ("id.server.", "ID.Server.", "hostname.bind."):
            for send in (udp, tcp):
                with self.subTest(name=name, proto=send.__name__):
                    r = send(query(name, "TXT", rdclass="CH"), self.port)
                    self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                    self.assertTrue(r.flags & dns.flags.AA)
                    self.assertEqual(len(r.answer), 1)
                    rrset = r.answer[0]
                    self.assertEqual(rrset.rdclass, dns.rdataclass.CH)
                    self.assertEqual(list(rrset)[0].strings, (b"node-7",))

    def test_version_bind_refused(self):
        for name in ("version.bind.", "version.server.", "authors.bind."):
            with self.subTest(name=name):
                r = udp(query(name, "TXT", rdclass="CH"), self.port)
                self.assertEqual(r.rcode(), dns.rcode.REFUSED)

    def test_nsid_option(self):
        ask = [dns.edns.GenericOption(NSID, b"")]
        cases = (("www.example.com.", "A", dns.rcode.NOERROR),
                 ("nope.example.com.", "A", dns.rcode.NXDOMAIN),
                 ("www.example.org.", "A", dns.rcode.REFUSED),
                 ("bigger.example.com.", "A", dns.rcode.NOERROR))  # truncated
        for name, rdtype, rcode in cases:
            for send in (udp, tcp):
                with self.subTest(name=name, proto=send.__name__):
                    r = send(query(name, rdtype, use_edns=0, options=ask), self.port)
                    self.assertEqual(r.rcode(), rcode)
                    self.assertEqual(nsid_of(r), b"node-7")

    def test_nsid_only_when_asked(self):
        r = udp(query("www.example.com.", use_edns=0), self.port)
        self.assertIsNone(nsid_of(r))

    def test_nsid_beside_cookie(self):
        ask = [dns.edns.GenericOption(NSID, b""), dns.edns.GenericOption(10, b"12345678")]
        r = udp(query("www.example.com.", use_edns=0, options=ask), self.port)
        self.assertEqual(nsid_of(r), b"node-7")
        self.assertEqual({o.otype for o in r.options}, {NSID, 10})


class CorefileNsid(unittest.TestCase):
    def test_hostname_default(self):
        srv = Vmdnsd(config="# replaced\n")
        srv.config_path = os.path.join(srv.tmp, "Corefile")
        with open(srv.config_path, "w") as f:
            # the root block: id.server. must fall in a block's zones to be
            # answered (server blocks scope like CoreDNS)
            f.write(".:0 {\n    bind 127.0.0.1\n    file %s example.com\n    nsid\n}\n"
                    % DEFAULT_ZONES[0][1])
        srv.start(option="--corefile")
        try:
            r = udp(query("id.server.", "TXT", rdclass="CH"), srv.port)
            self.assertEqual(list(r.answer[0])[0].strings, (socket.gethostname().encode(),))
        finally:
            srv.stop()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
