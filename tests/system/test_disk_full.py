"""A full disk: data_dir on a 24 MiB tmpfs, 10 MiB messages until the server
answers 4xx. What got 250 is intact, nothing is half-written, and after
deleting over POP3 mail is accepted again."""

import os
import smtplib
import subprocess

from harness import CRLF, ServerTest, make_message, sha256, strip_trace

SENDER = "sender@client.test"
MIB = 1024 * 1024


def big_message(i, size=10 * MIB):
    line = (b"%06d " % i) + os.urandom(36).hex().encode() + CRLF  # 81 octets
    n = size // len(line)
    body = b"".join(line[:7] + (b"%08d" % k) + line[15:] for k in range(n))
    return make_message("big %d" % i, body,
                        extra_headers=("X-Body-Sha256: " + sha256(body),))


class DiskFullTest(ServerTest):
    start_server = False

    def setUp(self):
        super().setUp()
        if os.geteuid() != 0:
            self.skipTest("needs root to mount a tmpfs")
        self.mnt = os.path.join(self.workdir, "small-disk")
        os.makedirs(self.mnt)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m",
                            "tmpfs", self.mnt], capture_output=True)
        if p.returncode != 0:
            self.skipTest("cannot mount a tmpfs: %s" % p.stderr.decode())
        self.addCleanup(self.umount)
        self.srv = self.new_server(data_dir=os.path.join(self.mnt, "data"))
        self.srv.add_domain()
        self.alice = self.srv.add_user("alice")
        self.srv.start()

    def umount(self):
        # tearDown has stopped the server by now
        p = subprocess.run(["umount", self.mnt], capture_output=True)
        if p.returncode != 0:
            subprocess.run(["umount", "-l", self.mnt], capture_output=True)

    def try_send(self, msg):
        """250 -> True; a 4xx anywhere in the transaction -> False."""
        try:
            self.srv.send(SENDER, [self.alice], msg)
            return True
        except smtplib.SMTPDataError as e:
            self.assertTrue(400 <= e.smtp_code < 500,
                            "disk full answered %d %r (want 4xx)" % (
                                e.smtp_code, e.smtp_error))
        except smtplib.SMTPSenderRefused as e:
            self.assertTrue(400 <= e.smtp_code < 500, repr(e))
        except smtplib.SMTPRecipientsRefused as e:
            code = list(e.recipients.values())[0][0]
            self.assertTrue(400 <= code < 500, repr(e))
        except smtplib.SMTPServerDisconnected as e:
            self.fail("server closed the connection on a full disk "
                      "instead of a 4xx reply: %s" % e)
        return False

    def check_mailbox(self, expected):
        got = self.srv.mailbox(self.alice)
        self.assertEqual(len(got), len(expected),
                         "messages in the mailbox vs messages that got 250")
        for raw, sent in zip(got, expected):
            rest = strip_trace(raw)[1]
            self.assertEqual(len(rest), len(sent), "stored message truncated")
            self.assertTrue(rest == sent, "stored message differs")

    def test_disk_full(self):
        acked = []
        refused = 0
        for i in range(6):
            msg = big_message(i)
            if self.try_send(msg):
                acked.append(msg)
            else:
                refused += 1
                break
        self.assertEqual(refused, 1, "24 MiB disk never reported full after "
                         "%d messages of 10 MiB" % len(acked))
        self.assertTrue(self.srv.alive(), "server died on a full disk")
        print("    disk full: %d x 10 MiB accepted, then 4xx" % len(acked))
        self.assertEqual(self.srv.tmp_files(), [],
                         "temporary files left after a refused message")
        # once more while full: still a 4xx, still no leftovers
        self.assertFalse(self.try_send(big_message(50)))
        self.assertEqual(self.srv.tmp_files(), [])
        self.check_mailbox(acked)

        # a restart finds the same state, and no stray body files
        self.assertEqual(self.srv.stop(), 0)
        bodies = self.srv.body_files_check()
        if bodies is not None:
            self.assertEqual(bodies, ([], []), "(body files without a row, "
                             "rows without a file)")
        self.srv.start()
        self.check_mailbox(acked)

        # free space over POP3, then mail is accepted again
        p = self.srv.pop3(self.alice)
        for i in range(1, len(acked) + 1):
            p.dele(i)
        p.quit()
        self.assertEqual(self.srv.count(self.alice), 0)
        msg = big_message(99)
        self.assertTrue(self.try_send(msg),
                        "no message accepted after deleting everything")
        self.check_mailbox([msg])
        self.assertEqual(self.srv.tmp_files(), [])

    def test_small_messages_fill_disk(self):
        """Many 1 MiB messages at once: the last one may fail, none may be
        half-stored, the server keeps answering."""
        acked = []
        for i in range(40):
            msg = big_message(1000 + i, size=MIB)
            if self.try_send(msg):
                acked.append(msg)
            else:
                break
        else:
            self.fail("40 MiB accepted on a 24 MiB disk")
        self.assertTrue(self.srv.alive())
        self.assertEqual(self.srv.tmp_files(), [])
        self.check_mailbox(acked)
        # POP3 still serves on a full disk, and a delete frees the space
        p = self.srv.pop3(self.alice)
        p.dele(1)
        p.dele(2)
        p.quit()
        msg = big_message(2000, size=MIB)
        self.assertTrue(self.try_send(msg))
        self.check_mailbox(acked[2:] + [msg])

