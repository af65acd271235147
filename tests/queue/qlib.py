"""Helpers for the queue's system tests: petrel instances on loopback
addresses of their own (127.0.0.2, .3, ...) that share one SMTP port, so
that MX records can point at them; dnsmasq answering for *.test on a
loopback port; and a scripted SMTP receiver that counts sessions and
transactions and can misbehave on request.

Env: PETREL_BIN (default <repo>/petrel), PETREL_TIMEOUT_SCALE.
SPDX-License-Identifier: ISC
"""

import base64
import imaplib
import os
import poplib
import random
import shutil
import signal
import socket
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
PETREL_BIN = os.environ.get("PETREL_BIN", os.path.join(TOP, "petrel"))
SCALE = float(os.environ.get("PETREL_TIMEOUT_SCALE", "1"))
PASSWORD = "s3cret-Pw"
DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
LISTEN_KEYS = ("smtp", "submission", "submissions", "pop3", "pop3s", "imap",
               "imaps", "http")


def timeout(s):
    return s * SCALE


def wait_for(cond, secs, what):
    deadline = time.monotonic() + timeout(secs)
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out after %.0fs waiting for %s" % (
        timeout(secs), what))


def port_free_on(port, hosts):
    for h in hosts:
        fam = socket.AF_INET6 if ":" in h else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        try:
            s.bind((h, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def common_port(hosts):
    """A TCP port free on every address of hosts."""
    for _ in range(200):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port_free_on(port, hosts):
            return port
    raise AssertionError("no common free port")


def free_dns_port():
    """A port free on 127.0.0.1 for both UDP and TCP (dnsmasq listens on
    both, and a port free for one may be taken for the other), below the
    kernel's ephemeral range (32768 and up), so that no client connection
    takes it as its source port meanwhile."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t = socket.socket()
        try:
            u.bind(("127.0.0.1", port))
            t.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise AssertionError("no port free for both UDP and TCP")


class Dns:
    """dnsmasq on 127.0.0.1:port, authoritative-ish for *.test."""

    def __init__(self, workdir, records):
        self.port = free_dns_port()
        self.workdir = workdir
        self.records = records
        self.proc = None

    def argv(self):
        return [DNSMASQ, "-k", "--port=%d" % self.port,
                "--listen-address=127.0.0.1", "--bind-interfaces",
                "--no-resolv", "--no-hosts", "--no-poll", "--local=/test/",
                "--conf-file=/dev/null", "--pid-file=",
                "--log-facility=" + os.path.join(self.workdir, "dns.log")
                ] + self.records

    def start(self, may_move=True):
        """Start dnsmasq. The port was free when chosen but may have been
        taken since by another process: if nothing has been given the port
        yet (may_move), take another one; otherwise try the same port again
        for a while."""
        err = os.path.join(self.workdir, "dns.err")
        for _ in range(20):
            with open(err, "ab") as e:
                self.proc = subprocess.Popen(self.argv(),
                                             stdin=subprocess.DEVNULL,
                                             stdout=subprocess.DEVNULL,
                                             stderr=e)
            time.sleep(0.2)
            if self.proc.poll() is None:
                return
            if may_move:
                self.port = free_dns_port()
            else:
                time.sleep(0.2)
        raise AssertionError("dnsmasq did not start: " + open(err).read())

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


class Petrel:
    """One petrel serve with its own address, data dir and domain."""

    def __init__(self, workdir, name, addr, smtp_port, domain, extra=""):
        self.workdir = workdir
        self.name = name
        self.addr = addr
        self.domain = domain
        self.smtp_port = smtp_port
        self.data_dir = os.path.join(workdir, name + "-data")
        self.config = os.path.join(workdir, name + ".conf")
        self.pop3_port = common_port([addr])
        self.imap_port = common_port([addr])
        self.sub_port = common_port([addr])
        self.proc = None
        self.logs = []
        self.extra = extra
        self.write_config()

    def write_config(self, extra=None):
        if extra is not None:
            self.extra = extra
        lines = ["hostname = mx.%s" % self.domain,
                 "data_dir = %s" % self.data_dir,
                 "listen.smtp = %s:%d" % (self.addr, self.smtp_port),
                 "listen.pop3 = %s:%d" % (self.addr, self.pop3_port),
                 "listen.imap = %s:%d" % (self.addr, self.imap_port),
                 "imap.plaintext_anywhere = yes",
                 "listen.submission = %s:%d" % (self.addr, self.sub_port),
                 "pop3.plaintext_anywhere = yes",
                 "queue.smtp_port = %d" % self.smtp_port,
                 "queue.retry_min = 1s", "queue.retry_max = 2s",
                 "queue.connect_timeout = 3s",
                 "queue.command_timeout = 10s",
                 "queue.idle_time = 2s"]
        for k in LISTEN_KEYS:
            if k not in ("smtp", "pop3", "imap", "submission"):
                lines.append("listen.%s =" % k)
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n" + self.extra + "\n")

    def cli(self, *args, input=None, check=True):
        p = subprocess.run([PETREL_BIN, "-c", self.config] + list(args),
                           input=input, capture_output=True,
                           timeout=timeout(60))
        with open(os.path.join(self.workdir, "cli.log"), "ab") as f:
            f.write(b"$ " + " ".join(args).encode() + b"\n" + p.stdout +
                    p.stderr)
        if check and p.returncode != 0:
            raise AssertionError("petrel %s: %s" % (
                " ".join(args), p.stderr.decode(errors="replace")))
        return p

    def add_user(self, local):
        self.cli("domain", "add", self.domain, check=False)
        address = "%s@%s" % (local, self.domain)
        self.cli("user", "add", address, input=(PASSWORD + "\n").encode())
        return address

    def start(self):
        log = os.path.join(self.workdir, "%s-%d.log" % (self.name,
                                                        len(self.logs)))
        self.logs.append(log)
        self._log = open(log, "wb")
        self.proc = subprocess.Popen([PETREL_BIN, "-c", self.config,
                                      "serve"], stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=self._log)
        wait_for(lambda: b"event=ready" in self.log_text() or
                 self.proc.poll() is not None, 30, self.name + " ready")
        assert self.proc.poll() is None, self.log_text()[-2000:]
        return self

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        self.proc.wait(timeout=timeout(30))
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

    def inject(self, sender, rcpts, body):
        p = self.cli("queue", "inject", "-f", sender, *rcpts, input=body)
        return p.stdout.decode().strip()

    def queue_ids(self):
        out = self.cli("queue", "list").stdout.decode()
        return [ln.split()[0] for ln in out.splitlines()
                if ln and not ln.startswith(" ") and not
                ln.startswith("Mail queue")]

    def mailbox(self, user):
        # The maildrop lock of the session just ended may not be
        # released yet when this one signs in ([IN-USE]): try again.
        for attempt in range(50):
            p = poplib.POP3(self.addr, self.pop3_port, timeout=timeout(30))
            try:
                p.user(user)
                p.pass_(PASSWORD)
                n, _ = p.stat()
                return [b"\r\n".join(p.retr(i + 1)[1]) for i in range(n)]
            except poplib.error_proto as e:
                if b"IN-USE" not in str(e).encode() or attempt == 49:
                    raise
            finally:
                p.quit()
            time.sleep(0.1)


    def imap_mailbox(self, user):
        """The INBOX over IMAP: each message's RFC822 text."""
        m = imaplib.IMAP4(self.addr, self.imap_port, timeout=timeout(30))
        try:
            m.login(user, PASSWORD)
            m.select("INBOX", readonly=True)
            _, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
            return [part[1] for part in data if isinstance(part, tuple)]
        finally:
            m.logout()


def read_message(f, stop=lambda lines: False):
    """The message an SMTP client sends after 354, read from f up to the
    final dot and dot-unstuffed: bytes, or None when the peer went away or
    stop(the lines so far) said to quit before the next line."""
    lines = []
    while True:
        line = f.readline()
        if not line or stop(lines):
            return None
        if line == b".\r\n":
            return b"".join(lines)
        lines.append(line[1:] if line.startswith(b".") else line)


class ThreadedServer:
    """A TCP server on addr:port (port 0: a free one, then in self.port)
    that runs self._session(c, f) for each connection on a thread of its
    own, f reading c; a session ends quietly when the peer goes away.
    Subclasses set what _session uses before calling __init__, which starts
    accepting, and may count sessions in _session_began/_session_ended."""

    def __init__(self, addr, port, backlog):
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, port))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(backlog)
        self.is_open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.is_open = False
        try:
            self.sock.close()
        except OSError:
            pass

    def _accept(self):
        while self.is_open:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,),
                             daemon=True).start()

    def _serve(self, c):
        self._session_began()
        try:
            self._session(c, c.makefile("rb"))
        except (OSError, ValueError):
            pass
        finally:
            self._session_ended()
            try:
                c.close()
            except OSError:
                pass

    def _session_began(self):
        pass

    def _session_ended(self):
        pass

    def _session(self, c, f):
        raise NotImplementedError


class Receiver(ThreadedServer):
    """A scripted SMTP server on addr:port. behave(n) for transaction n
    (0-based) returns a dict: greet, rcpt, data, dot (reply lines), drop
    ("data": close in the middle of the message), delay (seconds before
    the reply to the final dot). Records sessions,
    transactions and accepted messages."""

    def __init__(self, addr, port, ext=("PIPELINING", "8BITMIME", "SIZE",
                                        "DSN"), auth=None):
        self.addr = addr
        self.ext = list(ext)
        self.auth = auth
        self.behave = lambda n: {}
        self.sessions = 0
        self.transactions = 0
        self.rcpts_per_txn = []
        self.messages = []
        self.commands = []
        self.lock = threading.Lock()
        super().__init__(addr, port, 64)

    def _session_began(self):
        with self.lock:
            self.sessions += 1

    def _session(self, c, f):
        b = self.behave(self.transactions)
        c.sendall((b.get("greet", "220 receiver ESMTP") + "\r\n").encode())
        mail, rcpts, n = None, [], None
        while True:
            line = f.readline()
            if not line:
                return
            cmd = line.decode(errors="replace").rstrip("\r\n")
            with self.lock:
                self.commands.append(cmd)
            verb = cmd.split(" ")[0].upper()
            if verb == "EHLO":
                ext = self.ext + (["AUTH PLAIN LOGIN"] if self.auth else [])
                lines = ["250-receiver"] + ["250-" + e for e in ext[:-1]]
                lines += ["250 " + ext[-1]] if ext else []
                if not ext:
                    lines = ["250 receiver"]
                c.sendall(("\r\n".join(lines) + "\r\n").encode())
            elif verb == "HELO" or verb == "NOOP":
                c.sendall(b"250 ok\r\n")
            elif verb == "AUTH":
                want = base64.b64encode(b"\0" + self.auth[0].encode() +
                                        b"\0" + self.auth[1].encode())
                ok = cmd.split(" ")[-1].encode() == want
                c.sendall(b"235 2.7.0 ok\r\n" if ok else
                          b"535 5.7.8 bad credentials\r\n")
            elif verb == "MAIL":
                with self.lock:
                    n = self.transactions
                    self.transactions += 1
                b = self.behave(n)
                mail, rcpts = cmd[10:], []
                c.sendall((b.get("mail", "250 2.1.0 ok") + "\r\n").encode())
            elif verb == "RCPT":
                r = b.get("rcpt", "250 2.1.5 ok")
                if r.startswith("2"):
                    rcpts.append(cmd[8:].split(">")[0].lstrip("<"))
                c.sendall((r + "\r\n").encode())
            elif verb == "DATA":
                if not rcpts:
                    c.sendall(b"554 5.5.1 no valid recipients\r\n")
                    continue
                c.sendall(b"354 go ahead\r\n")
                data = self._read_data(f, c, b)
                if data is None:
                    return
                time.sleep(b.get("delay", 0))
                d = b.get("dot", "250 2.0.0 queued")
                if d.startswith("2"):
                    with self.lock:
                        self.messages.append((mail, list(rcpts), data))
                        self.rcpts_per_txn.append(len(rcpts))
                c.sendall((d + "\r\n").encode())
            elif verb == "RSET":
                mail, rcpts = None, []
                c.sendall(b"250 2.0.0 ok\r\n")
            elif verb == "QUIT":
                c.sendall(b"221 2.0.0 bye\r\n")
                return
            else:
                c.sendall(b"502 5.5.2 unknown\r\n")

    def _read_data(self, f, c, b):
        def drop(lines):
            if b.get("drop") == "data" and len(lines) >= 2:
                c.shutdown(socket.SHUT_RDWR)
                return True
            return False
        return read_message(f, drop)
