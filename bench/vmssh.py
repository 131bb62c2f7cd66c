#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""bench/vmssh.py - vmssh at 5,000 VMs on one host, per firewall backend.

Issue 9's benchmark. For each backend (nft, iptables), on networks of
network namespaces built by tests/integration/netns_harness.py (nothing
leaves the machine; everything is removed at the end, also on failure):

  - network B: the host gets VMS VMs opened (`vmssh open`, one VM address
    each, all routed to one VM namespace whose TCP server accepts on :22 of
    every address); network A, built the same way, keeps one VM open;
  - open+close: SAMPLES more VMs (or as many as fit in MAX_SAMPLE_SECONDS)
    opened and closed one after another on A (1 VM open) and on B (VMS open): wall time of each `vmssh open` and
    `vmssh close` process (fork+exec included; run from a thread inside the
    host namespace, so `ip netns exec` costs nothing), p50/p99;
  - connect latency: CONNECTS TCP connects from each client namespace
    through a forward, taking turns between A and B so that both see the
    same machine load (the machine has 2 shared cores): on B to the first
    VM opened, to the last one, and to random VMs; p50/p99 of each, and B's
    over A's (random VMs) as the "extra latency".

Targets (issue 9): nft open p99 < 20 ms at 5,000 VMs; connect latency at
5,000 VMs within 10% of that with one. iptables figures are printed beside.

How the VMS VMs get there: `--fill vmssh` opens them with the CLI (the
honest way; the open time is sampled along the way) for up to
MAX_FILL_SECONDS (iptables: then loads the rest by restore); `--fill
restore` opens one with the CLI and loads the rest in one batch shaped
exactly like it
(iptables-restore --noflush, and the Redis names the registrar's way;
iptables only: nft's maps are keyed by a hash of the VM id only vmssh
computes): `vmssh list` must then show all VMS. The default is vmssh for nft
and restore for iptables, whose per-open cost grows with the ruleset
(the sampled opens at VMS are real CLI opens either way).

Usage: bench/vmssh.py [--vmssh PATH] [--vms 5000] [--samples 200]
                      [--connects 3000] [--backends nft,iptables]
                      [--fill auto|vmssh|restore] [--jobs 2] [--max-fill-seconds 300]
                      [--max-sample-seconds 120] [--priority NICE] [--json FILE]
Needs root (network namespaces), a built vmssh and vmdnsd (VMDNS_BUILD or
--build, default build/), redis-server, sshd not needed.
"""

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import netns_harness as nh  # noqa: E402


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


class Host:
    """One bench network: client, host (redis, vmdnsd, vmssh), one VM ns
    with an accept-and-close server on :22 of every VM address."""

    def __init__(self, backend, exe):
        self.net = nh.Network(vms=1, services=True, sshd=False)
        self.net.start_tcp_servers(22)
        self.cfg = nh.Vmssh(self.net, backend)
        self.exe = exe
        self.backend = backend
        self.open_vms = {}  # vm -> (ip, port)
        self.next = 0

    def argv(self, *args):
        return [self.exe, "--config", self.cfg.path] + [str(a) for a in args]

    def new_vm(self):
        i = self.next
        self.next += 1
        return "vm-%05d" % i, nh.Network.vm_addr(0, i)

    def _timed(self, *args):
        """Run vmssh; (wall seconds, stdout). The CPU time it and its
        children (nft, iptables) used is added to self.last_cpu."""
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        r = subprocess.run(self.argv(*args), capture_output=True, text=True, timeout=120)
        dt = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.last_cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        if r.returncode != 0:
            raise RuntimeError("vmssh %s: exit %d: %s" % (" ".join(map(str, args)), r.returncode,
                                                         r.stderr.strip()))
        return dt, r.stdout

    def open_one(self, vm, ip):
        dt, out = self._timed("open", vm, "--vm-ip", ip, "--name", nh.fqdn(vm))
        return dt, nh.parse_open(out)[0]

    def in_host(self, fn, *args):
        return nh.run_in_ns(self.net.host.name, fn, *args)

    def fill_vmssh(self, n, jobs, deadline):
        """Open VMs with the CLI until n are open (jobs at a time); the
        open times, in order."""
        lock = threading.Lock()
        times = []

        def worker():
            while time.monotonic() < deadline:
                with lock:
                    if len(self.open_vms) + self._claimed >= n:
                        return
                    self._claimed += 1
                    vm, ip = self.new_vm()
                try:
                    dt, port = self.open_one(vm, ip)
                finally:
                    with lock:
                        self._claimed -= 1
                with lock:
                    self.open_vms[vm] = (ip, port)
                    times.append((len(self.open_vms), dt))

        self._claimed = 0
        threads = [threading.Thread(target=self.in_host, args=(worker,)) for _ in range(jobs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return times

    def fill_restore(self, n):
        """Until n VMs are open: open one with the CLI if none is, then load
        the rest in one batch shaped exactly like the first one."""
        if not self.open_vms:
            vm0, ip0 = self.new_vm()
            _dt, port0 = self.in_host(self.open_one, vm0, ip0)
            self.open_vms[vm0] = (ip0, port0)
        vm0 = next(iter(self.open_vms))
        ip0, port0 = self.open_vms[vm0]
        name0 = nh.fqdn(vm0)
        host = self.net.host
        used = {port for _ip, port in self.open_vms.values()}
        ports = (p for p in range(30000, 40000) if p not in used)
        batch = []
        for _ in range(n - len(self.open_vms)):
            vm, ip = self.new_vm()
            batch.append((vm, ip, next(ports)))
        if not batch:
            return

        def subst(text, vm, ip, port):
            out = text.replace(name0, nh.fqdn(vm)).replace(vm0, vm)
            out = re.sub(r"(?<![\d.])%s(?![\d])" % re.escape(ip0), ip, out)
            return re.sub(r"(?<![\d.])%d(?![\d])" % port0, str(port), out)

        if self.backend != "iptables":
            raise RuntimeError("fill by restore is for the iptables backend only")
        saved = host.run(["iptables-save"]).stdout
        tables, cur = {}, None
        for line in saved.splitlines():
            if line.startswith("*"):
                cur = line
            elif line.startswith("-A") and nh.traces(line, vm0, ip0, port0):
                tables.setdefault(cur, []).append(line)
        text = []
        for table, lines in tables.items():
            text.append(table)
            for vm, ip, port in batch:
                text += [subst(l, vm, ip, port) for l in lines]
            text.append("COMMIT")
        host.run(["iptables-restore", "--noflush"], input="\n".join(text) + "\n",
                 timeout=600)
        # the names, the registrar's way (as vm0's, with the new port and name)
        vals = {f: self.net.redis_cli("HGET", nh.ZONE, f).strip()
                for f in (vm0, "_ssh._tcp." + vm0)}
        cmds = []
        for vm, ip, port in batch:
            for f, v in vals.items():
                nf, nv = subst(f, vm, ip, port), subst(v, vm, ip, port)
                cmds += [["MULTI"], ["HSET", nh.ZONE, nf, nv],
                         ["XADD", "vmdns:changes", "*", "zone", nh.ZONE, "name", nf, "op", "set",
                          "value", nv], ["EXEC"]]
        self.net.redis_cli(stdin=_cli_lines(cmds))
        for vm, ip, port in batch:
            self.open_vms[vm] = (ip, port)

    def open_close_samples(self, m, max_seconds, priority=0):
        """Up to m VMs opened then closed, for at most max_seconds (at least
        5 samples); ([open s], [close s], [open's CPU s]). Sequential, on
        one thread: nothing else of ours runs meanwhile."""
        def body():
            if priority:  # this thread's nice value (Linux: per thread), inherited by vmssh
                os.setpriority(os.PRIO_PROCESS, 0, priority)
            opens, closes, cpu = [], [], []
            deadline = time.monotonic() + max_seconds
            for k in range(m):
                if k >= 5 and time.monotonic() > deadline:
                    break
                vm, ip = self.new_vm()
                dt, _port = self.open_one(vm, ip)
                opens.append(dt)
                cpu.append(self.last_cpu)
                dt, _out = self._timed("close", vm)
                closes.append(dt)
            return opens, closes, cpu
        return self.in_host(body)

    def close(self):
        self.net.close()


def _cli_lines(cmds):
    def quote(a):
        return '"%s"' % str(a).replace("\\", "\\\\").replace('"', '\\"')
    return "".join(" ".join(quote(a) for a in c) + "\n" for c in cmds)


def connect_samples(pairs, n):
    """Take turns over the (label, Netns, port-chooser) in `pairs`, n
    connects each; {label: [seconds]}."""
    out = {label: [] for label, _ns, _pick in pairs}
    for _ in range(n):
        for label, ns, pick in pairs:
            out[label].append(ns.connect_time(nh.HOST_EXT_IP, pick()))
    return out


def ms(v):
    return "%.2f" % (v * 1000)


def us(v):
    return "%.0f" % (v * 1e6)


def p(values, q):
    return nh.percentile(values, q)


def bench_backend(backend, args):
    log("%s: building the networks" % backend)
    a = Host(backend, args.vmssh)
    b = None
    try:
        b = Host(backend, args.vmssh)
        vm, ip = a.new_vm()
        _dt, port_a = a.in_host(a.open_one, vm, ip)
        a.open_vms[vm] = (ip, port_a)

        fill = args.fill if args.fill != "auto" else ("vmssh" if backend == "nft" else "restore")
        if backend == "nft" and fill == "restore":
            raise SystemExit("--fill restore is for iptables only (nft's maps are keyed by a "
                             "hash of the VM id that only vmssh computes)")
        t0 = time.monotonic()
        log("%s: filling to %d VMs (%s)" % (backend, args.vms, fill))
        fill_times = []
        if fill == "vmssh":
            fill_times = b.fill_vmssh(args.vms, args.jobs, time.monotonic() + args.max_fill_seconds)
            if len(b.open_vms) < args.vms and backend != "nft":
                log("%s: %d VMs opened with the CLI in %.0f s; loading the other %d by restore"
                    % (backend, len(b.open_vms), time.monotonic() - t0,
                       args.vms - len(b.open_vms)))
                fill = "vmssh %d + restore %d" % (len(b.open_vms), args.vms - len(b.open_vms))
                b.fill_restore(args.vms)
        else:
            b.fill_restore(args.vms)
        fill_s = time.monotonic() - t0
        listed = b.in_host(lambda: subprocess.run(b.argv("list"), capture_output=True, text=True,
                                                  timeout=300).stdout)
        n_open = len(nh.parse_list(listed))
        log("%s: %d VMs open after %.0f s (vmssh list shows %d)" % (backend, len(b.open_vms),
                                                                     fill_s, n_open))

        log("%s: %d open+close samples at 1 and at %d VMs" % (backend, args.samples, n_open))
        oa, ca, cpua = a.open_close_samples(args.samples, args.max_sample_seconds, args.priority)
        ob, cb, cpub = b.open_close_samples(args.samples, args.max_sample_seconds, args.priority)
        if len(ob) < args.samples:
            log("%s: only %d open+close samples at %d VMs in %.0f s" % (backend, len(ob), n_open,
                                                                      args.max_sample_seconds))

        log("%s: %d connects per series" % (backend, args.connects))
        vms_b = list(b.open_vms.values())
        first_b = vms_b[0][1]
        last_b = vms_b[-1][1]  # the newest: last in a chain
        rnd = random.Random(7)
        # warm up (ARP, conntrack, caches)
        connect_samples([("a", a.net.client, lambda: port_a),
                         ("b", b.net.client, lambda: first_b)], 50)
        lat = connect_samples([
            ("1 VM", a.net.client, lambda: port_a),
            ("first", b.net.client, lambda: first_b),
            ("last", b.net.client, lambda: last_b),
            ("random", b.net.client, lambda: rnd.choice(vms_b)[1]),
        ], args.connects)
        return {
            "backend": backend, "fill": fill, "fill_s": fill_s, "open_n": n_open,
            "fill_times": fill_times,
            "open1": oa, "close1": ca, "openN": ob, "closeN": cb, "lat": lat,
            "cpu1": cpua, "cpuN": cpub,
        }
    finally:
        log("%s: taking the networks down" % backend)
        a.close()
        if b is not None:
            b.close()


def report(results, args):
    print()
    print("vmssh benchmark: %d VMs per host, %d open+close samples, %d connects per series%s"
          % (args.vms, args.samples, args.connects,
             ", timed runs at nice %d" % args.priority if args.priority else ""))
    print("(open/close: wall time of one vmssh process; connect: TCP handshake from the client "
          "namespace through the host's forward)")
    print()
    print("%-9s %5s %7s | %-24s | %-24s %-24s %-24s | %s" % (
        "backend", "VMs", "samples", "open, 1 VM open", "open, N open", "close, N open",
        "open+close, N", "open CPU ms, 1 VM | N"))
    for r in results:
        oc = [o + c for o, c in zip(r["openN"], r["closeN"])]
        cells = ["p50 %6s p99 %6s ms" % (ms(p(v, 50)), ms(p(v, 99)))
                 for v in (r["open1"], r["openN"], r["closeN"], oc)]
        print("%-9s %5d %7d | %s | %s %s %s | p50 %s p99 %s | p50 %s p99 %s" % (
            r["backend"], r["open_n"], len(r["openN"]), *cells,
            ms(p(r["cpu1"], 50)), ms(p(r["cpu1"], 99)), ms(p(r["cpuN"], 50)),
            ms(p(r["cpuN"], 99))))
    print()
    print("%-9s %5s | %-23s | %-23s %-23s %-23s | %s" % (
        "backend", "VMs", "connect, 1 VM open", "N: first VM", "N: newest VM", "N: random VMs",
        "random / 1 VM (p50, p99)"))
    for r in results:
        lat = r["lat"]
        one, rnd = lat["1 VM"], lat["random"]
        cells = ["p50 %5s p99 %6s us" % (us(p(v, 50)), us(p(v, 99)))
                 for v in (one, lat["first"], lat["last"], rnd)]
        print("%-9s %5d | %s | %s %s %s | %.3f, %.3f" % (
            r["backend"], r["open_n"], *cells, p(rnd, 50) / p(one, 50), p(rnd, 99) / p(one, 99)))
    print()
    for r in results:
        line = "%s: %d VMs loaded by %s in %.0f s" % (r["backend"], r["open_n"], r["fill"],
                                                      r["fill_s"])
        ft = r["fill_times"]
        if ft:
            steps = []
            for k in range(0, len(ft), max(1, len(ft) // 5)):
                chunk = [dt for _n, dt in ft[k:k + 100]]
                steps.append("%d: %s" % (ft[k][0], ms(p(chunk, 50))))
            line += "; CLI open p50 ms along the way (VMs open: ms) " + ", ".join(steps)
        print(line)
    print()
    for r in results:
        if r["backend"] != "nft":
            continue
        p99 = p(r["openN"], 99)
        ratio = p(r["lat"]["random"], 50) / p(r["lat"]["1 VM"], 50)
        print("target: nft open p99 < 20 ms at %d VMs: %s ms -> %s"
              % (r["open_n"], ms(p99), "PASS" if p99 < 0.020 else "FAIL"))
        print("target: nft connect p50 at %d VMs within 10%% of 1 VM: ratio %.3f -> %s"
              % (r["open_n"], ratio, "PASS" if ratio <= 1.10 else "FAIL"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vmssh", help="vmssh binary (default: built under --build)")
    ap.add_argument("--build", default=os.environ.get("VMDNS_BUILD", os.path.join(ROOT, "build")))
    ap.add_argument("--vms", type=int, default=5000)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--connects", type=int, default=3000)
    ap.add_argument("--backends", default="nft,iptables")
    ap.add_argument("--fill", choices=["auto", "vmssh", "restore"], default="auto")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--max-fill-seconds", type=float, default=300,
                    help="CLI fill time per backend; the rest is loaded by restore")
    ap.add_argument("--max-sample-seconds", type=float, default=120,
                    help="time for the open+close samples of one network")
    ap.add_argument("--priority", type=int, default=0,
                    help="nice value of the timed vmssh runs (e.g. -10 on a shared, busy box)")
    ap.add_argument("--json", help="also write the raw results here")
    args = ap.parse_args()
    os.environ["VMDNS_BUILD"] = os.path.abspath(args.build)
    if args.vmssh is None:
        args.vmssh = nh.vmssh_binary()
    if args.vms > 9000:
        ap.error("--vms: at most 9000 (the port range holds 10,000 ports)")
    results = []
    for backend in args.backends.split(","):
        results.append(bench_backend(backend, args))
        report(results[-1:], args)  # each backend's figures as soon as they are known
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f)
    if len(results) > 1:
        print("\n==== all backends")
        report(results, args)


if __name__ == "__main__":
    main()
