"""Bad input from a peer costs one reply and changes nothing: over-long
lines, binary garbage on each port, clients that vanish in the middle of
DATA."""

import random
import time

from harness import CRLF, ServerTest, make_message, strip_trace, timeout

SENDER = "sender@client.test"


def garbage(seed, n):
    rnd = random.Random(seed)
    data = bytearray(rnd.getrandbits(8) for _ in range(n))
    for i in range(0, n, 97):          # some line ends and NULs in between
        data[i] = 0
    for i in range(50, n, 211):
        data[i:i + 2] = b"\r\n"
    return bytes(data)


class BadInputTest(ServerTest):
    users = ("alice",)

    def smtp_session(self, mail=False):
        c = self.srv.raw("smtp")
        self.addCleanup(c.close)
        code, lines = c.reply()
        self.assertEqual(code, 220, lines)
        self.assertEqual(c.cmd("EHLO client.test")[0], 250)
        if mail:
            self.assertEqual(c.cmd("MAIL FROM:<%s>" % SENDER)[0], 250)
            self.assertEqual(c.cmd("RCPT TO:<%s>" % self.addr["alice"])[0],
                             250)
        return c

    def assertStillServes(self):
        """A complete transaction on a new connection still works."""
        msg = make_message("still alive %d" % time.time_ns(), b"ok\r\n")
        before = self.srv.count(self.addr["alice"])
        self.assertEqual(self.srv.send(SENDER, [self.addr["alice"]], msg), {})
        got = self.srv.mailbox(self.addr["alice"])
        self.assertEqual(len(got), before + 1)
        self.assertEqual(strip_trace(got[-1])[1], msg)
        self.assertTrue(self.srv.alive())

    def assertNoTempFiles(self):
        deadline = time.monotonic() + timeout(10)
        while self.srv.tmp_files() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.srv.tmp_files(), [],
                         "temporary files left in data_dir/tmp")

    # -- line length (RFC 5321 4.5.3.1.4, 4.5.3.1.6) ---------------------
    def test_long_command_line(self):
        c = self.smtp_session()
        code, lines = c.cmd("NOOP " + "x" * 1100)
        self.assertEqual(code, 500, lines)
        self.assertRegex(lines[-1], r"^500[ -]5\.5\.2")
        # the session either goes on or ends; it must not hang or crash
        code, lines = c.cmd("NOOP")
        self.assertIn(code, (250, 421, None), lines)
        self.assertStillServes()

    def test_1001_octet_command_line(self):
        c = self.smtp_session()
        line = "MAIL FROM:<" + "a" * (999 - len("MAIL FROM:<>@b.test")) \
            + "@b.test>"
        self.assertEqual(len(line) + 2, 1001)
        code, lines = c.cmd(line)
        self.assertEqual(code, 500, lines)
        self.assertStillServes()

    def test_very_long_line_without_end(self):
        """1 MiB with no line end: a reply (or close), no unbounded buffer."""
        c = self.smtp_session()
        try:
            c.send(b"x" * (1024 * 1024))
            c.send(CRLF)
        except (BrokenPipeError, ConnectionResetError):
            pass
        code, lines = c.reply()
        self.assertIn(code, (500, 421, None), lines)
        self.assertStillServes()

    def test_long_line_in_data(self):
        c = self.smtp_session(mail=True)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(b"Subject: too long\r\n\r\nfirst\r\n" + b"y" * 999 + CRLF +
               b"last\r\n.\r\n")
        code, lines = c.reply()
        self.assertIn(code, (500, 552), lines)
        self.assertEqual(self.srv.count(self.addr["alice"]), 0,
                         "a message with a too-long line was stored")
        self.assertNoTempFiles()
        # the session is back in its initial state and can send again
        code, _ = c.cmd("MAIL FROM:<%s>" % SENDER)
        if code is not None:
            self.assertEqual(code, 250)
        self.assertStillServes()

    def test_huge_line_in_data(self):
        c = self.smtp_session(mail=True)
        self.assertEqual(c.cmd("DATA")[0], 354)
        try:
            c.send(b"Subject: huge\r\n\r\n" + b"z" * (4 * 1024 * 1024) +
                   b"\r\n.\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        code, lines = c.reply()
        self.assertIn(code, (500, 552, 421, None), lines)
        self.assertEqual(self.srv.count(self.addr["alice"]), 0)
        self.assertNoTempFiles()
        self.assertStillServes()

    # -- binary garbage ----------------------------------------------------
    def test_smtp_garbage(self):
        for seed in range(3):
            c = self.srv.raw("smtp")
            self.assertEqual(c.reply()[0], 220)
            try:
                c.send(garbage(seed, 20000))
                c.send(b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            code, lines = c.reply()
            self.assertIsNotNone(code, "no reply to garbage, just a close")
            self.assertTrue(400 <= code < 600, lines)
            c.close()
        self.assertStillServes()

    def test_smtp_nul_bytes(self):
        c = self.smtp_session()
        for line in (b"NOOP\x00\r\n", b"MAIL FROM:<a\x00b@client.test>\r\n",
                     b"\x00\x00\x00\r\n", b"EHLO a\x00b\r\n"):
            c.send(line)
            code, lines = c.reply()
            self.assertIsNotNone(code, "closed after %r" % line)
            self.assertTrue(500 <= code < 600, "%r -> %s" % (line, lines))
        self.assertEqual(c.cmd("NOOP")[0], 250)
        self.assertStillServes()

    def test_nul_in_data(self):
        """NUL inside DATA: either refused for the message or stored as is,
        never truncated."""
        c = self.smtp_session(mail=True)
        self.assertEqual(c.cmd("DATA")[0], 354)
        body = b"Subject: nul\r\n\r\nbefore\x00after\r\n"
        c.send(body + b".\r\n")
        code, lines = c.reply()
        self.assertIsNotNone(code)
        got = self.srv.mailbox(self.addr["alice"])
        if code == 250:
            self.assertEqual(len(got), 1)
            self.assertEqual(strip_trace(got[0])[1], body)
        else:
            self.assertTrue(500 <= code < 600, lines)
            self.assertEqual(got, [])
        self.assertStillServes()

    def test_pop3_garbage(self):
        for seed in range(3):
            c = self.srv.raw("pop3")
            self.assertTrue(c.line().startswith(b"+OK"))
            try:
                c.send(garbage(100 + seed, 20000))
                c.send(b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            first = c.line()
            self.assertIsNotNone(first, "no reply to garbage, just a close")
            self.assertTrue(first.startswith(b"-ERR"), first)
            c.close()
        c = self.srv.raw("pop3")
        self.assertTrue(c.line().startswith(b"+OK"))
        c.send(b"USER \x00alice\r\n")
        self.assertTrue(c.line().startswith(b"-ERR"))
        c.send(b"NOOP " + b"n" * 3000 + b"\r\n")
        r = c.line()
        self.assertTrue(r is None or r.startswith(b"-ERR"), r)
        c.close()
        self.srv.pop3(self.addr["alice"]).quit()
        self.assertStillServes()

    # -- the client vanishes ------------------------------------------------
    def disconnect_in_data(self, sent, reset):
        c = self.smtp_session(mail=True)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(b"Subject: cut off\r\n\r\n")
        chunk = (b"0123456789" * 7 + CRLF)
        n = 0
        while n < sent:
            c.send(chunk * 100)
            n += len(chunk) * 100
        time.sleep(0.2)
        if reset:
            c.abort()
        else:
            c.close()
        self.assertNoTempFiles()
        self.assertEqual(self.srv.count(self.addr["alice"]), 0,
                         "a message cut off in DATA was stored")

    def test_disconnect_in_data_small(self):
        self.disconnect_in_data(10 * 1024, reset=False)
        self.assertStillServes()

    def test_disconnect_in_data_large(self):
        self.disconnect_in_data(3 * 1024 * 1024, reset=False)
        self.assertStillServes()

    def test_reset_in_data(self):
        self.disconnect_in_data(1024 * 1024, reset=True)
        self.assertStillServes()

    def test_disconnect_after_dot_less_end(self):
        """CRLF but no final dot: still incomplete."""
        c = self.smtp_session(mail=True)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(b"Subject: no dot\r\n\r\nbody\r\n")
        c.close()
        self.assertNoTempFiles()
        self.assertEqual(self.srv.count(self.addr["alice"]), 0)
        self.assertStillServes()

    def test_many_aborted_sessions(self):
        for i in range(30):
            c = self.srv.raw("smtp")
            c.reply()
            if i % 3 == 0:
                c.send(b"EHLO x\r\nMAIL FROM:<a@b.test>\r\n")
            elif i % 3 == 1:
                c.send(b"EHLO x\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<%s>\r\n"
                       b"DATA\r\nSubject: x\r\n\r\npartial" %
                       self.addr["alice"].encode())
            c.abort()
        self.assertNoTempFiles()
        self.assertEqual(self.srv.count(self.addr["alice"]), 0)
        self.assertStillServes()
