"""The outbound queue of nodes sharing one PostgreSQL (issue 9): the
queue's own tables, created and versioned by petrel apart from the
store's, and a database holding a newer queue schema refused at start-up.
SPDX-License-Identifier: ISC
"""

import subprocess

from cluster import ClusterTest
from harness import PETREL_BIN, timeout


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
