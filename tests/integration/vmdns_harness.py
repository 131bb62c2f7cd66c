"""vmdns_harness.py - shared helpers for the integration tests.

The integration tests talk to real processes over loopback: a vmdnsd built
from this tree (found through $VMDNS_BUILD, default <repo>/build), real
redis-server instances, knotd. This module owns the boring, easy-to-get-wrong
parts so every test file does them the same way:

  - free_port(): a port free for UDP and TCP on 127.0.0.1 (and ::1);
  - Vmdnsd: write a temp YAML config, start vmdnsd, wait until it answers,
    and stop it with SIGTERM, failing loudly when it crashed, leaked (ASan)
    or did not exit cleanly;
  - Redis: a throw-away redis-server (--save '' --appendonly no);
  - udp()/tcp()/udp_raw()/dig(): one query, with bounded timeouts.

Every process started here is stopped by the same object that started it
(use them as context managers or from setUpClass/tearDownClass).
"""

import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

import unittest

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(REPO, "tests", "integration", "data")
TEST_ZONE = os.path.join(DATA, "test.zone")
NET_ZONE = os.path.join(DATA, "example.net.zone")
# The zones most answer tests serve: (origin, absolute file).
DEFAULT_ZONES = [("example.com.", TEST_ZONE), ("example.net.", NET_ZONE)]
# Configured EDNS payload in DEFAULT limits.
EDNS_UDP_SIZE = 1232


def build_dir():
    """The build directory under test ($VMDNS_BUILD, default <repo>/build)."""
    return os.path.abspath(os.environ.get("VMDNS_BUILD", os.path.join(REPO, "build")))


def binary(name):
    """Absolute path of a built program (vmdnsd, vmdnsctl, ...) in build_dir()."""
    root = build_dir()
    for rel in (os.path.join("src", name), os.path.join("src", name, name), name):
        path = os.path.join(root, rel)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    for dirpath, _dirs, files in os.walk(root):
        if name in files:
            path = os.path.join(dirpath, name)
            if os.access(path, os.X_OK):
                return path
    raise FileNotFoundError("%s not built under %s" % (name, root))


def have_ipv6():
    """True if ::1 can be bound here."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def _port_free(port, v6):
    """Can `port` be bound for UDP and TCP on 127.0.0.1 (and ::1)?"""
    addrs = [(socket.AF_INET, "127.0.0.1")]
    if v6:
        addrs.append((socket.AF_INET6, "::1"))
    for fam, host in addrs:
        for typ in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(fam, typ)
            try:
                s.bind((host, port))
            except OSError:
                return False
            finally:
                s.close()
    return True


def free_port():
    """A port currently free for UDP and TCP on 127.0.0.1 (and ::1 if any)."""
    v6 = have_ipv6()
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if _port_free(port, v6):
            return port
    raise RuntimeError("no free port found")


def wait_for(pred, timeout, interval=0.05, what="condition"):
    """Poll pred() until it returns a true value; raise TimeoutError after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TimeoutError("timed out waiting for %s" % what)
        time.sleep(interval)


# --------------------------------------------------------------------------
# Queries


def query(name, rdtype="A", rdclass="IN", use_edns=None, payload=1232, ednsflags=0,
          want_dnssec=False, options=None):
    """A query message without RD (we talk to an authoritative server).

    use_edns: None/False for no OPT, else the EDNS version (True = 0).
    Built by hand because dnspython's make_query(want_dnssec=False) clears
    the version and unknown flag bits of the OPT it made."""
    msg = dns.message.make_query(name, rdtype, rdclass=rdclass)
    msg.flags &= ~dns.flags.RD
    if want_dnssec:
        ednsflags |= dns.flags.DO
        if use_edns is None or use_edns is False:
            use_edns = 0
    if use_edns is not None and use_edns is not False:
        msg.use_edns(int(use_edns), int(ednsflags), payload, options=list(options or []))
    return msg


def udp(msg, port, host="127.0.0.1", timeout=2.0):
    """Send one message over UDP and return the parsed reply."""
    return dns.query.udp(msg, host, port=port, timeout=timeout, ignore_unexpected=True)


def tcp(msg, port, host="127.0.0.1", timeout=3.0):
    """Send one message over TCP and return the parsed reply."""
    return dns.query.tcp(msg, host, port=port, timeout=timeout)


def udp_raw(pkt, port, host="127.0.0.1", timeout=0.5):
    """Send raw bytes over UDP; return the raw reply, or None if none came."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((host, port))
        s.send(pkt)
        try:
            return s.recv(65535)
        except socket.timeout:
            return None


def tcp_raw(pkt, port, host="127.0.0.1", timeout=2.0):
    """Send one raw message over TCP (length-prefixed); return the raw reply or None."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect((host, port))
        s.sendall(struct.pack("!H", len(pkt)) + pkt)
        try:
            hdr = _recv_exact(s, 2)
            if hdr is None:
                return None
            return _recv_exact(s, struct.unpack("!H", hdr)[0])
        except socket.timeout:
            return None


def _recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def dig(port, *args, host="127.0.0.1", timeout=10):
    """Run dig against host:port with +norec +time=2 +tries=1; return stdout."""
    cmd = ["dig", "@" + host, "-p", str(port), "+norec", "+time=2", "+tries=1"] + list(args)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return out.stdout


def rr_texts(section):
    """A section as a set of 'owner ttl class type rdata' strings (owner lower-cased)."""
    out = set()
    for rrset in section:
        name = rrset.name.to_text().lower()
        for rd in rrset:
            out.add(
                "%s %d %s %s %s"
                % (
                    name,
                    rrset.ttl,
                    dns.rdataclass.to_text(rrset.rdclass),
                    dns.rdatatype.to_text(rrset.rdtype),
                    rd.to_text(),
                )
            )
    return out


# --------------------------------------------------------------------------
# Processes


class ProcessError(AssertionError):
    """A server process misbehaved (crashed, did not start, exited non-zero)."""


def _tail(path, n=40):
    try:
        with open(path, "r", errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def _sanitizer_env():
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:halt_on_error=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    return env


class Vmdnsd:
    """One vmdnsd process on a free loopback port with a temp YAML config.

    zones: list of (origin, file) pairs (default: DEFAULT_ZONES).
    extra: YAML text appended at the top level (e.g. a `redis:` section).
    config: a whole config text instead; '{port}' and '{tmp}' are substituted.
    """

    def __init__(self, zones=None, workers=2, limits=None, extra="", config=None, v6=None):
        self.port = free_port()
        self.tmp = tempfile.mkdtemp(prefix="vmdnsd-test-")
        self.v6 = have_ipv6() if v6 is None else v6
        self.proc = None
        self.config_path = os.path.join(self.tmp, "vmdns.yaml")
        self.log_path = os.path.join(self.tmp, "vmdnsd.log")
        if config is None:
            config = self._default_config(zones or DEFAULT_ZONES, workers, limits, extra)
        else:
            config = config.replace("{port}", str(self.port)).replace("{tmp}", self.tmp)
        with open(self.config_path, "w") as f:
            f.write(config)

    def _default_config(self, zones, workers, limits, extra):
        listen = ['"127.0.0.1:%d"' % self.port]
        if self.v6:
            listen.append('"[::1]:%d"' % self.port)
        lim = {"edns_udp_size": EDNS_UDP_SIZE, "tcp_max_connections": 64, "tcp_idle_timeout": "10s"}
        lim.update(limits or {})
        lines = [
            "# written by tests/integration/vmdns_harness.py",
            "listen: [%s]" % ", ".join(listen),
            "workers: %s" % workers,
            "zones:",
        ]
        for origin, path in zones:
            lines.append("  - origin: %s" % origin)
            lines.append("    file: %s" % path)
        lines.append("limits: {%s}" % ", ".join("%s: %s" % kv for kv in lim.items()))
        return "\n".join(lines) + "\n" + extra

    def start(self, timeout=15.0, probe="example.com.", option="--config"):
        """Start vmdnsd (`vmdnsd <option> FILE`) and wait until it answers a
        query on UDP and TCP."""
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [binary("vmdnsd"), option, self.config_path],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=_sanitizer_env(),
        )
        probe_msg = dns.message.make_query(probe, "SOA")
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise ProcessError(
                    "vmdnsd exited with %d at startup:\n%s" % (self.proc.returncode, self.output())
                )
            try:
                udp(probe_msg, self.port, timeout=0.2)
                tcp(probe_msg, self.port, timeout=0.5)
                return self
            except (OSError, dns.exception.Timeout, EOFError):
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise ProcessError("vmdnsd did not answer within %.0fs:\n%s" % (timeout, self.output()))
            time.sleep(0.05)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def output(self):
        """vmdnsd's stdout+stderr so far (tail)."""
        return _tail(self.log_path)

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait(5)

    def stop(self, sig=signal.SIGTERM, timeout=10.0, check=True):
        """Stop with `sig`; with check, raise unless it exits 0 within timeout
        and printed no sanitizer report."""
        if self.proc is None:
            return None
        rc = self.proc.poll()
        crashed_before = rc is not None
        if rc is None:
            self.proc.send_signal(sig)
            try:
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                self.log.close()
                if check:
                    raise ProcessError("vmdnsd did not stop within %.0fs after %s:\n%s"
                                       % (timeout, sig.name, self.output()))
                return None
        self.log.close()
        out = self.output()
        self.proc = None
        if check:
            if crashed_before:
                raise ProcessError("vmdnsd died while being tested (rc %d):\n%s" % (rc, out))
            if rc != 0:
                raise ProcessError("vmdnsd exited with %d after %s:\n%s" % (rc, sig.name, out))
            for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
                if marker in out:
                    raise ProcessError("vmdnsd sanitizer report:\n%s" % out)
        return rc

    def cleanup(self):
        """Kill if still running and remove the temp dir."""
        self.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            self.stop(check=exc[0] is None)
        finally:
            self.cleanup()
        return False


class Redis:
    """A throw-away redis-server on a free loopback port (no persistence)."""

    def __init__(self, port=None, extra_args=()):
        self.port = port or free_port()
        self.tmp = tempfile.mkdtemp(prefix="redis-test-")
        self.extra_args = list(extra_args)
        self.proc = None

    def start(self, timeout=10.0):
        """Start redis-server and wait until it answers PING."""
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.tmp] + self.extra_args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def ping():
            if self.proc.poll() is not None:
                raise ProcessError("redis-server exited with %d" % self.proc.returncode)
            try:
                return self.cli("PING").strip() == "PONG"
            except subprocess.SubprocessError:
                return False

        wait_for(ping, timeout, what="redis-server on port %d" % self.port)
        return self

    def cli(self, *args):
        """Run redis-cli against this server; return stdout."""
        return subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port)] + [str(a) for a in args],
            capture_output=True, text=True, timeout=10,
        ).stdout

    def stop(self):
        """Stop the server (SIGTERM, then SIGKILL) and remove its dir."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


class ServerTestCase(unittest.TestCase):
    """A TestCase class sharing one vmdnsd for all its tests.

    Subclasses may set `zones`, `workers`, `limits`, `extra`. Every test
    first checks that the server is still alive, so a crash is reported at
    the test that caused it; tearDownClass fails if vmdnsd did not stop
    cleanly (exit 0, no sanitizer report).
    """

    zones = None
    workers = 2
    limits = None
    extra = ""

    @classmethod
    def setUpClass(cls):
        cls.server = Vmdnsd(zones=cls.zones, workers=cls.workers, limits=cls.limits, extra=cls.extra)
        try:
            cls.server.start()
        except Exception:
            cls.server.cleanup()
            raise
        cls.port = cls.server.port

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()

    def setUp(self):
        if not self.server.alive():
            self.fail("vmdnsd is no longer running:\n" + self.server.output())

    def udp(self, name, rdtype="A", **kw):
        """Query `name` `rdtype` over UDP (no RD); kw go to make_query."""
        return udp(query(name, rdtype, **kw), self.port)

    def tcp(self, name, rdtype="A", **kw):
        """Query `name` `rdtype` over TCP (no RD)."""
        return tcp(query(name, rdtype, **kw), self.port)

    def assertRcode(self, r, rcode):
        self.assertEqual(
            dns.rcode.to_text(r.rcode()), dns.rcode.to_text(rcode), "rcode of reply:\n%s" % r
        )

    def assertFlag(self, r, flag, expected):
        got = bool(r.flags & flag)
        self.assertEqual(got, expected, "%s should be %s in reply:\n%s"
                         % (dns.flags.to_text(flag), expected, r))

    def assertSection(self, section, expected, r=None):
        """Section equals the set of 'owner ttl class type rdata' strings."""
        self.assertEqual(rr_texts(section), set(expected), "reply:\n%s" % r)
