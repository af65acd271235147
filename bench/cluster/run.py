#!/usr/bin/python3
"""Cluster benchmark (issue 9): the embedded store on one node next to
PostgreSQL on 1, 2 and 3 nodes, in one run on one machine.

For each setup: smtp-source (Debian's postfix package) sends N messages of
SIZE octets, one new SMTP session per message, spread evenly over the
nodes' SMTP listeners -> messages/s accepted and messages/s until they are
visible (POP3 STAT on the last node reaches N); then every node runs
FETCH 1:* (FLAGS UID ENVELOPE) on the mailbox at the same time -> messages
fetched per second in all.

    bench/cluster/run.py [--messages N] [--size OCTETS] [--sessions S]
                         [--setups "embedded pg1 pg2 pg3"]

Prints a Markdown table. PostgreSQL runs from Debian's binaries in a
temporary directory (tests/cluster/pgserver.py), with fsync and
synchronous_commit on; run as root. BENCH_TMP (default /var/tmp) must be a
real disk.
SPDX-License-Identifier: ISC
"""

import argparse
import imaplib
import os
import poplib
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(TOP, "tests", "system"),
                os.path.join(TOP, "tests", "cluster")]
os.environ.setdefault("PETREL_BIN", os.path.join(TOP, "petrel"))

import harness    # noqa: E402
import pgserver   # noqa: E402

SMTP_SOURCE = "/usr/sbin/smtp-source"
USER = "u1@" + harness.DOMAIN


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


class Setup:
    """Nodes on one store: the embedded one (url None) or PostgreSQL."""

    def __init__(self, workdir, nodes, url):
        self.nodes = []
        for i in range(nodes):
            extra = "store = %s\n" % url if url else ""
            self.nodes.append(harness.Server(
                workdir, name="node%d" % i, listen=("smtp", "pop3", "imap"),
                extra_config=extra))
        self.nodes[0].add_domain()
        self.nodes[0].cli("user", "add", USER,
                          input=(harness.PASSWORD + "\n").encode())
        try:
            for n in self.nodes:
                n.start()
        except BaseException:
            self.stop()         # the nodes that did start
            raise

    def stop(self):
        for n in self.nodes:
            if n.alive():
                n.stop()

    def count(self):
        p = poplib.POP3("127.0.0.1", self.nodes[-1].ports["pop3"],
                        timeout=60)
        try:
            p.user(USER)
            p.pass_(harness.PASSWORD)
            return p.stat()[0]
        finally:
            p.quit()


def smtp_run(setup, n, size, sessions):
    """(accepted/s, visible/s) for n messages spread over the nodes."""
    k = len(setup.nodes)
    procs = []
    t0 = time.monotonic()
    for i, node in enumerate(setup.nodes):
        share = n // k + (1 if i < n % k else 0)
        procs.append(subprocess.Popen(
            [SMTP_SOURCE, "-4", "-s", str(max(1, sessions // k)),
             "-m", str(share), "-l", str(size), "-M", "bench.client",
             "-f", "sender@bench.client", "-t", USER,
             "127.0.0.1:%d" % node.ports["smtp"]],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    for p in procs:
        out = p.communicate(timeout=900)[0]
        if p.returncode != 0 or out.strip():
            raise RuntimeError("smtp-source: %s" % out.decode())
    accepted = time.monotonic() - t0
    while setup.count() < n:
        if time.monotonic() - t0 > 900:
            raise RuntimeError("messages not visible after 900 s")
        time.sleep(0.05)
    visible = time.monotonic() - t0
    return n / accepted, n / visible


def fetch_run(setup, n):
    """Messages/s of FETCH 1:* (FLAGS UID ENVELOPE), every node at once,
    after one warm-up pass per node."""
    def one(node, out, warm):
        c = imaplib.IMAP4("127.0.0.1", node.ports["imap"], timeout=600)
        c.login(USER, harness.PASSWORD)
        c.select("INBOX", readonly=True)
        if warm:
            c.fetch("1:*", "(FLAGS UID ENVELOPE)")
        t0 = time.monotonic()
        typ, data = c.fetch("1:*", "(FLAGS UID ENVELOPE)")
        out.append((time.monotonic() - t0, len([d for d in data
                                                if isinstance(d, bytes)])))
        c.logout()

    results = []
    for node in setup.nodes:            # warm each node's caches first
        one(node, [], True)
    threads = [threading.Thread(target=one, args=(node, results, False))
               for node in setup.nodes]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    fetched = sum(r[1] for r in results)
    return fetched / wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=3000)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--setups", default="embedded pg1 pg2 pg3")
    args = ap.parse_args()

    rows = []
    for name in args.setups.split():
        workdir = tempfile.mkdtemp(prefix="petrel-cluster-bench-",
                                   dir=os.environ.get("BENCH_TMP",
                                                      "/var/tmp"))
        pg = setup = None
        try:
            url = None
            if name.startswith("pg"):
                pg = pgserver.PgServer(workdir).start()
                url = pg.url
            nodes = int(name[2:]) if name.startswith("pg") else 1
            setup = Setup(workdir, nodes, url)
            acc, vis = smtp_run(setup, args.messages, args.size,
                                args.sessions)
            fetch = fetch_run(setup, args.messages)
            log("%s: accepted %.0f/s visible %.0f/s fetch %.0f msg/s" % (
                name, acc, vis, fetch))
            rows.append((name, nodes, acc, vis, fetch))
        finally:
            if setup:
                setup.stop()
            if pg:
                pg.cleanup()
            shutil.rmtree(workdir, ignore_errors=True)

    load = os.getloadavg()
    print("| setup | nodes | SMTP accepted msg/s | visible msg/s | "
          "FETCH ENVELOPE msg/s (all nodes) |")
    print("|---|---|---|---|---|")
    for name, nodes, acc, vis, fetch in rows:
        print("| %s | %d | %.0f | %.0f | %.0f |" % (name, nodes, acc, vis,
                                                  fetch))
    print("\n%d messages of %d octets, %d sessions in all, %s; load average "
          "%.1f %.1f %.1f" % (args.messages, args.size, args.sessions,
                              time.strftime("%Y-%m-%d"), *load))


if __name__ == "__main__":
    main()
