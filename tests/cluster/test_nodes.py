"""Three petrel nodes on one PostgreSQL store (issue 9): mail taken in by
one node is seen at once by the others, over every protocol.
SPDX-License-Identifier: ISC
"""

import re
import time

from cluster import ClusterTest, RawImap
from harness import make_message, timeout


class NodesTest(ClusterTest):

    def test_smtp_in_idle_elsewhere_pop3_third(self):
        """SMTP into node 1, an IMAP client idling on node 2 hears of it
        within a second, POP3 on node 3 retrieves it byte for byte."""
        n1, n2, n3 = self.nodes
        idler = RawImap(n2.ports["imap"], self.addr["alice"])
        self.addCleanup(idler.close)
        untagged, _ = idler.cmd("SELECT INBOX")
        self.assertIn(b"* 0 EXISTS", untagged)
        idler.send("i1 IDLE")
        self.assertTrue(idler.line().startswith(b"+"))

        msg = make_message("across the cluster", b"hello from node 1\r\n",
                           to=self.addr["alice"])
        t0 = time.monotonic()
        n1.send("carol@client.test", [self.addr["alice"]], msg)
        idler.wait_for(b"* 1 EXISTS", timeout(1.0) + 0.5)
        seen_after = time.monotonic() - t0
        self.assertLess(seen_after, timeout(1.0) + 0.5,
                        "node 2 saw the delivery after %.2f s" % seen_after)
        idler.send("DONE")
        idler.wait_for(b"i1 OK", timeout(10))

        stored = n3.mailbox(self.addr["alice"])
        self.assertEqual(len(stored), 1)
        self.assertRoundTrip("alice", msg, stored[0], "carol@client.test")

    def test_folders_across_nodes(self):
        """A folder created on one node is listed on the others; renames
        and deletions too."""
        c1 = self.imap(self.nodes[0])
        c2 = self.imap(self.nodes[1])
        c3 = self.imap(self.nodes[2])
        self.assertEqual(c1.create('"Projects/2026"')[0], "OK")
        for c in (c2, c3):
            typ, lines = c.list('""', '"Projects*"')
            names = b" ".join(lines)
            self.assertIn(b"Projects/2026", names)
        self.assertEqual(c2.rename('"Projects/2026"', '"Done"')[0], "OK")
        typ, lines = c3.list('""', "*")
        names = b" ".join(lines)
        self.assertRegex(names, rb'"?/"? "?Done"?')
        self.assertNotIn(b"Projects/2026", names)
        self.assertEqual(c3.delete('"Done"')[0], "OK")
        typ, lines = c1.list('""', "Done")
        self.assertEqual([l for l in lines if l], [])

    def test_flags_and_expunge_across_nodes(self):
        """A flag change and an expunge made on node 1 reach a session
        that has the mailbox selected on node 2."""
        for k in range(3):
            self.nodes[2].send("carol@client.test", [self.addr["bob"]],
                               make_message("m%d" % k, b"body %d\r\n" % k,
                                            to=self.addr["bob"]))
        watcher = RawImap(self.nodes[1].ports["imap"], self.addr["bob"])
        self.addCleanup(watcher.close)
        untagged, _ = watcher.cmd("SELECT INBOX")
        self.assertIn(b"* 3 EXISTS", untagged)

        actor = self.imap(self.nodes[0], "bob")
        actor.select("INBOX")
        self.assertEqual(actor.uid("STORE", "1", "+FLAGS",
                                   r"(\Flagged)")[0], "OK")
        self.assertEqual(actor.uid("STORE", "2", "+FLAGS",
                                   r"(\Deleted)")[0], "OK")
        self.assertEqual(actor.expunge()[0], "OK")

        # Untagged updates arrive with the next command (RFC 3501 7).
        deadline = time.monotonic() + timeout(1.0) + 0.5
        flags_seen = expunge_seen = False
        while time.monotonic() < deadline and not (flags_seen and
                                                   expunge_seen):
            untagged, _ = watcher.cmd("NOOP")
            for line in untagged:
                if re.match(rb"\* 1 FETCH .*\\Flagged", line):
                    flags_seen = True
                if line == b"* 2 EXPUNGE":
                    expunge_seen = True
            time.sleep(0.1)
        self.assertTrue(flags_seen, "node 2 never reported the flag")
        self.assertTrue(expunge_seen, "node 2 never reported the expunge")
        untagged, _ = watcher.cmd("UID SEARCH ALL")
        self.assertIn(b"* SEARCH 1 3", untagged)
