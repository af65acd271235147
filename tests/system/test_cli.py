"""Configuration errors, the administration CLI and stopping by signal."""

import os
import poplib
import signal
import subprocess

from harness import (DOMAIN, PETREL_BIN, ServerTest,
                     make_message, timeout)


class ConfigTest(ServerTest):
    start_server = False

    def bad_config(self, body, lineno, command=("domain", "list")):
        data = os.path.join(self.workdir, "never-created")
        path = os.path.join(self.workdir, "bad.conf")
        with open(path, "w") as f:
            f.write(body.replace("@DATA@", data))
        p = subprocess.run([PETREL_BIN, "-c", path] + list(command),
                           capture_output=True, timeout=timeout(30),
                           stdin=subprocess.DEVNULL)
        err = p.stderr.decode(errors="replace")
        self.assertEqual(p.returncode, 1, "exit status for a bad config "
                         "(%s), stderr: %s" % (" ".join(command), err))
        self.assertIn("%s:%d:" % (path, lineno), err,
                      "the error must name FILE:LINE")
        self.assertFalse(os.path.exists(data),
                         "a bad config must change nothing (data_dir made)")
        return err

    def test_unknown_key(self):
        self.bad_config("# comment\ndata_dir = @DATA@\n\nno_such_key = 1\n"
                        "listen.smtp =\n", 4)

    def test_unknown_key_serve(self):
        self.bad_config("data_dir = @DATA@\nlisten.smtp =\nlisten.bogus = "
                        "127.0.0.1:1\n", 3, command=("serve",))

    def test_missing_equals(self):
        self.bad_config("data_dir = @DATA@\n# x = y\nhostname mx.example\n",
                        3)

    def test_missing_equals_serve(self):
        self.bad_config("data_dir = @DATA@\nlisten.smtp 127.0.0.1:2525\n", 2,
                        command=("serve",))

    def test_bad_listen_address(self):
        self.bad_config("data_dir = @DATA@\nlisten.pop3 =\n"
                        "listen.smtp = 127.0.0.1:notaport\n", 3,
                        command=("serve",))

    def test_config_doc_matches_schema(self):
        """docs/CONFIG.md ends with the table `petrel config schema`
        prints: a key added to the code shows up in the documentation."""
        p = subprocess.run([PETREL_BIN, "config", "schema"],
                           capture_output=True, timeout=timeout(30))
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = os.path.join(os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.abspath(__file__)))), "docs",
            "CONFIG.md")
        with open(doc, "rb") as f:
            text = f.read()
        self.assertTrue(text.endswith(p.stdout), "docs/CONFIG.md is not "
                        "the output of `petrel config schema` after its "
                        "introduction: regenerate its table")

    def test_comments_and_blank_lines(self):
        srv = self.new_server()
        with open(srv.config, "a") as f:
            f.write("\n# a comment line\n   # an indented comment\n\n")
        srv.cli("domain", "list")


class CliTest(ServerTest):
    start_server = False

    def setUp(self):
        super().setUp()
        self.srv = self.new_server()

    def run_cli(self, *args, input=None):
        return self.srv.cli(*args, input=input, check=False)

    def test_usage_errors_exit_2(self):
        for args in (("no-such-command",), ("domain",),
                     ("domain", "frobnicate", "x.test"), ("user",),
                     ("user", "add")):
            p = self.run_cli(*args)
            self.assertEqual(p.returncode, 2, "petrel %s: exit %d, stderr %r"
                             % (" ".join(args), p.returncode, p.stderr))
            self.assertTrue(p.stderr.strip(), "usage error without a message")

    def test_domain_add_list_del(self):
        self.srv.cli("domain", "add", "one.test")
        self.srv.cli("domain", "add", "two.test")
        out = self.srv.cli("domain", "list").stdout.decode().split()
        self.assertIn("one.test", out)
        self.assertIn("two.test", out)
        self.srv.cli("domain", "del", "one.test")
        out = self.srv.cli("domain", "list").stdout.decode().split()
        self.assertNotIn("one.test", out)
        self.assertIn("two.test", out)

    def test_domain_errors(self):
        p = self.run_cli("domain", "del", "absent.test")
        self.assertEqual(p.returncode, 1)
        self.assertTrue(p.stderr.strip())
        p = self.run_cli("domain", "add", "not a domain!")
        self.assertEqual(p.returncode, 1, p.stderr)

    def test_user_errors(self):
        p = self.run_cli("user", "add", "x@unknown-domain.test",
                         input=b"pw\n")
        self.assertEqual(p.returncode, 1, "user in an unknown domain")
        self.assertTrue(p.stderr.strip())
        self.srv.cli("domain", "add", DOMAIN)
        p = self.run_cli("user", "del", "nobody@" + DOMAIN)
        self.assertEqual(p.returncode, 1, "deleting an unknown user")
        self.srv.add_user("carol")
        p = self.run_cli("domain", "del", DOMAIN)
        self.assertEqual(p.returncode, 1, "deleting a domain with users")
        self.assertIn(DOMAIN, self.srv.cli("domain", "list").stdout.decode())

    def test_user_add_list_del(self):
        self.srv.add_domain()
        self.srv.add_user("carol")
        self.srv.add_user("dave")
        out = self.srv.cli("user", "list").stdout.decode().split()
        self.assertIn("carol@" + DOMAIN, out)
        self.assertIn("dave@" + DOMAIN, out)
        self.srv.cli("user", "del", "carol@" + DOMAIN)
        out = self.srv.cli("user", "list").stdout.decode().split()
        self.assertNotIn("carol@" + DOMAIN, out)
        self.assertIn("dave@" + DOMAIN, out)

    def test_user_passwd_and_del_with_server(self):
        self.srv.add_domain()
        carol = self.srv.add_user("carol")
        self.srv.start()
        self.srv.pop3(carol).quit()
        self.srv.cli("user", "passwd", carol, input=b"n3w-pass\n")
        with self.assertRaises(poplib.error_proto):
            self.srv.pop3(carol)
        self.srv.pop3(carol, "n3w-pass").quit()
        self.srv.send("s@client.test", [carol],
                      make_message("to carol", b"hi\r\n"))
        self.srv.cli("user", "del", carol)
        with self.assertRaises(poplib.error_proto):
            self.srv.pop3(carol, "n3w-pass")
        with self.srv.smtp() as s:
            s.ehlo()
            s.mail("s@client.test")
            code, _ = s.rcpt(carol)
            self.assertEqual(code, 550, "RCPT to a deleted user")


class SignalTest(ServerTest):
    start_server = False

    def setUp(self):
        super().setUp()
        self.srv = self.new_server()
        self.srv.add_domain()
        self.alice = self.srv.add_user("alice")

    def stop_with(self, sig):
        self.srv.start()
        self.srv.send("s@client.test", [self.alice],
                      make_message("before stop", b"x\r\n"))
        rc = self.srv.stop(sig)
        self.assertEqual(rc, 0, "exit status after signal %d" % sig)

    def test_sigterm_exit_0(self):
        self.stop_with(signal.SIGTERM)
        # the ports are free again and the data survived
        self.srv.start()
        self.assertEqual(self.srv.count(self.alice), 1)

    def test_sigint_exit_0(self):
        self.stop_with(signal.SIGINT)

    def test_sigterm_with_idle_clients(self):
        self.srv.start()
        smtp = self.srv.raw("smtp")
        self.assertEqual(smtp.reply()[0], 220)
        pop = self.srv.raw("pop3")
        self.assertTrue(pop.line().startswith(b"+OK"))
        rc = self.srv.stop(signal.SIGTERM)
        smtp.close()
        pop.close()
        self.assertEqual(rc, 0)

    def test_serve_then_c_option(self):
        """`petrel serve -c FILE` works like `petrel -c FILE serve`."""
        log = os.path.join(self.workdir, "serve-c.log")
        with open(log, "wb") as f:
            p = subprocess.Popen([PETREL_BIN, "serve", "-c", self.srv.config],
                                 stdout=f, stderr=f, stdin=subprocess.DEVNULL)
        try:
            self.srv.proc = p
            self.srv.log_path = log
            self.srv.logs.append(log)
            self.srv._log = open(log, "ab")
            self.srv.wait_ready()
            self.assertEqual(self.srv.count(self.alice), 0)
            self.assertEqual(self.srv.stop(), 0)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()

    def test_ready_only_when_bound(self):
        self.srv.start()
        text = self.srv.log_text()
        self.assertRegex(text, rb"event=ready")
        for proto in ("smtp", "pop3"):
            c = self.srv.raw(proto)
            first = c.line()
            c.close()
            self.assertTrue(first, "%s: no greeting right after ready" % proto)


if __name__ == "__main__":
    import unittest
    unittest.main()
