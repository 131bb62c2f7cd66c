# SPDX-License-Identifier: BSD-2-Clause
"""test_coredns_corefiles.py - Corefiles written the way CoreDNS users write
them (issue 11, points 10 and 11), served by vmdnsd over the wire.

- A homelab Corefile: a forward zone and a reverse zone in CIDR notation
  (`192.168.1.0/24`), `bind lo { except ::1 }`, `root` with relative zone
  file names, `file ... { reload 1s }`, `log` with a name, a custom format
  and two `class` lines, `errors stdout { consolidate ... ; stacktrace }`,
  `ready { monitor until-ready }`, `prometheus { runtime_metrics }`, `any`.
  PTR and forward answers, the log lines (format, classes), CoreDNS's
  HINFO for ANY; a zone file changed without a greater serial is not
  reloaded, one whose serial grew is, without a signal (CoreDNS's rule).
- `reload` watches the files the Corefile imports; a glob that matches
  nothing is a warning; a relative `file` path is found in the working
  directory as CoreDNS finds it.
- A `tls://` block is refused with the key, the line and what to do.
- Kubernetes: the stock CoreDNS ConfigMap's Corefile with a redis zone
  block beside it. `kubernetes` and `forward` are refused at their line
  with the reason; the redis block as its own ConfigMap (with the stock
  block's errors/health/ready/prometheus/cache/loop/reload/loadbalance
  lines) serves the zone from a real redis-server.
"""

import os
import re
import subprocess
import unittest

import dns.rcode
import dns.rdatatype

import redis_harness as rh
from vmdns_harness import DATA, TEST_ZONE, Vmdnsd, _sanitizer_env, binary, query, udp, wait_for

REVERSE_ZONE = """\
$ORIGIN 1.168.192.in-addr.arpa.
$TTL 3600
@   IN SOA ns1.example.com. hostmaster.example.com. ( {serial} 7200 3600 1209600 3600 )
    IN NS  ns1.example.com.
10  IN PTR nas.example.com.
20  IN PTR printer.example.com.
"""

HOMELAB = """\
# Home network: names and reverse names of the LAN.
example.com:0 192.168.1.0/24:0 {{
    bind lo {{
        except ::1
    }}
    root {zones}
    file db.example.com example.com
    file db.192.168.1 192.168.1.0/24 {{
        reload 1s
    }}
    log 1.168.192.in-addr.arpa example.com "{{remote}} {{type}} {{name}} {{rcode}} {{>opcode}} {{/unknown}}" {{
        class success
        class denial
    }}
    errors stdout {{
        consolidate 5m ".* i/o timeout$" warning
        stacktrace
    }}
    ready 127.0.0.1:0 {{
        monitor until-ready
    }}
    prometheus 127.0.0.1:0 {{
        runtime_metrics
    }}
    any
}}
"""


class Server(Vmdnsd):
    def launch(self, argv, cwd=None):
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=cwd, env=_sanitizer_env())
        self.read_ports()
        return self


def read(path):
    with open(path) as f:
        return f.read()


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


class HomelabCorefileTest(unittest.TestCase):
    def setUp(self):
        self.s = Server(config="# unused\n")
        self.addCleanup(self.s.cleanup)
        self.zones = os.path.join(self.s.tmp, "zones")
        write(os.path.join(self.zones, "db.example.com"), read(TEST_ZONE))
        self.rev = os.path.join(self.zones, "db.192.168.1")
        write(self.rev, REVERSE_ZONE.format(serial=1))
        self.corefile = os.path.join(self.s.tmp, "Corefile")
        write(self.corefile, HOMELAB.format(zones=self.zones))

    def test_homelab(self):
        s = self.s.launch([binary("vmdnsd"), "-conf", self.corefile], cwd="/")
        self.assertEqual([h for h, _ in s.listening], ["127.0.0.1"])  # lo minus ::1
        r = udp(query("10.1.168.192.in-addr.arpa.", "PTR"), s.port)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertEqual(r.answer[0][0].target.to_text(), "nas.example.com.")
        r = udp(query("99.1.168.192.in-addr.arpa.", "PTR"), s.port)
        self.assertEqual(r.rcode(), dns.rcode.NXDOMAIN)
        r = udp(query("www.example.com.", "ANY"), s.port)
        self.assertEqual(r.answer[0].rdtype, dns.rdatatype.HINFO)
        self.assertEqual(r.answer[0][0].to_text(), '"ANY obsoleted" "See RFC 8482"')
        r = udp(query("www.example.org.", "A"), s.port)  # not ours: REFUSED, class error
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)
        # The log: the format, success and denial lines, not the error one.
        wait_for(lambda: "99.1.168.192" in s.log_text(), 5, what="the NXDOMAIN log line")
        text = s.log_text()
        self.assertIn("[INFO] 127.0.0.1 PTR 10.1.168.192.in-addr.arpa. NOERROR 0 -\n", text)
        self.assertIn("[INFO] 127.0.0.1 PTR 99.1.168.192.in-addr.arpa. NXDOMAIN 0 -\n", text)
        self.assertNotIn("www.example.org", text)
        self.assertIn("errors: consolidate .* i/o timeout$: vmdnsd consolidates", text)
        self.assertIn("serving /ready", text)
        self.assertIn("serving /metrics", text)
        # Changed, same serial: CoreDNS keeps what it serves, and so does vmdnsd.
        write(self.rev, REVERSE_ZONE.format(serial=1).replace("nas.", "nas1."))
        wait_for(lambda: "serial 1 is not greater than the 1 served" in s.log_text(), 10,
                 what="the unchanged serial noticed")
        r = udp(query("10.1.168.192.in-addr.arpa.", "PTR"), s.port)
        self.assertEqual(r.answer[0][0].target.to_text(), "nas.example.com.")
        # The reverse zone's serial grew: served within a few seconds, no signal.
        write(self.rev, REVERSE_ZONE.format(serial=2).replace("nas.", "nas2."))
        wait_for(lambda: udp(query("1.168.192.in-addr.arpa.", "SOA"), s.port).answer[0][0].serial
                 == 2, 10, what="the new serial")
        r = udp(query("10.1.168.192.in-addr.arpa.", "PTR"), s.port)
        self.assertEqual(r.answer[0][0].target.to_text(), "nas2.example.com.")
        self.assertIn("db.192.168.1 changed", s.log_text())
        s.stop()

    def test_tls_block_refused(self):
        write(self.corefile, "tls://example.com:853 {\n    tls cert.pem key.pem\n"
                             "    file db.example.com\n}\n")
        p = subprocess.run([binary("vmdnsd"), "-conf", self.corefile], capture_output=True,
                           text=True, timeout=10)
        self.assertEqual(p.returncode, 1)
        self.assertIn("%s:1: 'tls://example.com:853': tls:// server blocks (DNS over TLS) are "
                      "not supported" % self.corefile, p.stderr)


# The CoreDNS ConfigMap of a kubeadm cluster (kube-system/coredns), plus the
# server block a redis plugin user adds for the VM zone.
K8S_STOCK = """\
.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
"""

K8S_VM_ZONE = """\
vm.example.com:0 {{
    bind 127.0.0.1
    errors
    health 127.0.0.1:0 {{
       lameduck 5s
    }}
    ready 127.0.0.1:0
    redis {{
        address {redis}
        connect_timeout 2000
        read_timeout 2000
        ttl 30
    }}
    prometheus 127.0.0.1:0
    cache 30
    loop
    reload
    loadbalance
}}
"""


class KubernetesConfigMapTest(unittest.TestCase):
    def setUp(self):
        self.s = Server(config="# unused\n")
        self.addCleanup(self.s.cleanup)
        self.corefile = os.path.join(self.s.tmp, "Corefile")

    def check(self, text):
        write(self.corefile, text)
        return subprocess.run([binary("vmdnsd"), "-conf", self.corefile, "--check"],
                              capture_output=True, text=True, timeout=10)

    def test_stock_configmap_refused_at_the_line_saying_why(self):
        p = self.check(K8S_STOCK)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("%s:7: kubernetes: not supported (vmdnsd serves zones from files and "
                      "Redis" % self.corefile, p.stderr)
        p = self.check(K8S_STOCK.replace("    kubernetes cluster.local in-addr.arpa ip6.arpa {\n"
                                         "       pods insecure\n"
                                         "       fallthrough in-addr.arpa ip6.arpa\n"
                                         "       ttl 30\n    }\n", ""))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("%s:8: forward: not supported (vmdnsd is an authoritative server: it "
                      "neither recurses nor forwards" % self.corefile, p.stderr)

    def test_redis_zone_configmap_served(self):
        node = rh.Node().start()
        self.addCleanup(node.cleanup)
        client = rh.Client(node.port)
        self.addCleanup(client.close)
        rh.fill_zone(client, "vm.example.com.", [
            ("@", rh.value(soa={"ns": "ns1.vm.example.com.", "mbox": "h.vm.example.com.",
                                "refresh": 3600, "retry": 600, "expire": 86400, "minttl": 30},
                           ns=[{"host": "ns1.vm.example.com."}])),
            ("vm-abc123", rh.value(a="10.1.2.3")),
        ])
        write(self.corefile, K8S_VM_ZONE.format(redis=node.addr))
        s = self.s.launch([binary("vmdnsd"), "-conf", self.corefile], cwd="/")
        wait_for(lambda: rh.addresses(s.port, "vm-abc123.vm.example.com.") == {"10.1.2.3"}, 10,
                 what="the VM's name from Redis:\n" + s.output())
        r = udp(query("vm-abc123.vm.example.com.", "A"), s.port)
        self.assertEqual(r.answer[0].ttl, 30)
        r = udp(query("kubernetes.default.svc.cluster.local.", "A"), s.port)
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)
        text = s.log_text()
        for name in ("cache", "loop", "loadbalance"):
            self.assertEqual(len(re.findall(r"Corefile:\d+: %s: ignored; " % name, text)), 1,
                             text)
        s.stop()


class ImportsAndPathsTest(unittest.TestCase):
    def test_reload_watches_imports_and_cwd_paths(self):
        s = Server(config="# unused\n")
        self.addCleanup(s.cleanup)
        work = os.path.join(s.tmp, "work")  # the working directory, as WorkingDirectory=
        write(os.path.join(work, "db.example.com"), read(TEST_ZONE))
        write(os.path.join(work, "db.example.net"),
              read(os.path.join(DATA, "example.net.zone")))
        etc = os.path.join(s.tmp, "etc")
        write(os.path.join(etc, "conf.d", "zones.conf"), "any\n")
        corefile = os.path.join(etc, "Corefile")
        write(corefile, "example.com:0 example.net:0 {\n    bind 127.0.0.1\n"
                        "    reload 1s\n    file db.example.com example.com\n"
                        "    import conf.d/*.conf\n    import missing.d/*.conf\n}\n")
        s.launch([binary("vmdnsd"), "-conf", corefile], cwd=work)
        text = s.log_text()
        self.assertRegex(text, r"\[WARNING\] .*Corefile:6: import: no files match '.*missing\.d")
        self.assertIn("and the files it imports", text)
        r = udp(query("www.example.com.", "A"), s.port)  # db found in the working directory
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        r = udp(query("www.example.net.", "A"), s.port)
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)
        # Only the imported file changes: the reload plugin picks it up.
        write(os.path.join(etc, "conf.d", "zones.conf"), "any\nfile db.example.net example.net\n")
        wait_for(lambda: udp(query("www.example.net.", "A"), s.port).rcode() == dns.rcode.NOERROR,
                 15, what="example.net after the import changed")
        self.assertIn("changed, reloading", s.log_text())
        s.stop()


if __name__ == "__main__":
    unittest.main()
