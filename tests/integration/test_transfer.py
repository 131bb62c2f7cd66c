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
and an AXFR of a zone file works the same way. CorefileTransferTest says
the same with CoreDNS's `transfer` and `tsig` syntax in two server blocks.
"""

import os
import random
import socket
import struct
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import dns.message
import dns.name
import dns.query
import dns.opcode
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.flags
import dns.zone

from redis_harness import Client, Node, fill_zone, register, value
from vmdns_harness import (DEFAULT_ZONES, HTTP_LISTEN, ProcessError, Vmdnsd, metric, owned_port,
                           query, rr_texts, start_on_owned_port, startup_failure, tcp, udp,
                           wait_for)

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


def fill_numbered_zone(client, zone, prefix, count):
    """Write a zone to Redis: its apex (SOA, NS ns1), ns1, and `count` names
    PREFIX-0, PREFIX-1... with one A record each (10.x.y.z from the number)."""
    apex = value(soa={"ns": "ns1." + zone, "mbox": "hostmaster." + zone, "refresh": 3600,
                      "retry": 600, "expire": 86400, "minttl": 30},
                 ns=[{"host": "ns1." + zone}])
    items = [("@", apex), ("ns1", value(a="192.0.2.53"))]
    items += [("%s-%d" % (prefix, i), value(a="10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255)))
              for i in range(count)]
    fill_zone(client, zone, items)


def stop_primary(cls):
    """Stop what a class fixture started for the primary: vmdnsd, the Redis
    client and the redis-server."""
    cls.server.stop()
    cls.server.cleanup()
    cls.client.close()
    cls.redis.stop()
    cls.redis.cleanup()


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
        fill_numbered_zone(cls.client, ZONE, "vm", NAMES)
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
        stop_primary(cls)

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


# --------------------------------------------------------------------------
# The transfer is a snapshot


SNAP_ZONE = "snap.example.org."
SNAP_NAMES = 50000
TRACKED = 64  # names the writer changes, spread over the transfer


def gen_ip(g):
    """The A record that says "generation g"."""
    return "172.%d.%d.%d" % (16 + (g >> 16), (g >> 8) & 255, g & 255)


def ip_gen(ip):
    a, b, c, d = (int(x) for x in ip.split("."))
    return ((b - 16) << 16) | (c << 8) | d if a == 172 else None


def axfr(port, zone, per_message_delay=0.0, rcvbuf=None):
    """A raw AXFR over TCP, read one message at a time (sleeping
    per_message_delay after each, with a small receive buffer when rcvbuf
    is given, so the server can only send as fast as we read). Returns
    ([(owner, type, rdata text)] in transfer order, messages, the time the
    first and the last message arrived)."""
    m = dns.message.make_query(zone, "AXFR")
    wire = m.to_wire()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(30)
    s.connect(("127.0.0.1", port))
    msgs, soas, t_first = [], 0, None
    with s:
        s.sendall(struct.pack("!H", len(wire)) + wire)
        while soas < 2:
            hdr = _recv_n(s, 2)
            data = _recv_n(s, struct.unpack("!H", hdr)[0])
            if t_first is None:
                t_first = time.monotonic()
            msg = dns.message.from_wire(data, one_rr_per_rrset=True)
            if msg.rcode() != dns.rcode.NOERROR:
                raise AssertionError("AXFR rcode %s" % dns.rcode.to_text(msg.rcode()))
            msgs.append(msg)
            soas += sum(1 for rr in msg.answer if rr.rdtype == dns.rdatatype.SOA)
            if per_message_delay:
                time.sleep(per_message_delay)
    t_last = time.monotonic()
    records = []
    for msg in msgs:
        for rrset in msg.answer:
            for rd in rrset:
                records.append((rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype),
                                rd.to_text()))
    return records, len(msgs), t_first, t_last


def _recv_n(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError("the transfer ended early")
        data += chunk
    return data


class Writer(threading.Thread):
    """Changes the tracked names through the registrar path (HSET + XADD in
    one MULTI/EXEC each, one name at a time, in the given order), one
    generation after another, until stopped at a generation's end. `log`
    holds every write in the order Redis took them."""

    def __init__(self, port, zone, order):
        super().__init__(daemon=True)
        self.client = Client(port)
        self.zone, self.order = zone, order
        self.log, self.times = [], []
        self.stop_at_end = threading.Event()
        self.error = None

    def run(self):
        try:
            g = 0
            while not self.stop_at_end.is_set():
                g += 1
                for name in self.order:
                    register(self.client, self.zone, name, value(a=gen_ip(g)))
                    self.log.append((name, g))
                    self.times.append(time.monotonic())
        except Exception as e:  # reported by the test
            self.error = e
        finally:
            self.client.close()


def state_after(log, k, names):
    """Every tracked name's generation once the first k writes are applied."""
    state = dict.fromkeys(names, 0)
    for name, g in log[:k]:
        state[name] = g
    return state


class TransferSnapshotTest(unittest.TestCase):
    """An AXFR shows the zone as of one moment while Redis writes land
    during the transfer.

    A 50,000-name Redis zone; TRACKED names, spread evenly over the order
    in which a first AXFR lists them (the name table's order, which only
    changes when names are added or removed), are set to generation 0.
    Then a writer changes them the registrar's way (one MULTI/EXEC of
    HSET + XADD per name), one generation after another, each generation
    in the *reverse* of the transfer order, while a client reads an AXFR
    slowly (a small receive buffer, 15 ms after each message: about 2 s
    for the zone, during which the writer completes dozens of
    generations).

    vmdnsd applies stream entries one name at a time and every change
    raises the zone's serial by one, so the serial S in the AXFR's SOA
    says how many of the writer's changes the transfer may show:
    exactly the first S - S0 (S0: the serial before the writer started).
    The check: first and last SOA identical; every name that was not
    changed exactly as loaded (the count too); and the tracked names
    exactly as after the writer's first S - S0 writes.

    Why a live walk (records read from the current zone as the transfer
    goes, not from one snapshot) fails it: writes land on names it has not
    reached yet. The writer goes backwards through the transfer order, so
    the names it writes lie ahead of a forward walk until the two meet:
    any write applied after the walk began and before they meet is
    seen, and the content is then newer than its own SOA serial says (the
    exact check fails). Across two or more generations during the walk it
    would also show names two generations apart, which no moment ever
    had (the writer never gets a name two generations ahead of another);
    checked separately, as it does not depend on the serial. The test
    asserts that the writer did complete generations while the client was
    reading, so the overlap really happened. A second, fast AXFR after the
    writer stopped must show the final state.
    """

    @classmethod
    def setUpClass(cls):
        cls.redis = Node()
        cls.redis.start()
        cls.client = Client(cls.redis.port)
        fill_numbered_zone(cls.client, SNAP_ZONE, "n", SNAP_NAMES)
        # no resync and no keyspace notifications: the stream alone changes
        # the zone, so its serial counts the writer's changes
        config = """\
listen: ["127.0.0.1:{port}"]
redis:
  backends:
    - {name: main, addresses: ["%(redis)s"]}
  resync_interval: 0
  keyspace_notifications: false
transfer:
  to: ["127.0.0.0/8"]
""" % {"redis": cls.redis.addr}
        cls.server = Vmdnsd(config=config)
        cls.server.start(probe=SNAP_ZONE)
        wait_for(lambda: udp(query("n-%d.%s" % (SNAP_NAMES - 1, SNAP_ZONE)),
                             cls.server.port).answer, 60, what="the 50k-name zone loaded")

    @classmethod
    def tearDownClass(cls):
        stop_primary(cls)

    def wait_serial_still(self):
        """The zone's serial once nothing changes it any more."""
        last = [None]

        def still():
            s = soa_serial(self.server.port, SNAP_ZONE)
            same, last[0] = s == last[0], s
            return same and s is not None
        wait_for(still, 20, interval=0.3, what="the serial to stand still")
        return last[0]

    def split(self, records):
        """(SOA records, {tracked name: generation}, the other records)."""
        soas = [r for r in records if r[1] == "SOA"]
        gens, rest = {}, []
        for owner, rdtype, rdata in records:
            if owner in self.tracked_set and rdtype == "A":
                self.assertNotIn(owner, gens, "a tracked name twice")
                gens[owner] = ip_gen(rdata)
            elif rdtype != "SOA":
                rest.append((owner, rdtype, rdata))
        return soas, gens, rest

    def test_transfer_is_one_moment_while_writes_land(self):
        first, _, _, _ = axfr(self.server.port, SNAP_ZONE)
        owners = []
        for owner, _, _ in first:
            if not owners or owners[-1] != owner:
                owners.append(owner)
        vms = [o for o in owners if o.startswith("n-")]
        self.assertEqual(len(vms), SNAP_NAMES)
        step = len(vms) // TRACKED
        tracked = [vms[i * step + step // 2] for i in range(TRACKED)]  # transfer order
        self.tracked_set = set(tracked)
        expected_rest = sorted(r for r in first if r[1] != "SOA" and r[0] not in self.tracked_set)
        for name in tracked:  # generation 0
            register(self.client, SNAP_ZONE, name.split(".")[0], value(a=gen_ip(0)))
        wait_for(lambda: udp(query(tracked[-1]), self.server.port).answer[0][0].address ==
                 gen_ip(0), 10, what="generation 0 applied")
        s0 = self.wait_serial_still()

        writer = Writer(self.redis.port, SNAP_ZONE,
                        [n.split(".")[0] for n in reversed(tracked)])
        writer.start()
        try:
            # let it get going, so the snapshot falls at some point mid-stream
            wait_for(lambda: len(writer.log) >= 3 * TRACKED + 17 or writer.error, 10,
                     what="the writer started")
            records, messages, t_first, t_last = axfr(
                self.server.port, SNAP_ZONE, per_message_delay=0.015, rcvbuf=4096)
            during = sum(1 for t in list(writer.times) if t_first <= t <= t_last)
        finally:
            writer.stop_at_end.set()
            writer.join(30)
        self.assertIsNone(writer.error)
        log = list(writer.log)
        print("\n  AXFR of %d names in %d messages over %.2f s; %d writes (%.1f generations) "
              "landed meanwhile" % (SNAP_NAMES, messages, t_last - t_first, during,
                                    during / TRACKED))
        # the writes really overlapped the transfer: a walk at the client's
        # pace would have crossed several generations
        self.assertGreaterEqual(during, 3 * TRACKED, "too few writes during the transfer")

        soas, gens, rest = self.split(records)
        self.assertEqual(len(soas), 2)
        self.assertEqual(records[0], soas[0])
        self.assertEqual(records[-1], soas[1])
        self.assertEqual(soas[0], soas[1], "first and last SOA differ")
        serial = int(soas[0][2].split()[2])
        k = serial - s0
        self.assertTrue(0 <= k <= len(log), (serial, s0, len(log)))
        # everything not written: exactly as loaded, nothing missing or doubled
        self.assertEqual(sorted(rest), expected_rest)
        self.assertEqual(set(gens), self.tracked_set)
        # the tracked names: as after the first k writes, no more, no fewer
        want = state_after(log, k, [n.split(".")[0] for n in tracked])
        got = {n.split(".")[0]: g for n, g in gens.items()}
        self.assertEqual(got, want, "not the zone of serial %d (write %d of %d)" %
                         (serial, k, len(log)))
        # (implied by the above, and independent of the serial: no two
        # names more than one generation apart)
        self.assertLessEqual(max(got.values()) - min(got.values()), 1)
        print("  the AXFR shows serial %d = write %d of %d (generation %d..%d)" %
              (serial, k, len(log), min(got.values()), max(got.values())))

        # after the writer stopped: a second transfer shows the final state
        # (waited for by content: a sanitizer build on a busy machine once
        # stood at another serial for 20 s; the serial is the mid-transfer
        # check's tool, the final state is what this one is about)
        last = tracked[[n.split(".")[0] for n in tracked].index(log[-1][0])]
        wait_for(lambda: udp(query(last), self.server.port).answer[0][0].address ==
                 gen_ip(log[-1][1]), 30, what="the last write applied")
        self.wait_serial_still()
        records, _, _, _ = axfr(self.server.port, SNAP_ZONE)
        soas, gens, rest = self.split(records)
        self.assertEqual(soas[0], soas[1])
        self.assertGreaterEqual(int(soas[0][2].split()[2]), serial)
        self.assertEqual(sorted(rest), expected_rest)
        final = {n.split(".")[0]: g for n, g in gens.items()}
        self.assertEqual(final, state_after(log, len(log), list(final)))
        self.assertEqual(set(final.values()), {log[-1][1]})


# --------------------------------------------------------------------------
# NOTIFY is retried until answered (RFC 1996 3.6)


NOTIFY_ZONE = "notify.example.org."


class NotifySink(threading.Thread):
    """A UDP "secondary" on loopback that records every NOTIFY it gets
    (time, id, zone) and answers the answer_on-th copy of each id; with
    answer_on None it never answers properly: it replies with another id
    (which must not count as an answer)."""

    def __init__(self, answer_on):
        super().__init__(daemon=True)
        self.answer_on = answer_on
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.got = []
        self.lock = threading.Lock()
        self.done = threading.Event()

    def run(self):
        counts = {}
        while not self.done.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            m = dns.message.from_wire(data)
            if m.opcode() != dns.opcode.NOTIFY:
                continue
            with self.lock:
                self.got.append((time.monotonic(), m.id, m.question[0].name.to_text()))
            counts[m.id] = counts.get(m.id, 0) + 1
            r = dns.message.make_response(m)
            if self.answer_on is None:
                r.id = (m.id + 0x8000) & 0xFFFF
            elif counts[m.id] != self.answer_on:
                continue
            self.sock.sendto(r.to_wire(), peer)

    def of(self, zone=NOTIFY_ZONE):
        with self.lock:
            return [g for g in self.got if g[2] == zone]

    def ids(self, zone=NOTIFY_ZONE):
        out = []
        for _, i, _ in self.of(zone):
            if i not in out:
                out.append(i)
        return out

    def count(self, i, zone=NOTIFY_ZONE):
        return sum(1 for g in self.of(zone) if g[1] == i)

    def stop(self):
        self.done.set()
        self.join(5)
        self.sock.close()


class NotifyRetryTest(unittest.TestCase):
    """Two loopback "secondaries" that record every NOTIFY: one answers the
    3rd copy of each, one never answers (it replies with a wrong id).
    vmdnsd (notify_timeout 100ms, notify_tries 5: sends at 0, 0.1, 0.3,
    0.7 and 1.5 s, given up at 3.1 s) must resend to the first until the
    answer and then stop, send exactly 5 copies to the second and give
    up, and, when the zone changes again while a NOTIFY is unanswered,
    replace it with a new one (new id, tries from the start)."""

    @classmethod
    def setUpClass(cls):
        cls.answers3 = NotifySink(3)
        cls.silent = NotifySink(None)
        cls.answers3.start()
        cls.silent.start()
        cls.redis = Node()
        cls.redis.start()
        cls.client = Client(cls.redis.port)
        apex = value(soa={"ns": "ns1.notify.example.org.", "mbox": "h.notify.example.org.",
                          "refresh": 3600, "retry": 600, "expire": 86400, "minttl": 30},
                     ns=[{"host": "ns1.notify.example.org."}])
        fill_zone(cls.client, NOTIFY_ZONE, [("@", apex), ("ns1", value(a="192.0.2.53"))])
        config = """\
listen: ["127.0.0.1:{port}"]
redis:
  backends:
    - {name: main, addresses: ["%(redis)s"]}
transfer:
  to: ["127.0.0.1:%(a)d", "127.0.0.1:%(s)d"]
  notify_timeout: 100ms
  notify_tries: 5
metrics: {listen: "%(metrics)s"}
""" % {"redis": cls.redis.addr, "a": cls.answers3.port, "s": cls.silent.port,
       "metrics": HTTP_LISTEN["metrics"]}
        cls.server = Vmdnsd(config=config)
        cls.server.start(probe=NOTIFY_ZONE)

    @classmethod
    def tearDownClass(cls):
        stop_primary(cls)
        cls.answers3.stop()
        cls.silent.stop()

    def metric(self, name):
        return metric(self.server, "vmdns_transfer_notify_%s_total" % name)

    def test_notify_retried_answered_given_up_replaced(self):
        # the zone appeared at startup: one NOTIFY to each
        wait_for(lambda: self.metric("failed") == 1, 15, what="the silent peer given up")
        time.sleep(0.5)  # no 6th copy (it would have gone at the give-up)
        first = self.silent.ids()[0]
        self.assertEqual(self.silent.ids(), [first])
        times = [t for t, _, _ in self.silent.of()]
        self.assertEqual(len(times), 5, self.silent.of())  # the first send and 4 retries
        gaps = [b - a for a, b in zip(times, times[1:])]
        for gap, want in zip(gaps, (0.1, 0.2, 0.4, 0.8)):  # doubling
            self.assertGreaterEqual(gap, want * 0.9, gaps)
            self.assertLess(gap, want + 0.4, gaps)
        self.assertEqual(len(self.answers3.ids()), 1)
        self.assertEqual(len(self.answers3.of()), 3)  # answered the 3rd: no 4th
        self.assertEqual(self.metric("sent"), 8)
        self.assertEqual(self.metric("retried"), 6)
        self.assertEqual(self.metric("answered"), 1)
        self.assertEqual(self.metric("replaced"), 0)
        print("\n  silent peer: 5 NOTIFYs, gaps %s s, then given up"
              % " ".join("%.2f" % g for g in gaps))

        # a change: a new NOTIFY (new id); a second change while it is
        # unanswered replaces it
        register(self.client, NOTIFY_ZONE, "a", value(a="192.0.2.1"))
        wait_for(lambda: len(self.silent.ids()) == 2 and
                 self.silent.count(self.silent.ids()[1]) >= 2, 5, what="the change's NOTIFY")
        second = self.silent.ids()[1]
        register(self.client, NOTIFY_ZONE, "b", value(a="192.0.2.2"))
        wait_for(lambda: len(self.silent.ids()) == 3 and
                 self.silent.count(self.silent.ids()[2]) == 5, 8,
                 what="5 copies of the newest NOTIFY")
        third = self.silent.ids()[2]
        self.assertNotIn(third, (first, second))
        got = self.silent.of()
        last_second = max(t for t, i, _ in got if i == second)
        first_third = min(t for t, i, _ in got if i == third)
        self.assertLess(last_second, first_third)  # one in flight: the old one stopped
        self.assertLess(self.silent.count(second), 5)
        self.assertEqual(self.metric("replaced"), 1)
        # the answering peer never got a 4th copy of anything
        self.assertTrue(all(self.answers3.count(i) <= 3 for i in self.answers3.ids()))


NOTIFY_ZONE2 = "notify2.example.org."


class NotifyTwoServersTest(unittest.TestCase):
    """Two server blocks, each with its own `transfer` section and
    secondary: each secondary hears only of its own zone, and /metrics
    sums the NOTIFY counters of both instances (it used to show only the
    first one's)."""

    @classmethod
    def setUpClass(cls):
        cls.sinks = [NotifySink(1), NotifySink(1)]
        for sink in cls.sinks:
            sink.start()
        cls.redis = Node()
        cls.redis.start()
        cls.client = Client(cls.redis.port)
        for zone in (NOTIFY_ZONE, NOTIFY_ZONE2):
            apex = value(soa={"ns": "ns1." + zone, "mbox": "h." + zone, "refresh": 3600,
                              "retry": 600, "expire": 86400, "minttl": 30},
                         ns=[{"host": "ns1." + zone}])
            fill_zone(cls.client, zone, [("@", apex), ("ns1", value(a="192.0.2.53"))])
        config = """\
redis:
  backends:
    - {name: main, addresses: ["%(redis)s"]}
metrics: {listen: "%(metrics)s"}
servers:
  - zones: ["%(z1)s"]
    listen: ["127.0.0.1:{port}"]
    transfer: {to: ["127.0.0.1:%(a)d"], notify_timeout: 100ms}
  - zones: ["%(z2)s"]
    listen: ["127.0.0.1:{port}"]
    transfer: {to: ["127.0.0.1:%(b)d"], notify_timeout: 100ms}
""" % {"redis": cls.redis.addr, "a": cls.sinks[0].port, "b": cls.sinks[1].port,
       "z1": NOTIFY_ZONE, "z2": NOTIFY_ZONE2, "metrics": HTTP_LISTEN["metrics"]}
        cls.server = Vmdnsd(config=config)
        cls.server.start(probe=NOTIFY_ZONE)

    @classmethod
    def tearDownClass(cls):
        stop_primary(cls)
        for sink in cls.sinks:
            sink.stop()

    def metric(self, name):
        return metric(self.server, "vmdns_transfer_notify_%s_total" % name)

    def test_each_secondary_its_zone_and_metrics_sum_both(self):
        wait_for(lambda: self.metric("answered") == 2, 10, what="both NOTIFYs answered")
        self.assertEqual(len(self.sinks[0].of(NOTIFY_ZONE)), 1)
        self.assertEqual(len(self.sinks[1].of(NOTIFY_ZONE2)), 1)
        self.assertEqual(self.sinks[0].of(NOTIFY_ZONE2), [])
        self.assertEqual(self.sinks[1].of(NOTIFY_ZONE), [])
        self.assertEqual(self.metric("sent"), 2)
        # a change to the second zone: only its secondary hears, and the
        # sum moves
        register(self.client, NOTIFY_ZONE2, "a", value(a="192.0.2.1"))
        wait_for(lambda: self.metric("answered") == 3, 5, what="the change's NOTIFY")
        self.assertEqual(len(self.sinks[1].of(NOTIFY_ZONE2)), 2)
        self.assertEqual(len(self.sinks[0].of(NOTIFY_ZONE)), 1)
        self.assertEqual(self.metric("sent"), 3)


class CorefileTransferTest(unittest.TestCase):
    """The same plugins in a Corefile, as a CoreDNS user writes them
    (`transfer { to ... }` and `tsig { secret NAME KEY; require ... }`), per
    server block: example.net on 127.0.0.1 goes to 127.0.0.1 with the key
    required; example.com on 127.0.0.2 only to 192.0.2.10, unsigned."""

    @classmethod
    def setUpClass(cls):
        cls.v = Vmdnsd(config="# replaced below\n", v6=False)
        cls.v.config_path = os.path.join(cls.v.tmp, "Corefile")
        with open(cls.v.config_path, "w") as f:
            f.write(COREFILE_XFR % {"net": DEFAULT_ZONES[1][1], "com": DEFAULT_ZONES[0][1],
                                    "secret": SECRET})
        cls.v.start(option="--corefile", probe="example.net.")
        by_host = {}
        for host, port in cls.v.listening:
            by_host.setdefault(host, port)
        cls.public, cls.internal = by_host["127.0.0.1"], by_host["127.0.0.2"]

    @classmethod
    def tearDownClass(cls):
        cls.v.stop()
        cls.v.cleanup()

    def test_signed_axfr_from_a_to_address(self):
        xfr = dns.query.xfr("127.0.0.1", "example.net.", port=self.public, keyring=KEYRING,
                            keyname="xfr-key.", timeout=10)
        zone = dns.zone.from_xfr(xfr)
        served = dns.zone.from_file(DEFAULT_ZONES[1][1], origin="example.net.", relativize=True)
        self.assertEqual(sorted(n.to_text() for n in zone.nodes),
                         sorted(n.to_text() for n in served.nodes))
        self.assertEqual(zone.get_rdataset("@", "SOA")[0].serial,
                         served.get_rdataset("@", "SOA")[0].serial)

    def test_unsigned_axfr_refused_where_required(self):
        r = tcp(dns.message.make_query("example.net.", "AXFR"), self.public)
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)

    def test_other_block_refuses_an_address_not_in_its_to(self):
        r = dns.query.tcp(dns.message.make_query("example.com.", "AXFR"), "127.0.0.2",
                          port=self.internal, timeout=5, source="127.0.0.1")
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)
        # and the zone is not reachable from the public block at all
        r = tcp(dns.message.make_query("example.com.", "AXFR"), self.public)
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)
        # while plain queries there are still answered
        r = dns.query.udp(query("www.example.com.", "A"), "127.0.0.2", port=self.internal,
                          timeout=3)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertTrue(r.answer)


COREFILE_XFR = """\
example.net:0 {
    bind 127.0.0.1
    file %(net)s
    transfer {
        to 127.0.0.1
    }
    tsig {
        secret xfr-key. %(secret)s
        require AXFR IXFR
    }
}
example.com:0 {
    bind 127.0.0.2
    file %(com)s
    transfer {
        to 192.0.2.10
    }
}
"""


if __name__ == "__main__":
    unittest.main()
