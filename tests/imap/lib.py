"""Helpers for petrel's black-box IMAP tests: one `petrel serve` on free
loopback ports with a temporary data directory, accounts made through the
CLI, mail delivered over SMTP, and a raw IMAP connection for what imaplib
cannot send.
SPDX-License-Identifier: ISC
"""
import imaplib
import os
import re
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PASSWORD = "imap-test-pw"
DOMAIN = "example.org"


def petrel_bin():
    b = os.environ.get("PETREL_BIN")
    if b:
        return b
    priv = os.path.join(TOP, "build-imap", "petrel")
    return priv if os.path.exists(priv) else os.path.join(TOP, "petrel")


class KnownFailure(Exception):
    """A check that fails for a reason outside src/imap, reported as
    "xfail" and not counted as a failure of the IMAP server."""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, extra=""):
        self.dir = tempfile.mkdtemp(prefix="petrel-imap-")
        self.ports = {k: free_port() for k in ("smtp", "imap", "imaps")}
        self.conf = os.path.join(self.dir, "petrel.conf")
        lines = ["hostname = mx.%s" % DOMAIN,
                 "data_dir = %s/data" % self.dir,
                 "tls.cert =", "tls.key =", extra]
        # Every listener this petrel knows is off but ours.
        schema = subprocess.run([petrel_bin(), "config", "schema"],
                                capture_output=True, text=True).stdout
        for key in re.findall(r"`(listen\.[a-z0-9]+)`", schema):
            port = self.ports.get(key.split(".")[1])
            lines.append("%s = %s" % (key, "127.0.0.1:%d" % port
                                      if port else ""))
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None
        self.n_users = 0
        self.cli("domain", "add", DOMAIN)

    def cli(self, *args, input=None):
        p = subprocess.run([petrel_bin(), "-c", self.conf] + list(args),
                           input=input, capture_output=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError("petrel %s: %s" % (" ".join(args),
                                 p.stderr.decode(errors="replace")))
        return p

    def start(self):
        self.log = open(os.path.join(self.dir, "serve.log"), "wb")
        self.proc = subprocess.Popen([petrel_bin(), "-c", self.conf, "serve"],
                                     stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:
            with open(self.log.name, "rb") as f:
                if b"event=ready" in f.read():
                    return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError("petrel serve did not start:\n" +
                             open(self.log.name, errors="replace").read())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def user(self, local=None):
        """A fresh account; returns its address."""
        self.n_users += 1
        addr = "%s@%s" % (local or "u%d" % self.n_users, DOMAIN)
        self.cli("user", "add", addr, input=(PASSWORD + "\n").encode())
        return addr

    def deliver(self, rcpt, msg, sender="sender@client.test"):
        if isinstance(msg, str):
            msg = msg.encode()
        s = smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=30)
        s.sendmail(sender, [rcpt], msg)
        s.quit()

    def imap(self, user=None, select=None):
        M = imaplib.IMAP4("127.0.0.1", self.ports["imap"], timeout=30)
        if user:
            M.login(user, PASSWORD)
            if select:
                M.select(select)
        return M

    def imaps(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return imaplib.IMAP4_SSL("127.0.0.1", self.ports["imaps"],
                                 ssl_context=ctx, timeout=30)

    def raw(self, user=None):
        r = Raw(self.ports["imap"])
        if user:
            r.ok("LOGIN %s %s" % (user, PASSWORD))
        return r


def message(subject="test", body="hello\r\n", frm="Alice <alice@client.test>",
            to="bob@example.org", extra="", date="Mon, 1 Jan 2024 10:00:00 +0000"):
    return ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n%s"
            "Message-ID: <%s@client.test>\r\n\r\n%s" % (
                frm, to, subject, date, extra, abs(hash(subject + body)), body))


class Raw:
    """A plain IMAP connection: send lines, read what comes back."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.f = self.s.makefile("rb")
        self.n = 0
        self.greeting = self.line()

    def close(self):
        self.f.close()
        self.s.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def line(self):
        ln = self.f.readline()
        if not ln:
            return None
        return ln.rstrip(b"\r\n")

    def tag(self):
        self.n += 1
        return "t%d" % self.n

    def cmd(self, text, literal_ok=True):
        """Send "tag text"; return (untagged lines, tagged line)."""
        t = self.tag()
        self.send("%s %s\r\n" % (t, text))
        return self.collect(t)

    def collect(self, t):
        lines = []
        while True:
            ln = self.line()
            if ln is None:
                return lines, None
            if ln.startswith(t.encode() + b" "):
                return lines, ln[len(t) + 1:]
            # A literal in a response: read its octets into the line.
            while ln.endswith(b"}") and b"{" in ln:
                n = int(ln[ln.rindex(b"{") + 1:-1])
                data = self.f.read(n)
                rest = self.line()
                ln = ln + b"\r\n" + data + rest
            lines.append(ln)

    def ok(self, text):
        lines, tagged = self.cmd(text)
        if tagged is None or not tagged.startswith(b"OK"):
            raise AssertionError("%s -> %r %r" % (text.split(" ")[0], lines,
                                                  tagged))
        return lines, tagged
