#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""bench/failover_loss.py - acknowledged registrations lost in Sentinel failovers.

Issue 13 point 5's figure. A real redis-server master + replica(s) and
three redis-sentinels; writer threads run `vmdnsctl register` in a loop
while `SENTINEL FAILOVER` is asked FAILOVERS times in a row (each once
the previous has settled). Counted afterwards: names whose registration
exited 0 but that are not in the final master's zone hash ("lost").
Run once per --min-replicas mode: `auto` (the default: WAIT on the
replicas, retried on the new master when a failover moves it) and `0`
(no WAIT: the behaviour before issue 13, for comparison). The loop is
tests/integration/failover_writes.py, which the test asserts 0 lost with.

Usage: bench/failover_loss.py [--build DIR] [--failovers 8] [--replicas 1]
                              [--writers 2] [--modes auto,0]
"""

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--failovers", type=int, default=8)
    ap.add_argument("--replicas", type=int, default=1)
    ap.add_argument("--writers", type=int, default=2)
    ap.add_argument("--modes", default="auto,0")
    args = ap.parse_args()
    os.environ["VMDNS_BUILD"] = os.path.abspath(args.build)
    from failover_writes import failover_loop  # noqa: E402 (needs VMDNS_BUILD)

    print("%-13s %9s %12s %7s %5s %8s" % ("min_replicas", "failovers", "acknowledged", "failed",
                                          "lost", "seconds"))
    worst = 0
    for mode in args.modes.split(","):
        r = failover_loop(failovers=args.failovers, replicas=args.replicas,
                          writers=args.writers, min_replicas=None if mode == "auto" else mode)
        print("%-13s %9d %12d %7d %5d %8.1f" % (mode, r["failovers"], r["acknowledged"],
                                                r["failed"], r["lost"], r["seconds"]),
              flush=True)
        if mode == "auto":
            worst = max(worst, r["lost"])
    return 1 if worst else 0


if __name__ == "__main__":
    sys.exit(main())
