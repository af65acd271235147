"""SMTP submission (RFC 6409, RFC 8314) and what the MX must refuse: AUTH
only under TLS, MAIL only after AUTH, senders limited to the user's own
addresses, relaying refused (with the classic address tricks), mail to
other domains handed to the queue, aliases and catch-alls, missing Date:
and Message-ID: added, oversize messages and NUL bytes, POP3 AUTH."""

import base64
import email
import poplib
import smtplib
import ssl

from harness import (DOMAIN, PASSWORD, ServerTest, make_message,
                     strip_trace)

SENDER = "sender@client.test"


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE     # the generated self-signed cert
    return ctx


class SubmissionTest(ServerTest):
    listen = ("smtp", "submission", "submissions", "pop3")
    users = ("alice", "bob")

    def submission(self):
        s = smtplib.SMTP("127.0.0.1", self.srv.ports["submission"],
                         timeout=30)
        self.addCleanup(s.close)
        return s

    def logged_in(self, user="alice", password=PASSWORD):
        s = self.submission()
        s.starttls(context=tls_context())
        s.login(self.addr[user], password)
        return s

    def stored(self, user):
        return [strip_trace(m)[1] for m in self.srv.mailbox(self.addr[user])]

    def test_mail_needs_tls_then_auth(self):
        s = self.submission()
        s.ehlo()
        self.assertNotIn("auth", s.esmtp_features)
        code, msg = s.docmd("AUTH PLAIN", base64.b64encode(
            b"\0" + self.addr["alice"].encode() + b"\0" +
            PASSWORD.encode()).decode())
        self.assertEqual(code, 538)
        code, msg = s.mail(self.addr["alice"])
        self.assertEqual(code, 530)
        self.assertIn(b"STARTTLS", msg)
        s.starttls(context=tls_context())
        s.ehlo()
        self.assertIn("PLAIN", s.esmtp_features["auth"])
        self.assertIn("LOGIN", s.esmtp_features["auth"])
        code, msg = s.mail(self.addr["alice"])
        self.assertEqual(code, 530)
        self.assertIn(b"Authentication required", msg)

    def test_bad_credentials_535(self):
        s = self.submission()
        s.starttls(context=tls_context())
        with self.assertRaises(smtplib.SMTPAuthenticationError) as cm:
            s.login(self.addr["alice"], "wrong password")
        self.assertEqual(cm.exception.smtp_code, 535)
        with self.assertRaises(smtplib.SMTPAuthenticationError):
            s.login("nobody@" + DOMAIN, PASSWORD)
        s.login(self.addr["alice"], PASSWORD)   # still possible after

    def test_submit_plain_and_login(self):
        for mech in ("PLAIN", "LOGIN"):
            s = self.submission()
            s.starttls(context=tls_context())
            s.ehlo()
            s.user, s.password = self.addr["alice"], PASSWORD
            code, _ = s.auth(mech, getattr(s, "auth_" + mech.lower()),
                             initial_response_ok=(mech == "PLAIN"))
            self.assertEqual(code, 235)
            s.sendmail(self.addr["alice"], [self.addr["bob"]],
                       make_message("via " + mech, b"hello\r\n",
                                    sender=self.addr["alice"]))
        self.assertEqual(len(self.stored("bob")), 2)

    def test_submissions_implicit_tls(self):
        s = smtplib.SMTP_SSL("127.0.0.1", self.srv.ports["submissions"],
                             context=tls_context(), timeout=30)
        self.addCleanup(s.close)
        s.login(self.addr["alice"], PASSWORD)
        s.sendmail(self.addr["alice"], [self.addr["bob"]],
                   make_message("implicit", b"x\r\n",
                                sender=self.addr["alice"]))
        raw = self.srv.mailbox(self.addr["bob"])[0]
        trace, _ = strip_trace(raw)
        received = b" ".join(t for t in trace if t.lower().startswith(
            b"received"))
        self.assertIn(b"ESMTPSA", received)
        self.assertIn(b"TLSv1", received)

    def test_sender_must_be_own_address(self):
        s = self.logged_in()
        with self.assertRaises(smtplib.SMTPSenderRefused) as cm:
            s.sendmail(self.addr["bob"], [self.addr["bob"]], b"x\r\n")
        self.assertEqual(cm.exception.smtp_code, 553)
        s.rset()
        # user+tag and the null sender are the user's own
        s.sendmail("alice+lists@" + DOMAIN, [self.addr["bob"]],
                   make_message("tag", b"x\r\n"))
        s.sendmail("", [self.addr["bob"]], make_message("null", b"x\r\n"))
        self.assertEqual(len(self.stored("bob")), 2)

    def test_date_and_message_id_added(self):
        s = self.logged_in()
        s.sendmail(self.addr["alice"], [self.addr["bob"]],
                   b"Subject: bare\r\n\r\nno date, no id\r\n")
        msg = email.message_from_bytes(self.stored("bob")[0])
        self.assertIsNotNone(msg["Date"])
        self.assertIsNotNone(email.utils.parsedate_to_datetime(msg["Date"]))
        self.assertRegex(msg["Message-ID"], r"^<[0-9a-f]+@mx\.")
        # a message that has them keeps them, untouched
        s.sendmail(self.addr["alice"], [self.addr["bob"]],
                   b"Subject: full\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000"
                   b"\r\nMessage-ID: <keep@x>\r\n\r\nbody\r\n")
        msg = email.message_from_bytes(self.stored("bob")[1])
        self.assertEqual(msg["Message-ID"], "<keep@x>")
        self.assertEqual(msg.get_all("Date"),
                         ["Mon, 1 Jan 2024 00:00:00 +0000"])

    def test_remote_recipient_goes_to_queue(self):
        # A smart host that is down: the message waits in the queue.
        self.srv.stop()
        self.srv.write_config("relay.host = [127.0.0.1]:1\n")
        self.srv.start()
        s = self.logged_in()
        s.sendmail(self.addr["alice"], ["someone@elsewhere.test"],
                   make_message("out", b"x\r\n", sender=self.addr["alice"]))
        listing = self.srv.cli("queue", "list").stdout.decode()
        self.assertIn("someone@elsewhere.test", listing)


class MxRefusalTest(ServerTest):
    users = ("alice", "bob")

    def session(self):
        c = self.srv.raw("smtp")
        self.addCleanup(c.close)
        self.assertEqual(c.reply()[0], 220)
        self.assertEqual(c.cmd("EHLO client.test")[0], 250)
        self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER)[0], 250)
        return c

    def test_no_auth_on_mx(self):
        c = self.srv.raw("smtp")
        self.addCleanup(c.close)
        c.reply()
        code, lines = c.cmd("EHLO client.test")
        self.assertFalse(any("AUTH" in l for l in lines))
        self.assertEqual(c.cmd("AUTH PLAIN AGFAYgBj")[0], 502)

    def test_relay_refused_with_tricks(self):
        c = self.session()
        self.assertEqual(c.cmd("RCPT TO:<x@elsewhere.test>")[0], 550)
        # percent hack, quoted @, bang path: nobody here has these names,
        # and no part after them is ever used as a route
        for rcpt in ("<x%%elsewhere.test@%s>" % DOMAIN,
                     "<\"x@elsewhere.test\"@%s>" % DOMAIN,
                     "<elsewhere.test!x@%s>" % DOMAIN,
                     "<@%s:x@elsewhere.test>" % DOMAIN):
            self.assertEqual(c.cmd("RCPT TO:" + rcpt)[0], 550, rcpt)
        # a source route to a local user delivers locally (RFC 5321 C)
        self.assertEqual(
            c.cmd("RCPT TO:<@elsewhere.test:%s>" % self.addr["bob"])[0],
            250)

    def test_aliases_catchall_and_plus(self):
        self.srv.cli("alias", "add", "team@" + DOMAIN, self.addr["alice"])
        self.srv.cli("alias", "add", "team@" + DOMAIN, self.addr["bob"])
        self.srv.cli("alias", "add", "@" + DOMAIN, self.addr["bob"])
        c = self.session()
        for rcpt in ("team@", "anyone@", "alice+news@"):
            self.assertEqual(c.cmd("RCPT TO:<%s%s>" % (rcpt, DOMAIN))[0],
                             250, rcpt)
        self.assertEqual(c.cmd("DATA")[0], 354)
        self.assertEqual(c.cmd("Subject: a\r\n\r\nx\r\n.")[0], 250)
        # one copy each, whatever the number of ways it reached them
        self.assertEqual(self.srv.count(self.addr["alice"]), 1)
        self.assertEqual(self.srv.count(self.addr["bob"]), 1)
        self.srv.cli("alias", "del", "@" + DOMAIN)
        c = self.session()
        self.assertEqual(c.cmd("RCPT TO:<anyone@%s>" % DOMAIN)[0], 550)

    def test_oversize_in_data_552(self):
        self.srv.stop()
        self.srv.write_config("smtp.max_message_size = 64K\n")
        self.srv.start()
        c = self.session()
        self.assertEqual(c.cmd("RCPT TO:<%s>" % self.addr["alice"])[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(b"Subject: big\r\n\r\n" + (b"x" * 990 + b"\r\n") * 100)
        self.assertEqual(c.cmd(".")[0], 552)
        self.assertEqual(self.srv.count(self.addr["alice"]), 0)
        self.assertEqual(c.cmd("NOOP")[0], 250)

    def test_nul_bytes(self):
        c = self.session()
        self.assertEqual(c.cmd("RCPT TO:<%s>\0" % self.addr["alice"])[0],
                         500)
        self.assertEqual(c.cmd("NOOP")[0], 250)


class Pop3AuthTest(ServerTest):
    users = ("alice",)

    def test_auth_plain_and_login(self):
        self.srv.send(SENDER, [self.addr["alice"]],
                      make_message("one", b"x\r\n"))
        p = poplib.POP3("127.0.0.1", self.srv.ports["pop3"], timeout=30)
        self.assertIn("SASL", p.capa())
        cred = base64.b64encode(b"\0" + self.addr["alice"].encode() +
                                b"\0" + PASSWORD.encode()).decode()
        self.assertTrue(p._shortcmd("AUTH PLAIN " + cred).startswith(b"+OK"))
        self.assertEqual(p.stat()[0], 1)
        p.quit()
        p = poplib.POP3("127.0.0.1", self.srv.ports["pop3"], timeout=30)
        self.assertEqual(p._shortcmd("AUTH LOGIN")[:1], b"+")
        p._putcmd(base64.b64encode(self.addr["alice"].encode()).decode())
        self.assertEqual(p._getresp()[:1], b"+")
        p._putcmd(base64.b64encode(b"wrong").decode())
        with self.assertRaises(poplib.error_proto) as cm:
            p._getresp()
        self.assertIn(b"[AUTH]", cm.exception.args[0])
        p.quit()
