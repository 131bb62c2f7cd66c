# SPDX-License-Identifier: BSD-2-Clause
"""Runs integration test modules as `python3 -m unittest -v MODULE...` does, and
then prints how long each module and the slowest tests took, so that
scripts/test shows where the suite's minutes go (Python 3.11 has no
--durations)."""
import sys
import time
import unittest

TEST_TIMES = []
MODULE_STARTS = []


class TimedResult(unittest.TextTestResult):
    """A verbose result that records each test's wall time and each module's start."""

    def startTest(self, test):
        module = type(test).__module__
        if not MODULE_STARTS or MODULE_STARTS[-1][1] != module:
            MODULE_STARTS.append((time.monotonic(), module))
        self._started = time.monotonic()
        super().startTest(test)

    def stopTest(self, test):
        super().stopTest(test)
        TEST_TIMES.append((time.monotonic() - self._started, test.id()))


def print_times(end):
    """Prints module times (fixtures included) and the ten slowest tests."""
    print("\ntimes by module (class fixtures included):")
    spans = []
    for i, (start, module) in enumerate(MODULE_STARTS):
        stop = MODULE_STARTS[i + 1][0] if i + 1 < len(MODULE_STARTS) else end
        spans.append((stop - start, module))
    for took, module in sorted(spans, reverse=True):
        print("  %6.1fs  %s" % (took, module))
    print("slowest tests:")
    for took, name in sorted(TEST_TIMES, reverse=True)[:10]:
        print("  %6.1fs  %s" % (took, name))


def main(names):
    """Loads the named modules, runs them verbosely and exits 0 only if all passed."""
    suite = unittest.defaultTestLoader.loadTestsFromNames(names)
    runner = unittest.TextTestRunner(verbosity=2, resultclass=TimedResult)
    result = runner.run(suite)
    print_times(time.monotonic())
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main(sys.argv[1:])
