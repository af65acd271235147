#!/usr/bin/python3
"""Queue relay (issue 9): bench/queue/bench.sh's petrel side (N messages
waiting in the queue, relayed to smtp-sink through a transport-map route)
with the embedded queue for each --bin (e.g. a build from before a change
next to this one) and with the queue in PostgreSQL (one node, this tree's
petrel: leases, bodies copied out of the rows, cluster-wide connection
slots), interleaved for --rounds rounds so that a loaded machine shifts
them alike. PostgreSQL runs from Debian's binaries in a temporary
directory (tests/cluster/pgserver.py), a fresh schema per run; run as
root. Prints one line per run: time, load average, setup, bench.sh's row.

    bench/queue/relay.py [--messages N] [--rounds R] [--bin PATH]...
SPDX-License-Identifier: ISC
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(TOP, "tests", "cluster"),
                os.path.join(TOP, "tests", "system")]

import pgserver  # noqa: E402


def run(label, binary, messages, conf=""):
    env = dict(os.environ, PETREL_BIN=binary, ONLY="petrel",
               PETREL_CONF=conf)
    when = time.strftime("%H:%M:%S")
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    p = subprocess.run(["bash", os.path.join(HERE, "bench.sh"),
                        str(messages)], env=env, capture_output=True,
                       text=True, timeout=1800)
    rows = [ln for ln in p.stdout.splitlines() if ln.startswith("| petrel")]
    print(when, "load", load, label, rows[0] if rows else
          "FAILED: " + (p.stdout + p.stderr)[-1000:], flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bin", action="append", default=[])
    a = ap.parse_args()
    here_bin = os.environ.get("PETREL_BIN", os.path.join(TOP, "petrel"))
    bins = a.bin or [here_bin]
    work = tempfile.mkdtemp(prefix="petrel-relay-")
    pg = pgserver.PgServer(work).start()
    try:
        for _ in range(a.rounds):
            for b in bins:
                run("embedded " + b, b, a.messages)
            pg.sql("DROP SCHEMA public CASCADE; "
                   "CREATE SCHEMA public AUTHORIZATION %s;" % pg.user)
            run("postgresql " + here_bin, here_bin, a.messages,
                "store = %s" % pg.url)
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
