"""Runs the integration suites and counts test cases honestly.

    python3 tests/integration/run.py [NAME...]

NAME is a unittest name relative to this folder: a module (test_ops), a class
(test_edges.EdgeTest) or one test (test_cli.BadValueTest.test_exit_2_unknown_flag);
default: every test_*.py here.  The binary is $GATEHOUSE_BIN (see harness.py).

unittest's own summary undercounts: when a class's server does not start,
setUpClass fails once and none of the class's tests run.  Here every test that
did not pass counts as failed, and a class whose server exits with a non-zero
status at the end (tearDownClass: e.g. a leak reported by LeakSanitizer) adds
one failure.  The last line is "integration: N passed, N failed"; the exit
status is 0 only if nothing failed and at least one test ran.
"""

import os
import signal
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


class CountingResult(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed = 0
        self.teardown_errors = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1

    def addError(self, test, err):
        super().addError(test, err)
        # Class- and module-level fixtures are reported through a stand-in
        # "test" whose description names the fixture.
        if not isinstance(test, unittest.TestCase) and "tearDown" in str(test):
            self.teardown_errors += 1


def _interrupt(signum, frame):
    # Unwind like Ctrl-C so that harness.py's atexit hook stops the servers.
    raise KeyboardInterrupt("signal %d" % signum)


def main(argv):
    signal.signal(signal.SIGTERM, _interrupt)
    sys.path.insert(0, HERE)
    loader = unittest.TestLoader()
    if argv:
        suite = loader.loadTestsFromNames(argv)
    else:
        suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    total = suite.countTestCases()
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=CountingResult)
    started = time.monotonic()
    result = runner.run(suite)
    passed = result.passed
    failed = (total - passed) + result.teardown_errors
    if total == 0:
        failed = max(failed, 1)
        print("run.py: no integration tests found", file=sys.stderr)
    print("integration: %d passed, %d failed (%d tests, %.1fs, binary %s)"
          % (passed, failed, total, time.monotonic() - started,
             os.environ.get("GATEHOUSE_BIN", "build/gatehouse")))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
