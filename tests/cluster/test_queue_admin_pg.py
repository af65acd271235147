"""The queue's data on PostgreSQL (issue 9): mail a node queues lives in
the shared database, body included (queue_msgs.body), not in the node's
data_dir; `petrel queue list|show|hold|release|flush|delete|inject` on
any node sees and changes the same queue; a database restart under load
costs 4xx replies, never a message the node acknowledged.

The nodes relay through a port nobody listens on, so whatever a
scheduler does with the messages meanwhile, they stay queued (deferred).
SPDX-License-Identifier: ISC
"""

import os
import re
import smtplib
import threading
import time

from cluster import ClusterTest
from harness import PASSWORD, free_port, make_message, timeout
from test_smtp_ext import tls_context    # tests/system/test_smtp_ext.py


class QueueAdminPgTest(ClusterTest):
    nodes_count = 2
    users = ("alice",)
    listen = ("smtp", "submission", "pop3", "imap")

    @property
    def extra_config(self):
        return ("relay.host = [127.0.0.1]:%d\nrelay.tls = none\n"
                "queue.retry_min = 1h\n" % self.dead_port)

    def setUp(self):
        self.dead_port = free_port()
        super().setUp()

    def new_node(self, i, store_url=None):
        return self.new_server(
            listen=self.listen,
            extra_config="store = %s\n%s" % (store_url or self.pg.url,
                                              self.extra_config))

    def session(self, node):
        """A submission session of alice's on node."""
        s = smtplib.SMTP("127.0.0.1", node.ports["submission"],
                         timeout=timeout(15))
        s.starttls(context=tls_context())
        s.login(self.addr["alice"], PASSWORD)
        return s

    def send(self, s, n, rcpt="far@remote.test"):
        """Send message n in session s: its queue id, or an
        SMTPResponseException for the first reply that was not 250."""
        msg = make_message("queued %d" % n, b"body %d\r\n" % n,
                           sender=self.addr["alice"], to=rcpt,
                           extra_headers=("X-Queue-Test: %d" % n,))
        for step in (lambda: s.mail(self.addr["alice"]),
                     lambda: s.rcpt(rcpt), lambda: s.data(msg)):
            code, reply = step()
            if code != 250:
                s.rset()
                raise smtplib.SMTPResponseException(code, reply)
        return re.search(rb"queued as ([0-9a-f]{16})", reply).group(1) \
            .decode()

    def submit(self, node, n):
        with self.session(node) as s:
            return self.send(s, n)

    def queued_ids(self):
        """The X-Queue-Test numbers in the bodies of queue_msgs."""
        out = self.pg.sql(
            "SELECT substring(encode(body, 'escape') FROM "
            "'X-Queue-Test: ([0-9]+)') FROM queue_msgs")
        return {int(x) for x in out.split()}

    def assertNothingLocal(self, node):
        qdir = os.path.join(node.data_dir, "queue")
        self.assertFalse(os.path.exists(os.path.join(qdir, "bodies")),
                         "a cluster node made bodies/")
        self.assertEqual(os.listdir(os.path.join(qdir, "tmp")), [],
                         "tmp/ files left after the commit")

    def test_smtp_into_the_database(self):
        qid = self.submit(self.nodes[0], 1)
        self.assertEqual(self.pg.sql(
            "SELECT count(*) FROM queue_msgs WHERE qid = '%s'" % qid)
            .strip(), "1")
        self.assertEqual(self.queued_ids(), {1})
        for node in self.nodes:
            self.assertNothingLocal(node)
        # Node 1 shows what node 0 queued: envelope and body.
        show = self.nodes[1].cli("queue", "show", qid).stdout.decode()
        self.assertIn("<%s>" % self.addr["alice"], show)
        self.assertIn("<far@remote.test>", show)
        self.assertIn("X-Queue-Test: 1", show)
        self.assertIn("body 1", show)

    def test_admin_from_any_node(self):
        a, b = self.nodes
        qid = a.cli("queue", "inject", "-f", "x@client.test", "u@t.test",
                    input=b"Subject: injected\n\nhello\n").stdout \
            .decode().strip()
        self.assertRegex(qid, "^[0-9a-f]{16}$")
        self.assertIn(qid, b.cli("queue", "list").stdout.decode())
        b.cli("queue", "hold", qid)
        out = a.cli("queue", "list").stdout.decode()
        self.assertIn("%s" % qid, out)
        self.assertIn("(held)", out)
        self.assertEqual(self.pg.sql(
            "SELECT held FROM queue_msgs WHERE qid = '%s'" % qid).strip(),
            "t")
        show = a.cli("queue", "show", qid).stdout
        self.assertIn(b"Subject: injected\r\n\r\nhello\r\n", show)
        a.cli("queue", "release", qid)
        self.assertNotIn("(held)", b.cli("queue", "list").stdout.decode())
        self.assertIn("flush: 1 recipient",
                      b.cli("queue", "flush", qid).stdout.decode())
        self.assertEqual(self.pg.sql(
            "SELECT next_attempt FROM queue_rcpts r JOIN queue_msgs m ON "
            "m.id = r.msg_id WHERE m.qid = '%s'" % qid).strip(), "0")
        a.cli("queue", "delete", qid)
        self.assertNotIn(qid, b.cli("queue", "list").stdout.decode())
        p = b.cli("queue", "show", qid, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"no such message", p.stderr)
        p = b.cli("queue", "hold", "0123456789abcdef", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(self.pg.sql("SELECT count(*) FROM queue_msgs")
                         .strip(), "0")
        for node in self.nodes:
            self.assertNothingLocal(node)

    def client(self, k, state):
        """Messages in one session while it lasts, so that the database
        can go away between a session's AUTH and its commit."""
        node = self.nodes[k % len(self.nodes)]
        s = None
        while not state["stop"].is_set():
            with state["lock"]:
                n = state["next"]
                state["next"] += 1
            try:
                if s is None:
                    s = self.session(node)
                self.send(s, n)
                with state["lock"]:
                    state["acked"].add(n)
            except (OSError, smtplib.SMTPException) as e:
                with state["lock"]:
                    key = getattr(e, "smtp_code", type(e).__name__)
                    state["fails"][key] = state["fails"].get(key, 0) + 1
                if not isinstance(e, smtplib.SMTPResponseException):
                    s = None
                time.sleep(0.05)
        if s is not None:
            s.close()

    def test_database_restart_loses_nothing_acknowledged(self):
        state = {"stop": threading.Event(), "lock": threading.Lock(),
                 "next": 0, "acked": set(), "fails": {}}
        before, after = self.restart_pg_under_load(self.client, state, 4,
                                                   1.5, 10)
        acked = set(state["acked"])
        print("    queue pg restart: acked=%d (before %d) failures=%s"
              % (len(acked), before, state["fails"]), flush=True)
        self.assertGreater(before, 0, "nothing queued before the restart")
        self.assertGreaterEqual(len(acked), after + 10,
                                "no progress after PostgreSQL came back")
        self.assertFalse([c for c in state["fails"]
                          if isinstance(c, int) and c >= 500],
                         "permanent refusals: %s" % state["fails"])
        missing = sorted(acked - self.queued_ids())
        self.assertEqual(missing, [], "acknowledged but not queued")
        # Refused messages leave no file (a session the client dropped
        # is aborted a moment later).
        deadline = time.monotonic() + timeout(10)
        while time.monotonic() < deadline and any(
                os.listdir(os.path.join(n.data_dir, "queue", "tmp"))
                for n in self.nodes):
            time.sleep(0.2)
        for node in self.nodes:
            self.assertEqual(os.listdir(os.path.join(
                node.data_dir, "queue", "tmp")), [])
