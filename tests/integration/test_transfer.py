# SPDX-License-Identifier: BSD-2-Clause
"""test_transfer.py - zone transfers out of vmdnsd, to a real knotd secondary.

A 100,000-name zone lives in a real redis-server; vmdnsd loads it and
serves it with `transfer` (to knotd's address only) and `tsig` (a shared
hmac-sha256 key, required for AXFR/IXFR). knotd is configured as a
secondary of that zone with the key: it transfers the zone, and must then
answer a sample of names exactly as vmdnsd does (SOA serial included). A
name registered afterwards reaches knotd through NOTIFY -> SOA -> transfer
within seconds, with no refresh timer involved (knot's refresh is 1 hour).

Then what everyone else gets: an unsigned AXFR is REFUSED (TSIG required),
one signed with an unknown key NOTAUTH/BADKEY, one signed with the right
key from an address not in `to` REFUSED, AXFR over UDP an empty TC=1 reply,
and an AXFR of a zone file works the same way.
"""

import os
import random
import socket
import struct
import shutil
import subprocess
import tempfile
import time
import unittest

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.tsig
import dns.tsigkeyring
import dns.flags
import dns.zone

from redis_harness import Client, Node, fill_zone, register, value
from vmdns_harness import (ProcessError, Vmdnsd, owned_port, query, rr_texts, start_on_owned_port,
                           startup_failure, tcp, udp, wait_for)

ZONE = "vm.example.com."
NAMES = 100000
SECRET = "dm1kbnMtdHJhbnNmZXIta2V5LWZvci10aGUtdGVzdHM="  # base64 of a 32-byte key
KEYRING = dns.tsigkeyring.from_text({"xfr-key.": ("hmac-sha256", SECRET)})
WRONG = dns.tsigkeyring.from_text({"other-key.": ("hmac-sha256", SECRET)})


class Knotd:
    """knotd as a secondary of ZONE, primary = vmdnsd at 127.0.0.1:vport."""

    def __init__(self, vport):
        self.port = owned_port()
        self.vport = vport
        self.tmp = tempfile.mkdtemp(prefix="knot-xfr-")
        self.log_path = os.path.join(self.tmp, "knotd.log")
        self.proc = None
        self.timeout = 15.0

    def start(self, timeout=15.0):
        self.timeout = timeout
        return start_on_owned_port(self, False)

    def start_once(self):
        conf = os.path.join(self.tmp, "knot.conf")
        with open(conf, "w") as f:
            f.write("\n".join([
                "server:",
                "    rundir: %s" % self.tmp,
                "    listen: 127.0.0.1@%d" % self.port,
                "    udp-workers: 1",
                "    tcp-workers: 1",
                "    background-workers: 1",
                "log:",
                "  - target: stderr",
                "    any: info",
                "key:",
                "  - id: xfr-key.",
                "    algorithm: hmac-sha256",
                "    secret: %s" % SECRET,
                "remote:",
                "  - id: vmdns",
                "    address: 127.0.0.1@%d" % self.vport,
                "    key: xfr-key.",
                "acl:",
                "  - id: from_vmdns",
                "    address: 127.0.0.1",
                "    action: notify",
                "database:",
                "    storage: %s" % self.tmp,
                "template:",
                "  - id: default",
                "    storage: %s" % self.tmp,
                "    zonefile-sync: -1",
                "    zonefile-load: none",
                "    journal-content: none",
                "zone:",
                "  - domain: %s" % ZONE,
                "    master: vmdns",
                "    acl: from_vmdns",
                "",
            ]))
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["knotd", "-c", conf], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

        def up():
            if self.proc.poll() is not None:
                raise startup_failure(self.proc, self.log_path, "knotd")
            with open(self.log_path, "rb") as f:
                return b"server started" in f.read()

        wait_for(up, self.timeout, what="knotd on port %d" % self.port)
        return self

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.tmp, ignore_errors=True)


def soa_serial(port, name=ZONE):
    r = udp(query(name, "SOA"), port)
    if r.rcode() != dns.rcode.NOERROR or not r.answer:
        return None
    return r.answer[0][0].serial


class TransferToKnotTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = Node()
        cls.redis.start()
        cls.client = Client(cls.redis.port)
        apex = value(soa={"ns": "ns1.vm.example.com.", "mbox": "hostmaster.vm.example.com.",
                          "refresh": 3600, "retry": 600, "expire": 86400, "minttl": 30},
                     ns=[{"host": "ns1.vm.example.com."}])
        items = [("@", apex), ("ns1", value(a="192.0.2.53"))]
        items += [("vm-%d" % i, value(a="10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255)))
                  for i in range(NAMES)]
        fill_zone(cls.client, ZONE, items)
        cls.knot_port = owned_port()
        config = """\
listen: ["127.0.0.1:{port}"]
zones:
  - {origin: example.com., file: %(zonefile)s}
redis:
  backends:
    - {name: main, addresses: ["%(redis)s"]}
transfer:
  to: ["127.0.0.1:%(knot)d"]
tsig:
  keys:
    - {name: xfr-key., secret: "%(secret)s", algorithm: hmac-sha256}
  require: [AXFR, IXFR]
""" % {"redis": cls.redis.addr, "knot": cls.knot_port, "secret": SECRET,
       "zonefile": os.path.join(os.path.dirname(__file__), "data", "test.zone")}
        cls.server = Vmdnsd(config=config)
        cls.server.start()
        wait_for(lambda: soa_serial(cls.server.port) is not None and
                 udp(query("vm-%d.%s" % (NAMES - 1, ZONE)), cls.server.port).answer,
                 60, what="the 100k-name zone loaded")
        cls.knot = Knotd(cls.server.port)
        cls.knot.port = cls.knot_port  # the port vmdnsd notifies
        t0 = time.monotonic()
        cls.knot.start_once()
        wait_for(lambda: soa_serial(cls.knot.port) is not None, 60, what="knotd transferred")
        cls.transfer_s = time.monotonic() - t0

    @classmethod
    def tearDownClass(cls):
        cls.knot.stop()
        cls.server.stop()
        cls.server.cleanup()
        cls.client.close()
        cls.redis.stop()
        cls.redis.cleanup()

    def test_secondary_answers_like_the_primary(self):
        print("\n  knotd transferred %d names in %.2f s" % (NAMES, self.transfer_s))
        wait_for(lambda: soa_serial(self.knot.port) == soa_serial(self.server.port), 20,
                 what="same serial")
        sample = ["vm-%d.%s" % (i, ZONE) for i in random.Random(7).sample(range(NAMES), 300)]
        sample += [ZONE, "ns1." + ZONE, "nope." + ZONE]
        for name in sample:
            for rdtype in ("A", "NS"):
                a = udp(query(name, rdtype), self.server.port)
                b = udp(query(name, rdtype), self.knot.port)
                self.assertEqual(a.rcode(), b.rcode(), name)
                self.assertEqual(rr_texts(a.answer), rr_texts(b.answer), (name, rdtype))

    def test_change_reaches_knot_after_notify(self):
        t0 = time.monotonic()
        register(self.client, ZONE, "vm-new", value(a="10.255.0.1"))
        wait_for(lambda: udp(query("vm-new." + ZONE), self.knot.port).answer, 15,
                 what="knotd picked up the change")
        print("\n  a new name reached knotd in %.2f s (NOTIFY, SOA, IXFR)" %
              (time.monotonic() - t0))
        self.assertIn("notify", self.knot.log_text().lower())

    def test_unsigned_transfer_refused(self):
        r = tcp(dns.message.make_query(ZONE, "AXFR"), self.server.port)
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)

    def test_unknown_key_badkey(self):
        m = dns.message.make_query(ZONE, "AXFR")
        m.use_tsig(WRONG, keyname="other-key.")
        # dnspython refuses to parse an unverifiable reply: read it raw
        wire = m.to_wire()
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as s:
            s.sendall(struct.pack("!H", len(wire)) + wire)
            n = struct.unpack("!H", s.recv(2))[0]
            data = b""
            while len(data) < n:
                data += s.recv(n - len(data))
        self.assertEqual(data[3] & 0xF, 9)  # NOTAUTH
        self.assertEqual(struct.unpack("!H", data[6:8])[0], 0)  # no answer
        with self.assertRaises(dns.tsig.PeerBadKey):  # the TSIG error says BADKEY
            dns.message.from_wire(data, keyring=WRONG, request_mac=m.mac)

    def test_signed_transfer_from_elsewhere_refused(self):
        m = dns.message.make_query(ZONE, "AXFR")
        m.use_tsig(KEYRING, keyname="xfr-key.")
        r = dns.query.tcp(m, "127.0.0.1", port=self.server.port, timeout=5, source="127.0.0.2")
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)

    def test_signed_transfer_allowed_and_verified(self):
        # from the secondary's address, with the key: every message verifies
        # (dnspython checks each TSIG); the zone file's zone, to keep it quick
        zone = dns.zone.from_xfr(dns.query.xfr("127.0.0.1", "example.com.",
                                               port=self.server.port, keyring=KEYRING,
                                               keyname="xfr-key.", timeout=10))
        self.assertIsNotNone(zone.get_node("www"))
        self.assertIsNotNone(zone.get_node("_ssh._tcp.vm-abc"))
        self.assertIsNotNone(zone.get_node("huge-txt"))

    def test_axfr_over_udp_is_tc(self):
        m = dns.message.make_query(ZONE, "AXFR")
        m.use_tsig(KEYRING, keyname="xfr-key.")
        r = dns.query.udp(m, "127.0.0.1", port=self.server.port, timeout=3)
        self.assertTrue(r.flags & dns.flags.TC)
        self.assertEqual(len(r.answer), 0)

    def test_multi_message_transfer_verifies(self):
        # the 100k-name zone takes many messages: each one is signed over
        # the previous MAC (RFC 8945 5.3.1); dig checks every one
        out = subprocess.run(
            ["dig", "@127.0.0.1", "-p", str(self.server.port), ZONE, "AXFR", "+nocmd",
             "+nostats", "+onesoa", "-y", "hmac-sha256:xfr-key.:" + SECRET],
            capture_output=True, text=True, timeout=60).stdout
        self.assertNotIn("could not be validated", out)
        self.assertNotIn("failed", out.lower())
        lines = [l for l in out.splitlines() if l and not l.startswith(";")]
        tsigs = [l for l in lines if "\tTSIG\t" in l]
        records = len(lines) - len(tsigs)
        self.assertGreaterEqual(records, NAMES + 3, out[-2000:])  # SOA, NS, ns1 A, the vms
        self.assertGreater(len(tsigs), 50)  # one per message: every message is signed
        self.assertTrue(all("NOERROR" in l for l in tsigs))


if __name__ == "__main__":
    unittest.main()
