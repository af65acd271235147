#!/usr/bin/python3
"""Queue intake (issue 9): messages/s that `petrel serve` accepts into its
outbound queue over SMTP submission, with the embedded queue (queue.db and
body files) and with the queue in PostgreSQL, in one run.

S clients each open one submission session (STARTTLS, AUTH PLAIN) and
send their share of N messages of SIZE octets to a remote recipient; the
time from the first connection to the last 250 gives messages/s. The relay
host is a listener that accepts and never answers, so the scheduler holds
one connection there and delivers nothing while the run lasts: what is
measured is receiving (group commit into queue.db, or one PostgreSQL
transaction per batch with the bodies as bytea).

    bench/queue/intake.py [--messages N] [--size OCTETS] [--sessions S]
                          [--setups "embedded pg"] [--bin PATH]...

Several --bin run the embedded setup once per binary (e.g. a build from
before a change next to this one); the PostgreSQL setup runs this tree's
petrel (PETREL_BIN). Prints a Markdown table. PostgreSQL
runs from Debian's binaries in a temporary directory (tests/cluster/
pgserver.py) with fsync and synchronous_commit on; run as root. BENCH_TMP
(default /var/tmp) must be a real disk.
SPDX-License-Identifier: ISC
"""

import argparse
import os
import shutil
import smtplib
import socket
import ssl
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

USER = "u1@" + harness.DOMAIN


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


class BlackHole:
    """A TCP listener that accepts connections and never says a word."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def start_node(workdir, url, hole, binary):
    harness.PETREL_BIN = binary
    extra = ("relay.host = [127.0.0.1]:%d\nrelay.tls = none\n"
             "queue.connect_timeout = 1h\nqueue.max_per_destination = 1\n"
             % hole.port)
    if url:
        extra += "store = %s\n" % url
    node = harness.Server(workdir, name="node", listen=("submission",),
                          extra_config=extra)
    node.add_domain()
    node.cli("user", "add", USER, input=(harness.PASSWORD + "\n").encode())
    node.start()
    return node


def client(port, count, size, errors):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    body = b"X" * 76 + b"\r\n"
    msg = harness.make_message("intake", body * max(1, size // 78),
                               sender=USER, to="far@remote.test")
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=300) as s:
            s.starttls(context=ctx)
            s.login(USER, harness.PASSWORD)
            for _ in range(count):
                s.sendmail(USER, ["far@remote.test"], msg)
    except Exception as e:      # reported, and the run does not count
        errors.append(repr(e))


def run_one(node, n, size, sessions):
    errors = []
    share = [n // sessions + (1 if i < n % sessions else 0)
             for i in range(sessions)]
    threads = [threading.Thread(target=client, args=(
        node.ports["submission"], c, size, errors)) for c in share]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.monotonic() - t0
    if errors:
        raise RuntimeError("client errors: %s" % errors[:3])
    listed = node.cli("queue", "list").stdout.decode().count("<far@")
    if listed != n:
        raise RuntimeError("%d messages queued, %d expected" % (listed, n))
    return secs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--setups", default="embedded pg")
    ap.add_argument("--bin", action="append", default=[])
    a = ap.parse_args()
    bins = a.bin or [os.environ["PETREL_BIN"]]
    base = tempfile.mkdtemp(prefix="petrel-intake-",
                            dir=os.environ.get("BENCH_TMP", "/var/tmp"))
    os.chmod(base, 0o711)      # PostgreSQL runs as postgres below it
    hole = BlackHole()
    rows = []
    try:
        for setup in a.setups.split():
            # The queue in PostgreSQL needs this tree's petrel.
            for binary in (bins if setup == "embedded" else
                           [os.environ["PETREL_BIN"]]):
                work = tempfile.mkdtemp(dir=base)
                pg = node = None
                try:
                    url = None
                    if setup == "pg":
                        pg = pgserver.PgServer(work).start()
                        url = pg.url
                    node = start_node(work, url, hole, binary)
                    secs = run_one(node, a.messages, a.size, a.sessions)
                    rows.append((setup, binary, secs))
                    log("%s %s: %.2f s, %.0f msg/s" % (
                        setup, binary, secs, a.messages / secs))
                finally:
                    if node is not None and node.alive():
                        node.stop()
                    if pg is not None:
                        pg.cleanup()
    finally:
        hole.close()
        shutil.rmtree(base, ignore_errors=True)
    print("| queue | binary | messages | seconds | msg/s |")
    print("|---|---|---:|---:|---:|")
    for setup, binary, secs in rows:
        print("| %s | %s | %d | %.2f | %.0f |" % (
            setup, binary, a.messages, secs, a.messages / secs))


if __name__ == "__main__":
    main()
