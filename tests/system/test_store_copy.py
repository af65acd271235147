"""petrel store copy (issue 9): a whole store copied to another location
serves the same mail under the same UIDVALIDITY and UIDs, flags, keywords,
dates, folders, subscriptions, passwords and aliases; running it again
copies nothing twice and finishes an interrupted copy.

tests/cluster/test_store_copy_pg.py runs the same test with PostgreSQL as
the target.
SPDX-License-Identifier: ISC
"""

import imaplib
import os
import re

from harness import PASSWORD, ServerTest, make_message, timeout


def imap_state(port, user):
    """Everything a client can see of an account, as comparable data."""
    c = imaplib.IMAP4("127.0.0.1", port, timeout=timeout(30))
    c.login(user, PASSWORD)
    state = {}
    typ, lines = c.list('""', "*")
    names = []
    for line in lines:
        m = re.match(rb'\((.*?)\) "/" "?(.*?)"?$', line)
        flags = set(m.group(1).split()) - {b"\\HasChildren",
                                            b"\\HasNoChildren"}
        names.append(m.group(2).decode())
        state["list " + names[-1]] = sorted(flags)
    typ, lines = c.lsub('""', "*")
    state["subscribed"] = sorted(l for l in lines if l)
    for name in names:
        if "list " + name in state and b"\\Noselect" in state["list " +
                                                              name]:
            continue
        typ, data = c.status('"%s"' % name,
                             "(MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)")
        status = data[0].split(b" ", 1)[1]
        # Mod-sequences may only grow (RFC 7162 3.1.2.1): the copy files
        # messages one by one, so its HIGHESTMODSEQ can end up higher.
        m = re.search(rb" HIGHESTMODSEQ (\d+)", status)
        state["status " + name] = status.replace(m.group(0), b"")
        state["modseq " + name] = int(m.group(1))
        c.select('"%s"' % name, readonly=True)
        typ, data = c.uid("FETCH", "1:*",
                          "(FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])")
        msgs = []
        for item in data:
            if isinstance(item, tuple):
                # \Recent belongs to a session, not to the store.
                head = item[0].split(b" BODY[]")[0]
                head = re.sub(rb" ?\\Recent", b"", head).replace(b"( ", b"(")
                msgs.append((head, item[1]))
        state["messages " + name] = msgs
        c.close()
    c.logout()
    return state


class StoreCopyTest(ServerTest):
    maxDiff = None
    listen = ("smtp", "imap")
    users = ("alice", "bob")

    def target_location(self):
        """Where the copy goes: a fresh data directory here."""
        return os.path.join(self.workdir, "copy-data")

    def target_config(self, location):
        """Extra configuration for a server on the copy."""
        return "", location

    def fill(self):
        srv = self.srv
        for k in range(6):
            srv.send("carol@client.test",
                     [self.addr["alice"], self.addr["bob"]],
                     make_message("m%d" % k, b"body %d\r\n.dot\r\n" % k,
                                  to=self.addr["alice"]))
        c = imaplib.IMAP4("127.0.0.1", srv.ports["imap"],
                          timeout=timeout(30))
        c.login(self.addr["alice"], PASSWORD)
        c.create('"Projects/2026"')
        c.subscribe('"Projects/2026"')
        c.unsubscribe("Junk")
        c.select("INBOX")
        c.uid("STORE", "2", "+FLAGS", r"(\Seen \Flagged $Work)")
        c.uid("COPY", "2:4", '"Projects/2026"')
        c.uid("STORE", "3", "+FLAGS", r"(\Deleted)")
        c.expunge()
        c.append('"Projects/2026"', r"(\Draft)",
                 '"01-Feb-2026 10:00:00 +0100"',
                 make_message("draft", b"unsent\r\n"))
        c.logout()
        srv.cli("alias", "add", "info@example.test", self.addr["bob"])
        srv.cli("alias", "add", "@example.test", self.addr["alice"])

    def copy(self, src, dst):
        return self.srv.cli("store", "copy", "--from", src, "--to", dst)

    def test_copy_serves_the_same_mail(self):
        self.fill()
        before = {u: imap_state(self.srv.ports["imap"], self.addr[u])
                  for u in self.users}
        bob_before = dict(before["bob"])
        aliases = self.srv.cli("alias", "list").stdout
        self.assertEqual(self.srv.stop(), 0)

        target = self.target_location()
        out = self.copy(self.srv.data_dir, target).stdout.decode()
        self.assertIn("alice@example.test INBOX: 5 copied", out)

        extra, data_dir = self.target_config(target)
        copy = self.new_server(listen=("smtp", "imap"), extra_config=extra,
                               data_dir=data_dir)
        copy.start()
        after = {u: imap_state(copy.ports["imap"], self.addr[u])
                 for u in self.users}
        for u in self.users:
            self.assertModseqsGrew(before[u], after[u])
            self.assertEqual(before[u], after[u], "account %s differs" % u)
        self.assertEqual(copy.cli("alias", "list").stdout, aliases)

        # Again: nothing is copied twice.
        copy.stop()
        out = self.copy(self.srv.data_dir, target).stdout.decode()
        self.assertIn("alice@example.test INBOX: 0 copied, 5 already there",
                      out)
        # An interrupted copy (here: the last messages missing) is
        # finished by running it again, under the same UIDs.
        copy.start()
        c = imaplib.IMAP4("127.0.0.1", copy.ports["imap"],
                          timeout=timeout(30))
        c.login(self.addr["bob"], PASSWORD)
        c.select("INBOX")
        c.uid("STORE", "5:6", "+FLAGS", r"(\Deleted)")
        c.expunge()
        c.logout()
        copy.stop()
        out = self.copy(self.srv.data_dir, target).stdout.decode()
        self.assertIn("bob@example.test INBOX: 2 copied, 4 already there",
                      out)
        copy.start()
        again = imap_state(copy.ports["imap"], self.addr["bob"])
        self.assertModseqsGrew(bob_before, again)
        self.assertEqual(again, bob_before)

    def assertModseqsGrew(self, before, after):
        """Compare the HIGHESTMODSEQ values apart: never lower, then
        dropped from both states."""
        for key in [k for k in after if k.startswith("modseq ")]:
            self.assertGreaterEqual(after.pop(key), before.pop(key, 0), key)

    def test_refuses_a_conflicting_target(self):
        """A target mailbox holding other mail is not mixed into; a
        missing source is named."""
        self.fill()
        self.assertEqual(self.srv.stop(), 0)
        other = self.new_server(listen=("smtp",))
        other.add_domain()
        other.add_user("alice")
        other.start()
        other.send("dave@client.test", [self.addr["alice"]],
                   make_message("already here", b"x\r\n"))
        other.stop()
        p = self.srv.cli("store", "copy", "--from", self.srv.data_dir,
                         "--to", other.data_dir, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("alice@example.test INBOX: it already holds other "
                      "messages", p.stderr.decode())
        missing = os.path.join(self.workdir, "no-such-store")
        p = self.srv.cli("store", "copy", "--from", missing, "--to",
                         other.data_dir, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn(missing, p.stderr.decode())
        p = self.srv.cli("store", "copy", "--from", self.srv.data_dir,
                         check=False)
        self.assertEqual(p.returncode, 2)
