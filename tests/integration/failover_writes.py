# SPDX-License-Identifier: BSD-2-Clause
"""failover_writes.py - registrations under graceful Sentinel failovers.

Issue 13 point 5: a registration that vmdnsctl acknowledged (exit 0) must
survive the failovers that follow it. One master, its replicas and three
sentinels, all real; writer threads run `vmdnsctl register` in a loop
(each a new process: connect through the sentinels, write, WAIT) while
the main thread asks a sentinel for `SENTINEL FAILOVER` again and again,
each time once the previous one has finished (the old master back as an
in-sync replica). Afterwards every acknowledged name must be in the
final master's zone hash.

Used by tests/integration/test_failover_writes.py (asserts 0 lost) and
bench/failover_loss.py (prints the counts, also with --min-replicas 0).
"""

import subprocess
import threading
import time

import redis_harness as rh
from vmdns_harness import binary, wait_for

ZONE = "vm.example.com."
NAME = "vmdns"


def _master_port(sentinels):
    """The port every sentinel names as master, or None while they differ."""
    seen = set()
    for s in sentinels:
        m = s.master()
        seen.add(m[1] if m else None)
    return seen.pop() if len(seen) == 1 else None


def _in_sync(node):
    info = node.cmd("INFO", "replication")
    return "role:slave" in info and "master_link_status:up" in info


def failover_loop(failovers=8, replicas=1, writers=2, min_replicas=None, settle=0.8,
                  log=lambda *a: None, ctl=None):
    """Run the loop; returns a dict of counts and the lost names."""
    nodes = [rh.Node(extra=["--repl-diskless-sync-delay", "0"]).start()
             for _ in range(1 + replicas)]
    sentinels = []
    stop = threading.Event()
    acked, failed, errors = [], [], []
    lock = threading.Lock()
    try:
        for n in nodes[1:]:
            n.replicaof(nodes[0])
        sentinels = [rh.Sentinel(nodes[0], name=NAME, down_after_ms=5000,
                                 failover_timeout_ms=4000).start() for _ in range(3)]
        for s in sentinels:
            s.wait_replicas_known(replicas)
        base = [ctl or binary("vmdnsctl")]
        for s in sentinels:
            base += ["--sentinel", s.addr]
        base += ["--master", NAME, "--timeout", "5s"]
        if min_replicas is not None:
            base += ["--min-replicas", str(min_replicas)]
        subprocess.run(base + ["zone-create", ZONE, "--ns", "ns1.example.com",
                               "--mbox", "hostmaster@example.com"], check=True,
                       capture_output=True, timeout=30)

        def writer(w):
            i = 0
            while not stop.is_set():
                name = "w%d-%d.%s" % (w, i, ZONE)
                p = subprocess.run(base + ["register", name, "--ipv4", "10.%d.%d.%d" %
                                           (w, (i >> 8) & 255, i & 255)],
                                   capture_output=True, text=True, timeout=60)
                with lock:
                    if p.returncode == 0:
                        acked.append(name)
                    else:
                        failed.append(name)
                        errors.append(p.stderr.strip())
                i += 1

        threads = [threading.Thread(target=writer, args=(w,), daemon=True)
                   for w in range(writers)]
        for t in threads:
            t.start()
        t0 = time.monotonic()
        done = 0
        for k in range(failovers):
            time.sleep(settle)
            old = _master_port(sentinels)
            t1 = time.monotonic()
            sentinels[k % 3].failover()  # asked again while the last one settles
            t2 = time.monotonic()
            wait_for(lambda: _master_port(sentinels) not in (None, old), 30, interval=0.05,
                     what="the sentinels to agree on a new master")
            t3 = time.monotonic()
            old_node = next(n for n in nodes if n.port == old)
            # Sentinel turns the old master into a replica when it next
            # looks at it (up to 10-15 s); do what it would do, now, so
            # the loop stays short. Writes the old master took after the
            # promotion are thrown away here, as they would be then.
            time.sleep(0.3)
            if "role:master" in old_node.cmd("INFO", "replication"):
                old_node.cmd("REPLICAOF", "127.0.0.1", _master_port(sentinels))
            wait_for(lambda: _in_sync(old_node), 30, interval=0.1,
                     what="the old master to follow the new one")
            done += 1
            log("failover %d: %d -> %d, %d acknowledged so far (accepted after %.1fs, "
                "switched %.1fs, old master in sync %.1fs)" %
                (done, old, _master_port(sentinels), len(acked), t2 - t1, t3 - t2,
                 time.monotonic() - t3))
        time.sleep(settle)
        stop.set()
        for t in threads:
            t.join(90)
        seconds = time.monotonic() - t0
        master = next(n for n in nodes if n.port == _master_port(sentinels))
        for n in nodes:
            if n is not master:
                wait_for(lambda: _in_sync(n), 30, what="replica in sync")
                n.wait_replicated(master, timeout=30)
        present = set(master.cmd("HKEYS", ZONE))
        lost = [a for a in acked if a[:-len(ZONE) - 1] not in present]
        missing_on_replicas = 0
        for n in nodes:
            if n is not master:
                have = set(n.cmd("HKEYS", ZONE))
                missing_on_replicas += sum(1 for a in acked if a[:-len(ZONE) - 1] not in have)
        return {"failovers": done, "acknowledged": len(acked), "failed": len(failed),
                "lost": len(lost), "lost_names": lost[:20], "errors": errors[:5],
                "missing_on_replicas": missing_on_replicas, "seconds": seconds}
    finally:
        stop.set()
        for s in sentinels:
            s.cleanup()
        for n in nodes:
            n.cleanup()
