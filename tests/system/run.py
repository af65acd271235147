#!/usr/bin/python3
"""Run petrel's black-box system tests in one process.

    tests/system/run.py                 # every tests/system/test_*.py
    tests/system/run.py test_pop3       # one file (module name)
    tests/system/run.py test_pop3.Pop3Test.test_dele_quit

Prints one line per test (ok / FAIL / skip), the traceback and the tail of
the server log for each failure, and as the last line `N passed, N failed`.
Exit 1 when anything failed. Server logs of failed tests are kept in
tests/artifacts/system/<test id>/.
SPDX-License-Identifier: ISC
"""

import os
import sys
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402


class LineResult(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.passed = 0
        self.failed = 0
        self.failed_ids = set()
        self.t0 = 0

    def startTest(self, test):
        super().startTest(test)
        self.t0 = time.monotonic()

    def _fail(self, test, err):
        self.failed_ids.add(test.id())
        text = "".join(traceback.format_exception(*err))
        print("    " + text.rstrip().replace("\n", "\n    "), flush=True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, err)

    def addError(self, test, err):
        super().addError(test, err)
        self._fail(test, err)
        if not isinstance(test, unittest.TestCase):
            # setUpClass/module errors: no startTest/stopTest around them
            self.failed += 1
            print("FAIL %s" % test.description, flush=True)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.failed_ids.add(("skip", test.id()))
        print("skip %s: %s" % (short(test), reason), flush=True)

    def stopTest(self, test):
        super().stopTest(test)
        tid = test.id()
        dt = time.monotonic() - self.t0
        if ("skip", tid) in self.failed_ids:
            pass
        elif tid in self.failed_ids:
            self.failed += 1
            if hasattr(test, "server_log_tail"):
                tail = test.server_log_tail()
                if tail:
                    print("    " + tail.replace("\n", "\n    "))
            print("FAIL %s (%.1fs)" % (short(test), dt), flush=True)
        else:
            self.passed += 1
            print("ok   %s (%.1fs)" % (short(test), dt), flush=True)
        if hasattr(test, "finish"):
            try:
                test.finish(tid in self.failed_ids)
            except Exception:  # keep going: artifacts are best effort
                traceback.print_exc()


def short(test):
    return test.id().replace("__main__.", "")


def main(argv, top=HERE, label="system"):
    """Run the tests named in argv, or every test_*.py under top (another
    suite, e.g. tests/cluster, reuses this runner and the harness)."""
    loader = unittest.TestLoader()
    if argv:
        suite = unittest.TestSuite(loader.loadTestsFromName(a)
                                   for a in argv)
    else:
        suite = loader.discover(top, pattern="test_*.py", top_level_dir=top)
    if not os.access(harness.PETREL_BIN, os.X_OK):
        print("FAIL %s: no petrel binary at %s" % (label, harness.PETREL_BIN))
        print("0 passed, 1 failed")
        return 1
    print("%s tests: %s" % (label, harness.PETREL_BIN), flush=True)
    result = LineResult()
    t0 = time.monotonic()
    suite.run(result)
    print("%s tests took %.0f s" % (label, time.monotonic() - t0))
    print("%d passed, %d failed" % (result.passed, result.failed))
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
