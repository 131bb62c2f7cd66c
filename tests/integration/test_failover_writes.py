# SPDX-License-Identifier: BSD-2-Clause
"""test_failover_writes.py - nothing acknowledged is lost (issue 13.5).

Eight graceful `SENTINEL FAILOVER`s under a `vmdnsctl register` loop
(real redis-server master + replica, three redis-sentinels): every name
whose registration exited 0 is in the zone hash afterwards, on the master
and on the replica. The loop itself is in failover_writes.py (shared with
bench/failover_loss.py).
"""

import unittest

from failover_writes import failover_loop


class FailoverWritesTest(unittest.TestCase):
    def test_no_acknowledged_write_lost(self):
        r = failover_loop(failovers=8, replicas=1, writers=2)
        print("\nfailover loop: %r" % {k: v for k, v in r.items() if k != "lost_names"})
        self.assertEqual(r["failovers"], 8)
        self.assertGreater(r["acknowledged"], 100, r)
        self.assertEqual(r["lost"], 0, "acknowledged but lost: %r" % r["lost_names"])
        self.assertEqual(r["missing_on_replicas"], 0, r)


if __name__ == "__main__":
    unittest.main()
