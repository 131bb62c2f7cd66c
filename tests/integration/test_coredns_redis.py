# SPDX-License-Identifier: BSD-2-Clause
"""test_coredns_redis.py - Corefiles and Redis data of the CoreDNS redis
plugins, served unchanged by vmdnsd.

Two real setups a switching user has, each with a real redis-server:

- arvancloud/redis: the README's Corefile (`redis example.net { ... }` with
  a password, a key prefix, bare-millisecond timeouts and `ttl`) and the
  README's `hgetall example.net.` data. Only the zone named in the
  directive is served; another zone in the same Redis is REFUSED.
- rverst/coredns-redis: its Corefile (username/password, prefix and
  suffix, `database`) over a unix socket, and data in its dialect: SOA
  `mname`/`rname`/`min_ttl`, upper-case type keys, PTR `{"name": ...}`,
  `"ttl": -1` for the default TTL and names relative to the zone.

Then the TTL rules, one test per row of the table in plugins/redis/README.md,
a value with no record (NODATA, hides the wildcard), and the options of
forks that are accepted with one warning.

Last, the options vmdnsd adds, in their Corefile spelling (the YAML keys'
names, groups as blocks): `limits { records_per_name 2 }` skips a name of
three records (vmdns_redis_limit_skipped_total counts it), `defaults {
soa { ... } ns ... }` is the SOA and NS of a zone without `@`, and
`keyspace_notifications false` leaves the server's setting alone.
"""

import os
import unittest

import dns.rcode
import dns.rdatatype

from test_ops import http_get, parse_metrics
from vmdns_harness import Redis, Vmdnsd, query, rr_texts, udp, wait_for

ARVAN_DATA = {  # the arvancloud README's `hgetall example.net.`
    "_ssh._tcp.host1": '{"srv":[{"ttl":300, "target":"tcp.example.com.","port":123,'
                       '"priority":10,"weight":100}]}',
    "*": '{"txt":[{"ttl":300, "text":"this is a wildcard"}],"mx":[{"ttl":300, '
         '"host":"host1.example.net.","preference": 10}]}',
    "host1": '{"a":[{"ttl":300, "ip":"5.5.5.5"}]}',
    "sub.*": '{"txt":[{"ttl":300, "text":"this is not a wildcard"}]}',
    "_ssh._tcp.host2": '{"srv":[{"ttl":300, "target":"tcp.example.com.","port":123,'
                       '"priority":10,"weight":100}]}',
    "subdel": '{"ns":[{"ttl":300, "host":"ns1.subdel.example.net."},{"ttl":300, '
              '"host":"ns2.subdel.example.net."}]}',
    "@": '{"soa":{"ttl":300, "minttl":100, "mbox":"hostmaster.example.net.",'
         '"ns":"ns1.example.net.","refresh":44,"retry":55,"expire":66},'
         '"ns":[{"ttl":300, "host":"ns1.example.net."},{"ttl":300, "host":"ns2.example.net."}]}',
    "host2": '{"caa":[{"flag":0, "tag":"issue", "value":"letsencrypt.org"}]}',
}

ARVAN_COREFILE = """\
. {
    bind 127.0.0.1
    redis example.net {
        address 127.0.0.1:%(port)d
        password foobared
        connect_timeout 100
        read_timeout 100
        ttl 360
        prefix _dns:
        fallthrough
    }
}
"""

RVERST_DATA = {
    "@": '{"SOA":{"ttl":-1,"mname":"ns1","rname":"hostmaster","serial":5,"refresh":44,'
         '"retry":55,"expire":66,"min_ttl":100},"NS":[{"ttl":-1,"host":"ns1"}],'
         '"MX":[{"ttl":-1,"host":"mail","preference":10}]}',
    "ns1": '{"A":[{"ttl":-1,"ip":"192.0.2.53"}]}',
    "mail": '{"A":[{"ttl":120,"ip":"192.0.2.25"}]}',
    "www": '{"CNAME":[{"ttl":-1,"host":"mail"}]}',
    "*": '{"TXT":[{"ttl":-1,"text":"wild"}]}',
    "empty": '{}',
    "noarrays": '{"A":[],"TXT":[]}',
    # TTL table rows (Corefile ttl 300)
    "ttl-absent": '{"A":[{"ip":"192.0.2.1"}]}',
    "ttl-minus1": '{"A":[{"ttl":-1,"ip":"192.0.2.2"}]}',
    "ttl-zero": '{"A":[{"ttl":0,"ip":"192.0.2.3"}]}',
    "ttl-below": '{"A":[{"ttl":60,"ip":"192.0.2.4"}]}',
    "ttl-above": '{"A":[{"ttl":3600,"ip":"192.0.2.5"}]}',
}

RVERST_PTR = {"25": '{"PTR":[{"ttl":-1,"name":"mail.example.com."}]}'}

RVERST_COREFILE = """\
.:{port} {
    bind 127.0.0.1
    redis {
        address unix://%(sock)s
        username default
        password super_secret
        connect_timeout 2500
        read_timeout 2000
        ttl 300
        prefix DNS_
        suffix _DNS
        database 2
        pool_size 10
        max_retries 3
        write_timeout 5000
    }
}
"""


def load(redis, key, fields, db=0, password=None):
    auth = ["-a", password, "--no-auth-warning"] if password else []
    for field, value in fields.items():
        redis.cli(*auth, "-n", db, "HSET", key, field, value)


def rrs(section):
    """The records of a section as sorted text lines."""
    return sorted(rr_texts(section))


def ask(server, name, rdtype="A"):
    return udp(query(name, rdtype), server.port)


class CorefileServer(Vmdnsd):
    """vmdnsd started with `--corefile` from a Corefile text."""

    def __init__(self, text):
        super().__init__(config=text)
        self.config_path = os.path.join(self.tmp, "Corefile")
        with open(self.config_path, "w") as f:
            f.write(text.replace("{port}", "0"))


class ArvancloudTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = Redis().start()
        cls.redis.cli("CONFIG", "SET", "requirepass", "foobared")
        load(cls.redis, "_dns:example.net.", ARVAN_DATA, password="foobared")
        load(cls.redis, "_dns:example.org.", {"www": '{"a":[{"ip":"10.9.9.9"}]}'},
             password="foobared")
        text = ARVAN_COREFILE % {"port": cls.redis.port}
        cls.server = CorefileServer(text.replace(". {", ".:{port} {"))
        cls.server.start(option="--corefile", probe="example.net.")
        wait_for(lambda: ask(cls.server, "host1.example.net.").answer, 10, what="loaded")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()
        cls.redis.stop()

    def test_readme_records(self):
        r = ask(self.server, "host1.example.net.")
        self.assertEqual(rrs(r.answer), ["host1.example.net. 300 IN A 5.5.5.5"])
        r = ask(self.server, "_ssh._tcp.host1.example.net.", "SRV")
        self.assertEqual(rrs(r.answer),
                         ["_ssh._tcp.host1.example.net. 300 IN SRV 10 100 123 tcp.example.com."])
        r = ask(self.server, "host2.example.net.", "CAA")
        self.assertEqual(rrs(r.answer), ['host2.example.net. 360 IN CAA 0 issue "letsencrypt.org"'])
        r = ask(self.server, "anything.example.net.", "TXT")
        self.assertEqual(rrs(r.answer), ['anything.example.net. 300 IN TXT "this is a wildcard"'])
        r = ask(self.server, "x.subdel.example.net.")
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertEqual(len(r.answer), 0)
        self.assertEqual(rrs(r.authority),
                         ["subdel.example.net. 300 IN NS ns1.subdel.example.net.",
                          "subdel.example.net. 300 IN NS ns2.subdel.example.net."])
        r = ask(self.server, "example.net.", "SOA")
        soa = r.answer[0][0]
        self.assertEqual((soa.mname.to_text(), soa.rname.to_text(), soa.minimum),
                         ("ns1.example.net.", "hostmaster.example.net.", 100))

    def test_only_the_named_zone(self):
        # `redis example.net`: the example.org hash in the same Redis is not served
        r = ask(self.server, "www.example.org.")
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)


class RverstTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = Redis()
        sock = os.path.join(cls.redis.tmp, "redis.sock")
        cls.redis.extra_args += ["--unixsocket", sock, "--unixsocketperm", "700"]
        cls.redis.start()
        cls.redis.cli("CONFIG", "SET", "requirepass", "super_secret")
        load(cls.redis, "DNS_example.com._DNS", RVERST_DATA, db=2, password="super_secret")
        load(cls.redis, "DNS_2.0.192.in-addr.arpa._DNS", RVERST_PTR, db=2, password="super_secret")
        cls.server = CorefileServer(RVERST_COREFILE % {"sock": sock})
        cls.server.start(option="--corefile", probe="example.com.")
        wait_for(lambda: ask(cls.server, "mail.example.com.").answer, 10, what="loaded")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.cleanup()
        cls.redis.stop()

    def test_soa_and_relative_names(self):
        r = ask(self.server, "example.com.", "SOA")
        soa = r.answer[0][0]
        self.assertEqual((soa.mname.to_text(), soa.rname.to_text(), soa.minimum, soa.refresh),
                         ("ns1.example.com.", "hostmaster.example.com.", 100, 44))
        self.assertEqual(r.answer[0].ttl, 300)  # "ttl": -1 -> the Corefile's ttl
        r = ask(self.server, "example.com.", "MX")
        self.assertEqual(rrs(r.answer), ["example.com. 300 IN MX 10 mail.example.com."])
        r = ask(self.server, "example.com.", "NS")
        self.assertEqual(rrs(r.answer), ["example.com. 300 IN NS ns1.example.com."])
        r = ask(self.server, "www.example.com.")
        self.assertEqual(rrs(r.answer), ["mail.example.com. 120 IN A 192.0.2.25",
                                         "www.example.com. 300 IN CNAME mail.example.com."])

    def test_ptr_name(self):
        r = ask(self.server, "25.2.0.192.in-addr.arpa.", "PTR")
        self.assertEqual(rrs(r.answer), ["25.2.0.192.in-addr.arpa. 300 IN PTR mail.example.com."])

    def test_value_without_records_is_nodata(self):
        for name in ("empty.example.com.", "noarrays.example.com."):
            r = ask(self.server, name, "TXT")
            self.assertEqual(r.rcode(), dns.rcode.NOERROR, name)
            self.assertEqual(r.answer, [], name)  # not the wildcard's TXT
            self.assertEqual(r.authority[0].rdtype, dns.rdatatype.SOA, name)
        r = ask(self.server, "other.example.com.", "TXT")
        self.assertEqual(rrs(r.answer), ['other.example.com. 300 IN TXT "wild"'])

    def test_fork_options_warned_once_each(self):
        log = self.server.log_text()
        for opt in ("pool_size", "max_retries", "write_timeout"):
            self.assertEqual(log.count("option '%s'" % opt), 1, log)

    # One test per row of the TTL table in plugins/redis/README.md (ttl 300).
    def ttl_of(self, name):
        r = ask(self.server, name + ".example.com.")
        self.assertEqual(len(r.answer), 1, r)
        return r.answer[0].ttl

    def test_ttl_absent_is_the_default(self):
        self.assertEqual(self.ttl_of("ttl-absent"), 300)

    def test_ttl_minus_one_is_the_default(self):
        self.assertEqual(self.ttl_of("ttl-minus1"), 300)

    def test_ttl_zero_is_zero(self):
        self.assertEqual(self.ttl_of("ttl-zero"), 0)

    def test_ttl_below_the_default_is_kept(self):
        self.assertEqual(self.ttl_of("ttl-below"), 60)

    def test_ttl_above_the_default_is_kept(self):
        self.assertEqual(self.ttl_of("ttl-above"), 3600)


class DefaultTtlTest(unittest.TestCase):
    """Row: no `ttl` in the Corefile -> 300, and a bare `redis` is
    localhost:6379 (here: the address line is the only option, and an
    unset {$VAR} password is "not set")."""

    def test_no_corefile_ttl_and_unset_env_password(self):
        os.environ.pop("VMDNS_TEST_UNSET_PASSWORD", None)
        with Redis() as redis:
            load(redis, "example.com.", {"@": '{"soa":{"ns":"ns1.example.com.",'
                                              '"mbox":"h.example.com."}}',
                                         "a": '{"a":[{"ip":"192.0.2.9"}]}'})
            text = (".:{port} {\n bind 127.0.0.1\n redis {\n  address 127.0.0.1:%d\n"
                    "  password {$VMDNS_TEST_UNSET_PASSWORD}\n }\n}\n" % redis.port)
            server = CorefileServer(text)
            try:
                server.start(option="--corefile", probe="example.com.")
                wait_for(lambda: ask(server, "a.example.com.").answer, 10, what="loaded")
                self.assertEqual(ask(server, "a.example.com.").answer[0].ttl, 300)
            finally:
                server.stop()
                server.cleanup()


GROUPS_COREFILE = """\
.:{port} {
    bind 127.0.0.1
    prometheus 127.0.0.1:0
    redis vm.example.com {
        address 127.0.0.1:%(port)d
        keyspace_notifications false
        limits {
            records_per_name 2
        }
        defaults {
            soa {
                ns ns1.vm.example.com.
                mbox hostmaster.vm.example.com.
                ttl 1234
                refresh 111
                retry 222
                expire 333
                minttl 44
            }
            ns ns1.vm.example.com. ns2.vm.example.com.
        }
    }
}
"""


class CorefileGroupsTest(unittest.TestCase):
    """The YAML-only options of before, set from a Corefile."""

    @classmethod
    def setUpClass(cls):
        cls.redis = Redis().start()
        load(cls.redis, "vm.example.com.", {
            "two": '{"a":[{"ip":"192.0.2.1"},{"ip":"192.0.2.2"}]}',
            "three": '{"a":[{"ip":"192.0.2.1"},{"ip":"192.0.2.2"},{"ip":"192.0.2.3"}]}',
        })
        cls.server = CorefileServer(GROUPS_COREFILE % {"port": cls.redis.port})
        try:
            cls.server.start(option="--corefile", probe="vm.example.com.")
            wait_for(lambda: ask(cls.server, "two.vm.example.com.").answer, 10, what="loaded")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()
            cls.redis.stop()

    def skipped(self, limit):
        status, body, _ = http_get(self.server.http["metrics"], "/metrics")
        self.assertEqual(status, 200)
        samples, _ = parse_metrics(body)
        return samples.get(("vmdns_redis_limit_skipped_total",
                            frozenset({("backend", "redis1"), ("limit", limit)})), 0)

    def test_records_per_name(self):
        self.assertEqual(rrs(ask(self.server, "two.vm.example.com.").answer),
                         ["two.vm.example.com. 300 IN A 192.0.2.1",
                          "two.vm.example.com. 300 IN A 192.0.2.2"])
        r = ask(self.server, "three.vm.example.com.")
        self.assertEqual(r.rcode(), dns.rcode.NXDOMAIN)  # skipped whole, never in part
        self.assertEqual(r.answer, [])
        self.assertEqual(self.skipped("records_per_name"), 1)

    def test_default_soa_and_ns(self):
        r = ask(self.server, "vm.example.com.", "SOA")
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertEqual(len(r.answer), 1)
        self.assertEqual(r.answer[0].ttl, 1234)
        soa = r.answer[0][0]
        self.assertEqual((soa.mname.to_text(), soa.rname.to_text(), soa.refresh, soa.retry,
                          soa.expire, soa.minimum),
                         ("ns1.vm.example.com.", "hostmaster.vm.example.com.", 111, 222, 333,
                          44))
        ns = ask(self.server, "vm.example.com.", "NS")
        self.assertEqual(sorted(rd.target.to_text() for rrset in ns.answer for rd in rrset),
                         ["ns1.vm.example.com.", "ns2.vm.example.com."])

    def test_keyspace_notifications_false(self):
        # true (the default) opens a third connection, subscribed, before
        # the first load (so before "two" was answered) and CONFIG SETs
        # notify-keyspace-events; false: the command and stream connections only
        clients = [line for line in self.redis.cli("CLIENT", "LIST").splitlines()
                   if "cmd=client" not in line]
        self.assertEqual(len(clients), 2, clients)
        self.assertTrue(all(" psub=0 " in line for line in clients), clients)
        self.assertEqual(self.redis.cli("CONFIG", "GET", "notify-keyspace-events").split(),
                         ["notify-keyspace-events"])

if __name__ == "__main__":
    unittest.main()
