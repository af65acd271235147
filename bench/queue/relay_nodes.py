#!/usr/bin/python3
"""Queue relay on 1, 2 and 3 cluster nodes (issue 9): N messages waiting in
the queue in PostgreSQL, relayed to smtp-sink on loopback through a
transport-map route by K `petrel serve` nodes started together on the
same database; seconds from the start to the sink's last message, and how
many messages each node leased (its log's lease claims), to see how the
backlog spread. The node counts are interleaved for --rounds rounds so
that a loaded machine shifts them alike. PostgreSQL runs from Debian's
binaries in a temporary directory (tests/cluster/pgserver.py), a fresh
schema per run; run as root.

    bench/queue/relay_nodes.py [--messages N] [--nodes 1,2,3] [--rounds R]
                               [--size BYTES] [--max-connections C]
                               [--keep]   (keep the nodes' logs; path shown)
Env: PETREL_BIN (default <repo>/petrel).
SPDX-License-Identifier: ISC
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(TOP, "tests", "cluster"),
                os.path.join(TOP, "tests", "system")]

import pgserver  # noqa: E402
from harness import free_port  # noqa: E402

PETREL = os.environ.get("PETREL_BIN", os.path.join(TOP, "petrel"))
OFF = ("submission", "submissions", "pop3", "pop3s", "imap", "imaps",
       "http")


class Sink:
    """smtp-sink counting sessions and messages."""

    def __init__(self, work):
        self.port = free_port()
        self.out = os.path.join(work, "sink.out")
        self.proc = subprocess.Popen(
            ["smtp-sink", "-c", "-u", "root", "127.0.0.1:%d" % self.port,
             "512"], stdout=open(self.out, "wb"), stderr=subprocess.STDOUT)
        time.sleep(0.3)

    def count(self, what="mesg"):
        with open(self.out, "rb") as f:
            found = re.findall(rb"%s=(\d+)" % what.encode(), f.read())
        return int(found[-1]) if found else 0

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def node_config(work, k, url, tmap, max_connections):
    d = os.path.join(work, "node%d" % k)
    os.makedirs(d)
    path = os.path.join(d, "petrel.conf")
    with open(path, "w") as f:
        f.write("data_dir = %s\nhostname = node%d.bench.test\n"
                "listen.smtp = 127.0.0.1:%d\n%s"
                "transport_map = %s\nstore = %s\n"
                "queue.max_connections = %d\n" % (
                    os.path.join(d, "data"), k, free_port(),
                    "".join("listen.%s =\n" % x for x in OFF), tmap, url,
                    max_connections))
    return path


def message(i, size):
    body = ("x" * 76 + "\n") * (size // 77 + 1)
    return ("From: bench@a.test\nTo: u@sink.test\nSubject: bench %d\n\n%s"
            % (i, body[:size])).encode()


def inject(conf, n, size):
    def one(i):
        subprocess.run([PETREL, "-c", conf, "queue", "inject", "-f",
                        "bench@a.test", "u@sink.test"],
                       input=message(i, size), check=True,
                       capture_output=True)
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        list(ex.map(one, range(n)))


def run(pg, work, nodes, n, size, max_connections, keep):
    work = tempfile.mkdtemp(dir=work, prefix="run-")
    pg.sql("DROP SCHEMA public CASCADE; "
           "CREATE SCHEMA public AUTHORIZATION %s;" % pg.user)
    sink = Sink(work)
    tmap = os.path.join(work, "map")
    with open(tmap, "w") as f:
        f.write("sink.test = [127.0.0.1]:%d tls=none\n" % sink.port)
    confs = [node_config(work, k, pg.url, tmap, max_connections)
             for k in range(nodes)]
    inject(confs[0], n, size)
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    logs = [os.path.join(os.path.dirname(c), "serve.log") for c in confs]
    t0 = time.monotonic()
    procs = [subprocess.Popen([PETREL, "-c", c, "serve"],
                              stdout=open(lg, "wb"), stderr=subprocess.STDOUT)
             for c, lg in zip(confs, logs)]
    try:
        deadline = t0 + 600
        while sink.count() < n and time.monotonic() < deadline:
            time.sleep(0.02)
        secs = time.monotonic() - t0
        got = sink.count()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
        sink.stop()
    claims = []
    for lg in logs:
        with open(lg, "rb") as f:
            claims.append(f.read().count(b"event=lease action=claim"))
    print("| %d | %d | %s | %.2f | %.0f | %s |" % (
        nodes, n, load, secs, got / secs, " / ".join(map(str, claims))),
        flush=True)
    if got != n:
        print("  (the sink got %d of %d)" % (got, n), flush=True)
    if keep:
        print("  (logs in %s)" % work, flush=True)
    else:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--nodes", default="1,2,3")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--max-connections", type=int, default=100)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="petrel-relay-nodes-")
    pg = pgserver.PgServer(work).start()
    print("| nodes | messages | load | seconds | messages/s | "
          "leased per node |")
    print("|---:|---:|---:|---:|---:|---|")
    try:
        for _ in range(a.rounds):
            for k in (int(x) for x in a.nodes.split(",")):
                run(pg, work, k, a.messages, a.size, a.max_connections,
                    a.keep)
    finally:
        pg.stop()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
