"""The per-account sign-in throttle is shared by every protocol: failed
passwords over IMAP lock the account out of POP3 and SMTP AUTH too, even
with the right password, while another account signs in from the same
address (so it is the account's limit, not the address's).
SPDX-License-Identifier: ISC
"""

import imaplib
import poplib
import smtplib

from harness import PASSWORD, ServerTest, timeout
from test_submission import tls_context


class LoginThrottleTest(ServerTest):
    listen = ("smtp", "submission", "pop3", "imap")
    users = ("alice", "bob")

    def setUp(self):
        super().setUp()
        self.srv.stop()
        self.srv.write_config("login.max_failures = 2\n")
        self.srv.start()

    def imap_login(self, user, password):
        c = imaplib.IMAP4("127.0.0.1", self.srv.ports["imap"],
                          timeout=timeout(30))
        try:
            c.login(user, password)
            return "OK"
        except imaplib.IMAP4.error as e:
            return str(e)
        finally:
            try:
                c.logout()
            except (imaplib.IMAP4.error, OSError):
                pass

    def pop3_login(self, user, password):
        p = poplib.POP3("127.0.0.1", self.srv.ports["pop3"],
                        timeout=timeout(30))
        try:
            p.user(user)
            p.pass_(password)
            return b"+OK"
        except poplib.error_proto as e:
            return e.args[0]
        finally:
            p.quit()

    def smtp_auth(self, user, password):
        """One AUTH PLAIN (smtplib's login() would try LOGIN after it:
        two failures)."""
        s = smtplib.SMTP("127.0.0.1", self.srv.ports["submission"],
                         timeout=timeout(30))
        try:
            s.starttls(context=tls_context())
            s.ehlo()
            s.user, s.password = user, password
            s.auth("PLAIN", s.auth_plain)
            return 235
        except smtplib.SMTPAuthenticationError as e:
            return e.smtp_code
        finally:
            s.close()

    def test_account_locked_across_protocols(self):
        alice, bob = self.addr["alice"], self.addr["bob"]
        self.assertEqual(self.pop3_login(alice, PASSWORD), b"+OK")
        for _ in range(2):
            self.assertIn("AUTHENTICATIONFAILED",
                          self.imap_login(alice, "wrong-password"))
        # The right password no longer helps, on any protocol.
        self.assertIn("Too many failed attempts",
                      self.imap_login(alice, PASSWORD))
        self.assertIn(b"[SYS/TEMP] Too many failed attempts",
                      self.pop3_login(alice, PASSWORD))
        self.assertEqual(self.smtp_auth(alice, PASSWORD), 454)
        # The address itself is not blocked: another account signs in.
        self.assertEqual(self.imap_login(bob, PASSWORD), "OK")
        self.assertEqual(self.pop3_login(bob, PASSWORD), b"+OK")
        self.assertEqual(self.smtp_auth(bob, PASSWORD), 235)
        self.assertIn(b"result=throttled", self.srv.log_text())

    def test_smtp_failures_count_for_imap(self):
        """Failures over SMTP AUTH count against the account for IMAP."""
        alice = self.addr["alice"]
        for _ in range(2):
            self.assertEqual(self.smtp_auth(alice, "wrong-password"), 535)
        self.assertIn("Too many failed attempts",
                      self.imap_login(alice, PASSWORD))
