"""SMTP intake: byte-exact round trips (smtplib, swaks, curl -> POP3) and
the commands of the minimal server."""

import email
import email.policy
import os
import subprocess
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from harness import (CRLF, DOMAIN, PASSWORD, ServerTest, make_message,
                     strip_trace, timeout)

SENDER = "sender@client.test"


class RoundTripTest(ServerTest):

    def roundtrip(self, msg, user="alice", mail_options=()):
        before = self.srv.count(self.addr[user])
        refused = self.srv.send(SENDER, [self.addr[user]], msg,
                                mail_options=mail_options)
        self.assertEqual(refused, {})
        msgs = self.srv.mailbox(self.addr[user])
        self.assertEqual(len(msgs), before + 1)
        self.assertRoundTrip(user, msg, msgs[-1], SENDER)
        return msgs[-1]

    def test_plain(self):
        self.roundtrip(make_message("plain", b"Hello, world.\r\n"))

    def test_dot_lines(self):
        body = CRLF.join([b".", b"..", b".leading dot", b"..two dots",
                          b"...", b" . space first", b".\t", b"end",
                          b"."]) + CRLF
        self.roundtrip(make_message("dots", body))

    def test_raw_dot_stuffing(self):
        """The server removes exactly one leading dot (RFC 5321 4.5.2)."""
        c = self.srv.raw("smtp")
        self.assertEqual(c.reply()[0], 220)
        self.assertEqual(c.cmd("EHLO client.test")[0], 250)
        self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER)[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<%s>" % self.addr["alice"])[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(b"Subject: raw\r\n\r\n..\r\n...x\r\n.y\r\nz.\r\n.\r\n")
        code, lines = c.reply()
        self.assertEqual(code, 250, lines)
        self.assertEqual(c.cmd("QUIT")[0], 221)
        stored = self.srv.mailbox(self.addr["alice"])[-1]
        self.assertEqual(strip_trace(stored)[1],
                         b"Subject: raw\r\n\r\n.\r\n..x\r\ny\r\nz.\r\n")

    def test_8bit(self):
        body = (b"Latin-1: caf\xe9 na\xefve\r\n"
                b"UTF-8: gr\xc3\xbc\xc3\x9fe \xe2\x82\xac \xf0\x9f\x90\xa6\r\n"
                + bytes(range(0x80, 0x100)) + b"\r\n"
                + bytes(range(0x20, 0x7f)) + b"\r\n\t tab and space\r\n")
        msg = make_message("8bit", body, extra_headers=(
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit"))
        with self.srv.smtp() as s:
            s.ehlo()
            opts = ["BODY=8BITMIME"] if s.has_extn("8bitmime") else []
        self.roundtrip(msg, mail_options=opts)

    def test_10mib_attachment(self):
        payload = os.urandom(10 * 1024 * 1024)
        m = MIMEMultipart()
        m["From"] = SENDER
        m["To"] = self.addr["bob"]
        m["Subject"] = "10 MiB attachment"
        m.attach(MIMEText("See the attachment.\n"))
        m.attach(MIMEApplication(payload, Name="blob.bin"))
        msg = m.as_bytes(policy=email.policy.SMTP)
        stored = self.roundtrip(msg, user="bob")
        parsed = email.message_from_bytes(strip_trace(stored)[1],
                                          policy=email.policy.default)
        parts = [p for p in parsed.iter_attachments()]
        self.assertEqual(len(parts), 1)
        self.assertEqual(parts[0].get_content(), payload)

    def test_998_octet_line_is_accepted(self):
        """A text line of exactly 1000 octets with CRLF is legal."""
        body = b"a" * 998 + CRLF + b"b" * 997 + CRLF
        self.roundtrip(make_message("long but legal", body))

    def test_null_sender(self):
        msg = make_message("bounce", b"a delivery report\r\n")
        self.srv.send("", [self.addr["alice"]], msg)
        stored = self.srv.mailbox(self.addr["alice"])[-1]
        trace, rest = strip_trace(stored)
        self.assertEqual(rest, msg)
        rp = [t for t in trace if t.lower().startswith(b"return-path:")]
        self.assertTrue(rp and b"<>" in rp[0], trace)

    def test_two_messages_one_session(self):
        m1 = make_message("first", b"one\r\n")
        m2 = make_message("second", b"two\r\n")
        with self.srv.smtp() as s:
            s.ehlo()
            self.assertEqual(s.sendmail(SENDER, [self.addr["alice"]], m1), {})
            self.assertEqual(s.sendmail(SENDER, [self.addr["alice"]], m2), {})
        got = [strip_trace(m)[1] for m in self.srv.mailbox(self.addr["alice"])]
        self.assertEqual(got, [m1, m2])

    def test_two_recipients(self):
        msg = make_message("for both", b"one message, two mailboxes\r\n")
        refused = self.srv.send(SENDER, [self.addr["alice"], self.addr["bob"]],
                                msg)
        self.assertEqual(refused, {})
        for u in ("alice", "bob"):
            got = self.srv.mailbox(self.addr[u])
            self.assertEqual(len(got), 1, u)
            self.assertRoundTrip(u, msg, got[0], SENDER)

    def test_helo(self):
        with self.srv.smtp() as s:
            code, _ = s.helo("client.test")
            self.assertEqual(code, 250)
            msg = make_message("via helo", b"x\r\n")
            self.assertEqual(s.sendmail(SENDER, [self.addr["bob"]], msg), {})
        self.assertEqual(strip_trace(
            self.srv.mailbox(self.addr["bob"])[0])[1], msg)


class CommandTest(ServerTest):
    users = ("alice",)

    def session(self):
        c = self.srv.raw("smtp")
        self.addCleanup(c.close)
        code, lines = c.reply()
        self.assertEqual(code, 220, lines)
        self.assertEqual(c.cmd("EHLO client.test")[0], 250)
        return c

    def test_unknown_user_550_511(self):
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER)[0], 250)
        code, lines = c.cmd("RCPT TO:<nobody@%s>" % DOMAIN)
        self.assertEqual(code, 550, lines)
        self.assertRegex(lines[-1], r"^550[ -]5\.1\.1")
        # with no recipient accepted, DATA is refused and nothing is stored
        code, lines = c.cmd("DATA")
        self.assertIn(code, (503, 554), lines)
        self.assertEqual(c.cmd("QUIT")[0], 221)
        self.assertEqual(self.srv.count(self.addr["alice"]), 0)

    def test_unknown_among_known(self):
        msg = make_message("mixed", b"x\r\n")
        refused = self.srv.send(SENDER, [self.addr["alice"],
                                         "nobody@" + DOMAIN], msg)
        self.assertEqual(list(refused), ["nobody@" + DOMAIN])
        self.assertEqual(refused["nobody@" + DOMAIN][0], 550)
        self.assertEqual(self.srv.count(self.addr["alice"]), 1)

    def test_non_local_domain(self):
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER)[0], 250)
        code, lines = c.cmd("RCPT TO:<someone@elsewhere.example>")
        self.assertTrue(code == 550 or 400 <= code < 500,
                        "relay attempt answered %s" % lines)

    def test_sequence_errors(self):
        c = self.session()
        code, lines = c.cmd("RCPT TO:<%s>" % self.addr["alice"])
        self.assertEqual(code, 503, "RCPT before MAIL: %s" % lines)
        code, lines = c.cmd("DATA")
        self.assertEqual(code, 503, "DATA before MAIL: %s" % lines)
        self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER)[0], 250)
        code, lines = c.cmd("MAIL FROM:<%s>" % SENDER)
        self.assertEqual(code, 503, "nested MAIL: %s" % lines)
        code, lines = c.cmd("DATA")
        self.assertEqual(code, 503, "DATA before RCPT: %s" % lines)

    def test_rset_noop_quit(self):
        c = self.session()
        self.assertEqual(c.cmd("NOOP")[0], 250)
        self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER)[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<%s>" % self.addr["alice"])[0], 250)
        self.assertEqual(c.cmd("RSET")[0], 250)
        code, lines = c.cmd("DATA")
        self.assertEqual(code, 503, "DATA after RSET: %s" % lines)
        code, lines = c.cmd("RCPT TO:<%s>" % self.addr["alice"])
        self.assertEqual(code, 503, "RCPT after RSET: %s" % lines)
        self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER)[0], 250)
        self.assertEqual(c.cmd("NOOP")[0], 250)
        self.assertEqual(c.cmd("QUIT")[0], 221)
        self.assertIsNone(c.line(), "connection still open after QUIT")
        self.assertEqual(self.srv.count(self.addr["alice"]), 0)

    def test_unknown_command(self):
        c = self.session()
        code, lines = c.cmd("FROBNICATE now")
        self.assertIn(code, (500, 502), lines)
        self.assertEqual(c.cmd("NOOP")[0], 250)

    def test_syntax_errors(self):
        c = self.session()
        for bad in ("MAIL", "MAIL FROM:", "MAIL FROM:<unterminated",
                    "MAIL TO:<a@b.test>"):
            code, lines = c.cmd(bad)
            self.assertTrue(code in (500, 501, 553, 555),
                            "%r answered %s" % (bad, lines))
        self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER)[0], 250)
        code, lines = c.cmd("RCPT TO:<no-at-sign>")
        self.assertTrue(500 <= code < 600, lines)

    def test_case_insensitive_commands(self):
        c = self.session()
        self.assertEqual(c.cmd("mail from:<%s>" % SENDER)[0], 250)
        self.assertEqual(c.cmd("rcpt to:<%s>" % self.addr["alice"])[0], 250)
        self.assertEqual(c.cmd("data")[0], 354)
        c.send(b"Subject: lower\r\n\r\nx\r\n.\r\n")
        self.assertEqual(c.reply()[0], 250)
        self.assertEqual(self.srv.count(self.addr["alice"]), 1)


class ToolTest(ServerTest):
    """Other real clients: swaks and curl."""
    users = ("alice",)

    def write(self, name, data):
        path = os.path.join(self.workdir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_swaks(self):
        msg = make_message("via swaks", b"Sent by swaks.\r\n.dot line\r\n")
        # swaks ends the data with its own CRLF before the dot
        path = self.write("swaks.eml", msg[:-2].replace(CRLF, b"\n"))
        p = subprocess.run(
            ["swaks", "--server", "127.0.0.1", "--port",
             str(self.srv.ports["smtp"]), "--helo", "client.test",
             "--from", SENDER, "--to", self.addr["alice"],
             "--data", "@" + path, "--timeout", str(int(timeout(60)))],
            capture_output=True, timeout=timeout(90))
        self.assertEqual(p.returncode, 0, p.stdout.decode(errors="replace"))
        got = self.srv.mailbox(self.addr["alice"])
        self.assertEqual(len(got), 1)
        self.assertRoundTrip("alice", msg, got[0], SENDER)

    def test_swaks_unknown_user(self):
        p = subprocess.run(
            ["swaks", "--server", "127.0.0.1", "--port",
             str(self.srv.ports["smtp"]), "--from", SENDER,
             "--to", "nobody@" + DOMAIN, "--timeout", str(int(timeout(60)))],
            capture_output=True, timeout=timeout(90))
        self.assertEqual(p.returncode, 24, "swaks: no RCPT accepted")
        self.assertIn(b"550", p.stdout)

    def test_curl_smtp_and_pop3(self):
        msg = make_message("via curl", b"Sent by curl.\r\n..\r\n.x\r\n")
        path = self.write("curl.eml", msg)
        p = subprocess.run(
            ["curl", "-sS", "--max-time", str(int(timeout(60))),
             "smtp://127.0.0.1:%d/client.test" % self.srv.ports["smtp"],
             "--mail-from", SENDER, "--mail-rcpt", self.addr["alice"],
             "--upload-file", path], capture_output=True,
            timeout=timeout(90))
        self.assertEqual(p.returncode, 0, p.stderr)
        got = self.srv.mailbox(self.addr["alice"])
        self.assertEqual(len(got), 1)
        self.assertRoundTrip("alice", msg, got[0], SENDER)
        # and back with curl's POP3 client
        p = subprocess.run(
            ["curl", "-sS", "--max-time", str(int(timeout(60))),
             "-u", "%s:%s" % (self.addr["alice"], PASSWORD),
             "pop3://127.0.0.1:%d/1" % self.srv.ports["pop3"]],
            capture_output=True, timeout=timeout(90))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(strip_trace(p.stdout)[1], msg)
        p = subprocess.run(
            ["curl", "-sS", "--max-time", str(int(timeout(60))),
             "-u", "%s:%s" % (self.addr["alice"], PASSWORD),
             "pop3://127.0.0.1:%d/" % self.srv.ports["pop3"]],
            capture_output=True, timeout=timeout(90))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, rb"^1 \d+\r?\n$")

    def test_curl_unknown_recipient(self):
        path = self.write("curl.eml", make_message("x", b"x\r\n"))
        p = subprocess.run(
            ["curl", "-sS", "--max-time", str(int(timeout(60))),
             "smtp://127.0.0.1:%d" % self.srv.ports["smtp"],
             "--mail-from", SENDER, "--mail-rcpt", "nobody@" + DOMAIN,
             "--upload-file", path], capture_output=True,
            timeout=timeout(90))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"550", p.stderr)
        self.assertEqual(self.srv.count(self.addr["alice"]), 0)

