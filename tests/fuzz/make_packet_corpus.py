#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Write the seed corpus of fuzz_packet (tests/fuzz/corpus/packet/).

Valid queries of many types against the harness's zone (with and without
EDNS, mixed case, every answering path) and malformed packets (short, QR=1,
bad opcode, QDCOUNT 0/2, cut question, compression pointer, trailing
bytes, bad OPT). Run with the Debian python3 (python3-dnspython):
    /usr/bin/python3 tests/fuzz/make_packet_corpus.py
Files are only (re)written, never deleted: crashes found by libFuzzer are
kept in the same directory under their own names (crash-*).
"""
import os
import struct

import dns.edns
import dns.flags
import dns.message
import dns.rdatatype

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "packet")


def query(name, rdtype, edns=-1, payload=1232, do=False, options=None, qid=0x1234):
    m = dns.message.make_query(name, rdtype, use_edns=edns, payload=payload,
                               want_dnssec=do, options=options)
    m.id = qid
    return m.to_wire()


def header(qid=1, flags=0, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def opt_rr(payload=1232, version=0, do=False, rdata=b""):
    return b"\x00" + struct.pack("!HHBBHH", 41, payload, 0, version, 0x8000 if do else 0,
                                 len(rdata)) + rdata


QNAME = b"\x03www\x07example\x03com\x00"
Q_A = QNAME + struct.pack("!HH", 1, 1)

SEEDS = {
    # valid queries, every answering path of the harness zone
    "a_www": query("www.example.com.", "A"),
    "aaaa_www_edns": query("www.example.com.", "AAAA", edns=0),
    "soa_apex": query("example.com.", "SOA"),
    "ns_apex_edns_do": query("example.com.", "NS", edns=0, do=True),
    "mx_apex": query("example.com.", "MX", edns=0, payload=4096),
    "txt_apex": query("example.com.", "TXT"),
    "caa_apex": query("example.com.", "CAA"),
    "any_apex": query("example.com.", "ANY"),
    "srv_vm": query("_ssh._tcp.vm-1.example.com.", "SRV", edns=0),
    "ptr": query("1.2.1.10.in-addr.example.com.", "PTR"),
    "cname_chain": query("c1.example.com.", "A", edns=0),
    "cname_loop": query("loop1.example.com.", "A"),
    "cname_out": query("out.example.com.", "A"),
    "wildcard": query("foo.wild.example.com.", "A"),
    "wildcard_cname": query("x.y.wc.example.com.", "A"),
    "wildcard_below_existing": query("x.host.wild.example.com.", "A"),
    "ent": query("b.ent.example.com.", "A"),
    "nxdomain": query("nothere.example.com.", "A", edns=0),
    "referral": query("www.sub.example.com.", "A"),
    "ds_at_cut": query("sub.example.com.", "DS", edns=0, do=True),
    "subzone": query("x.inner.example.com.", "A"),
    "big_rrset_512": query("big.example.com.", "A"),
    "big_rrset_edns_512": query("big.example.com.", "A", edns=0, payload=512),
    "mixed_case": query("Vm-1.ExAmple.COM.", "A"),
    "refused": query("www.example.net.", "A"),
    "root": query(".", "NS"),
    "axfr": query("example.com.", "AXFR"),
    "class_ch": dns.message.make_query("version.bind.", "TXT", rdclass="CH").to_wire(),
    "edns_cookie": query("www.example.com.", "A", edns=0,
                         options=[dns.edns.GenericOption(10, b"\x01\x02\x03\x04\x05\x06\x07\x08")]),
    "edns_badvers": header(ar=1) + Q_A + opt_rr(version=1),
    "edns_cookie_server": header(ar=1) + Q_A + opt_rr(rdata=b"\x00\x0a\x00\x10" + bytes(range(16))),
    "edns_options": header(ar=1) + Q_A + opt_rr(
        rdata=b"\x00\x03\x00\x00" + b"\xfd\xe9\x00\x02ab" + b"\x00\x0a\x00\x08" + bytes(8)),
    "edns_cookie_bad": header(ar=1) + Q_A + opt_rr(rdata=b"\x00\x0a\x00\x07" + bytes(7)),
    # a good OPT with a cookie, then a record that is not there
    "edns_cookie_then_cut": header(ar=2) + Q_A + opt_rr(rdata=b"\x00\x0a\x00\x08" + bytes(8)),
    # cookies, NSID and OPTs without a question (issue 12)
    "cookie_server_16": header(ar=1) + Q_A + opt_rr(
        rdata=b"\x00\x0a\x00\x18" + bytes.fromhex("2464c4abcf10c957010000005cf79f111f8130c3eee29480")),
    "cookie_server_32": header(ar=1) + Q_A + opt_rr(rdata=b"\x00\x0a\x00\x28" + bytes(range(40))),
    "cookie_two": header(ar=1) + Q_A + opt_rr(
        rdata=b"\x00\x0a\x00\x08" + bytes(8) + b"\x00\x0a\x00\x10" + bytes(16)),
    "cookie_and_nsid": header(ar=1) + Q_A + opt_rr(
        do=True, rdata=b"\x00\x03\x00\x00" + b"\x00\x0a\x00\x08" + bytes(range(8))),
    "cookie_big_answer": query("big.example.com.", "A", edns=0, payload=512,
                               options=[dns.edns.GenericOption(10, bytes(range(24)))]),
    "nsid_only": query("www.example.com.", "A", edns=0, options=[dns.edns.GenericOption(3, b"")]),
    "nsid_chaos_id_server": dns.message.make_query(
        "id.server.", "TXT", rdclass="CH", use_edns=0,
        options=[dns.edns.GenericOption(3, b"")]).to_wire(),
    "qdcount_0_opt_cookie": header(qd=0, ar=1) + opt_rr(rdata=b"\x00\x0a\x00\x08" + bytes(8)),
    "qdcount_2_opt": header(qd=2, ar=1) + Q_A + Q_A + opt_rr(),
    "notify_opt": header(flags=4 << 11, ar=1) + Q_A + opt_rr(),
    "update_noq_opt": header(flags=5 << 11, qd=0, ar=1) + opt_rr(),
    "opcode_15_opt": header(flags=15 << 11, ar=1) + Q_A + opt_rr(do=True),
    "trailing_after_opt": header(ar=1) + Q_A + opt_rr() + b"\x00",
    # malformed
    "short": header()[:7],
    "qr_set": header(flags=0x8000) + Q_A,
    "opcode_notify": header(flags=4 << 11) + Q_A,
    "qdcount_0": header(qd=0),
    "qdcount_2": header(qd=2) + Q_A + Q_A,
    "cut_question": header() + Q_A[:9],
    "compressed_question": header() + b"\x03www\xc0\x0c" + struct.pack("!HH", 1, 1),
    "trailing_bytes": header() + Q_A + b"\x00\x01",
    "two_opts": header(ar=2) + Q_A + opt_rr() + opt_rr(),
    "opt_bad_owner": header(ar=1) + Q_A + b"\x01x" + opt_rr()[1:],
    "opt_bad_option": header(ar=1) + Q_A + opt_rr(rdata=b"\x00\x0a\x00\x09abc"),
    "opt_in_answer": header(an=1) + Q_A + opt_rr(),
    "rr_in_authority": header(ns=1) + Q_A + b"\xc0\x0c" +
    struct.pack("!HHIH", 1, 1, 60, 4) + b"\x01\x02\x03\x04",
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(SEEDS)} seeds to {OUT}")


if __name__ == "__main__":
    main()
