#!/usr/bin/python3
"""IMAP benchmark: petrel side by side with Dovecot (the anchor stack's
configuration, /work/shared/anchor-stack, without Postfix) on the same
machine and the same 10,000-message mailbox of mixed shapes.

    bench/imap/run.py [--messages N] [--idle N] [--only petrel|dovecot]

Measures LOGIN+SELECT latency, FETCH 1:* (FLAGS UID ENVELOPE) messages/s,
FETCH 1:* BODY.PEEK[] MB/s, UID SEARCH TEXT latency, single STORE
commands/s and memory per idle (IDLE) connection, and prints a Markdown
table (bench/imap/RESULTS.md keeps the last one). Run as root: it starts
Dovecot with Debian's "mail" user. Uses build-imap/petrel (see
tests/imap/private-daemon.py) unless PETREL_BIN is set; IMAP_BENCH_WORK
names the work directory (default /tmp/petrel-imapbench).
SPDX-License-Identifier: ISC
"""
import argparse
import glob
import os
import resource
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "imap"))
import lib  # noqa: E402

PASSWORD = "benchpass"
# IMAP_BENCH_WORK: where the corpus, Dovecot and their data go.
WORK = os.environ.get("IMAP_BENCH_WORK", "/tmp/petrel-imapbench")


class Conn:
    """A minimal IMAP client that times commands and counts octets."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.n = 0
        self.readline()

    def readline(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        i = self.buf.index(b"\n") + 1
        ln = bytes(self.buf[:i])
        del self.buf[:i]
        return ln

    def cmd(self, text, big=False):
        """Send a command; wait for its tagged reply; return (reply, octets
        received). Only the tail of the data is kept and searched, so the
        client costs little next to the server."""
        self.n += 1
        tag = b"Z%dq" % self.n
        self.s.sendall(tag + b" " + text + b"\r\n")
        want = b"\r\n" + tag + b" "
        got = len(self.buf)
        tail = b"\r\n" + bytes(self.buf)
        chunk = bytearray(1 << 20)
        view = memoryview(chunk)
        while True:
            i = tail.rfind(want)
            if i >= 0:
                end = tail.find(b"\r\n", i + 2)
                if end >= 0:
                    reply = tail[i + 2 + len(tag) + 1:end]
                    self.buf = bytearray(tail[end + 2:])
                    return reply, got
            n = self.s.recv_into(view)
            if n == 0:
                raise EOFError
            got += n
            tail = (tail + bytes(view[max(0, n - 4096):n]))[-8192:] \
                if big else tail + bytes(view[:n])

    def close(self):
        self.s.close()


def corpus(n):
    d = os.path.join(WORK, "corpus-%d" % n)
    if not os.path.exists(os.path.join(d, "done")):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        subprocess.check_call(["/usr/bin/python3", os.path.join(
            TOP, "tests", "mime", "gen.py"), d, str(n), "42", "12"],
            stdout=subprocess.DEVNULL)
        for p in glob.glob(os.path.join(d, "*.eml")):
            m = open(p, "rb").read().replace(b"\r\n", b"\n")
            m = m.replace(b"\n", b"\r\n").replace(b"\0", b" ")
            open(p, "wb").write(m)
        open(os.path.join(d, "done"), "w").close()
    return [open(p, "rb").read() for p in
            sorted(glob.glob(os.path.join(d, "*.eml")))]


def load(port, user, msgs):
    c = Conn(port)
    c.cmd(b"LOGIN %s %s" % (user.encode(), PASSWORD.encode()))
    for i in range(0, len(msgs), 50):
        tags = []
        for m in msgs[i:i + 50]:
            c.n += 1
            tag = b"A%d" % c.n
            tags.append(tag)
            c.s.sendall(tag + b" APPEND INBOX {%d+}\r\n" % len(m) + m +
                        b"\r\n")
        left = set(tags)
        while left:
            ln = c.readline()
            t = ln.split(b" ", 1)[0]
            if t in left:
                if not ln.split(b" ")[1].startswith(b"OK"):
                    raise AssertionError(ln)
                left.discard(t)
    c.cmd(b"LOGOUT")
    c.close()


def median_time(fn, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(port, user, total_bytes, n_msgs):
    r = {}

    def login_select():
        c = Conn(port)
        t0 = time.perf_counter()
        reply, _ = c.cmd(b"LOGIN %s %s" % (user.encode(), PASSWORD.encode()))
        t1 = time.perf_counter()
        reply, _ = c.cmd(b"SELECT INBOX")
        t2 = time.perf_counter()
        assert reply.startswith(b"OK"), reply
        c.cmd(b"LOGOUT")
        c.close()
        return t1 - t0, t2 - t1
    runs = [login_select() for _ in range(21)]
    r["login_ms"] = statistics.median(a for a, b in runs) * 1e3
    r["select_ms"] = statistics.median(b for a, b in runs) * 1e3
    r["login_select_ms"] = statistics.median(a + b for a, b in runs) * 1e3
    c = Conn(port)
    c.cmd(b"LOGIN %s %s" % (user.encode(), PASSWORD.encode()))
    c.cmd(b"SELECT INBOX")
    t0 = time.perf_counter()
    c.cmd(b"FETCH 1:* (FLAGS UID ENVELOPE)", big=True)
    r["fetch_meta_cold_s"] = time.perf_counter() - t0
    t = median_time(lambda: c.cmd(b"FETCH 1:* (FLAGS UID ENVELOPE)",
                                  big=True), 5)
    r["fetch_meta_msgs"] = n_msgs / t
    t = median_time(lambda: c.cmd(b"FETCH 1:* BODY.PEEK[]", big=True), 3)
    r["fetch_body_mbs"] = total_bytes / t / 1e6
    t0 = time.perf_counter()
    c.cmd(b"UID SEARCH TEXT zyzzyvaqq", big=True)
    r["search_first_s"] = time.perf_counter() - t0
    for word, key in ((b"zyzzyvaqq", "search_absent_s"),
                      (b"invoice", "search_present_s")):
        r[key] = median_time(lambda: c.cmd(b"UID SEARCH TEXT " + word,
                                           big=True), 3)
    n = 2000
    t0 = time.perf_counter()
    for i in range(n):
        c.cmd(b"STORE %d %sFLAGS (\\Flagged)" % (i % n_msgs + 1,
                                                 b"+" if i % 2 == 0 else b"-"))
    r["store_cmds"] = n / (time.perf_counter() - t0)
    c.cmd(b"LOGOUT")
    c.close()
    return r


def idle_clients(port, users, n):
    """Open n connections, log in, select, IDLE; return them."""
    sel = selectors.DefaultSelector()
    socks = []
    state = {}

    def connect_one(i):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        socks.append(s)
        state[s] = [0, b"", users[i % len(users)]]
        sel.register(s, selectors.EVENT_READ)
    # A few at a time: a burst of thousands overflows listen backlogs,
    # and a dropped handshake leaves a client waiting for a greeting.
    opened = 0
    steps = [b"", b"a LOGIN %s " + PASSWORD.encode() + b"\r\n",
             b"b SELECT INBOX\r\n", b"c IDLE\r\n"]
    waits = [b"* OK", b"a OK", b"b OK", b"+ "]
    done = 0
    deadline = time.time() + 600
    while done < n and time.time() < deadline:
        while opened < n and opened - done < 64:
            connect_one(opened)
            opened += 1
        for key, _ in sel.select(timeout=5):
            s = key.fileobj
            st = state[s]
            d = s.recv(65536)
            if not d:
                raise AssertionError("connection closed at step %d" % st[0])
            st[1] += d
            if waits[st[0]] in st[1]:
                st[0] += 1
                st[1] = b""
                if st[0] == len(steps):
                    sel.unregister(s)
                    done += 1
                    continue
                line = steps[st[0]]
                if b"%s" in line:
                    line = line % st[2].encode()
                s.sendall(line)
    if done < n:
        raise AssertionError("only %d of %d connections idle" % (done, n))
    return socks


def pss_kib(pids):
    total = 0
    for pid in pids:
        try:
            for ln in open("/proc/%d/smaps_rollup" % pid):
                if ln.startswith("Pss:"):
                    total += int(ln.split()[1])
        except OSError:
            pass
    return total


def tree(pid):
    """pid and all its descendants."""
    kids = {}
    for st in glob.glob("/proc/[0-9]*/stat"):
        try:
            f = open(st).read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kids.setdefault(int(f[1]), []).append(int(st.split("/")[2]))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def idle_memory(port, users, n, pids_fn):
    before = pss_kib(pids_fn())
    socks = idle_clients(port, users, n)
    time.sleep(2)
    after = pss_kib(pids_fn())
    for s in socks:
        s.close()
    return (after - before) / n


class Petrel:
    def __init__(self):
        self.srv = lib.Server(extra="imap.max_per_user = 0\n"
                              "max_connections = 20000\n")
        self.port = self.srv.ports["imap"]
        lib.PASSWORD = PASSWORD

    def start(self):
        self.srv.start()
        return self

    def user(self, local):
        return self.srv.user(local)

    def pids(self):
        return [self.srv.proc.pid]

    def stop(self):
        self.srv.stop()


class Dovecot:
    """The anchor stack's Dovecot, alone, under WORK/dovecot."""

    def __init__(self, nusers):
        self.root = os.path.join(WORK, "dovecot-root")
        subprocess.call(["dovecot", "-c", os.path.join(self.root, "dovecot",
                        "dovecot.conf"), "stop"], stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        shutil.rmtree(self.root, ignore_errors=True)
        self.port = lib.free_port()
        for d in ("dovecot/run", "dovecot/state", "dovecot/log", "mail"):
            os.makedirs(os.path.join(self.root, d))
        os.chmod(self.root, 0o755)
        shutil.chown(os.path.join(self.root, "mail"), "mail", "mail")
        conf = open("/work/shared/anchor-stack/dovecot.conf.in").read()
        conf = conf.replace("@ROOT@", self.root).replace(
            "@IMAP_PORT@", str(self.port)).replace(
            "@POP3_PORT@", str(lib.free_port())).replace(
            "@LMTP_PORT@", str(lib.free_port()))
        conf = conf.replace("protocols = imap pop3 lmtp", "protocols = imap")
        open(os.path.join(self.root, "dovecot", "dovecot.conf"), "w").write(
            conf)
        with open(os.path.join(self.root, "dovecot", "users"), "w") as f:
            for i in range(1, nusers + 1):
                f.write("u%d@bench.test:{PLAIN}%s::::::\n" % (i, PASSWORD))
        os.chmod(os.path.join(self.root, "dovecot", "users"), 0o644)

    def start(self):
        subprocess.check_call(["dovecot", "-c", os.path.join(
            self.root, "dovecot", "dovecot.conf")])
        time.sleep(1)
        return self

    def user(self, local):
        return "%s@bench.test" % local

    def pids(self):
        pid = int(open(os.path.join(self.root, "dovecot", "run",
                                    "master.pid")).read())
        return tree(pid)

    def stop(self):
        subprocess.call(["dovecot", "-c", os.path.join(
            self.root, "dovecot", "dovecot.conf"), "stop"])


def run_one(name, srv, msgs, args):
    total = sum(len(m) for m in msgs)
    big = srv.user("u1")
    small = [srv.user("u%d" % i) for i in range(2, 2 + args.idle_users)]
    t0 = time.time()
    load(srv.port, big, msgs)
    print("%s: loaded %d messages (%.0f MB) in %.0f s" % (
        name, len(msgs), total / 1e6, time.time() - t0), flush=True)
    for u in small:
        load(srv.port, u, msgs[:10])
    r = measure(srv.port, big, total, len(msgs))
    print(name, r, flush=True)
    if args.idle:
        r["idle_kib"] = idle_memory(srv.port, small, args.idle, srv.pids)
        print(name, "idle KiB/conn %.1f" % r["idle_kib"], flush=True)
    return r


ROWS = [
    ("LOGIN+SELECT latency (ms, median of 21)", "login_select_ms", "%.1f"),
    ("  of which LOGIN (ms)", "login_ms", "%.1f"),
    ("  of which SELECT (ms)", "select_ms", "%.2f"),
    ("FETCH 1:* (FLAGS UID ENVELOPE), first time (s)", "fetch_meta_cold_s",
     "%.2f"),
    ("FETCH 1:* (FLAGS UID ENVELOPE) (messages/s)", "fetch_meta_msgs",
     "%.0f"),
    ("FETCH 1:* BODY.PEEK[] (MB/s)", "fetch_body_mbs", "%.0f"),
    ("first UID SEARCH TEXT of the mailbox (s)", "search_first_s", "%.2f"),
    ("UID SEARCH TEXT, word in no message (s)", "search_absent_s", "%.2f"),
    ("UID SEARCH TEXT, word in many messages (s)", "search_present_s",
     "%.2f"),
    ("single STORE (commands/s)", "store_cmds", "%.0f"),
    ("memory per idle (IDLE) connection (KiB)", "idle_kib", "%.1f"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=10000)
    ap.add_argument("--idle", type=int, default=5000)
    ap.add_argument("--idle-users", type=int, default=50)
    ap.add_argument("--only", choices=("petrel", "dovecot"))
    args = ap.parse_args()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    os.makedirs(WORK, exist_ok=True)
    msgs = corpus(args.messages)
    results = {}
    for name in ("petrel", "dovecot"):
        if args.only and args.only != name:
            continue
        srv = Petrel() if name == "petrel" else Dovecot(args.idle_users + 1)
        srv.start()
        try:
            results[name] = run_one(name, srv, msgs, args)
        finally:
            srv.stop()
    total = sum(len(m) for m in msgs)
    print()
    print("%d messages, %.0f MB; %d idle connections over %d accounts" % (
        len(msgs), total / 1e6, args.idle, args.idle_users))
    print()
    print("| measure | " + " | ".join(results) + " |")
    print("|---|" + "---:|" * len(results))
    for label, key, fmt in ROWS:
        print("| %s | %s |" % (label, " | ".join(
            fmt % results[n][key] if key in results[n] else "-"
            for n in results)))


main()
