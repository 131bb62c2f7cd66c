# SPDX-License-Identifier: BSD-2-Clause
"""test_answer.py - the answering rules of DESIGN.md, checked over the wire.

One vmdnsd serves tests/integration/data/test.zone (example.com) and
example.net.zone; each test names the rule it checks and fails if vmdnsd
breaks it. EDNS0 and truncation live in test_answer_edns.py.
"""

import unittest

import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdatatype

from vmdns_harness import ServerTestCase, dig, query, rr_texts, udp_raw

SOA = "example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 3600 600 86400 300"
NET_SOA = "example.net. 60 IN SOA ns1.example.com. hostmaster.example.com. 7 3600 600 86400 600"
SUB_NS = {
    "sub.example.com. 3600 IN NS ns1.sub.example.com.",
    "sub.example.com. 3600 IN NS ns2.sub.example.com.",
}
SUB_GLUE = {
    "ns1.sub.example.com. 3600 IN A 192.0.2.53",
    "ns1.sub.example.com. 3600 IN AAAA 2001:db8::53",
    "ns2.sub.example.com. 3600 IN A 192.0.2.54",
}
WWW = {"www.example.com. 3600 IN A 192.0.2.80"}
WWW6 = {"www.example.com. 3600 IN AAAA 2001:db8::80"}
MAIL = {"mail.example.com. 3600 IN A 192.0.2.25", "mail.example.com. 3600 IN AAAA 2001:db8::25"}


class AuthorityTest(ServerTestCase):
    """AA on authoritative answers; REFUSED (no AA) outside every zone."""

    def test_aa_on_positive_answer(self):
        r = self.udp("www.example.com.", "A")
        self.assertRcode(r, dns.rcode.NOERROR)
        self.assertFlag(r, dns.flags.AA, True)
        self.assertFlag(r, dns.flags.QR, True)
        self.assertSection(r.answer, WWW, r)

    def test_aa_on_apex_records(self):
        for rdtype, expected in (
            ("SOA", {SOA.replace(" 300 IN", " 3600 IN", 1)}),
            ("TXT", {'example.com. 3600 IN TXT "v=spf1 -all"'}),
            ("A", {"example.com. 3600 IN A 192.0.2.10"}),
        ):
            with self.subTest(rdtype=rdtype):
                r = self.udp("example.com.", rdtype)
                self.assertRcode(r, dns.rcode.NOERROR)
                self.assertFlag(r, dns.flags.AA, True)
                self.assertSection(r.answer, expected, r)

    def test_aa_on_negative_answers(self):
        for name, rdtype in (("nope.example.com.", "A"), ("www.example.com.", "MX")):
            with self.subTest(name=name, rdtype=rdtype):
                self.assertFlag(self.udp(name, rdtype), dns.flags.AA, True)

    def test_refused_outside_zones(self):
        for name, rdtype in (
            ("www.example.org.", "A"),
            ("org.", "SOA"),
            ("com.", "NS"),  # the parent of a served zone is not served
            (".", "NS"),
            ("notexample.com.", "A"),  # suffix match must respect label boundaries
            ("wwwexample.com.", "A"),
        ):
            with self.subTest(name=name):
                r = self.udp(name, rdtype)
                self.assertRcode(r, dns.rcode.REFUSED)
                self.assertFlag(r, dns.flags.AA, False)
                self.assertEqual(r.answer, [])
                self.assertEqual(r.authority, [])
                self.assertEqual(r.question[0].name.to_text(), name)

    def test_refused_non_in_class(self):
        # vmdns serves class IN only; our choice for other classes: REFUSED.
        for name, rdclass in (("www.example.com.", "CH"), ("version.bind.", "CH"), ("www.example.com.", "HS")):
            with self.subTest(name=name, rdclass=rdclass):
                r = self.udp(name, "TXT" if name.startswith("version") else "A", rdclass=rdclass)
                self.assertRcode(r, dns.rcode.REFUSED)
                self.assertFlag(r, dns.flags.AA, False)
                self.assertEqual(r.answer, [])

    def test_header_id_rd_echoed_ra_clear(self):
        msg = dns.message.make_query("www.example.com.", "A")  # RD=1
        msg.id = 0xBEEF
        raw = udp_raw(msg.to_wire(), self.port, timeout=2)
        self.assertIsNotNone(raw, "no reply")
        r = dns.message.from_wire(raw)
        self.assertEqual(r.id, 0xBEEF)
        self.assertFlag(r, dns.flags.RD, True)
        self.assertFlag(r, dns.flags.RA, False)
        self.assertFlag(r, dns.flags.AA, True)

    def test_minimal_positive_answer(self):
        # No NS in authority, no additional for plain A/AAAA answers.
        for rdtype in ("A", "AAAA"):
            r = self.udp("www.example.com.", rdtype)
            self.assertEqual(r.authority, [], "reply:\n%s" % r)
            self.assertEqual(r.additional, [], "reply:\n%s" % r)

    def test_dig_sees_an_authoritative_answer(self):
        out = dig(self.port, "www.example.com.", "A")
        self.assertIn("status: NOERROR", out)
        self.assertRegex(out, r"flags: qr aa;")
        self.assertRegex(out, r"www\.example\.com\.\s+3600\s+IN\s+A\s+192\.0\.2\.80")


class NegativeTest(ServerTestCase):
    """NXDOMAIN/NODATA with the SOA (TTL = min(SOA TTL, minimum)); ENT = NODATA."""

    def check_negative(self, name, rdtype, rcode, soa=SOA):
        r = self.udp(name, rdtype)
        self.assertRcode(r, rcode)
        self.assertFlag(r, dns.flags.AA, True)
        self.assertEqual(r.answer, [], "reply:\n%s" % r)
        self.assertSection(r.authority, {soa}, r)
        return r

    def test_nxdomain(self):
        self.check_negative("nope.example.com.", "A", dns.rcode.NXDOMAIN)
        self.check_negative("a.b.c.nope.example.com.", "AAAA", dns.rcode.NXDOMAIN)
        self.check_negative("www2.example.com.", "TXT", dns.rcode.NXDOMAIN)

    def test_nxdomain_below_existing_name(self):
        self.check_negative("x.www.example.com.", "A", dns.rcode.NXDOMAIN)

    def test_nodata(self):
        self.check_negative("www.example.com.", "MX", dns.rcode.NOERROR)
        self.check_negative("example.com.", "AAAA", dns.rcode.NOERROR)
        self.check_negative("caa.example.com.", "A", dns.rcode.NOERROR)

    def test_negative_ttl_is_soa_ttl_when_smaller(self):
        # example.net: SOA TTL 60, minimum 600 -> 60.
        self.check_negative("nope.example.net.", "A", dns.rcode.NXDOMAIN, NET_SOA)
        self.check_negative("www.example.net.", "TXT", dns.rcode.NOERROR, NET_SOA)

    def test_empty_non_terminal_is_nodata(self):
        for rdtype in ("A", "TXT", "NS"):
            with self.subTest(rdtype=rdtype):
                self.check_negative("ent.example.com.", rdtype, dns.rcode.NOERROR)
        r = self.udp("host.ent.example.com.", "A")
        self.assertSection(r.answer, {"host.ent.example.com. 3600 IN A 192.0.2.50"}, r)


class CnameTest(ServerTestCase):
    """CNAME chains followed inside the served zones, with a loop limit."""

    def test_chain_of_three(self):
        r = self.udp("chain1.example.com.", "A")
        self.assertRcode(r, dns.rcode.NOERROR)
        self.assertFlag(r, dns.flags.AA, True)
        self.assertEqual(
            [(rr.name.to_text(), dns.rdatatype.to_text(rr.rdtype)) for rr in r.answer],
            [
                ("chain1.example.com.", "CNAME"),
                ("chain2.example.com.", "CNAME"),
                ("chain3.example.com.", "CNAME"),
                ("www.example.com.", "A"),
            ],
            "chain order in reply:\n%s" % r,
        )
        self.assertSection(
            r.answer,
            {
                "chain1.example.com. 3600 IN CNAME chain2.example.com.",
                "chain2.example.com. 3600 IN CNAME chain3.example.com.",
                "chain3.example.com. 3600 IN CNAME www.example.com.",
            }
            | WWW,
            r,
        )
        self.assertEqual(r.authority, [])

    def test_chain_ends_in_other_type(self):
        r = self.udp("chain2.example.com.", "AAAA")
        self.assertSection(
            r.answer,
            {
                "chain2.example.com. 3600 IN CNAME chain3.example.com.",
                "chain3.example.com. 3600 IN CNAME www.example.com.",
            }
            | WWW6,
            r,
        )

    def test_query_for_cname_type_is_not_followed(self):
        r = self.udp("chain1.example.com.", "CNAME")
        self.assertSection(r.answer, {"chain1.example.com. 3600 IN CNAME chain2.example.com."}, r)

    def test_out_of_zone_target(self):
        r = self.udp("ext.example.com.", "A")
        self.assertRcode(r, dns.rcode.NOERROR)
        self.assertFlag(r, dns.flags.AA, True)
        self.assertSection(r.answer, {"ext.example.com. 3600 IN CNAME www.example.org."}, r)

    def test_dangling_target_is_nxdomain(self):
        # RFC 6604: the rcode is that of the last name of the chain.
        r = self.udp("dangling.example.com.", "A")
        self.assertRcode(r, dns.rcode.NXDOMAIN)
        self.assertFlag(r, dns.flags.AA, True)
        self.assertSection(r.answer, {"dangling.example.com. 3600 IN CNAME nothere.example.com."}, r)
        self.assertSection(r.authority, {SOA}, r)

    def test_target_without_the_type_is_nodata(self):
        r = self.udp("cn-nodata.example.com.", "MX")
        self.assertRcode(r, dns.rcode.NOERROR)
        self.assertSection(r.answer, {"cn-nodata.example.com. 3600 IN CNAME www.example.com."}, r)
        self.assertSection(r.authority, {SOA}, r)

    def test_followed_into_another_served_zone(self):
        r = self.udp("to-net.example.com.", "A")
        self.assertRcode(r, dns.rcode.NOERROR)
        self.assertSection(
            r.answer,
            {"to-net.example.com. 3600 IN CNAME www.example.net.", "www.example.net. 300 IN A 192.0.2.200"},
            r,
        )

    def test_loop_is_cut(self):
        for name, owners in (
            ("loop1.example.com.", {"loop1.example.com.", "loop2.example.com."}),
            ("self.example.com.", {"self.example.com."}),
        ):
            with self.subTest(name=name):
                r = self.udp(name, "A")  # must answer at all (no hang, no crash)
                self.assertIn(r.rcode(), (dns.rcode.NOERROR, dns.rcode.SERVFAIL), "reply:\n%s" % r)
                first = name.split(".")[0]
                self.assertIn(
                    "%s.example.com. 3600 IN CNAME %s.example.com."
                    % (first, "loop2" if first == "loop1" else "self"),
                    rr_texts(r.answer),
                )
                count = sum(len(rrset) for rrset in r.answer)
                self.assertLessEqual(count, 20, "loop not cut:\n%s" % r)
                for rrset in r.answer:
                    self.assertEqual(rrset.rdtype, dns.rdatatype.CNAME)
                    self.assertIn(rrset.name.to_text(), owners)
        self.assertRcode(self.udp("www.example.com."), dns.rcode.NOERROR)


class WildcardTest(ServerTestCase):
    """RFC 4592 wildcards: owner = qname; not for existing names or below them."""

    def test_synthesis_owner_is_qname(self):
        r = self.udp("foo.wild.example.com.", "A")
        self.assertRcode(r, dns.rcode.NOERROR)
        self.assertFlag(r, dns.flags.AA, True)
        self.assertSection(r.answer, {"foo.wild.example.com. 3600 IN A 192.0.2.100"}, r)
        self.assertEqual(r.answer[0].name.to_text(), "foo.wild.example.com.")

    def test_synthesis_for_several_labels(self):
        r = self.udp("a.b.wild.example.com.", "TXT")
        self.assertSection(r.answer, {'a.b.wild.example.com. 3600 IN TXT "wildcard"'}, r)

    def test_synthesis_nodata(self):
        r = self.udp("foo.wild.example.com.", "MX")
        self.assertRcode(r, dns.rcode.NOERROR)
        self.assertEqual(r.answer, [])
        self.assertSection(r.authority, {SOA}, r)

    def test_not_applied_to_existing_name(self):
        r = self.udp("exists.wild.example.com.", "A")
        self.assertSection(r.answer, {"exists.wild.example.com. 3600 IN A 192.0.2.101"}, r)
        r = self.udp("exists.wild.example.com.", "TXT")  # the wildcard has TXT; the name does not
        self.assertRcode(r, dns.rcode.NOERROR)
        self.assertEqual(r.answer, [], "wildcard applied to an existing name:\n%s" % r)
        self.assertSection(r.authority, {SOA}, r)

    def test_not_applied_below_existing_name(self):
        r = self.udp("foo.exists.wild.example.com.", "A")
        self.assertRcode(r, dns.rcode.NXDOMAIN)
        self.assertEqual(r.answer, [], "wildcard applied below an existing name:\n%s" % r)
        self.assertSection(r.authority, {SOA}, r)

    def test_empty_non_terminal_blocks_wildcard(self):
        r = self.udp("ent2.wild.example.com.", "A")
        self.assertRcode(r, dns.rcode.NOERROR)
        self.assertEqual(r.answer, [], "wildcard applied to an empty non-terminal:\n%s" % r)
        r = self.udp("x.ent2.wild.example.com.", "A")
        self.assertRcode(r, dns.rcode.NXDOMAIN)
        self.assertEqual(r.answer, [])

    def test_wildcard_owner_queried_literally(self):
        r = self.udp("*.wild.example.com.", "A")
        self.assertSection(r.answer, {"*.wild.example.com. 3600 IN A 192.0.2.100"}, r)

    def test_names_below_the_wildcard_owner(self):
        r = self.udp("sub.*.wild.example.com.", "TXT")
        self.assertSection(r.answer, {'sub.*.wild.example.com. 3600 IN TXT "below the wildcard"'}, r)
        # RFC 4592 2.2.1 (ghost.*.example): the closest encloser is *.wild,
        # which has no *.*.wild below it: NXDOMAIN, no synthesis.
        r = self.udp("ghost.*.wild.example.com.", "A")
        self.assertRcode(r, dns.rcode.NXDOMAIN)
        self.assertEqual(r.answer, [])

    def test_wildcard_cname_is_followed(self):
        r = self.udp("foo.wc.example.com.", "A")
        self.assertSection(r.answer, {"foo.wc.example.com. 3600 IN CNAME www.example.com."} | WWW, r)

    def test_synthesized_owner_keeps_client_case(self):
        r = self.udp("FoO.Wild.example.COM.", "A")
        self.assertEqual(r.answer[0].name.to_text(), "FoO.Wild.example.COM.")


class ReferralTest(ServerTestCase):
    """Delegations below an apex: referral (no AA), NS in authority, glue in additional."""

    def check_referral(self, name, rdtype):
        r = self.udp(name, rdtype)
        self.assertRcode(r, dns.rcode.NOERROR)
        self.assertFlag(r, dns.flags.AA, False)
        self.assertEqual(r.answer, [], "referral with an answer:\n%s" % r)
        self.assertSection(r.authority, SUB_NS, r)
        self.assertSection(r.additional, SUB_GLUE, r)

    def test_referral_at_the_cut(self):
        for rdtype in ("A", "NS", "SOA", "TXT"):
            with self.subTest(rdtype=rdtype):
                self.check_referral("sub.example.com.", rdtype)

    def test_referral_below_the_cut(self):
        for name, rdtype in (
            ("host.sub.example.com.", "A"),
            ("deep.host.sub.example.com.", "AAAA"),
            ("ns1.sub.example.com.", "A"),  # glue is not authoritative data
            ("ns2.sub.example.com.", "AAAA"),
        ):
            with self.subTest(name=name):
                self.check_referral(name, rdtype)


class AdditionalTest(ServerTestCase):
    """In-zone NS/MX/SRV targets get their A/AAAA in additional."""

    def test_mx_at_apex(self):
        r = self.udp("example.com.", "MX")
        self.assertSection(r.answer, {"example.com. 3600 IN MX 10 mail.example.com."}, r)
        self.assertSection(r.additional, MAIL, r)

    def test_mx_two_targets(self):
        r = self.udp("mx-in.example.com.", "MX")
        self.assertEqual(len(rr_texts(r.answer)), 2)
        self.assertSection(r.additional, MAIL | WWW | WWW6, r)

    def test_mx_out_of_zone_target_has_no_additional(self):
        r = self.udp("mx-out.example.com.", "MX")
        self.assertSection(r.answer, {"mx-out.example.com. 3600 IN MX 10 mail.example.org."}, r)
        self.assertEqual(r.additional, [])

    def test_srv(self):
        r = self.udp("_ssh._tcp.vm-abc.example.com.", "SRV")
        self.assertSection(
            r.answer, {"_ssh._tcp.vm-abc.example.com. 30 IN SRV 0 0 38291 vm-abc.example.com."}, r
        )
        self.assertSection(
            r.additional,
            {"vm-abc.example.com. 30 IN A 198.51.100.7", "vm-abc.example.com. 30 IN AAAA 2001:db8:100::7"},
            r,
        )

    def test_ns_at_apex(self):
        r = self.udp("example.com.", "NS")
        self.assertFlag(r, dns.flags.AA, True)
        self.assertSection(
            r.answer, {"example.com. 3600 IN NS ns1.example.com.", "example.com. 3600 IN NS ns2.example.com."}, r
        )
        self.assertSection(
            r.additional,
            {
                "ns1.example.com. 3600 IN A 192.0.2.1",
                "ns1.example.com. 3600 IN AAAA 2001:db8::1",
                "ns2.example.com. 3600 IN A 192.0.2.2",
            },
            r,
        )


class RecordTypesTest(ServerTestCase):
    """CAA and multi-string TXT come back as written in the zone file."""

    def test_caa(self):
        r = self.udp("caa.example.com.", "CAA")
        self.assertSection(
            r.answer,
            {
                'caa.example.com. 3600 IN CAA 0 issue "letsencrypt.org"',
                'caa.example.com. 3600 IN CAA 0 iodef "mailto:security@example.com"',
            },
            r,
        )

    def test_multi_string_txt(self):
        r = self.udp("long.example.com.", "TXT")
        self.assertFalse(r.flags & dns.flags.TC)
        self.assertEqual(len(r.answer), 1)
        self.assertEqual(list(r.answer[0])[0].strings, (b"a" * 255, b"b" * 100, b"c" * 50))


class CaseTest(ServerTestCase):
    """The question (and owners written from it) keep the client's letter case."""

    def raw_query(self, name, rdtype):
        msg = query(name, rdtype)
        wire = msg.to_wire()
        raw = udp_raw(wire, self.port, timeout=2)
        self.assertIsNotNone(raw, "no reply")
        # The question is the same bytes we sent, byte for byte.
        qlen = len(wire) - 12
        self.assertEqual(raw[12 : 12 + qlen], wire[12:], "question not echoed byte for byte")
        return dns.message.from_wire(raw)

    def test_answer_owner_in_client_case(self):
        r = self.raw_query("Vm-AbC.ExAmple.COM.", "A")
        self.assertRcode(r, dns.rcode.NOERROR)
        self.assertEqual(r.question[0].name.to_text(), "Vm-AbC.ExAmple.COM.")
        self.assertEqual(r.answer[0].name.to_text(), "Vm-AbC.ExAmple.COM.")
        self.assertSection(r.answer, {"vm-abc.example.com. 30 IN A 198.51.100.7"}, r)

    def test_negative_and_refused_echo_case(self):
        self.assertRcode(self.raw_query("NoPe.ExAmple.COM.", "A"), dns.rcode.NXDOMAIN)
        self.assertRcode(self.raw_query("WwW.ExAmple.ORG.", "A"), dns.rcode.REFUSED)
        self.assertRcode(self.raw_query("HOST.Sub.EXAMPLE.com.", "A"), dns.rcode.NOERROR)

    def test_dig_shows_client_case(self):
        out = dig(self.port, "Vm-AbC.ExAmple.COM", "A")
        self.assertRegex(out, r";Vm-AbC\.ExAmple\.COM\.\s+IN\s+A")
        self.assertRegex(out, r"\nVm-AbC\.ExAmple\.COM\.\s+30\s+IN\s+A\s+198\.51\.100\.7")


class AnyTest(ServerTestCase):
    """RFC 8482: ANY gets one RRset (or a synthesized HINFO)."""

    def check_any(self, name, existing):
        r = self.udp(name, "ANY")
        self.assertRcode(r, dns.rcode.NOERROR)
        self.assertFlag(r, dns.flags.AA, True)
        kinds = {(rrset.name.to_text().lower(), rrset.rdtype) for rrset in r.answer}
        self.assertEqual(len(kinds), 1, "ANY must give one RRset:\n%s" % r)
        (owner, rdtype), = kinds
        self.assertEqual(owner, name)
        self.assertIn(dns.rdatatype.to_text(rdtype), existing | {"HINFO"})

    def test_any_one_rrset(self):
        self.check_any("www.example.com.", {"A", "AAAA"})
        self.check_any("example.com.", {"SOA", "NS", "MX", "TXT", "A"})
        self.check_any("vm-abc.example.com.", {"A", "AAAA"})

    def test_any_nxdomain(self):
        r = self.udp("nope.example.com.", "ANY")
        self.assertRcode(r, dns.rcode.NXDOMAIN)


class OpcodeTest(ServerTestCase):
    """Opcodes other than QUERY: NOTIMP."""

    def test_notimp(self):
        for opcode in (dns.opcode.IQUERY, dns.opcode.STATUS, dns.opcode.NOTIFY, dns.opcode.UPDATE, 3, 15):
            with self.subTest(opcode=opcode):
                msg = query("www.example.com.", "A")
                msg.id = 4242
                wire = bytearray(msg.to_wire())
                wire[2] = (wire[2] & 0x87) | (opcode << 3)
                raw = udp_raw(bytes(wire), self.port, timeout=2)
                self.assertIsNotNone(raw, "no reply to opcode %d" % opcode)
                self.assertEqual(raw[:2], b"\x10\x92")  # id 4242
                self.assertTrue(raw[2] & 0x80, "QR not set")
                self.assertEqual((raw[2] >> 3) & 0xF, opcode, "opcode not echoed")
                self.assertEqual(raw[3] & 0xF, dns.rcode.NOTIMP, "rcode %d" % (raw[3] & 0xF))
        self.assertRcode(self.udp("www.example.com."), dns.rcode.NOERROR)


if __name__ == "__main__":
    unittest.main()
