"""Black-box harness for petrel's system tests.

Starts a real `petrel serve` on free loopback ports with its own temporary
data directory, creates domains and users through the CLI, and gives the
tests small helpers for raw SMTP and POP3 conversations. Everything a test
starts is stopped by PID; the server's stderr is kept and copied to
tests/artifacts/system/<test>/ when the test fails.

Env: PETREL_BIN (default <repo>/petrel), PETREL_TIMEOUT_SCALE (multiplies
every timeout; tests/run sets it for the ASan build), PETREL_KEEP_TMP=1 keeps
the temporary directories, PETREL_ARTIFACTS (default tests/artifacts/system)
where failed tests leave their logs.
SPDX-License-Identifier: ISC
"""

import hashlib
import os
import poplib
import random
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
ARTIFACTS = os.environ.get("PETREL_ARTIFACTS",
                           os.path.join(TOP, "tests", "artifacts", "system"))
PETREL_BIN = os.environ.get("PETREL_BIN", os.path.join(TOP, "petrel"))
SCALE = float(os.environ.get("PETREL_TIMEOUT_SCALE", "1"))

DOMAIN = "example.test"
PASSWORD = "s3cret-Pw"
CRLF = b"\r\n"

# Every listener key of the contract; the ones a test does not ask for are
# written empty (disabled).
LISTEN_KEYS = ("smtp", "submission", "submissions", "pop3", "pop3s", "imap",
               "imaps", "http")

SANITIZER_RE = re.compile(
    rb"ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:|"
    rb"AddressSanitizer:DEADLYSIGNAL")


def timeout(seconds):
    return seconds * SCALE


def free_port():
    """A free port below the kernel's ephemeral range (32768 and up), so
    that no client connection can take it as its source port while a test
    restarts the server on it."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        return port
    raise RuntimeError("no free port between 20000 and 32000")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def strip_trace(raw):
    """Split a stored message into (trace header fields, the rest).

    Removes only the leading Return-Path: and Received: fields (with their
    continuation lines) that the server prepends."""
    trace = []
    pos = 0
    while True:
        m = re.match(rb"(?i)(return-path|received):", raw[pos:pos + 20])
        if not m:
            break
        end = pos
        while True:
            nl = raw.find(b"\n", end)
            if nl < 0:
                end = len(raw)
                break
            end = nl + 1
            if end >= len(raw) or raw[end:end + 1] not in (b" ", b"\t"):
                break
        trace.append(raw[pos:end])
        pos = end
    return trace, raw[pos:]


def files_under(path):
    """Regular files below path (relative names); [] when path is absent."""
    out = []
    for root, _dirs, files in os.walk(path):
        for f in files:
            out.append(os.path.relpath(os.path.join(root, f), path))
    return sorted(out)


_TEMPLATES = {}          # users tuple -> provisioned data dir to copy
_TEMPLATE_ROOT = []


def _template_root():
    if not _TEMPLATE_ROOT:
        import atexit
        d = tempfile.mkdtemp(prefix="petrel-sys-templates-")
        atexit.register(shutil.rmtree, d, True)
        _TEMPLATE_ROOT.append(d)
    return _TEMPLATE_ROOT[0]


class Server:
    """One petrel instance: config, data dir, CLI, serve process."""

    def __init__(self, workdir, name="petrel", listen=("smtp", "pop3"),
                 data_dir=None, extra_config=""):
        self.workdir = workdir
        self.name = name
        self.data_dir = data_dir or os.path.join(workdir, name + "-data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.ports = {k: free_port() for k in listen}
        self.config = os.path.join(workdir, name + ".conf")
        self.proc = None
        self.starts = 0
        self.log_path = None
        self.logs = []
        self.expected_exit = False
        self.write_config(extra_config)

    # -- configuration and CLI ---------------------------------------
    def write_config(self, extra=""):
        lines = ["# petrel system test config",
                 "hostname = mx.%s" % DOMAIN,
                 "data_dir = %s" % self.data_dir]
        for k in LISTEN_KEYS:
            port = self.ports.get(k)
            lines.append("listen.%s = %s" % (k, "127.0.0.1:%d" % port
                                              if port else ""))
        lines += ["tls.cert =", "tls.key ="]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n" + extra)

    def cli(self, *args, input=None, check=True, config=True):
        argv = [PETREL_BIN]
        if config:
            argv += ["-c", self.config]
        argv += list(args)
        p = subprocess.run(argv, input=input, capture_output=True,
                           timeout=timeout(60))
        with open(os.path.join(self.workdir, "cli.log"), "ab") as f:
            f.write(b"$ " + " ".join(argv).encode() + b"\n")
            f.write(p.stdout + p.stderr)
            f.write(b"[exit %d]\n" % p.returncode)
        if check and p.returncode != 0:
            raise AssertionError("%s failed (exit %d): %s" % (
                " ".join(args), p.returncode,
                p.stderr.decode(errors="replace").strip()))
        return p

    def add_domain(self, domain=DOMAIN):
        self.cli("domain", "add", domain)

    def add_user(self, local, password=PASSWORD, domain=DOMAIN):
        address = "%s@%s" % (local, domain)
        self.cli("user", "add", address, input=(password + "\n").encode())
        return address

    def provision(self, users):
        """DOMAIN and these users (password PASSWORD) in a fresh data dir;
        {local: address}. Made once per process with the CLI, then copied:
        a new store and password hashes cost about a second per test."""
        addr = {u: "%s@%s" % (u, DOMAIN) for u in users}
        if os.environ.get("PETREL_NO_TEMPLATE") == "1":
            self.add_domain()
            for u in users:
                self.add_user(u)
            return addr
        key = tuple(users)
        if key not in _TEMPLATES:
            base = _template_root()
            tdir = os.path.join(base, "t%d" % len(_TEMPLATES))
            os.makedirs(tdir)
            t = Server(tdir, name="template", listen=())
            t.add_domain()
            for u in users:
                t.add_user(u)
            _TEMPLATES[key] = t.data_dir
        shutil.copytree(_TEMPLATES[key], self.data_dir, symlinks=True,
                        dirs_exist_ok=True)
        return addr

    # -- the serve process -------------------------------------------
    def start(self, wait=True):
        assert self.proc is None or self.proc.poll() is not None
        self.starts += 1
        self.log_path = os.path.join(self.workdir, "%s-serve-%d.log" % (
            self.name, self.starts))
        self.logs.append(self.log_path)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [PETREL_BIN, "-c", self.config, "serve"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            cwd=self.workdir)
        self.expected_exit = False
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self):
        deadline = time.monotonic() + timeout(30)
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as f:
                if b"event=ready" in f.read():
                    return
            if self.proc.poll() is not None:
                raise AssertionError(
                    "petrel serve exited with %d before event=ready:\n%s" % (
                        self.proc.returncode, self.log_tail()))
            time.sleep(0.02)
        raise AssertionError("petrel serve not ready after %.0f s:\n%s" % (
            timeout(30), self.log_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, wait=None):
        """Stop by signal; returns the exit status (negative: signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.expected_exit = True
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=wait or timeout(20))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._log.close()
                raise AssertionError("petrel did not stop within %.0f s of "
                                     "signal %d" % (wait or timeout(20), sig))
        self._log.close()
        return self.proc.returncode

    def kill9(self):
        self.expected_exit = True
        self.proc.kill()
        self.proc.wait()
        self._log.close()

    def log_text(self):
        out = b""
        for p in self.logs:
            try:
                with open(p, "rb") as f:
                    out += f.read()
            except OSError:
                pass
        return out

    def log_tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().splitlines()[-n:]
        except (OSError, TypeError):
            return ""
        return b"\n".join(lines).decode(errors="replace")

    def sanitizer_report(self):
        m = SANITIZER_RE.search(self.log_text())
        return m is not None

    # -- clients ---------------------------------------------------------
    def smtp(self):
        return smtplib.SMTP("127.0.0.1", self.ports["smtp"],
                            local_hostname="client.test",
                            timeout=timeout(60))

    def send(self, sender, rcpts, msg, mail_options=()):
        """Send msg (bytes with CRLF line ends) with smtplib; returns the
        refused-recipient dict of sendmail()."""
        with self.smtp() as s:
            s.ehlo()
            opts = list(mail_options)
            return s.sendmail(sender, rcpts, msg, mail_options=opts)

    def pop3(self, user, password=PASSWORD):
        """A signed-in poplib session. Retries while the maildrop is still
        held by a session that just ended ([IN-USE], RFC 2449 8.1.1)."""
        deadline = time.monotonic() + timeout(5)
        while True:
            p = poplib.POP3("127.0.0.1", self.ports["pop3"],
                            timeout=timeout(60))
            try:
                p.user(user)
                p.pass_(password)
                return p
            except poplib.error_proto as e:
                p.close()
                if b"[IN-USE]" not in e.args[0] or \
                        time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def mailbox(self, user, password=PASSWORD):
        """Every message of the user's mailbox, raw as retrieved (CRLF)."""
        p = self.pop3(user, password)
        try:
            n, _size = p.stat()
            msgs = []
            for i in range(1, n + 1):
                _resp, lines, _octets = p.retr(i)
                msgs.append(b"\r\n".join(lines) + b"\r\n")
            return msgs
        finally:
            p.quit()

    def count(self, user, password=PASSWORD):
        p = self.pop3(user, password)
        try:
            return p.stat()[0]
        finally:
            p.quit()

    def raw(self, proto):
        return RawClient(self.ports[proto])

    def tmp_files(self):
        """Files left in the temporary directories of the data dir."""
        out = []
        for d in ("tmp", os.path.join("queue", "tmp")):
            out += [os.path.join(d, f) for f in
                    files_under(os.path.join(self.data_dir, d))]
        return out

    def body_files_check(self):
        """(files in bodies/ no database row names, rows whose file is
        missing) from the SQLite store, read-only; None when the data dir
        does not have that layout. Small bodies kept inline in their row
        (bodies.data not NULL) have no file. Call it while the server is
        idle."""
        import sqlite3
        db = os.path.join(self.data_dir, "store.db")
        bodies = os.path.join(self.data_dir, "bodies")
        if not (os.path.exists(db) and os.path.isdir(bodies)):
            return None
        try:
            con = sqlite3.connect("file:%s?mode=ro" % db, uri=True,
                                  timeout=10)
            cols = {r[1] for r in con.execute("PRAGMA table_info(bodies)")}
            names = {r[0] for r in con.execute(
                "SELECT name FROM bodies" +
                (" WHERE data IS NULL" if "data" in cols else ""))}
            con.close()
        except sqlite3.Error:
            return None
        files = {os.path.basename(f) for f in files_under(bodies)}
        return sorted(files - names), sorted(names - files)


class RawClient:
    """A line-level client for sending exactly the bytes a test wants."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout(30))
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self):
        """One line without its CRLF; None when the peer closed."""
        while b"\n" not in self.buf:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                if self.buf:
                    out, self.buf = self.buf, b""
                    return out
                return None
            self.buf += chunk
        out, self.buf = self.buf.split(b"\n", 1)
        return out.rstrip(b"\r")

    def reply(self):
        """An SMTP reply: (code, [text lines]); (None, []) on close."""
        lines = []
        while True:
            ln = self.line()
            if ln is None:
                return None, lines
            lines.append(ln.decode("latin-1"))
            if len(ln) < 4 or ln[3:4] != b"-":
                try:
                    return int(ln[:3]), lines
                except ValueError:
                    return -1, lines

    def cmd(self, data):
        self.send(data if data.endswith("\r\n") else data + "\r\n")
        return self.reply()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def abort(self):
        """Close with a TCP reset instead of FIN."""
        import struct
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
        self.sock.close()


def make_message(subject, body, sender="sender@client.test",
                 to="rcpt@example.test", extra_headers=()):
    """A message in wire form (CRLF). body: bytes, lines separated by CRLF."""
    hdr = [b"From: <%s>" % sender.encode(),
           b"To: <%s>" % to.encode(),
           b"Subject: " + subject.encode(),
           b"Date: Thu, 01 Jan 2026 00:00:00 +0000",
           b"Message-ID: <%s.%d@client.test>" % (
               re.sub(r"\W", "", subject).encode(), time.time_ns())]
    hdr += [h if isinstance(h, bytes) else h.encode() for h in extra_headers]
    return CRLF.join(hdr) + CRLF + CRLF + body


class ServerTest(unittest.TestCase):
    """Base class: a fresh server per test, artifacts kept on failure."""

    listen = ("smtp", "pop3")
    users = ("alice", "bob")
    start_server = True

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="petrel-sys-")
        self.servers = []
        self.cleanups_done = False
        if self.start_server:
            self.srv = self.new_server()
            self.addr = self.srv.provision(self.users)
            self.srv.start()

    def new_server(self, **kw):
        kw.setdefault("listen", self.listen)
        srv = Server(self.workdir, name="petrel%d" % len(self.servers), **kw)
        self.servers.append(srv)
        return srv

    def tearDown(self):
        problems = []
        for srv in self.servers:
            if srv.proc is None:
                continue
            died = srv.proc.poll() is not None and not srv.expected_exit
            rc = srv.stop()
            if died:
                problems.append("petrel serve died during the test "
                                "(exit %s)" % rc)
            elif rc not in (0, -9, None) and not getattr(
                    srv, "rc_checked", False):
                problems.append("petrel serve exited with %s on SIGTERM" % rc)
            if srv.sanitizer_report():
                problems.append("sanitizer report in the server log")
        self.server_problems = problems
        if problems:
            self.fail("; ".join(problems))

    # Called by the runner after the result is known.
    def finish(self, failed):
        if failed:
            dest = os.path.join(ARTIFACTS, self.id())
            shutil.rmtree(dest, ignore_errors=True)
            os.makedirs(dest, exist_ok=True)
            for name in os.listdir(self.workdir):
                if name.endswith((".log", ".conf")):
                    shutil.copy(os.path.join(self.workdir, name), dest)
        if os.environ.get("PETREL_KEEP_TMP") != "1":
            shutil.rmtree(self.workdir, ignore_errors=True)

    def server_log_tail(self):
        out = []
        for srv in self.servers:
            if srv.log_path:
                out.append("--- %s (%s) ---\n%s" % (
                    srv.name, srv.log_path, srv.log_tail(20)))
        return "\n".join(out)

    # -- assertions shared by the test files -----------------------------
    def assertRoundTrip(self, user, sent, stored, sender):
        trace, rest = strip_trace(stored)
        kinds = [t.split(b":", 1)[0].lower() for t in trace]
        self.assertIn(b"return-path", kinds, "no Return-Path: prepended")
        self.assertIn(b"received", kinds, "no Received: prepended")
        rp = [t for t in trace if t.lower().startswith(b"return-path:")][0]
        self.assertIn(("<%s>" % sender).encode(), rp)
        if rest != sent:
            i = next((k for k in range(min(len(rest), len(sent)))
                      if rest[k] != sent[k]), min(len(rest), len(sent)))
            self.fail("message differs at octet %d of %d (stored %d): "
                      "sent %r, stored %r" % (i, len(sent), len(rest),
                                              sent[max(0, i - 20):i + 40],
                                              rest[max(0, i - 20):i + 40]))
