"""POP3 with a real download client: fetchmail in keep mode (the mail stays
on the server and UIDL stops a second download) and in delete mode (the
mail is gone after the UPDATE state). fetchmail upgrades with STLS on its
own and checks the certificate: it is told to trust the self-signed one
petrel made."""

import os
import shutil
import subprocess

from harness import PASSWORD, ServerTest, make_message, timeout

SENDER = "sender@client.test"


class FetchmailTest(ServerTest):
    users = ("alice",)

    def setUp(self):
        if shutil.which("fetchmail") is None:
            self.skipTest("fetchmail not installed")
        super().setUp()
        for i in range(3):
            self.srv.send(SENDER, [self.addr["alice"]],
                          make_message("fetch %d" % i, b"line\r\n.dot\r\n"))

    def fetch(self, keep):
        box = os.path.join(self.workdir, "mbox")
        rc = os.path.join(self.workdir, "fetchmailrc")
        ids = os.path.join(self.workdir, "fetchids")
        with open(rc, "w") as f:
            f.write('poll 127.0.0.1 port %d proto pop3 uidl\n'
                    '  user "%s" password "%s" %s\n'
                    '  sslcertfile "%s" sslcommonname "mx.example.test"\n'
                    '  mda "/bin/sh -c \'cat >> %s\'"\n' % (
                        self.srv.ports["pop3"], self.addr["alice"],
                        PASSWORD, "keep" if keep else "no keep",
                        os.path.join(self.srv.data_dir, "tls",
                                     "selfsigned.crt"), box))
        os.chmod(rc, 0o600)
        p = subprocess.run(["fetchmail", "-f", rc, "-i", ids, "--nosyslog",
                            "-d0", "--nodetach"], capture_output=True,
                           timeout=timeout(60),
                           # Its lock file too: as root fetchmail keeps it
                           # in /var/run, shared with any other run.
                           env=dict(os.environ, HOME=self.workdir,
                                    FETCHMAILHOME=self.workdir))
        # 0: mail fetched; 1: nothing new
        self.assertIn(p.returncode, (0, 1), p.stderr.decode(errors="replace"))
        if not os.path.exists(box):
            return b""
        with open(box, "rb") as f:
            return f.read()

    def test_keep_mode(self):
        got = self.fetch(keep=True)
        self.assertEqual(got.count(b"Subject: fetch"), 3)
        self.assertIn(b"\n.dot", got.replace(b"\r\n", b"\n"))
        self.assertEqual(self.srv.count(self.addr["alice"]), 3)
        # UIDL: a second run fetches nothing new
        again = self.fetch(keep=True)
        self.assertEqual(again.count(b"Subject: fetch"), 3)

    def test_delete_mode(self):
        got = self.fetch(keep=False)
        self.assertEqual(got.count(b"Subject: fetch"), 3)
        self.assertEqual(self.srv.count(self.addr["alice"]), 0)
