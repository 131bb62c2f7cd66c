# SPDX-License-Identifier: BSD-2-Clause
"""test_cookies.py - DNS cookies (RFC 7873, server cookies as RFC 9018) over the wire.

Against a running vmdnsd (cookies are on by default), with dnspython:
  - a client cookie alone gets an answer and a 16-byte server cookie
    (version 1, the server's clock), the client cookie echoed;
  - that cookie sent back is valid: answered, a new cookie; from another
    address it is not (the address is in the hash);
  - an invalid server cookie over UDP gets BADCOOKIE (23) with no records
    and a good cookie, with which the retry is answered; over TCP it is
    answered (TCP proves the address);
  - a malformed COOKIE gets FORMERR with an OPT; errors carry cookies too;
  - a fixed `secret` makes the cookie RFC 9018 says (computed here with
    our own SipHash-2-4), and the age window holds: an hour and more
    stale or five minutes ahead is invalid;
  - the secret rotates (`secret_rotation: 1s`): the previous secret is
    still accepted, the one before is not;
  - /metrics counts valid / invalid / client_only / missing;
  - `cookie: false` (and `cookie off` in a Corefile) turns it all off.
"""

import os
import socket
import struct
import time
import unittest

import dns.edns
import dns.flags
import dns.message
import dns.rcode

from test_ops import OpsServer, ops_config, value
from vmdns_harness import DEFAULT_ZONES, Vmdnsd, query, tcp, udp, udp_raw

COOKIE = 10
BADCOOKIE = 23
CLIENT = bytes.fromhex("2464c4abcf10c957")
SECRET = "e5e973e5a6b2a43f48e7dc849e37bfcf"


def cookie_query(name="www.example.com.", rdtype="A", cookie=CLIENT):
    return query(name, rdtype, use_edns=0, options=[dns.edns.GenericOption(COOKIE, cookie)])


def reply_cookie(r):
    """The COOKIE option data of a reply, or None."""
    for o in r.options:
        if o.otype == COOKIE:
            return o.data
    return None


def siphash24(key, data):
    """SipHash-2-4 (Aumasson, Bernstein), written from the paper, for
    checking the server's cookies from outside."""
    mask = (1 << 64) - 1

    def rotl(x, b):
        return ((x << b) | (x >> (64 - b))) & mask

    k0, k1 = struct.unpack("<QQ", key)
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261,
         k1 ^ 0x7465646279746573]

    def rounds(n):
        for _ in range(n):
            v[0] = (v[0] + v[1]) & mask; v[1] = rotl(v[1], 13); v[1] ^= v[0]; v[0] = rotl(v[0], 32)
            v[2] = (v[2] + v[3]) & mask; v[3] = rotl(v[3], 16); v[3] ^= v[2]
            v[0] = (v[0] + v[3]) & mask; v[3] = rotl(v[3], 21); v[3] ^= v[0]
            v[2] = (v[2] + v[1]) & mask; v[1] = rotl(v[1], 17); v[1] ^= v[2]; v[2] = rotl(v[2], 32)

    tail = len(data) % 8
    blocks = [struct.unpack("<Q", data[i:i + 8])[0] for i in range(0, len(data) - tail, 8)]
    last = (len(data) & 0xFF) << 56
    for i, b in enumerate(data[len(data) - tail:]):
        last |= b << (8 * i)
    for m in blocks + [last]:
        v[3] ^= m
        rounds(2)
        v[0] ^= m
    v[2] ^= 0xFF
    rounds(4)
    return struct.pack("<Q", v[0] ^ v[1] ^ v[2] ^ v[3])


def rfc9018_cookie(secret_hex, client, ip, ts):
    head = bytes([1, 0, 0, 0]) + struct.pack("!I", ts & 0xFFFFFFFF)
    return head + siphash24(bytes.fromhex(secret_hex), client + head + socket.inet_aton(ip))


class SipHashSelfTest(unittest.TestCase):
    def test_rfc9018_a1(self):
        # the checker itself, on RFC 9018 Appendix A.1
        self.assertEqual(rfc9018_cookie(SECRET, CLIENT, "198.51.100.100", 1559731985).hex(),
                         "010000005cf79f111f8130c3eee29480")


class CookieTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = OpsServer()
        cls.server.start()
        cls.port = cls.server.port

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()

    def fresh_cookie(self, client=CLIENT):
        r = udp(cookie_query(cookie=client), self.port)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        c = reply_cookie(r)
        self.assertIsNotNone(c, "no COOKIE in the reply:\n%s" % r)
        return c

    def test_client_cookie_only(self):
        r = udp(cookie_query(), self.port)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertEqual(len(r.answer), 1)
        c = reply_cookie(r)
        self.assertEqual(len(c), 24)
        self.assertEqual(c[:8], CLIENT, "client cookie not echoed")
        self.assertEqual(c[8:12], b"\x01\x00\x00\x00", "version 1, reserved 0")
        ts = struct.unpack("!I", c[12:16])[0]
        self.assertLess(abs(ts - time.time()), 5)

    def test_valid_cookie_answered(self):
        c = self.fresh_cookie()
        for send in (udp, tcp):
            with self.subTest(proto=send.__name__):
                r = send(cookie_query(cookie=c), self.port)
                self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                self.assertEqual(len(r.answer), 1)
                self.assertEqual(reply_cookie(r)[:8], CLIENT)

    def test_bad_server_cookie_udp_badcookie(self):
        bad = CLIENT + bytes.fromhex("01000000") + struct.pack("!I", int(time.time())) + bytes(8)
        r = udp(cookie_query(cookie=bad), self.port)
        self.assertEqual(r.rcode(), BADCOOKIE, "reply:\n%s" % r)
        self.assertEqual((r.answer, r.authority, r.additional), ([], [], []))
        good = reply_cookie(r)
        self.assertEqual(len(good), 24)
        self.assertNotEqual(good, bad)
        # the retry with the cookie BADCOOKIE gave is answered
        r = udp(cookie_query(cookie=good), self.port)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertEqual(len(r.answer), 1)

    def test_bad_server_cookie_tcp_answered(self):
        bad = CLIENT + bytes(16)
        r = tcp(cookie_query(cookie=bad), self.port)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertEqual(len(r.answer), 1)
        self.assertEqual(len(reply_cookie(r)), 24)

    def test_other_address_is_invalid(self):
        c = self.fresh_cookie()
        r = dns.query.udp(cookie_query(cookie=c), "127.0.0.1", port=self.port, timeout=2,
                          source="127.0.0.2")
        self.assertEqual(r.rcode(), BADCOOKIE)

    def test_other_server_cookie_lengths_invalid(self):
        for n in (8, 24, 32):  # legal lengths (RFC 7873), not ours
            with self.subTest(n=n):
                r = udp(cookie_query(cookie=CLIENT + bytes(n)), self.port)
                self.assertEqual(r.rcode(), BADCOOKIE)

    def test_malformed_cookie_formerr_with_opt(self):
        for n in (5, 9, 15, 41):
            with self.subTest(n=n):
                r = udp(cookie_query(cookie=bytes(n)), self.port)
                self.assertEqual(r.rcode(), dns.rcode.FORMERR)
                self.assertEqual(r.edns, 0, "FORMERR without OPT")

    def test_errors_carry_cookies(self):
        r = udp(cookie_query("www.example.org."), self.port)  # not ours: REFUSED
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)
        self.assertEqual(len(reply_cookie(r)), 24)
        r = udp(cookie_query("big.example.com."), self.port)  # truncated
        self.assertTrue(r.flags & dns.flags.TC or len(r.answer) == 1)
        self.assertEqual(len(reply_cookie(r)), 24)

    def test_truncated_reply_has_cookie(self):
        msg = query("bigger.example.com.", "A", use_edns=0, payload=512,
                    options=[dns.edns.GenericOption(COOKIE, CLIENT)])
        r = udp(msg, self.port)
        self.assertTrue(r.flags & dns.flags.TC)
        self.assertEqual(r.answer, [])
        self.assertEqual(len(reply_cookie(r)), 24)

    def test_no_cookie_no_option(self):
        r = udp(query("www.example.com.", use_edns=0), self.port)
        self.assertIsNone(reply_cookie(r))

    def test_metrics(self):
        before, _ = self.server.metrics()
        c = self.fresh_cookie()                                   # client_only
        udp(cookie_query(cookie=c), self.port)                    # valid
        udp(cookie_query(cookie=CLIENT + bytes(16)), self.port)   # invalid (BADCOOKIE)
        udp(query("www.example.com.", use_edns=0), self.port)     # missing
        udp(query("www.example.com."), self.port)                 # missing (no EDNS)
        after, types = self.server.metrics()
        self.assertEqual(types["vmdns_cookie_queries_total"], "counter")

        def delta(**labels):
            return (value(after, "vmdns_cookie_queries_total", **labels)
                    - value(before, "vmdns_cookie_queries_total", **labels))

        self.assertEqual(delta(result="client_only"), 1)
        self.assertEqual(delta(result="valid"), 1)
        self.assertEqual(delta(result="invalid"), 1)
        self.assertEqual(delta(result="missing"), 2)
        self.assertEqual(value(after, "vmdns_cookie_badcookie_total")
                         - value(before, "vmdns_cookie_badcookie_total"), 1)


class FixedSecretTest(unittest.TestCase):
    """`secret:` given: the cookies are RFC 9018's, checkable from outside."""

    @classmethod
    def setUpClass(cls):
        cls.server = Vmdnsd(extra="cookie: {secret: %s}\n" % SECRET)
        cls.server.start()
        cls.port = cls.server.port

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()

    def test_cookie_is_rfc9018(self):
        r = udp(cookie_query(), self.port)
        c = reply_cookie(r)
        ts = struct.unpack("!I", c[12:16])[0]
        self.assertEqual(c[8:], rfc9018_cookie(SECRET, CLIENT, "127.0.0.1", ts))

    def test_age_window(self):
        now = int(time.time())
        for age, ok in ((0, True), (1800, True), (3500, True), (3700, False), (7200, False),
                        (-200, True), (-400, False)):
            with self.subTest(age=age):
                c = CLIENT + rfc9018_cookie(SECRET, CLIENT, "127.0.0.1", now - age)
                r = udp(cookie_query(cookie=c), self.port)
                self.assertEqual(r.rcode(), dns.rcode.NOERROR if ok else BADCOOKIE)


class RotationTest(unittest.TestCase):
    def test_previous_secret_accepted_then_not(self):
        srv = OpsServer(extra="cookie: {secret_rotation: 1s}\n")
        srv.start()
        try:
            c = udp(cookie_query(), srv.port)
            c = reply_cookie(c)
            rot0 = value(srv.metrics()[0], "vmdns_cookie_secret_rotations_total")
            # wait for exactly one rotation: made with what is now the previous secret
            deadline = time.monotonic() + 5
            while value(srv.metrics()[0], "vmdns_cookie_secret_rotations_total") < rot0 + 1:
                self.assertLess(time.monotonic(), deadline, "no rotation within 5s")
                time.sleep(0.05)
            r = udp(cookie_query(cookie=c), srv.port)
            self.assertEqual(r.rcode(), dns.rcode.NOERROR, "previous secret refused")
            while value(srv.metrics()[0], "vmdns_cookie_secret_rotations_total") < rot0 + 2:
                self.assertLess(time.monotonic(), deadline + 3, "no second rotation")
                time.sleep(0.05)
            r = udp(cookie_query(cookie=c), srv.port)
            self.assertEqual(r.rcode(), BADCOOKIE, "a secret two rotations old still accepted")
        finally:
            srv.stop()
            srv.cleanup()


class CookieOffTest(unittest.TestCase):
    def check_off(self, srv):
        r = udp(cookie_query(cookie=CLIENT + bytes(16)), srv.port)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertIsNone(reply_cookie(r))

    def test_yaml_off(self):
        srv = Vmdnsd(extra="cookie: false\n")
        srv.start()
        try:
            self.check_off(srv)
        finally:
            srv.stop()
            srv.cleanup()

    def test_corefile_off_and_block(self):
        for directive, on in (("cookie off", False),
                              ("cookie {\n        secret %s\n        badcookie off\n    }" % SECRET,
                               True)):
            with self.subTest(directive=directive):
                srv = Vmdnsd(config="# replaced\n")
                srv.config_path = os.path.join(srv.tmp, "Corefile")
                with open(srv.config_path, "w") as f:
                    f.write("example.com:0 {\n    bind 127.0.0.1\n    file %s\n    %s\n}\n"
                            % (DEFAULT_ZONES[0][1], directive))
                srv.start(option="--corefile")
                try:
                    if not on:
                        self.check_off(srv)
                        continue
                    # badcookie off: an invalid cookie is answered, with a good one
                    r = udp(cookie_query(cookie=CLIENT + bytes(16)), srv.port)
                    self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                    c = reply_cookie(r)
                    ts = struct.unpack("!I", c[12:16])[0]
                    self.assertEqual(c[8:], rfc9018_cookie(SECRET, CLIENT, "127.0.0.1", ts))
                finally:
                    srv.stop()
                    srv.cleanup()


if __name__ == "__main__":
    unittest.main()
