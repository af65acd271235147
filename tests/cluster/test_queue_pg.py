"""The outbound queue of nodes sharing one PostgreSQL (issue 9): the
queue's own tables, created and versioned by petrel apart from the
store's, and a database holding a newer queue schema refused at start-up;
mail received by any node queued in the database and sent once; leases
taken over from a killed node only after they expire; the per-destination
limit held across nodes; bounces and `petrel queue` across nodes.
SPDX-License-Identifier: ISC
"""

import os
import re
import smtplib
import subprocess
import tempfile
import threading
import time

import sink
from cluster import LISTEN, ClusterTest
from harness import (PASSWORD, PETREL_BIN, files_under, make_message,
                     strip_trace, timeout)
from test_submission import tls_context


class QueueSchemaTest(ClusterTest):
    """Two nodes start at once on an empty database: one creates the
    queue's tables, the other finds them at the same version."""

    nodes_count = 2
    users = ("alice",)

    def columns(self, table):
        out = self.pg.sql(
            "SELECT column_name || ':' || data_type FROM "
            "information_schema.columns WHERE table_name = '%s'" % table)
        return set(out.split())

    def test_tables_created_once(self):
        versions = self.pg.sql(
            "SELECT version FROM queue_schema_version ORDER BY 1").split()
        self.assertEqual(versions, [str(v + 1) for v in range(len(versions))],
                         "each migration recorded once, in order")
        self.assertGreaterEqual(len(versions), 1)
        msgs = self.columns("queue_msgs")
        # Nodes share no filesystem: the body is in the row; a message is
        # leased by a node until an expiry.
        for col in ("body:bytea", "lease_owner:text",
                    "lease_expires:bigint", "envid:text", "held:boolean"):
            self.assertIn(col, msgs)
        rcpts = self.columns("queue_rcpts")
        for col in ("next_attempt:bigint", "orcpt:text", "notify:integer",
                    "dsn:integer", "dsn_status:text"):
            self.assertIn(col, rcpts)
        # The store's version table is its own.
        self.assertNotIn("queue", self.pg.sql(
            "SELECT string_agg(version::text, ',') FROM schema_version"))

    def test_queue_schema_newer_than_petrel(self):
        """A queue upgraded by a newer petrel is refused, not used."""
        for n in self.nodes:
            n.stop()
        version = int(self.pg.sql(
            "SELECT max(version) FROM queue_schema_version").strip())
        self.pg.sql("INSERT INTO queue_schema_version VALUES (%d)" %
                    (version + 100))
        node = self.new_node(len(self.servers))
        p = subprocess.run([PETREL_BIN, "-c", node.config, "serve"],
                           capture_output=True, timeout=timeout(60))
        out = (p.stdout + p.stderr).decode(errors="replace")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("queue schema version %d is newer" % (version + 100),
                      out)


class QueueNodesTest(ClusterTest):
    """Nodes sharing the queue in PostgreSQL: mail submitted to any node
    for a remote domain leaves the cluster once, whichever node sends it;
    a dead node's leased messages are sent by another after the lease
    runs out, and not before; the per-destination limit is the cluster's.
    The remote domain is a Sink on loopback, reached by the transport
    map."""

    nodes_count = 2
    users = ("alice",)
    lease_time = 10
    per_destination = 20
    sink_args = {}
    more_config = ""

    def setUp(self):
        self.sink = sink.Sink(**self.sink_args)
        self.addCleanup(self.sink.close)
        tmap = tempfile.NamedTemporaryFile(
            "w", prefix="petrel-tmap-", suffix=".map", delete=False)
        tmap.write("remote.test = [127.0.0.1]:%d tls=none\n" %
                   self.sink.port)
        tmap.close()
        self.addCleanup(os.unlink, tmap.name)
        self.extra_config = (
            "transport_map = %s\nqueue.lease_time = %ds\n"
            "queue.retry_min = 1s\nqueue.max_per_destination = %d\n" % (
                tmap.name, self.lease_time, self.per_destination)
            + self.more_config)
        super().setUp()

    def new_node(self, i, store_url=None):
        return self.new_server(
            listen=LISTEN + ("submission",),
            extra_config="store = %s\n%s" % (store_url or self.pg.url,
                                              self.extra_config))

    def submit(self, node, subjects, rcpt="far@remote.test"):
        """Send one message per subject through node's submission port
        (STARTTLS, AUTH); the messages as sent."""
        sent = []
        s = smtplib.SMTP("127.0.0.1", node.ports["submission"],
                         timeout=timeout(60))
        try:
            s.starttls(context=tls_context())
            s.login(self.addr["alice"], PASSWORD)
            for subj in subjects:
                m = make_message(subj, b"Queued across the cluster.\r\n",
                                 sender=self.addr["alice"])
                s.sendmail(self.addr["alice"], [rcpt], m)
                sent.append(m)
        finally:
            s.quit()
        return sent

    def wait_sink(self, n, secs):
        deadline = time.monotonic() + timeout(secs)
        while time.monotonic() < deadline:
            got = self.sink.snapshot()
            if len(got) >= n:
                return got
            time.sleep(0.1)
        self.fail("the remote server got %d of %d messages within %d s" %
                  (len(self.sink.snapshot()), n, secs))

    def subjects_of(self, got):
        out = []
        for _t, _f, _r, data in got:
            m = re.search(rb"^Subject: (.*?)\r\n", data, re.M)
            out.append(m.group(1).decode() if m else None)
        return out

    def queue_rows(self):
        return int(self.pg.sql("SELECT count(*) FROM queue_msgs").strip())

    def wait_queue_empty(self, secs=30):
        deadline = time.monotonic() + timeout(secs)
        while self.queue_rows() > 0:
            if time.monotonic() > deadline:
                self.fail("queue_msgs still holds %d rows" %
                          self.queue_rows())
            time.sleep(0.2)


class QueueRelayTest(QueueNodesTest):
    def test_submitted_anywhere_sent_once(self):
        """Mail submitted on both nodes reaches the remote server exactly
        once each, byte-exact after the trace headers, and leaves the
        shared queue; nothing stays in either node's own spool."""
        subjects = ["relay %d" % i for i in range(40)]
        self.sink.gate.clear()
        sent = self.submit(self.nodes[0], subjects[:20])
        sent += self.submit(self.nodes[1], subjects[20:])
        self.assertEqual(self.queue_rows(), len(subjects),
                         "every message acknowledged is in the shared queue")
        self.sink.gate.set()
        got = self.wait_sink(len(subjects), 60)
        time.sleep(1)
        got = self.sink.snapshot()
        self.assertEqual(sorted(self.subjects_of(got)), sorted(subjects),
                         "each message sent exactly once")
        by_subject = dict(zip(self.subjects_of(got), got))
        for subj, m in zip(subjects, sent):
            self.assertEqual(strip_trace(by_subject[subj][3])[1], m)
            self.assertEqual(by_subject[subj][1], self.addr["alice"])
        self.wait_queue_empty()
        self.assertEqual(
            self.pg.sql("SELECT count(*) FROM queue_rcpts").strip(), "0")
        for n in self.nodes:
            self.assertEqual(files_under(os.path.join(n.data_dir, "queue",
                                                      "bodies")), [])

    def test_queue_list_shows_cluster_queue(self):
        """`petrel queue list` on one node shows a message received by
        another (the queue is shared), and `queue delete` there removes
        it for all."""
        self.sink.gate.clear()            # nothing leaves meanwhile
        for n in self.nodes:
            n.stop()
        self.nodes[1].start()
        self.submit(self.nodes[1], ["listed elsewhere"])
        self.nodes[1].stop()
        out = self.nodes[0].cli("queue", "list").stdout.decode()
        self.assertIn("far@remote.test", out)
        qid = re.search(r"\b([0-9A-Fa-f]{16})\b", out).group(1)
        self.nodes[0].cli("queue", "delete", qid)
        self.assertEqual(self.queue_rows(), 0)
        self.sink.gate.set()


class QueueBounceTest(QueueNodesTest):
    sink_args = {"dot_reply": "550 5.1.1 no such user here"}

    def test_bounce_reaches_sender_on_other_node(self):
        """A 5xx from the remote server bounces: the DSN, made by whichever
        node sent the message, is in the sender's mailbox, read over POP3
        on the other node."""
        self.submit(self.nodes[0], ["will bounce"])
        deadline = time.monotonic() + timeout(60)
        while True:
            p = self.nodes[1].pop3(self.addr["alice"])
            try:
                count = p.stat()[0]
                if count:
                    dsn = b"\r\n".join(p.retr(1)[1])
                    break
            finally:
                p.quit()
            if time.monotonic() > deadline:
                self.fail("no DSN in the sender's mailbox")
            time.sleep(0.3)
        self.assertIn(b"multipart/report", dsn)
        self.assertIn(b"far@remote.test", dsn)
        self.assertIn(b"5.1.1", dsn)
        self.wait_queue_empty()


class QueueLeaseTest(QueueNodesTest):
    def test_dead_nodes_leases_taken_over_after_expiry(self):
        """Node 0 leases every message and is killed mid-delivery (the
        remote server holds it at MAIL FROM, so nothing was handed over).
        Node 1, running all along, sends none of them while node 0's
        leases are valid, then every one exactly once after they
        expire."""
        self.sink.gate.clear()
        self.nodes[1].stop()
        subjects = ["leased %d" % i for i in range(10)]
        self.submit(self.nodes[0], subjects)
        deadline = time.monotonic() + timeout(30)
        while self.sink.mail_froms == 0:
            if time.monotonic() > deadline:
                self.fail("node 0 never started delivering")
            time.sleep(0.05)
        leases = self.pg.sql(
            "SELECT count(*), min(lease_expires), count(DISTINCT "
            "lease_owner) FROM queue_msgs WHERE lease_owner IS NOT NULL"
        ).split("|")
        self.assertEqual(int(leases[0]), len(subjects),
                         "node 0 leased every message")
        self.assertEqual(int(leases[2]), 1)
        expires = int(leases[1])
        # `queue list` on the other node says who is sending them.
        node0 = open(os.path.join(self.nodes[0].data_dir, "queue",
                                  "node-id")).read().strip()
        listed = self.nodes[1].cli("queue", "list").stdout.decode()
        self.assertEqual(len(re.findall(r"\(leased by %s for \d+s\)" %
                                        re.escape(node0), listed)),
                         len(subjects), listed)
        self.nodes[1].start()
        time.sleep(2)                       # node 1 passes over them
        self.nodes[0].kill9()
        held = self.sink.mail_froms
        self.sink.gate.set()
        got = self.wait_sink(len(subjects), self.lease_time + 60)
        time.sleep(1)
        got = self.sink.snapshot()
        self.assertEqual(sorted(self.subjects_of(got)), sorted(subjects),
                         "each message sent exactly once")
        first = min(t for t, _f, _r, _d in got)
        self.assertGreaterEqual(
            first, expires - 1,
            "node 1 sent a message %.1f s before node 0's lease expired" %
            (expires - first))
        self.assertGreaterEqual(held, 1)
        self.assertIn(b"event=lease", self.nodes[1].log_text())
        self.wait_queue_empty()


class QueueSpreadTest(QueueNodesTest):
    more_config = "queue.max_connections = 1\n"

    def leases(self):
        """(leased messages, distinct lease owners)."""
        n, owners = self.pg.sql(
            "SELECT count(*), count(DISTINCT lease_owner) FROM queue_msgs "
            "WHERE lease_owner IS NOT NULL").strip().split("|")
        return int(n), int(owners)

    def wait_leases(self, want, secs=30):
        deadline = time.monotonic() + timeout(secs)
        while self.leases() != want:
            if time.monotonic() > deadline:
                self.fail("leases %r, not %r" % (self.leases(), want))
            time.sleep(0.1)

    def test_backlog_spreads_over_nodes(self):
        """A node leases only what its connections can start soon (32
        messages with one connection): while node 0 is stuck on a
        backlog, the rest of it is left for node 1, which takes it when
        it starts; everything leaves once."""
        self.sink.gate.clear()
        self.nodes[1].stop()
        subjects = ["spread %d" % i for i in range(50)]
        self.submit(self.nodes[0], subjects)
        self.wait_leases((32, 1))
        time.sleep(2)                    # two more passes of node 0's
        self.assertEqual(self.leases(), (32, 1))
        self.nodes[1].start()
        self.wait_leases((50, 2))
        self.sink.gate.set()
        self.wait_sink(len(subjects), 60)
        time.sleep(1)
        self.assertEqual(sorted(self.subjects_of(self.sink.snapshot())),
                         sorted(subjects), "each message sent exactly once")
        self.wait_queue_empty()


class QueueDestinationLimitTest(QueueNodesTest):
    nodes_count = 3
    per_destination = 2
    sink_args = {"dot_delay": 0.3}

    def test_limit_holds_across_nodes(self):
        """queue.max_per_destination = 2 on three busy nodes: the remote
        server never sees more than two sessions at once, and gets
        everything."""
        subjects = ["limited %d" % i for i in range(36)]
        threads = []
        for k, n in enumerate(self.nodes):
            t = threading.Thread(target=self.submit,
                                 args=(n, subjects[k::3]))
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        self.wait_sink(len(subjects), 120)
        self.assertEqual(sorted(self.subjects_of(self.sink.snapshot())),
                         sorted(subjects))
        self.assertLessEqual(self.sink.open_max, 2,
                             "more sessions at once than the limit")
        self.wait_queue_empty()
