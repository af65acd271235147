"""What the server announces must work: STARTTLS, PIPELINING, CHUNKING,
SIZE, SMTPUTF8 (SMTP); CAPA, UIDL, TOP, STLS and the maildrop lock (POP3);
and DATA's end-of-data rule against SMTP smuggling. Each test is skipped
when the server does not announce the extension."""

import poplib
import ssl
import time

from harness import (CRLF, DOMAIN, PASSWORD, ServerTest, make_message,
                     strip_trace, timeout)

SENDER = "sender@client.test"


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE     # the generated self-signed cert
    return ctx


class SmtpExtTest(ServerTest):
    users = ("alice", "bob")

    def setUp(self):
        super().setUp()
        with self.srv.smtp() as s:
            s.ehlo()
            self.ext = dict(s.esmtp_features)

    def need(self, ext):
        if ext not in self.ext:
            self.skipTest("%s not announced" % ext.upper())

    def session(self):
        c = self.srv.raw("smtp")
        self.addCleanup(c.close)
        self.assertEqual(c.reply()[0], 220)
        self.assertEqual(c.cmd("EHLO client.test")[0], 250)
        return c

    def stored(self, user="alice"):
        return [strip_trace(m)[1] for m in self.srv.mailbox(self.addr[user])]

    def test_starttls(self):
        self.need("starttls")
        msg = make_message("over tls", b"secret\r\n.x\r\n")
        with self.srv.smtp() as s:
            s.ehlo()
            code, _ = s.starttls(context=tls_context())
            self.assertEqual(code, 220)
            s.ehlo()
            self.assertNotIn("starttls", s.esmtp_features)
            self.assertEqual(s.sendmail(SENDER, [self.addr["alice"]], msg), {})
        got = self.srv.mailbox(self.addr["alice"])
        self.assertRoundTrip("alice", msg, got[0], SENDER)

    def test_pipelining(self):
        self.need("pipelining")
        c = self.session()
        c.send("MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nRCPT TO:<nobody@%s>\r\n"
               "RCPT TO:<%s>\r\nDATA\r\n" % (SENDER, self.addr["alice"],
                                             DOMAIN, self.addr["bob"]))
        codes = [c.reply()[0] for _ in range(5)]
        self.assertEqual(codes, [250, 250, 550, 250, 354])
        body = b"Subject: pipelined\r\n\r\nbody\r\n"
        c.send(body + b".\r\nMAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n" % (
            SENDER.encode(), self.addr["bob"].encode()))
        self.assertEqual([c.reply()[0] for _ in range(4)],
                         [250, 250, 250, 354])
        c.send(b"Subject: second\r\n\r\n2\r\n.\r\nQUIT\r\n")
        self.assertEqual([c.reply()[0] for _ in range(2)], [250, 221])
        self.assertEqual(self.stored("alice"), [body])
        self.assertEqual(self.stored("bob"),
                         [body, b"Subject: second\r\n\r\n2\r\n"])

    def test_bdat(self):
        self.need("chunking")
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER)[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<%s>" % self.addr["alice"])[0], 250)
        # BDAT has no dot-stuffing: lines with dots arrive as they are, and
        # chunk borders may split lines and CRLFs.
        msg = (b"Subject: bdat\r\n\r\n.\r\n..two\r\nsplit li" +
               b"ne\r\nend\r\n")
        parts = [msg[:20], msg[20:33], msg[33:34], msg[34:]]
        for p in parts[:-1]:
            c.send(b"BDAT %d\r\n" % len(p) + p)
            code, lines = c.reply()
            self.assertEqual(code, 250, lines)
        c.send(b"BDAT %d LAST\r\n" % len(parts[-1]) + parts[-1])
        code, lines = c.reply()
        self.assertEqual(code, 250, lines)
        self.assertEqual(self.stored(), [msg])

    def test_bdat_then_data_refused(self):
        self.need("chunking")
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER)[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<%s>" % self.addr["alice"])[0], 250)
        c.send(b"BDAT 5\r\nabcde")
        self.assertEqual(c.reply()[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 503)
        c.close()
        time.sleep(0.3)
        self.assertEqual(self.srv.count(self.addr["alice"]), 0)
        self.assertEqual(self.srv.tmp_files(), [])

    def test_size_declared_too_big(self):
        self.need("size")
        limit = int(self.ext["size"] or 0)
        if not limit:
            self.skipTest("SIZE without a limit")
        c = self.session()
        code, lines = c.cmd("MAIL FROM:<%s> SIZE=%d" % (SENDER, limit + 1))
        self.assertEqual(code, 552, lines)
        self.assertRegex(lines[-1], r"^552[ -]5\.3\.4")
        code, lines = c.cmd("MAIL FROM:<%s> SIZE=%d" % (SENDER, 1000))
        self.assertEqual(code, 250, lines)

    def test_smtputf8(self):
        self.need("smtputf8")
        sender = "jörg@client.test"
        msg = ("From: Jörg <jörg@client.test>\r\nTo: %s\r\n"
               "Subject: grüße 🐦\r\n\r\nnaïve\r\n" % self.addr["alice"]
               ).encode()
        c = self.session()
        code, lines = c.cmd("MAIL FROM:<%s>" % sender)
        self.assertEqual(code, 553, "non-ASCII sender without SMTPUTF8: %s"
                         % lines)
        c.send(("MAIL FROM:<%s> SMTPUTF8\r\n" % sender).encode())
        self.assertEqual(c.reply()[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<%s>" % self.addr["alice"])[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(msg + b".\r\n")
        self.assertEqual(c.reply()[0], 250)
        got = self.srv.mailbox(self.addr["alice"])
        self.assertRoundTrip("alice", msg, got[0], sender)

    def test_smuggling_bare_lf_dot(self):
        """Only CRLF.CRLF ends DATA: a message with <LF>.<LF> or <LF>.<CRLF>
        inside stays one message (SMTP smuggling)."""
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER)[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<%s>" % self.addr["alice"])[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(b"Subject: outer\r\n\r\nhello\n.\nMAIL FROM:<evil@x.test>\r\n"
               b"RCPT TO:<%s>\r\nDATA\r\nSubject: smuggled\r\n\r\nx\n.\r\n"
               b"y\r.\r\nmore\r\n.\r\n" % self.addr["bob"].encode())
        code, lines = c.reply()
        # Accepting (bare LF kept as data) and refusing the message are both
        # safe; running the smuggled commands is not.
        self.assertTrue(code == 250 or 500 <= code < 600, lines)
        self.assertEqual(c.cmd("QUIT")[0], 221, "input after the real end "
                         "of data was taken as commands")
        self.assertEqual(self.srv.count(self.addr["bob"]), 0,
                         "smuggled message delivered")
        got = self.srv.mailbox(self.addr["alice"])
        if code == 250:
            self.assertEqual(len(got), 1)
            self.assertIn(b"Subject: smuggled", got[0])
            self.assertIn(b"more", got[0])
        else:
            self.assertEqual(got, [])

    def test_vrfy_does_not_confirm(self):
        c = self.session()
        code, lines = c.cmd("VRFY " + self.addr["alice"])
        self.assertIn(code, (252, 502), lines)
        code2, _ = c.cmd("VRFY nobody@" + DOMAIN)
        self.assertEqual(code, code2, "VRFY tells users apart")


class Pop3ExtTest(ServerTest):
    users = ("alice",)

    def setUp(self):
        super().setUp()
        self.alice = self.addr["alice"]
        self.msg = make_message("pop ext", b"line 1\r\n.line 2\r\nline 3\r\n")
        self.srv.send(SENDER, [self.alice], self.msg)
        p = poplib.POP3("127.0.0.1", self.srv.ports["pop3"],
                        timeout=timeout(30))
        try:
            self.capa = p.capa()
        except poplib.error_proto:
            self.capa = {}
        p.quit()

    def need(self, cap):
        if cap not in self.capa:
            self.skipTest("%s not in CAPA" % cap)

    def test_uidl_stable(self):
        self.need("UIDL")
        p = self.srv.pop3(self.alice)
        first = p.uidl()[1]
        one = p.uidl(1)
        p.quit()
        self.srv.send(SENDER, [self.alice], make_message("2", b"2\r\n"))
        p = self.srv.pop3(self.alice)
        second = p.uidl()[1]
        p.quit()
        self.assertEqual(len(first), 1)
        self.assertEqual(second[0], first[0])
        self.assertNotEqual(second[1].split()[1], first[0].split()[1])
        self.assertEqual(one.split()[1:], first[0].split())
        # and across a restart
        self.assertEqual(self.srv.stop(), 0)
        self.srv.start()
        p = self.srv.pop3(self.alice)
        self.assertEqual(p.uidl()[1], second)
        p.quit()

    def test_top(self):
        self.need("TOP")
        p = self.srv.pop3(self.alice)
        _r, lines, _ = p.top(1, 0)
        raw = b"\r\n".join(lines) + CRLF
        head = self.msg.split(CRLF + CRLF)[0] + CRLF + CRLF
        self.assertEqual(strip_trace(raw)[1], head)
        _r, lines, _ = p.top(1, 2)
        self.assertEqual(lines[-2:], [b"line 1", b".line 2"])
        p.quit()

    def test_stls(self):
        self.need("STLS")
        p = poplib.POP3("127.0.0.1", self.srv.ports["pop3"],
                        timeout=timeout(30))
        p.stls(context=tls_context())
        p.user(self.alice)
        p.pass_(PASSWORD)
        _r, lines, _ = p.retr(1)
        p.quit()
        self.assertEqual(strip_trace(b"\r\n".join(lines) + CRLF)[1],
                         self.msg)

    def test_maildrop_lock(self):
        p = self.srv.pop3(self.alice)
        q = poplib.POP3("127.0.0.1", self.srv.ports["pop3"],
                        timeout=timeout(30))
        q.user(self.alice)
        try:
            q.pass_(PASSWORD)
            locked = False
        except poplib.error_proto as e:
            locked = True
            self.assertIn(b"IN-USE", e.args[0])
        finally:
            q.close()
        p.dele(1)
        p.quit()
        if not locked:
            self.skipTest("no maildrop lock (two sessions allowed)")
        self.assertEqual(self.srv.count(self.alice), 0)
