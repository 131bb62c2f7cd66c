# SPDX-License-Identifier: BSD-2-Clause
"""test_malformed.py - broken packets get FORMERR or nothing; the server lives on.

DESIGN.md: QR=1 or shorter than 12 bytes: dropped. Bad question,
QDCOUNT != 1, trailing garbage: FORMERR. Opcode other than QUERY: NOTIMP.

Each packet is sent on a UDP socket followed by a well-formed "sentinel"
query with its own ID. Packets from one socket reach the same worker (the
SO_REUSEPORT hash of the 4-tuple) and are answered in order, so once the
sentinel's reply is in, anything the server was going to send for the
packet has been sent: "no reply" is checked without sleeping.
"""

import random
import socket
import struct
import unittest

import dns.exception
import dns.message
import dns.opcode
import dns.rcode

from vmdns_harness import ServerTestCase, query

FORMERR = 1
NOTIMP = 4


def header(id_=0x1234, flags=0x0000, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", id_, flags, qd, an, ns, ar)


def qname(*labels):
    return b"".join(bytes([len(l)]) + l.encode() for l in labels) + b"\x00"


WWW = qname("www", "example", "com")
A_IN = b"\x00\x01\x00\x01"
OPT = b"\x00" + b"\x00\x29" + b"\x04\xd0" + b"\x00\x00\x00\x00" + b"\x00\x00"


class MalformedTest(ServerTestCase):
    def setUp(self):
        super().setUp()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(3)
        self.sock.connect(("127.0.0.1", self.port))
        self.sentinel_id = 0xF000

    def tearDown(self):
        self.sock.close()

    def exchange(self, pkt):
        """Send pkt then a sentinel query; return the replies received before
        the sentinel's (normally zero or one)."""
        self.sentinel_id = (self.sentinel_id + 1) & 0xFFFF or 0xF000
        sentinel = query("www.example.com.", "A")
        sentinel.id = self.sentinel_id
        self.sock.send(pkt)
        self.sock.send(sentinel.to_wire())
        replies = []
        while True:
            try:
                raw = self.sock.recv(65535)
            except socket.timeout:
                self.fail("no reply to the sentinel query: server stuck or dead\n%s" % self.server.output())
            if raw[:2] == struct.pack("!H", self.sentinel_id):
                r = dns.message.from_wire(raw)
                self.assertEqual(r.rcode(), dns.rcode.NOERROR, "sentinel answered wrongly:\n%s" % r)
                self.assertEqual(len(r.answer), 1)
                return replies
            replies.append(raw)

    def assertDropped(self, pkt, why):
        replies = self.exchange(pkt)
        self.assertEqual(replies, [], "%s: expected no reply, got %r" % (why, replies))

    def assertFormerr(self, pkt, why, id_=0x1234):
        replies = self.exchange(pkt)
        self.assertEqual(len(replies), 1, "%s: expected one FORMERR reply, got %r" % (why, replies))
        raw = replies[0]
        self.assertGreaterEqual(len(raw), 12, why)
        self.assertEqual(struct.unpack("!H", raw[:2])[0], id_, "%s: id not echoed" % why)
        self.assertTrue(raw[2] & 0x80, "%s: QR not set" % why)
        self.assertEqual(raw[3] & 0x0F, FORMERR, "%s: rcode %d, not FORMERR" % (why, raw[3] & 0xF))
        return raw

    def test_sentinel_alone(self):
        # The method itself: a well-formed query gets exactly one reply.
        good = header() + WWW + A_IN
        self.assertEqual(len(self.exchange(good)), 1)

    def test_shorter_than_header_dropped(self):
        for n in (0, 1, 2, 11):
            with self.subTest(length=n):
                self.assertDropped((header() + WWW + A_IN)[:n], "%d-byte packet" % n)

    def test_qr_set_dropped(self):
        self.assertDropped(header(flags=0x8000) + WWW + A_IN, "QR=1")
        self.assertDropped(header(flags=0x8400, an=0) + WWW + A_IN, "QR=1 AA=1")
        self.assertDropped(header(flags=0x8000, qd=0), "QR=1 QDCOUNT=0")
        self.assertDropped(header(flags=0x8000) + b"\xff" * 20, "QR=1 garbage")

    def test_qdcount_zero(self):
        raw = self.assertFormerr(header(qd=0), "QDCOUNT=0")
        self.assertEqual(raw[4:6], b"\x00\x00", "question count in FORMERR reply to QDCOUNT=0")
        self.assertFormerr(header(qd=0) + WWW + A_IN, "QDCOUNT=0 with a question present")

    def test_qdcount_two(self):
        self.assertFormerr(header(qd=2) + WWW + A_IN + qname("mail", "example", "com") + A_IN, "QDCOUNT=2")
        self.assertFormerr(header(qd=2) + WWW + A_IN, "QDCOUNT=2, one question present")
        self.assertFormerr(header(qd=0xFFFF) + WWW + A_IN, "QDCOUNT=65535")

    def test_truncated_question(self):
        full = header() + WWW + A_IN
        for cut, why in ((2, "QCLASS cut"), (3, "QCLASS half"), (4, "QTYPE and QCLASS cut"), (6, "name cut")):
            with self.subTest(why=why):
                self.assertFormerr(full[:-cut], why)
        self.assertFormerr(header() + b"\x03www\x07exam", "label cut")
        self.assertFormerr(header() + b"\x03www\x07example\x03com", "no root label")
        self.assertFormerr(header() + b"\x3f" + b"a" * 10, "label longer than the packet")

    def test_trailing_bytes(self):
        self.assertFormerr(header() + WWW + A_IN + b"\x00", "one trailing byte")
        self.assertFormerr(header() + WWW + A_IN + b"garbage!" * 4, "trailing garbage")

    def test_compression_pointer_in_question(self):
        self.assertFormerr(header() + b"\xc0\x0c" + A_IN, "pointer to itself")
        self.assertFormerr(header() + b"\x03www\xc0\x00" + A_IN, "pointer to the header")
        self.assertFormerr(header() + b"\x03www\xc0\x12" + A_IN + b"\x07example\x03com\x00", "forward pointer")

    def test_bad_labels(self):
        self.assertFormerr(header() + b"\x41" + b"a" * 65 + b"\x00" + A_IN, "extended label type 01")
        self.assertFormerr(header() + b"\x80\x03www\x00" + A_IN, "label type 10")
        long_name = b"".join(b"\x3f" + b"a" * 63 for _ in range(4)) + b"\x00"  # 257 bytes
        self.assertFormerr(header() + long_name + A_IN, "name longer than 255 bytes")

    def test_broken_additional(self):
        self.assertFormerr(header(ar=1) + WWW + A_IN, "ARCOUNT=1, nothing there")
        self.assertFormerr(header(ar=1) + WWW + A_IN + OPT[:7], "OPT cut")
        self.assertFormerr(header(ar=2) + WWW + A_IN + OPT + OPT, "two OPT records")
        self.assertFormerr(header(ar=1) + WWW + A_IN + b"\x01a" + OPT, "OPT owner not the root")
        opt_bad_rdlen = OPT[:-2] + b"\x00\x10"
        self.assertFormerr(header(ar=1) + WWW + A_IN + opt_bad_rdlen, "OPT RDLEN past the end")

    def test_random_packets(self):
        rng = random.Random(20240101)
        base = header() + WWW + A_IN
        for i in range(200):
            pid = 0x1000 + i
            kind = i % 4
            if kind == 0:  # anything at all
                pkt = bytes(rng.getrandbits(8) for _ in range(rng.choice((rng.randrange(0, 40), rng.randrange(0, 600)))))
            elif kind == 1:  # a plausible header, random body
                body = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 80)))
                pkt = header(flags=rng.choice((0, 0x0100, 0x0020)), ar=rng.choice((0, 0, 1))) + body
            else:  # a valid query with random bytes changed
                pkt = bytearray(base + (OPT if kind == 3 else b""))
                pkt[0:2] = b"\x00\x00"
                for _ in range(rng.randrange(1, 4)):
                    pkt[rng.randrange(2, len(pkt))] = rng.getrandbits(8)
                pkt = bytes(pkt)
            if len(pkt) >= 2:
                pkt = struct.pack("!H", pid) + pkt[2:]
            with self.subTest(i=i, pkt=pkt.hex()):
                replies = self.exchange(pkt)
                if len(pkt) < 12 or pkt[2] & 0x80:
                    self.assertEqual(replies, [], "short or QR=1 packet answered")
                    continue
                if self.well_formed_query(pkt):
                    self.assertLessEqual(len(replies), 1)
                    continue  # a valid query after all: any proper answer is fine
                self.assertLessEqual(len(replies), 1)
                if replies:
                    raw = replies[0]
                    self.assertEqual(struct.unpack("!H", raw[:2])[0], pid, "id not echoed")
                    self.assertTrue(raw[2] & 0x80, "QR not set")
                    allowed = {FORMERR} if (pkt[2] >> 3) & 0xF == 0 else {FORMERR, NOTIMP}
                    self.assertIn(raw[3] & 0xF, allowed, "malformed packet got rcode %d" % (raw[3] & 0xF))
        self.assertTrue(self.server.alive())

    @staticmethod
    def well_formed_query(pkt):
        try:
            m = dns.message.from_wire(pkt)
        except Exception:  # any parse error: not a well-formed query
            return False
        return m.opcode() == dns.opcode.QUERY and len(m.question) == 1 and not m.answer and not m.authority

    def test_big_garbage_datagram(self):
        self.assertFormerr(header() + b"\x3f" * 4000, "4 kB of garbage")
        self.assertFormerr(header() + WWW + A_IN + b"\x00" * 4000, "4 kB of trailing zeros")
        # Larger than any query vmdnsd reads (4096): FORMERR or dropped.
        for pkt in (header() + b"\x3f" * 60000, header() + WWW + A_IN + b"\x00" * 60000):
            replies = self.exchange(pkt)
            self.assertLessEqual(len(replies), 1)
            if replies:
                self.assertEqual(replies[0][3] & 0xF, FORMERR)

if __name__ == "__main__":
    unittest.main()
