# SPDX-License-Identifier: BSD-2-Clause
"""netns_harness.py - a small real network in network namespaces, for vmssh.

vmssh (src/vmssh, src/libvmssh) changes a host's firewall and its VMs' DNS
names; the only honest test of that is a real kernel forwarding real
packets to a real sshd. This module builds that network with `ip netns` and
veth pairs, private to one test process, and always takes it down again:

    client ns                host ns                          VM ns k (k = 0..)
    eth0 192.0.2.2/24  ---   eth0 192.0.2.1/24 (external)
                             vmK  10.200.K.1/30   -----------  eth0 10.200.K.2/30
                             route 10.(201+K).0.0/16 via .2    default via 10.200.K.1
                             redis-server 127.0.0.1:6379       local route 10.(201+K).0.0/16
                             vmdnsd 192.0.2.1:53 (VM zone)     sshd (or a TCP server) on :22
                             ip_forward on, vmssh runs here

  - Addresses are documentation (192.0.2.0/24) and 10.200.0.0/13 ranges that
    exist only inside these namespaces: nothing here ever leaves the machine.
    The client has no route to the VM addresses, so what reaches a VM came
    through the host's forward.
  - A VM namespace answers on a whole /16 (a `local` route on lo), so many VM
    addresses (vm_addr(k, i)) can share one namespace and one sshd: 50 or
    5,000 forwards need neither 5,000 namespaces nor 5,000 sshds.
  - Everything is named vmssht-<pid>-<n>-<role>: unique per test process,
    and a later run removes the namespaces of a run whose process is gone.
    Network.close() (also run from atexit and on SIGTERM) kills every
    process left in our namespaces and deletes them.
  - ns_socket() makes a socket inside a namespace (setns on a short-lived
    thread; the socket keeps its namespace), so the test process itself can
    query DNS, connect through a forward and time it without a subprocess.

Where namespaces cannot be made (not root, no CAP_SYS_ADMIN, no `ip`),
Network() raises unittest.SkipTest saying so.
"""

import atexit
import ctypes
import itertools
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

import dns.exception
import dns.message
import dns.query
import dns.rcode

from vmdns_harness import SANITIZER_MARKERS, ProcessError, Vmdnsd, _tail, binary, wait_for

PREFIX = "vmssht-"
ZONE = "vm.example.com."
HOST_EXT_IP = "192.0.2.1"  # the host's external address (public_ipv4 in the vmssh config)
CLIENT_IP = "192.0.2.2"
REDIS_PORT = 6379
DNS_PORT = 53
CLONE_NEWNET = 0x40000000

_libc = ctypes.CDLL(None, use_errno=True)
_seq = itertools.count()
_live = set()  # Networks not yet closed, for atexit / SIGTERM


def run(cmd, check=True, timeout=60, **kw):
    """subprocess.run with text output; raise with stderr on failure when check."""
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise ProcessError("%s: exit %d\n%s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def list_netns():
    """Names of all named network namespaces on the machine."""
    r = run(["ip", "netns", "list"], check=False)
    return [line.split()[0] for line in r.stdout.splitlines() if line.strip()]


def kill_netns(name):
    """SIGKILL every process inside namespace `name`, then delete it."""
    for _ in range(50):
        pids = [int(p) for p in run(["ip", "netns", "pids", name], check=False).stdout.split()]
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)
    run(["ip", "netns", "del", name], check=False)


def remove_stale():
    """Delete namespaces left by test processes that no longer exist."""
    for name in list_netns():
        m = re.match(re.escape(PREFIX) + r"(\d+)-", name)
        if m and not _pid_alive(int(m.group(1))):
            kill_netns(name)


def run_in_ns(ns, fn, *args):
    """fn(*args) on a thread inside network namespace `ns`; its result
    (or its exception). Processes it starts are born in that namespace,
    without the cost of `ip netns exec`."""
    out = {}

    def body():
        try:
            fd = os.open("/run/netns/" + ns, os.O_RDONLY | os.O_CLOEXEC)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, "setns %s: %s" % (ns, os.strerror(err)))
            finally:
                os.close(fd)
            out["value"] = fn(*args)
        except BaseException as e:  # handed to the caller's thread
            out["err"] = e

    t = threading.Thread(target=body)
    t.start()
    t.join()
    if "err" in out:
        raise out["err"]
    return out["value"]


def ns_socket(ns, family=socket.AF_INET, kind=socket.SOCK_STREAM):
    """A new socket in network namespace `ns` (a name under /run/netns)."""
    return run_in_ns(ns, socket.socket, family, kind)


def _check_sanitizer(what, text):
    for marker in SANITIZER_MARKERS:
        if marker in text:
            raise ProcessError("%s printed a sanitizer report:\n%s" % (what, text))


class Netns:
    """One named network namespace of ours."""

    def __init__(self, name):
        self.name = name

    def cmd(self, args):
        return ["ip", "netns", "exec", self.name] + list(args)

    def run(self, args, check=True, timeout=60, **kw):
        """Run a command inside the namespace (text output)."""
        return run(self.cmd(args), check=check, timeout=timeout, **kw)

    def popen(self, args, **kw):
        """Start a command inside the namespace. `ip netns exec` execs it,
        so the Popen's pid is the command's own."""
        return subprocess.Popen(self.cmd(args), **kw)

    def socket(self, family=socket.AF_INET, kind=socket.SOCK_STREAM):
        return ns_socket(self.name, family, kind)

    def connect(self, host, port, timeout=3.0):
        """A TCP connection from this namespace (socket, connected)."""
        s = self.socket()
        s.settimeout(timeout)
        try:
            s.connect((host, port))
        except BaseException:
            s.close()
            raise
        return s

    def connect_time(self, host, port, timeout=3.0):
        """Seconds one TCP connect from this namespace takes (handshake
        done). The socket is then reset (SO_LINGER 0), so thousands of
        samples leave no TIME_WAIT behind."""
        s = self.socket()
        s.settimeout(timeout)
        try:
            t0 = time.perf_counter()
            s.connect((host, port))
            return time.perf_counter() - t0
        finally:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()

    def tcp_state(self, host, port, timeout=2.0):
        """'open', 'refused' or 'timeout' for a TCP connect from here."""
        try:
            self.connect(host, port, timeout).close()
            return "open"
        except ConnectionRefusedError:
            return "refused"
        except (socket.timeout, TimeoutError):
            return "timeout"
        except OSError as e:
            return "error: %s" % e

    def banner(self, host, port, timeout=3.0):
        """The first line a TCP server sends (an sshd's 'SSH-2.0-...')."""
        with self.connect(host, port, timeout) as s:
            data = b""
            while b"\n" not in data and len(data) < 512:
                chunk = s.recv(512)
                if not chunk:
                    break
                data += chunk
            return data.split(b"\n")[0].decode(errors="replace").strip()


class Network:
    """Client, host and `vms` VM namespaces, joined as the module doc draws.

    services: start redis-server and vmdnsd in the host namespace.
    sshd: start an sshd in every VM namespace (else start_tcp_servers()).
    """

    def __init__(self, vms=1, services=True, sshd=True):
        if os.geteuid() != 0:
            raise unittest.SkipTest("network namespaces need root (vmssh tests skipped)")
        for tool in ("ip",):
            if shutil.which(tool) is None:
                raise unittest.SkipTest("no `%s`: cannot build network namespaces" % tool)
        remove_stale()
        self.base = "%s%d-%d-" % (PREFIX, os.getpid(), next(_seq))
        self.tmp = tempfile.mkdtemp(prefix="vmssht-")
        self.procs = []  # (what, Popen, log path)
        self.vmdnsd = None
        self.redis = None
        self.namespaces = []
        _live.add(self)
        try:
            probe = self.base + "c"
            r = run(["ip", "netns", "add", probe], check=False)
            if r.returncode != 0:
                raise unittest.SkipTest("cannot create network namespaces here (%s): vmssh tests "
                                        "skipped" % r.stderr.strip())
            self.namespaces.append(probe)
            self.client = Netns(probe)
            self.host = self._ns("h")
            self.vm = [self._ns("v%d" % k) for k in range(vms)]
            self._wire()
            self.keys()
            if services:
                self.start_redis()
                self.start_vmdnsd()
            if sshd:
                for k in range(vms):
                    self.start_sshd(k)
        except BaseException:
            self.close()
            raise

    # ---- building

    def _ns(self, role):
        name = self.base + role
        run(["ip", "netns", "add", name])
        self.namespaces.append(name)
        return Netns(name)

    def _wire(self):
        c, h = self.client.name, self.host.name
        for ns in [self.client, self.host] + self.vm:
            ns.run(["ip", "link", "set", "lo", "up"])
        run(["ip", "link", "add", "eth0", "netns", h, "type", "veth", "peer", "name", "eth0",
             "netns", c])
        self.host.run(["ip", "addr", "add", HOST_EXT_IP + "/24", "dev", "eth0"])
        self.host.run(["ip", "link", "set", "eth0", "up"])
        self.client.run(["ip", "addr", "add", CLIENT_IP + "/24", "dev", "eth0"])
        self.client.run(["ip", "link", "set", "eth0", "up"])
        self.host.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
        for k, vm in enumerate(self.vm):
            link = "vm%d" % k
            run(["ip", "link", "add", link, "netns", h, "type", "veth", "peer", "name", "eth0",
                 "netns", vm.name])
            self.host.run(["ip", "addr", "add", "10.200.%d.1/30" % k, "dev", link])
            self.host.run(["ip", "link", "set", link, "up"])
            self.host.run(["ip", "route", "add", "10.%d.0.0/16" % (201 + k), "via",
                           "10.200.%d.2" % k])
            vm.run(["ip", "addr", "add", "10.200.%d.2/30" % k, "dev", "eth0"])
            vm.run(["ip", "link", "set", "eth0", "up"])
            vm.run(["ip", "route", "add", "default", "via", "10.200.%d.1" % k])
            vm.run(["ip", "route", "add", "local", "10.%d.0.0/16" % (201 + k), "dev", "lo"])

    @staticmethod
    def vm_addr(k, i):
        """The i-th VM address served by VM namespace k (i < 62,500)."""
        return "10.%d.%d.%d" % (201 + k, i // 250, i % 250 + 1)

    @staticmethod
    def vm_link_addr(k):
        """VM namespace k's own interface address."""
        return "10.200.%d.2" % k

    def _spawn(self, what, ns, args, log_name):
        log_path = os.path.join(self.tmp, log_name)
        with open(log_path, "wb") as log:
            p = ns.popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append((what, p, log_path))
        return p, log_path

    def keys(self):
        """A test host key for the sshds and a client key they authorize."""
        self.host_key = os.path.join(self.tmp, "ssh_host_ed25519_key")
        self.client_key = os.path.join(self.tmp, "id_ed25519")
        for path in (self.host_key, self.client_key):
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "vmssh-test", "-f", path])
        self.authorized = os.path.join(self.tmp, "authorized_keys")
        shutil.copy(self.client_key + ".pub", self.authorized)

    def start_sshd(self, k):
        """A real sshd in VM namespace k, on port 22 of every address there."""
        sshd = shutil.which("sshd") or "/usr/sbin/sshd"
        if not os.path.exists(sshd):
            raise ProcessError("sshd not installed (scripts/setup installs openssh-server)")
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # its privilege separation dir
        cfg = os.path.join(self.tmp, "sshd_config.%d" % k)
        with open(cfg, "w") as f:
            f.write("# vmssh test sshd for VM namespace %d (see netns_harness.py)\n"
                    "ListenAddress 0.0.0.0:22\n"
                    "HostKey %s\n"
                    "AuthorizedKeysFile %s\n"
                    "UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n"
                    "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                    "PidFile none\nMaxStartups 200\nUseDNS no\nLogLevel ERROR\n"
                    % (k, self.host_key, self.authorized))
        self._spawn("sshd in vm%d" % k, self.vm[k], [sshd, "-D", "-e", "-f", cfg],
                    "sshd.%d.log" % k)
        self._wait_listen(self.vm[k], "127.0.0.1", 22, "sshd in vm%d" % k)

    def start_tcp_servers(self, port=22):
        """Instead of sshd: a tiny accept-and-close TCP server on `port` in
        every VM namespace (for connection-latency measurements)."""
        code = ("import socket\n"
                "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                "s.bind(('0.0.0.0', %d)); s.listen(4096)\n"
                "while True:\n"
                "    c, _ = s.accept(); c.close()\n" % port)
        for k, vm in enumerate(self.vm):
            self._spawn("tcp server in vm%d" % k, vm, ["/usr/bin/python3", "-c", code],
                        "tcp.%d.log" % k)
            self._wait_listen(vm, "127.0.0.1", port, "tcp server in vm%d" % k)

    def _wait_listen(self, ns, host, port, what, timeout=10.0):
        proc, log = self.procs[-1][1], self.procs[-1][2]

        def up():
            if proc.poll() is not None:
                raise ProcessError("%s exited with %d:\n%s" % (what, proc.returncode, _tail(log)))
            return ns.tcp_state(host, port, 0.5) == "open"

        wait_for(up, timeout, what=what)

    def start_redis(self):
        """redis-server on 127.0.0.1:6379 in the host namespace (a port of
        our own namespace: nothing else can hold it), with the VM zone."""
        p, log = self._spawn("redis-server", self.host,
                             ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", self.tmp,
                              "--notify-keyspace-events", "KA"], "redis.log")
        self.redis = p

        def up():
            if p.poll() is not None:
                raise ProcessError("redis-server exited:\n" + _tail(log))
            return self.redis_cli("PING", check=False).strip() == "PONG"

        wait_for(up, 10, what="redis-server in the host namespace")
        self.seed_zone()

    def stop_redis(self):
        """Kill redis-server (an outage); start_redis() brings back an empty one."""
        if self.redis is not None and self.redis.poll() is None:
            self.redis.kill()
            self.redis.wait(5)
        self.redis = None

    def redis_cli(self, *args, check=True, stdin=None):
        r = self.host.run(["redis-cli", "-h", "127.0.0.1", "-p", str(REDIS_PORT)]
                          + [str(a) for a in args], check=check, input=stdin)
        return r.stdout

    def seed_zone(self):
        """The VM zone's apex, written the registrar's way."""
        apex = '{"ns":[{"host":"ns1.vm.example.com.","ttl":300}]}'
        self.redis_cli(stdin=redis_tx([["HSET", ZONE, "@", apex],
                                       ["XADD", "vmdns:changes", "*", "zone", ZONE, "name", "@",
                                        "op", "set", "value", apex]]))

    def zone_fields(self):
        """Every field of the VM zone's hash except the apex."""
        out = self.redis_cli("HKEYS", ZONE).split()
        return sorted(f for f in out if f != "@")

    def reset_zone(self):
        """Delete every name of the VM zone (with stream entries), keep the apex."""
        cmds = []
        for f in self.zone_fields():
            cmds += [["HDEL", ZONE, f],
                     ["XADD", "vmdns:changes", "*", "zone", ZONE, "name", f, "op", "del",
                      "value", '""']]
        if cmds:
            self.redis_cli(stdin=redis_tx(cmds))

    def start_vmdnsd(self):
        """vmdnsd in the host namespace on 192.0.2.1:53 (and 127.0.0.1:53),
        serving the VM zone from the Redis there."""
        import redis_harness as rh
        config = rh.redis_config([rh.backend_yaml("vm", ["127.0.0.1:%d" % REDIS_PORT])],
                                 resync="5s")
        config = config.replace('listen: ["127.0.0.1:{port}"]',
                                'listen: ["%s:%d", "127.0.0.1:%d"]'
                                % (HOST_EXT_IP, DNS_PORT, DNS_PORT))
        self.vmdnsd = NsVmdnsd(self.host, config=config)
        try:
            self.vmdnsd.start(probe=ZONE)
        except BaseException:
            self.vmdnsd.cleanup()
            self.vmdnsd = None
            raise

    # ---- asking

    def query(self, name, rdtype="A", timeout=1.0):
        """One UDP query from the client namespace to vmdnsd; the reply or None."""
        msg = dns.message.make_query(name, rdtype)
        s = self.client.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            return dns.query.udp(msg, HOST_EXT_IP, port=DNS_PORT, timeout=timeout, sock=s,
                                 ignore_unexpected=True)
        except (OSError, EOFError, dns.exception.Timeout):
            return None
        finally:
            s.close()

    def rcode(self, name, rdtype="A"):
        r = self.query(name, rdtype)
        return None if r is None else dns.rcode.to_text(r.rcode())

    def answers(self, name, rdtype="A"):
        """The rdata texts answered (a set; empty unless NOERROR)."""
        r = self.query(name, rdtype)
        if r is None or r.rcode() != dns.rcode.NOERROR:
            return set()
        return {rd.to_text() for rrset in r.answer for rd in rrset}

    def dig(self, name, rdtype="A"):
        """`dig` from the client namespace: (status, [answer rdata texts])."""
        out = self.client.run(["dig", "@" + HOST_EXT_IP, "-p", str(DNS_PORT), "+norec",
                               "+time=2", "+tries=1", "+noall", "+comments", "+answer", name,
                               rdtype], check=False).stdout
        m = re.search(r"status: (\w+)", out)
        rdatas = []
        for line in out.splitlines():
            if line and not line.startswith(";"):
                f = line.split(None, 4)
                if len(f) == 5 and f[3] == rdtype:
                    rdatas.append(f[4])
        return (m.group(1) if m else "NOREPLY:" + out), rdatas

    def ssh(self, port, command="echo $SSH_CONNECTION", user="root", host=HOST_EXT_IP,
            timeout=15):
        """ssh -p port user@host command, from the client namespace, with the
        test key (BatchMode, no known_hosts)."""
        return self.client.run(["ssh", "-F", "/dev/null", "-i", self.client_key,
                                "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                                "-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes",
                                "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR",
                                "-p", str(port), "%s@%s" % (user, host), command],
                               check=False, timeout=timeout)

    def ruleset(self):
        """`nft list ruleset` and `iptables-save` of the host namespace, as one text."""
        out = []
        if shutil.which("nft"):
            out.append(self.host.run(["nft", "list", "ruleset"], check=False).stdout)
        if shutil.which("iptables-save"):
            out.append(self.host.run(["iptables-save"], check=False).stdout)
        return "\n".join(out)

    def ruleset_stable(self):
        """ruleset() without what changes by itself (iptables-save's dated
        comment lines, packet counters), for before/after comparisons."""
        text = re.sub(r"counter packets \d+ bytes \d+", "counter", self.ruleset())
        text = re.sub(r"\[\d+:\d+\]", "[0:0]", text)
        return "\n".join(l for l in text.splitlines() if not l.startswith("#"))

    # ---- taking down

    def close(self):
        """Stop every process, delete every namespace and temp file. Idempotent."""
        if self.vmdnsd is not None:
            self.vmdnsd.kill()
            self.vmdnsd.cleanup()
            self.vmdnsd = None
        for _what, p, _log in self.procs:
            if p.poll() is None:
                p.kill()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self.procs = []
        for name in reversed(self.namespaces):
            kill_netns(name)
        self.namespaces = []
        shutil.rmtree(self.tmp, ignore_errors=True)
        _live.discard(self)

    def check_processes(self):
        """Raise if a server we started has died (a killed redis-server
        that a test meant to kill is not counted)."""
        for what, p, log in self.procs:
            if what == "redis-server" and p is not self.redis:
                continue
            if p.poll() is not None:
                raise ProcessError("%s died (rc %s):\n%s" % (what, p.returncode, _tail(log)))
        if self.vmdnsd is not None and not self.vmdnsd.alive():
            raise ProcessError("vmdnsd died:\n" + self.vmdnsd.output())

    def stop_vmdnsd(self):
        """Stop vmdnsd, failing on a crash or sanitizer report."""
        if self.vmdnsd is not None:
            try:
                self.vmdnsd.stop()
            finally:
                self.vmdnsd.cleanup()
                self.vmdnsd = None


def redis_tx(commands):
    """redis-cli stdin text running `commands` in one MULTI/EXEC."""
    def quote(a):
        return '"%s"' % str(a).replace("\\", "\\\\").replace('"', '\\"')
    lines = ["MULTI"] + [" ".join(quote(a) for a in c) for c in commands] + ["EXEC"]
    return "\n".join(lines) + "\n"


class NsVmdnsd(Vmdnsd):
    """Vmdnsd (vmdns_harness) run inside a namespace: the same log reading,
    stop and sanitizer checks; the readiness probe is sent from inside."""

    def __init__(self, ns, **kw):
        super().__init__(**kw)
        self.ns = ns

    def start(self, timeout=15.0, probe=ZONE, option="--config"):
        from vmdns_harness import _sanitizer_env
        self.log = open(self.log_path, "wb")
        self.proc = self.ns.popen([binary("vmdnsd"), option, self.config_path],
                                  stdin=subprocess.DEVNULL, stdout=self.log,
                                  stderr=subprocess.STDOUT, env=_sanitizer_env())
        try:
            self.read_ports(timeout=timeout)
        except TimeoutError:
            self.kill()
            raise ProcessError("vmdnsd did not start within %.0fs:\n%s" % (timeout, self.output()))
        msg = dns.message.make_query(probe, "SOA")

        def answers():
            if self.proc.poll() is not None:
                raise ProcessError("vmdnsd exited with %d:\n%s" % (self.proc.returncode,
                                                                   self.output()))
            s = self.ns.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                r = dns.query.udp(msg, "127.0.0.1", port=DNS_PORT, timeout=0.3, sock=s)
                return r.rcode() == dns.rcode.NOERROR and r.answer
            except (OSError, EOFError, dns.exception.Timeout):
                return False
            finally:
                s.close()

        wait_for(answers, timeout, what="vmdnsd to serve %s" % probe)
        return self


# --------------------------------------------------------------------------
# vmssh


VMSSH_SOURCE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "src", "vmssh")


def vmssh_binary():
    """The built vmssh; SkipTest while the tree has no vmssh at all."""
    if not os.path.isdir(VMSSH_SOURCE):
        raise unittest.SkipTest("this tree has no src/vmssh yet")
    return binary("vmssh")


def config_yaml(backend, state_dir, port_range="30000-39999", lease=None, extra="",
                external_interface="eth0"):
    """A vmssh config for the host namespace."""
    lines = ["# written by tests/integration/netns_harness.py",
             "backend: %s" % backend,
             "external_interface: %s" % external_interface,
             "port_range: %s" % port_range,
             "vm_ssh_port: 22",
             "public_ipv4: %s" % HOST_EXT_IP,
             "state_dir: %s" % state_dir,
             "dns:",
             '  redis: ["127.0.0.1:%d"]' % REDIS_PORT,
             "  ttl: 30"]
    if lease is not None:
        lines.append("  lease: %s" % lease)
    return "\n".join(lines) + "\n" + extra


OPEN_RE = re.compile(r"ssh -p (\d+) (\S+)@(\S+)")


class Vmssh:
    """Runs the vmssh CLI in a Network's host namespace with one config."""

    def __init__(self, net, backend, **config):
        self.net = net
        self.backend = backend
        self.exe = vmssh_binary()
        self.dir = tempfile.mkdtemp(prefix="cfg-", dir=net.tmp)
        self.state_dir = os.path.join(self.dir, "state")
        os.makedirs(self.state_dir)
        self.path = os.path.join(self.dir, "vmssh.yaml")
        self.write(**config)

    def write(self, **config):
        """(Re)write the config file with these config_yaml() arguments."""
        with open(self.path, "w") as f:
            f.write(config_yaml(self.backend, self.state_dir, **config))

    def argv(self, *args):
        return self.net.host.cmd([self.exe, "--config", self.path] + [str(a) for a in args])

    def env(self, fail_at=None, extra=None):
        from vmdns_harness import _sanitizer_env
        env = _sanitizer_env()
        env.pop("VMSSH_FAIL_AT", None)
        env.pop("VMSSH_TEST", None)
        if fail_at is not None:  # honoured only with VMSSH_TEST=1 (a test-only switch)
            env["VMSSH_FAIL_AT"] = fail_at
            env["VMSSH_TEST"] = "1"
        env.update(extra or {})
        return env

    def __call__(self, *args, fail_at=None, timeout=60, raw=False, env=None):
        """Run `vmssh --config F args...`; the CompletedProcess (never raises
        on exit status, but does on a sanitizer report). env: variables to
        add (e.g. a PATH with failing stand-ins for nft or iptables)."""
        cmd = self.argv(*args)
        if raw:  # args are the whole command line after the program name
            cmd = self.net.host.cmd([self.exe] + [str(a) for a in args])
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           env=self.env(fail_at, env))
        _check_sanitizer("vmssh " + " ".join(map(str, args)), r.stderr)
        return r

    def popen(self, *args, fail_at=None):
        return subprocess.Popen(self.argv(*args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env(fail_at),
                                start_new_session=True)

    def open(self, vm, ip, name=None, user="root", lease=None, fail_at=None, env=None):
        args = ["open", vm, "--vm-ip", ip, "--name", name or fqdn(vm), "--user", user]
        if lease is not None:
            args += ["--lease", lease]
        return self(*args, fail_at=fail_at, env=env)

    def failing_path(self, program, condition):
        """A PATH whose `program` is a stand-in that fails (exit 1, one line
        on stderr, stdin read) when the shell `condition` on its arguments
        holds, and runs the real one otherwise: a real failure of the
        firewall command, without help from vmssh's test hooks."""
        real = shutil.which(program, path="/usr/sbin:/usr/bin:/sbin:/bin")
        d = tempfile.mkdtemp(prefix="shim-", dir=self.dir)
        with open(os.path.join(d, program), "w") as f:
            f.write("#!/bin/sh\n# test stand-in for %s (netns_harness.py)\n"
                    "if %s; then\n  cat >/dev/null\n"
                    "  echo \"%s: injected failure by the test\" >&2\n  exit 1\nfi\n"
                    "exec %s \"$@\"\n" % (program, condition, program, real))
        os.chmod(os.path.join(d, program), 0o755)
        return {"PATH": d + ":" + os.environ.get("PATH", "/usr/sbin:/usr/bin")}

    def open_ok(self, vm, ip, **kw):
        """open, which must succeed; returns the host port it printed."""
        r = self.open(vm, ip, **kw)
        if r.returncode != 0:
            raise AssertionError("vmssh open %s failed (%d):\n%s%s" % (vm, r.returncode, r.stdout,
                                                                      r.stderr))
        return parse_open(r.stdout)[0]

    def close(self, vm, fail_at=None):
        return self("close", vm, fail_at=fail_at)

    def list(self):
        """`vmssh list` as {vm: (port, address, name)} (fields found by shape)."""
        r = self("list")
        if r.returncode != 0:
            raise AssertionError("vmssh list failed (%d): %s" % (r.returncode, r.stderr))
        return parse_list(r.stdout)


def fqdn(vm):
    return "%s.%s" % (vm, ZONE.rstrip("."))


def parse_open(stdout):
    """(port, user, name) from open's 'ssh -p PORT USER@NAME' line."""
    m = OPEN_RE.search(stdout)
    if not m:
        raise AssertionError("no 'ssh -p PORT USER@NAME' line in open's output:\n" + stdout)
    return int(m.group(1)), m.group(2), m.group(3)


_IPV4_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def parse_list(stdout):
    """{vm: (port, address, name)} from `list` lines: one VM a line,
    whitespace-separated, the VM id first; the port is the number, the
    address the IPv4 literal, the name the token with a dot that is not
    an address. A header line (no port) is ignored."""
    out = {}
    for line in stdout.splitlines():
        f = line.split()
        if not f:
            continue
        ports = [x for x in f[1:] if x.isdigit()]
        addrs = [x for x in f[1:] if _IPV4_RE.match(x)]
        names = [x for x in f[1:] if "." in x and not _IPV4_RE.match(x)]
        if not ports:
            continue
        out[f[0]] = (int(ports[0]), addrs[0] if addrs else None,
                     names[0].rstrip(".") if names else None)
    return out


def ruleset_items(text):
    """A ruleset text as items: its lines, except that the elements of an
    nft set or map (`elements = { a, b, ... }`, over one or more lines) are
    one item each, so that one VM's element compares on its own."""
    items, in_elems = [], False
    for line in text.splitlines():
        body = line
        if "elements = {" in line:
            in_elems, body = True, line.split("elements = {", 1)[1]
        if not in_elems:
            items.append(line)
            continue
        if "}" in body:
            in_elems, body = False, body.rsplit("}", 1)[0]
        items += [e.strip() for e in body.split(",") if e.strip()]
    return items


def traces(text, vm, ip=None, port=None):
    """Items (ruleset_items) of a ruleset text that mention the VM id, its
    address or its port."""
    pats = [re.escape(vm) + r"(?![\w-])"]
    if ip:
        pats.append(r"(?<![\d.])" + re.escape(ip) + r"(?![\d])")
    if port:
        pats.append(r"(?<![\d.])%d(?![\d])" % port)
    rx = re.compile("|".join(pats))
    return [item for item in ruleset_items(text) if rx.search(item) and not item.startswith("#")]


def session_pids(sid):
    """Pids of the processes still running in session `sid` (a killed vmssh's
    children). Zombies are done: an orphan waits for its reaper (pid 1 here
    may take a second), but it changes nothing any more."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] not in ("Z", "X"):  # state ppid pgrp session
            pids.append(int(d))
    return pids


def percentile(values, p):
    """The p-th percentile (nearest rank) of a list of numbers."""
    if not values:
        return float("nan")
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def _cleanup_all():
    for net in list(_live):
        net.close()


def _on_sigterm(signum, frame):
    _cleanup_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


atexit.register(_cleanup_all)
if threading.current_thread() is threading.main_thread():
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _on_sigterm)

__all__ = ["Network", "Netns", "Vmssh", "ZONE", "HOST_EXT_IP", "CLIENT_IP", "fqdn", "traces",
           "parse_open", "parse_list", "percentile", "session_pids"]
