# SPDX-License-Identifier: BSD-2-Clause
"""redis_harness.py - real Redis deployments for the redis plugin's tests.

The redis plugin is about what happens between vmdnsd and Redis: parallel
loads, the change stream, dropped connections, replicas, Sentinel
failovers, trimmed streams. Its tests (tests/integration/test_redis*.py)
and benchmarks (bench/redis_*) need those deployments for real, on free
loopback ports, started and stopped by the test itself:

  - Node: one redis-server (--save '' --appendonly no) that can be killed
    (SIGKILL, as a crash), restarted on the same port, made a replica;
  - Sentinel: one redis-sentinel watching a master;
  - Proxy: a TCP relay in front of a node, to cut vmdnsd off from it (an
    outage) without losing the node's data;
  - Client: a small RESP client (pipelining, MULTI/EXEC), so writes are
    made the registrar's way - HSET/HDEL plus XADD on the change stream in
    one MULTI/EXEC - and timed precisely;
  - start_vmdnsd(): a vmdnsd whose config has a `redis:` section.

Every process started here is stopped by the object that started it.
"""

import atexit
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import sys
import threading
import time
import traceback

import dns.exception
import dns.message
import dns.rcode

from vmdns_harness import (ProcessError, Vmdnsd, _tail, owned_port, query, start_on_owned_port,
                           startup_failure, udp, unread_bytes, wait_for)

STREAM = "vmdns:changes"

# Every redis-server and redis-sentinel a test starts, until it is stopped: at
# exit, any still running is stopped and named with the test that started it
# (a test that forgets its cleanup must not leave servers behind on the
# machine, and should be found).
_RUNNING = {}


def _started_by():
    """file:line of the test code that started a server."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if os.path.basename(frame.filename).startswith("test_"):
            return "%s:%d %s" % (os.path.basename(frame.filename), frame.lineno, frame.name)
    return "?"


def _track(server, proc):
    _RUNNING[id(server)] = (server, proc, _started_by())


def _untrack(server):
    _RUNNING.pop(id(server), None)


@atexit.register
def _stop_leftovers():
    for server, proc, who in list(_RUNNING.values()):
        if proc.poll() is None:
            sys.stderr.write("redis_harness: %s on port %d, started at %s, was not stopped by "
                             "its test: stopping it\n" % (type(server).__name__, server.port, who))
            proc.kill()
            proc.wait(5)
        shutil.rmtree(server.tmp, ignore_errors=True)


# --------------------------------------------------------------------------
# RESP client


class RespError(Exception):
    """An error reply from Redis."""


class Client:
    """A blocking RESP connection; replies as Python values (bytes decoded
    as UTF-8, nil as None, errors as RespError objects inside pipelines)."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @staticmethod
    def encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def __call__(self, *args):
        """Run one command; raise RespError on an error reply."""
        self.sock.sendall(self.encode(args))
        r = self._reply()
        if isinstance(r, RespError):
            raise r
        return r

    def pipeline(self, commands):
        """Send many commands at once; return their replies (errors as
        RespError values)."""
        self.sock.sendall(b"".join(self.encode(c) for c in commands))
        return [self._reply() for _ in commands]

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("redis closed the connection")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RespError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode("utf-8", "surrogateescape")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise ConnectionError("unexpected reply %r" % line)


# --------------------------------------------------------------------------
# Writes, the registrar's way


def value(a=None, ttl=30, expires=None, **types):
    """A field value in the schema: value(a="10.0.0.1") or value(txt=[...])."""
    v = {}
    if a is not None:
        v["a"] = [{"ip": ip, "ttl": ttl} for ip in ([a] if isinstance(a, str) else a)]
    for k, recs in types.items():
        v[k] = recs
    if expires is not None:
        v["expires"] = int(expires)
    return json.dumps(v, separators=(",", ":"))


def set_commands(zone, name, val, prefix="", suffix="", maxlen=1000000):
    """The MULTI/EXEC of one registrar write (HSET + XADD)."""
    return [
        ["MULTI"],
        ["HSET", prefix + zone + suffix, name, val],
        ["XADD", prefix + STREAM + suffix, "MAXLEN", "~", maxlen, "*",
         "zone", zone, "name", name, "op", "set", "value", val],
        ["EXEC"],
    ]


def register(client, zone, name, val, prefix="", suffix="", maxlen=1000000):
    """Write one name the registrar's way; returns time.monotonic() when
    EXEC returned."""
    replies = client.pipeline(set_commands(zone, name, val, prefix, suffix, maxlen))
    t = time.monotonic()
    for r in replies:
        if isinstance(r, RespError):
            raise r
    return t


def deregister(client, zone, name, prefix="", suffix="", maxlen=1000000):
    """Delete one name the registrar's way (HDEL + XADD op del)."""
    replies = client.pipeline([
        ["MULTI"],
        ["HDEL", prefix + zone + suffix, name],
        ["XADD", prefix + STREAM + suffix, "MAXLEN", "~", maxlen, "*",
         "zone", zone, "name", name, "op", "del", "value", ""],
        ["EXEC"],
    ])
    for r in replies:
        if isinstance(r, RespError):
            raise r


def delete_zone(client, zone, prefix="", suffix=""):
    """Delete a whole zone the registrar's way (DEL + XADD op delzone)."""
    client.pipeline([
        ["MULTI"],
        ["DEL", prefix + zone + suffix],
        ["XADD", prefix + STREAM + suffix, "*", "zone", zone, "name", "@", "op", "delzone",
         "value", ""],
        ["EXEC"],
    ])


def fill_zone(client, zone, items, prefix="", suffix="", batch=1000):
    """HSET many (name, value) pairs at once (a bulk load, no stream entries)."""
    key = prefix + zone + suffix
    items = list(items)
    for i in range(0, len(items), batch):
        chunk = items[i:i + batch]
        args = ["HSET", key]
        for name, val in chunk:
            args += [name, val]
        client(*args)


# --------------------------------------------------------------------------
# Processes


class Node:
    """One redis-server on a fixed loopback port (so it can be restarted
    where vmdnsd expects it), without persistence. The port is the caller's
    or the next owned_port(); on the first start a taken owned port is
    swapped for the next one."""

    def __init__(self, port=None, extra=()):
        self.port_given = port is not None
        self.port = port or owned_port()
        self.extra = list(extra)
        self.tmp = tempfile.mkdtemp(prefix="redis-node-")
        self.log_path = os.path.join(self.tmp, "redis.log")
        self.proc = None
        self.started = False

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port

    def start(self, timeout=10.0, password=None):
        self.timeout, self.password = timeout, password
        start_on_owned_port(self, self.port_given or self.started)
        self.started = True
        return self

    def start_once(self):
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", self.tmp] + self.extra,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        _track(self, self.proc)

        def up():  # our server says it listens (not some other one on the port)
            if self.proc.poll() is not None:
                raise startup_failure(self.proc, self.log_path, "redis-server")
            if "Ready to accept connections" not in _tail(self.log_path, 1000):
                return False
            try:
                with Client(self.port, timeout=0.5) as c:
                    if self.password is not None:
                        c("AUTH", self.password)
                    return c("PING") == "PONG"
            except (OSError, ConnectionError):
                return False

        wait_for(up, self.timeout, what="redis-server on port %d" % self.port)
        return self

    def start_auth(self, password, timeout=10.0):
        """start() for a node with requirepass."""
        return self.start(timeout, password=password)

    def client(self):
        try:
            return Client(self.port)
        except OSError as e:  # say what became of the server
            state = ("exited with %s" % self.proc.returncode
                     if self.proc is not None and self.proc.poll() is not None else "running")
            raise ProcessError("redis-server on port %d (%s): %r\n%s"
                               % (self.port, state, e, _tail(self.log_path))) from e

    def cmd(self, *args):
        """One command on a fresh connection."""
        with self.client() as c:
            return c(*args)

    def replicaof(self, master):
        """Make this node a replica of `master` (a Node, or None for master)
        and, for a replica, wait until it is in sync."""
        if master is None:
            self.cmd("REPLICAOF", "NO", "ONE")
            return
        self.cmd("REPLICAOF", "127.0.0.1", master.port)

        def synced():
            info = self.cmd("INFO", "replication")
            return "master_link_status:up" in info

        wait_for(synced, 10, what="replica on %d in sync" % self.port)

    def wait_replicated(self, master, timeout=5.0):
        """Wait until this replica has everything the master has."""
        def caught_up():
            m = master.cmd("INFO", "replication")
            r = self.cmd("INFO", "replication")
            off = lambda info, key: int(info.split(key + ":")[1].split()[0])
            return off(r, "slave_repl_offset") >= off(m, "master_repl_offset")

        wait_for(caught_up, timeout, what="replica caught up")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL: a crash."""
        if self.alive():
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def cleanup(self):
        self.stop()
        _untrack(self)
        shutil.rmtree(self.tmp, ignore_errors=True)


class Sentinel:
    """One redis-sentinel monitoring `master` (a Node) as `name`, on the
    next owned_port() (the next again if that one is taken)."""

    def __init__(self, master, name="vmdns", down_after_ms=1000, failover_timeout_ms=3000):
        self.port = owned_port()
        self.name = name
        self.master_node = master  # its port is final once it has started
        self.down_after_ms, self.failover_timeout_ms = down_after_ms, failover_timeout_ms
        self.tmp = tempfile.mkdtemp(prefix="redis-sentinel-")
        self.conf = os.path.join(self.tmp, "sentinel.conf")
        self.log_path = os.path.join(self.tmp, "sentinel.log")
        self.proc = None

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port

    def start(self, timeout=10.0):
        self.timeout = timeout
        return start_on_owned_port(self, False)

    def start_once(self):
        name = self.name
        with open(self.conf, "w") as f:  # sentinel rewrites it: write it afresh
            f.write("port %d\nbind 127.0.0.1\ndir %s\n" % (self.port, self.tmp))
            f.write("sentinel monitor %s 127.0.0.1 %d 1\n" % (name, self.master_node.port))
            f.write("sentinel down-after-milliseconds %s %d\n" % (name, self.down_after_ms))
            f.write("sentinel failover-timeout %s %d\n" % (name, self.failover_timeout_ms))
            f.write("sentinel parallel-syncs %s 1\n" % name)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(["redis-sentinel", self.conf], stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        _track(self, self.proc)

        def up():  # "+monitor" comes after the listening socket is bound
            if self.proc.poll() is not None:
                raise startup_failure(self.proc, self.log_path, "redis-sentinel")
            if "+monitor" not in _tail(self.log_path, 1000):
                return False
            try:
                return self.master() is not None
            except (OSError, ConnectionError):
                return False

        wait_for(up, self.timeout, what="redis-sentinel on port %d" % self.port)
        return self

    def cmd(self, *args):
        with Client(self.port) as c:
            return c(*args)

    def master(self):
        """The (host, port) the sentinel calls master now."""
        r = self.cmd("SENTINEL", "get-master-addr-by-name", self.name)
        return None if r is None else (r[0], int(r[1]))

    def failover(self, timeout=30.0):
        """SENTINEL FAILOVER, asked again while the sentinel refuses because it
        has no replica it deems fit yet (NOGOODSLAVE: it has not seen a recent
        INFO from one) or a failover is still settling (INPROG)."""
        def started():
            try:
                self.cmd("SENTINEL", "FAILOVER", self.name)
                return True
            except RespError as e:
                if "NOGOODSLAVE" in str(e) or "INPROG" in str(e):
                    return False
                raise
        wait_for(started, timeout, interval=0.2, what="SENTINEL FAILOVER accepted")

    def wait_replicas_known(self, n, timeout=10.0):
        wait_for(lambda: len(self.cmd("SENTINEL", "replicas", self.name)) >= n, timeout,
                 what="sentinel to know %d replica(s)" % n)

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        _untrack(self)
        shutil.rmtree(self.tmp, ignore_errors=True)


class Proxy:
    """A TCP relay 127.0.0.1:port -> 127.0.0.1:target. cut() drops every
    connection and refuses new ones (an outage); mend() lets them in again."""

    def __init__(self, target_port):
        self.target = target_port
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.port = self.lsock.getsockname()[1]
        self.lock = threading.Lock()
        self.conns = []
        self.open = True
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port

    def _accept(self):
        while not self.stopping:
            r, _, _ = select.select([self.lsock], [], [], 0.1)
            if not r:
                continue
            try:
                client, _ = self.lsock.accept()
            except OSError:
                continue
            with self.lock:
                if not self.open:
                    client.close()
                    continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=2)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a, b):
        socks = [a, b]
        try:
            while not self.stopping:
                r, _, _ = select.select(socks, [], [], 0.1)
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        raise OSError("closed")
                    (b if s is a else a).sendall(data)
        except OSError:
            pass
        finally:
            for s in socks:
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self):
        with self.lock:
            self.open = False
            conns, self.conns = self.conns, []
        for pair in conns:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def mend(self):
        with self.lock:
            self.open = True

    def cleanup(self):
        self.cut()
        self.stopping = True
        self.thread.join(2)
        self.lsock.close()


# --------------------------------------------------------------------------
# vmdnsd with a redis section


def backend_yaml(name, addresses=None, sentinel=None, master="vmdns", prefix=None, suffix=None,
                 extra=""):
    """One `- name: ...` entry of redis.backends."""
    lines = ["    - name: %s" % name]
    if addresses is not None:
        lines.append("      addresses: [%s]" % ", ".join('"%s"' % a for a in addresses))
    if sentinel is not None:
        lines.append("      sentinel: {addresses: [%s], master: %s}"
                     % (", ".join('"%s"' % a for a in sentinel), master))
    if prefix is not None:
        lines.append('      prefix: "%s"' % prefix)
    if suffix is not None:
        lines.append('      suffix: "%s"' % suffix)
    if extra:
        lines.append(extra)
    return "\n".join(lines)


DEFAULTS_YAML = ("  defaults: {soa: {mbox: hostmaster.vm.example.com., ttl: 300, refresh: 3600, "
                 "retry: 600, expire: 86400, minttl: 30}, ns: [ns1.vm.example.com.]}\n")


def redis_config(backends, workers=1, resync="60s", notifications=True, max_backoff="500ms",
                 connect_timeout="300ms", read_timeout="2s", extra=""):
    """A whole vmdnsd config ('{port}' is filled in by Vmdnsd)."""
    return (
        'listen: ["127.0.0.1:{port}"]\n'
        "workers: %d\n"
        "redis:\n"
        "  backends:\n%s\n"
        "  connect_timeout: %s\n"
        "  read_timeout: %s\n"
        "  resync_interval: %s\n"
        "  max_backoff: %s\n"
        "  keyspace_notifications: %s\n"
        "  stream_maxlen: 1000000\n" % (workers, "\n".join(backends), connect_timeout,
                                        read_timeout, resync, max_backoff,
                                        "true" if notifications else "false")
        + DEFAULTS_YAML + extra)


def start_vmdnsd(config, probe="vm.example.com."):
    """Start vmdnsd with this config; it is up once it answers at all."""
    server = Vmdnsd(config=config)
    try:
        server.start(probe=probe)
    except Exception:
        server.cleanup()
        raise
    return server


def ask(port, name, rdtype="A", timeout=1.0):
    """One UDP query; returns the reply (or None on timeout)."""
    try:
        return udp(query(name, rdtype), port, timeout=timeout)
    except (OSError, EOFError, dns.exception.Timeout):
        return None


def answer_set(reply):
    """The rdata texts of the answer section (a set), or None for no reply."""
    if reply is None:
        return None
    return {rd.to_text() for rrset in reply.answer for rd in rrset}


def addresses(port, name, rdtype="A"):
    """The addresses (or rdata texts) answered for name, empty when none."""
    r = ask(port, name, rdtype)
    return answer_set(r) if r is not None and r.rcode() == dns.rcode.NOERROR else set()


def rcode(port, name, rdtype="A"):
    r = ask(port, name, rdtype)
    return None if r is None else r.rcode()


def wait_answer(port, name, want, rdtype="A", timeout=10.0):
    """Wait until `name` answers exactly the set `want` (empty set: no data)."""
    want = set(want)
    wait_for(lambda: addresses(port, name, rdtype) == want, timeout, interval=0.02,
             what="%s %s -> %s" % (name, rdtype, sorted(want)))


def wait_log(server, text, timeout=10.0):
    """Wait until vmdnsd's output contains text."""
    def seen():
        with open(server.log_path, "r", errors="replace") as f:
            return text in f.read()

    wait_for(seen, timeout, what="vmdnsd to log %r" % text)


def log_text(server):
    with open(server.log_path, "r", errors="replace") as f:
        return f.read()


def soa_serial(port, zone):
    r = ask(port, zone, "SOA")
    return r.answer[0][0].serial if r is not None and r.answer else None
