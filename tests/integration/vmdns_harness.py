# SPDX-License-Identifier: BSD-2-Clause
"""vmdns_harness.py - shared helpers for the integration tests.

The integration tests talk to real processes over loopback: a vmdnsd built
from this tree (found through $VMDNS_BUILD, default <repo>/build), real
redis-server instances, knotd. This module owns the boring, easy-to-get-wrong
parts so every test file does them the same way:

  - ports: vmdnsd binds port 0 and says in its log which ports it got
    (Vmdnsd reads them); servers that cannot do that (redis-server,
    redis-sentinel, knotd) get ports from a block owned by this process
    (owned_port()) and their start() moves on to the next port when the bind
    fails. Nothing probes a port and releases it for someone else to take;
  - Vmdnsd: write a temp YAML config, start vmdnsd, wait until it answers,
    and stop it with SIGTERM, failing loudly when it crashed, leaked (ASan)
    or did not exit cleanly;
  - Redis: a throw-away redis-server (--save '' --appendonly no);
  - wait_for(): poll a condition with a deadline; tests wait on counters and
    log lines rather than sleeping to show that something did not happen;
  - udp()/tcp()/udp_raw()/dig(): one query, with bounded timeouts.

Every process started here is stopped by the same object that started it
(use them as context managers or from setUpClass/tearDownClass).
"""

import ctypes
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

import unittest
import urllib.request

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


def sanitized_build():
    """True for an ASan/UBSan/TSan build (everything runs several times slower)."""
    try:
        with open(os.path.join(build_dir(), "CMakeCache.txt")) as f:
            return any(l.startswith("VMDNS_SANITIZE:") and l.strip().split("=", 1)[1]
                       for l in f)
    except OSError:
        return False


# Sanitizer builds stop slower (a TSan vmdnsd frees a big view for seconds).
STOP_TIMEOUT = 30.0 if sanitized_build() else 10.0


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


def _port_block():
    """(first, size) of this process's block of ports: below the kernel's
    ephemeral range (where port-0 binds land), chosen from the pid so that
    concurrent test processes mostly get different blocks."""
    low = 32768
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    first, size = 10000, 100
    nblocks = max(1, (low - first) // size)
    return first + (os.getpid() % nblocks) * size, size


_PORTS = {"pid": None, "next": 0}


def owned_port():
    """The next port of this process's block (they are handed out in turn,
    wrapping around), for a server that cannot bind port 0 and report what
    it got. Nothing checks that the port is free: another process whose pid
    maps to the same block, or any stray server, may hold it, so whoever
    binds it must take the next one when the bind fails (Redis, Sentinel and
    the test files' Knotd do)."""
    if _PORTS["pid"] != os.getpid():  # a forked child gets a block of its own
        _PORTS["pid"], _PORTS["next"] = os.getpid(), 0
    first, size = _port_block()
    port = first + _PORTS["next"] % size
    _PORTS["next"] += 1
    return port


def free_port(*_args):
    """Gone: probing a port and releasing it for a server to bind later
    races every other process on the machine."""
    raise RuntimeError(
        "free_port() is gone (probe, release, hope): vmdnsd binds port 0 (write '127.0.0.1:0' or "
        "'{port}' in configs, HTTP_LISTEN for endpoints) and Vmdnsd.port/.port6/.http hold what "
        "it got after start(); ReservedPort for a port a vmdnsd config must name before start; "
        "owned_port() (with a retry on a failed bind) for other servers; dead_port() for a port "
        "where nothing answers")


def dead_port(kind=socket.SOCK_STREAM):
    """(port, sock): a loopback port where no server answers, for as long
    as `sock` stays open: TCP refuses connections (bound, not listening),
    UDP datagrams are never read. Holding it keeps anyone else from taking
    it meanwhile. Close sock when done."""
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1], s


def unread_bytes(port):
    """Bytes waiting in the receive queues of the established IPv4 TCP
    sockets whose local port is `port` (from /proc/net/tcp): for a server's
    port, what clients sent that it has not read (a SIGSTOPped or
    backed-up server); for a client's port, answers it has not read yet."""
    total = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, state, queues = fields[1], fields[3], fields[4]
            if state == "01" and int(local.split(":")[1], 16) == port:  # ESTABLISHED
                total += int(queues.split(":")[1], 16)
    return total


class ReservedPort:
    """A loopback port held for a vmdnsd whose config must name it before
    it starts (e.g. an address kept across reloads): bound here for UDP and
    TCP with SO_REUSEPORT (the TCP socket never listens), so nobody else can
    take it, while vmdnsd, which binds with SO_REUSEPORT too, can. Give it
    to Vmdnsd(reserved=...), which releases it once vmdnsd has bound it
    (until then some datagrams to the port may land here, unread)."""

    def __init__(self, host="127.0.0.1"):
        for _ in range(20):
            socks = []
            try:
                for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    s = socket.socket(socket.AF_INET, kind)
                    socks.append(s)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                    s.bind((host, socks[0].getsockname()[1] if len(socks) > 1 else 0))
                self.host, self.port, self.socks = host, socks[0].getsockname()[1], socks
                return
            except OSError:  # its TCP side is taken: another port
                for s in socks:
                    s.close()
        raise RuntimeError("no port to reserve")

    @property
    def addr(self):
        return "%s:%d" % (self.host, self.port)

    def release(self):
        for s in self.socks:
            s.close()
        self.socks = []


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


def wait_progress(counts, more, timeout=10.0, what="progress"):
    """Wait until every callable in `counts` returns at least `more` above
    what it returned when this was called (e.g. client loops that must
    have run across a reload: a count, not a sleep)."""
    base = [c() for c in counts]
    wait_for(lambda: all(c() >= b + more for c, b in zip(counts, base)), timeout, interval=0.01,
             what=what)


class FileOpens:
    """Counts how often a file is opened, by anyone (inotify on its
    directory, so it follows the name across os.replace()). E.g. the
    `reload` plugin opens its config file at every check: two more opens
    mean two more checks happened, without sleeping and hoping."""

    IN_OPEN = 0x20

    def __init__(self, path):
        self.dir, self.name = os.path.split(os.path.abspath(path))
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if libc.inotify_add_watch(self.fd, self.dir.encode(), self.IN_OPEN) < 0:
            err = ctypes.get_errno()
            os.close(self.fd)
            raise OSError(err, "inotify_add_watch %s" % self.dir)
        self.opens = 0

    def count(self):
        """Opens of the file since this object was made."""
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return self.opens
            off = 0
            while off + 16 <= len(data):
                _wd, mask, _cookie, length = struct.unpack_from("iIII", data, off)
                name = data[off + 16:off + 16 + length].rstrip(b"\0").decode(errors="replace")
                off += 16 + length
                if mask & self.IN_OPEN and name == self.name:
                    self.opens += 1

    def wait(self, more, timeout=10.0):
        """Wait until the file has been opened `more` more times."""
        wait_progress([self.count], more, timeout, what="%d more opens of %s" % (more, self.name))

    def close(self):
        os.close(self.fd)


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


# What a sanitizer report starts with, in a server's output.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer")


def _sanitizer_env():
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:halt_on_error=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    return env


# vmdnsd's log lines that name the ports it bound (see src/main.c and the
# HTTP plugins): "vmdnsd 0.1.0 ready: listening on 127.0.0.1:41234, [::1]:38165
# (udp+tcp), 2 workers", the same with "reloaded with new listeners", and
# "plugin/prometheus: serving /metrics on 127.0.0.1:0 (port 45087)".
_LISTENING_RE = re.compile(r": listening on (.*?) \(udp\+tcp\)")
_HTTP_RE = re.compile(r"serving /(\w+) on (\S+) \(port (\d+)\)")

# Listen addresses for the HTTP endpoints: port 0, and one loopback address
# each, because endpoints configured with the very same address share one
# socket and then only one of them answers (a vmdnsd limitation).
HTTP_LISTEN = {"metrics": "127.0.0.1:0", "health": "127.0.0.2:0", "ready": "127.0.0.3:0"}


def http_url(endpoint, path):
    """The URL of `path` on an HTTP endpoint: (host, port) as in
    Vmdnsd.http, or a port on 127.0.0.1."""
    host, port = endpoint if isinstance(endpoint, tuple) else ("127.0.0.1", endpoint)
    return "http://%s:%d%s" % ("[%s]" % host if ":" in host else host, port, path)


def metric(server, name):
    """The value of one sample on the server's /metrics (`name` with its
    labels as printed, e.g. 'x_total{reason="idle"}'), or None if absent."""
    with urllib.request.urlopen(http_url(server.http["metrics"], "/metrics"), timeout=5) as r:
        body = r.read().decode()
    m = re.search(r"^%s (\S+)$" % re.escape(name), body, re.M)
    return float(m.group(1)) if m else None


def parse_listening(line):
    """[(host, port)] from one "listening on ..." log line (host without
    brackets), or None if the line is not one."""
    m = _LISTENING_RE.search(line)
    if m is None:
        return None
    out = []
    for addr in m.group(1).split(", "):
        host, _, port = addr.rpartition(":")
        out.append((host.strip("[]"), int(port)))
    return out


class Vmdnsd:
    """One vmdnsd process on loopback with a temp YAML config.

    It listens on 127.0.0.1 (and [::1] if the host has it) port 0, and the
    ports it got are read from its log once it is up: `port` (127.0.0.1
    or 0.0.0.0), `port6` ([::1] or [::], or None) and `listening` (every address, in config
    order); `http` maps "metrics"/"health"/"ready" to the (host, port)
    serving it (see HTTP_LISTEN and http_url()).

    zones: list of (origin, file) pairs (default: DEFAULT_ZONES).
    extra: YAML text appended at the top level (e.g. a `redis:` section).
    config: a whole config text instead; '{tmp}' is substituted, and
    '{port}' becomes 0 (write "127.0.0.1:{port}" for "any free port").
    """

    def __init__(self, zones=None, workers=2, limits=None, extra="", config=None, v6=None,
                 reserved=()):
        self.reserved = list(reserved)  # ReservedPorts the config names, released once bound
        self._port = None
        self.port6 = None
        self.listening = []
        self.http = {}
        self.tmp = tempfile.mkdtemp(prefix="vmdnsd-test-")
        self.v6 = have_ipv6() if v6 is None else v6
        self.proc = None
        self.config_path = os.path.join(self.tmp, "vmdns.yaml")
        self.log_path = os.path.join(self.tmp, "vmdnsd.log")
        if config is None:
            config = self._default_config(zones or DEFAULT_ZONES, workers, limits, extra)
        else:
            config = config.replace("{port}", "0").replace("{tmp}", self.tmp)
        with open(self.config_path, "w") as f:
            f.write(config)

    @property
    def port(self):
        """The port of the first IPv4 listener, read from the log at start()."""
        if self._port is None:
            raise AttributeError("Vmdnsd.port is known once start() has read it from the log "
                                 "(vmdnsd binds port 0): write port 0 in configs, or reserve "
                                 "one with ReservedPort")
        return self._port

    def _default_config(self, zones, workers, limits, extra):
        listen = ['"127.0.0.1:0"']
        if self.v6:
            listen.append('"[::1]:0"')
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

    def log_text(self):
        """Everything vmdnsd has written to stdout and stderr so far."""
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait_log(self, needle, count=1, timeout=10.0):
        """Wait until `needle` appears `count` times in the log."""
        wait_for(lambda: self.log_text().count(needle) >= count, timeout,
                 what="%d x %r in the log:\n%s" % (count, needle, self.output()))

    def read_ports(self, count=1, timeout=10.0):
        """Wait for the count-th "listening on" line (1: the ready line; a
        reload with new listeners logs another) and take the ports from
        the last one; the HTTP ports from the last line of each endpoint.
        Returns `listening`."""
        def lines():
            found = [parse_listening(l) for l in self.log_text().splitlines()]
            found = [f for f in found if f]
            if len(found) >= count:
                return found
            if self.proc is not None and self.proc.poll() is not None:
                raise ProcessError("vmdnsd exited with %d at startup:\n%s"
                                   % (self.proc.returncode, self.output()))
            return None

        self.listening = wait_for(lines, timeout, what="vmdnsd's listening line")[-1]
        v4 = [p for h, p in self.listening if ":" not in h]
        v6 = [p for h, p in self.listening if h in ("::1", "::")]
        self._port = v4[0] if v4 else self.listening[0][1]
        self.port6 = v6[0] if v6 else None
        for path, listen, port in _HTTP_RE.findall(self.log_text()):
            host = listen.rpartition(":")[0].strip("[]")
            self.http[path] = ("127.0.0.1" if host in ("", "0.0.0.0", "localhost") else host,
                               int(port))
        return self.listening

    def start(self, timeout=15.0, probe="example.com.", option="--config"):
        """Start vmdnsd (`vmdnsd <option> FILE`), read the ports it bound
        from its log and wait until it answers a query on UDP and TCP."""
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [binary("vmdnsd"), option, self.config_path],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=_sanitizer_env(),
        )
        try:
            self.read_ports(timeout=timeout)
        except TimeoutError:
            self.kill()
            raise ProcessError("vmdnsd did not start within %.0fs:\n%s" % (timeout, self.output()))
        finally:
            for r in self.reserved:
                r.release()
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

    def stop(self, sig=signal.SIGTERM, timeout=None, check=True):
        """Stop with `sig`; with check, raise unless it exits 0 within timeout
        (default STOP_TIMEOUT) and printed no sanitizer report."""
        timeout = STOP_TIMEOUT if timeout is None else timeout
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
            for marker in SANITIZER_MARKERS:
                if marker in out:
                    raise ProcessError("vmdnsd sanitizer report:\n%s" % out)
        return rc

    def cleanup(self):
        """Kill if still running and remove the temp dir."""
        for r in self.reserved:
            r.release()
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


class PortInUse(ProcessError):
    """A server exited at startup because its port was taken."""


def startup_failure(proc, log_path, what):
    """The exception for a server that exited while starting: PortInUse
    when its log says the port was taken, else ProcessError with the log."""
    text = _tail(log_path)
    if "Address already in use" in text or "address already in use" in text:
        return PortInUse("%s: port in use:\n%s" % (what, text))
    return ProcessError("%s exited with %d:\n%s" % (what, proc.returncode, text))


def start_on_owned_port(server, port_given, tries=10):
    """Call server.start_once() until it does not fail with PortInUse,
    giving server.port the next owned_port() each time, unless the caller
    chose the port (port_given), in which case the first failure is final."""
    for attempt in range(tries):
        try:
            return server.start_once()
        except PortInUse:
            if port_given or attempt == tries - 1:
                raise
            server.port = owned_port()


class Redis:
    """A throw-away redis-server on a loopback port (no persistence)."""

    def __init__(self, port=None, extra_args=()):
        self.port_given = port is not None
        self.port = port or owned_port()
        self.tmp = tempfile.mkdtemp(prefix="redis-test-")
        self.log_path = os.path.join(self.tmp, "redis.log")
        self.extra_args = list(extra_args)
        self.proc = None

    def start(self, timeout=10.0):
        """Start redis-server and wait until it answers PING (on the next
        owned port if its port was taken)."""
        self.timeout = timeout
        return start_on_owned_port(self, self.port_given)

    def start_once(self):
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", self.tmp] + self.extra_args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

        def ping():  # our server says it listens (not some other one on the port)
            if self.proc.poll() is not None:
                raise startup_failure(self.proc, self.log_path, "redis-server")
            if "Ready to accept connections" not in _tail(self.log_path, 1000):
                return False
            try:
                return self.cli("PING").strip() == "PONG"
            except subprocess.SubprocessError:
                return False

        wait_for(ping, self.timeout, what="redis-server on port %d" % self.port)
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
        cls.port6 = cls.server.port6  # [::1]'s port, None without IPv6

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
