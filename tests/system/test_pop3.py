"""POP3 (RFC 1939): login, states, RETR stuffing, deletions only at QUIT."""

import poplib
import time

from harness import (CRLF, PASSWORD, ServerTest, make_message, strip_trace,
                     timeout)

SENDER = "sender@client.test"


class Pop3Test(ServerTest):

    def setUp(self):
        super().setUp()
        self.alice = self.addr["alice"]
        self.sent = []
        for i in range(3):
            m = make_message("msg %d" % i, b"body %d\r\n.dot %d\r\n" % (i, i))
            self.srv.send(SENDER, [self.alice], m)
            self.sent.append(m)

    def raw_login(self, user=None, password=PASSWORD):
        deadline = time.monotonic() + timeout(5)
        while True:
            c = self.srv.raw("pop3")
            self.addCleanup(c.close)
            self.assertTrue(c.line().startswith(b"+OK"), "greeting")
            self.expect_ok(c, "USER " + (user or self.alice))
            c.send("PASS %s\r\n" % password)
            r = c.line()
            if r and b"[IN-USE]" in r and time.monotonic() < deadline:
                c.close()          # the last session still ends
                time.sleep(0.1)
                continue
            self.assertTrue(r and r.startswith(b"+OK"), "PASS -> %r" % r)
            return c

    def expect_ok(self, c, cmd):
        c.send(cmd + "\r\n")
        r = c.line()
        self.assertTrue(r and r.startswith(b"+OK"), "%s -> %r" % (
            cmd.split()[0], r))
        return r

    def expect_err(self, c, cmd):
        c.send(cmd + "\r\n")
        r = c.line()
        self.assertTrue(r and r.startswith(b"-ERR"), "%s -> %r (want -ERR)" % (
            cmd, r))
        return r

    def multiline(self, c):
        lines = []
        while True:
            ln = c.line()
            self.assertIsNotNone(ln, "connection closed in a multi-line reply")
            if ln == b".":
                return lines
            lines.append(ln)

    def test_wrong_password(self):
        p = poplib.POP3("127.0.0.1", self.srv.ports["pop3"], timeout=30)
        p.user(self.alice)
        with self.assertRaises(poplib.error_proto) as cm:
            p.pass_("wrong")
        self.assertTrue(str(cm.exception).startswith("b'-ERR"))
        p.close()
        self.srv.pop3(self.alice).quit()  # the right one still works

    def test_unknown_user(self):
        with self.assertRaises(poplib.error_proto):
            self.srv.pop3("nobody@example.test")

    def test_commands_in_wrong_state(self):
        c = self.srv.raw("pop3")
        self.addCleanup(c.close)
        self.assertTrue(c.line().startswith(b"+OK"))
        for cmd in ("STAT", "LIST", "RETR 1", "DELE 1", "RSET", "PASS x"):
            self.expect_err(c, cmd)
        self.expect_ok(c, "USER " + self.alice)
        self.expect_err(c, "STAT")        # after USER, before PASS
        self.expect_ok(c, "PASS " + PASSWORD)
        self.expect_err(c, "USER " + self.alice)  # TRANSACTION state
        self.expect_err(c, "PASS " + PASSWORD)
        self.expect_ok(c, "STAT")
        self.expect_err(c, "FROBNICATE")
        self.expect_ok(c, "QUIT")

    def test_stat_list_retr(self):
        p = self.srv.pop3(self.alice)
        n, octets = p.stat()
        self.assertEqual(n, 3)
        _resp, listing, _ = p.list()
        sizes = {int(a): int(b) for a, b in (ln.split() for ln in listing)}
        self.assertEqual(sorted(sizes), [1, 2, 3])
        self.assertEqual(sum(sizes.values()), octets)
        for i in (1, 2, 3):
            resp = p.list(i)
            self.assertEqual(resp.split()[1:], [b"%d" % i, b"%d" % sizes[i]])
            _resp, lines, _ = p.retr(i)
            raw = b"\r\n".join(lines) + CRLF
            self.assertEqual(len(raw), sizes[i], "LIST size vs RETR octets")
            self.assertEqual(strip_trace(raw)[1], self.sent[i - 1])
        with self.assertRaises(poplib.error_proto):
            p.list(4)
        with self.assertRaises(poplib.error_proto):
            p.retr(4)
        with self.assertRaises(poplib.error_proto):
            p.retr(0)
        p.noop()
        p.quit()

    def test_retr_is_dot_stuffed(self):
        c = self.raw_login()
        self.expect_ok(c, "RETR 1")
        lines = self.multiline(c)
        self.assertIn(b"..dot 0", lines)
        self.assertNotIn(b".dot 0", lines)
        self.expect_ok(c, "QUIT")

    def test_dele_quit_removes(self):
        p = self.srv.pop3(self.alice)
        p.dele(2)
        with self.assertRaises(poplib.error_proto):
            p.retr(2)                      # deleted: no longer accessible
        with self.assertRaises(poplib.error_proto):
            p.dele(2)                      # twice
        self.assertEqual(p.stat()[0], 2)   # STAT leaves deleted ones out
        p.quit()
        left = [strip_trace(m)[1] for m in self.srv.mailbox(self.alice)]
        self.assertEqual(left, [self.sent[0], self.sent[2]])

    def test_dele_drop_keeps(self):
        c = self.raw_login()
        self.expect_ok(c, "DELE 1")
        self.expect_ok(c, "DELE 3")
        c.close()                          # no QUIT
        c2 = self.raw_login()
        self.expect_ok(c2, "DELE 2")
        c2.abort()                         # reset instead of FIN
        self.assertEqual(len(self.srv.mailbox(self.alice)), 3)

    def test_rset_undeletes(self):
        p = self.srv.pop3(self.alice)
        p.dele(1)
        p.dele(3)
        p.rset()
        self.assertEqual(p.stat()[0], 3)
        p.quit()
        self.assertEqual(self.srv.count(self.alice), 3)

    def test_quit_in_authorization(self):
        c = self.srv.raw("pop3")
        self.addCleanup(c.close)
        self.assertTrue(c.line().startswith(b"+OK"))
        self.expect_ok(c, "QUIT")
        self.assertIsNone(c.line())

    def test_delete_all_then_new_mail(self):
        p = self.srv.pop3(self.alice)
        for i in (1, 2, 3):
            p.dele(i)
        p.quit()
        self.assertEqual(self.srv.count(self.alice), 0)
        m = make_message("after", b"new\r\n")
        self.srv.send(SENDER, [self.alice], m)
        got = self.srv.mailbox(self.alice)
        self.assertEqual([strip_trace(x)[1] for x in got], [m])

    def test_mailboxes_are_separate(self):
        self.assertEqual(self.srv.count(self.addr["bob"]), 0)
