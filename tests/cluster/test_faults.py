"""Faults in a cluster (issue 9): nodes killed under load, PostgreSQL
restarted under load, and bad configuration refused at start-up.
SPDX-License-Identifier: ISC
"""

import smtplib
import subprocess
import threading
import time

import test_crash                      # tests/system/test_crash.py
from cluster import ClusterTest
from harness import PETREL_BIN, free_port, make_message, timeout


class ClusterCrashTest(ClusterTest, test_crash.CrashTest):
    """The foundation's crash test across three nodes: the clients spread
    over every node, each round kill -9s one of them."""

    users = test_crash.USERS
    # The single-server variant checks body files in the data dir, which a
    # PostgreSQL store does not have.
    test_kill9_leaves_no_stray_bodies = None

    def smtp_port(self, client):
        return self.nodes[client % len(self.nodes)].ports["smtp"]

    def pick_victim(self, rnd):
        return rnd.choice(self.nodes)

    def all_servers(self):
        return self.nodes


class DatabaseRestartTest(ClusterTest):
    """PostgreSQL goes away under load: petrel answers 4xx while it is
    away, reconnects by itself, and loses nothing it acknowledged."""

    nodes_count = 2
    THREADS = 8

    def client(self, k, state):
        node = self.nodes[k % len(self.nodes)]
        while not state["stop"].is_set():
            with state["lock"]:
                n = state["next"]
                state["next"] += 1
            msg = make_message("restart %d" % n, b"body %d\r\n" % n,
                               to=self.addr["alice"],
                               extra_headers=("X-Restart-Id: %d" % n,))
            try:
                with smtplib.SMTP("127.0.0.1", node.ports["smtp"],
                                  timeout=timeout(15)) as s:
                    s.sendmail("load@client.test", [self.addr["alice"]], msg)
                with state["lock"]:
                    state["acked"].add(n)
            except smtplib.SMTPResponseException as e:
                with state["lock"]:
                    state["codes"][e.smtp_code] = \
                        state["codes"].get(e.smtp_code, 0) + 1
                time.sleep(0.05)
            except smtplib.SMTPRecipientsRefused as e:
                code = list(e.recipients.values())[0][0]
                with state["lock"]:
                    state["codes"][code] = state["codes"].get(code, 0) + 1
                time.sleep(0.05)
            except (OSError, smtplib.SMTPException) as e:
                with state["lock"]:
                    name = type(e).__name__
                    state["errors"][name] = state["errors"].get(name, 0) + 1
                time.sleep(0.05)

    def test_restart_postgresql_under_load(self):
        state = {"stop": threading.Event(), "lock": threading.Lock(),
                 "next": 0, "acked": set(), "codes": {}, "errors": {}}
        during_codes = {}

        def note_codes_while_down():
            with state["lock"]:
                during_codes.update(state["codes"])

        before, after_restart = self.restart_pg_under_load(
            self.client, state, self.THREADS, 2, 20, note_codes_while_down)
        acked = set(state["acked"])
        print("    pg restart: acked=%d (before the stop %d), replies=%s, "
              "client errors=%s" % (len(acked), before, state["codes"],
                                    state["errors"]), flush=True)
        self.assertGreater(before, 0, "nothing accepted before the restart")
        self.assertGreaterEqual(len(acked), after_restart + 20,
                                "no progress after PostgreSQL came back")
        self.assertFalse([c for c in state["codes"] if c >= 500],
                         "permanent refusals while the database was away: "
                         "%s" % state["codes"])
        self.assertTrue(any(400 <= c < 500 for c in during_codes) or
                        state["errors"],
                        "no temporary failure while the database was away")

        stored = self.nodes[1].mailbox(self.addr["alice"])
        ids = []
        for raw in stored:
            for line in raw.split(b"\r\n"):
                if line.startswith(b"X-Restart-Id: "):
                    ids.append(int(line.split(b": ")[1]))
                    break
        missing = sorted(acked - set(ids))
        dups = sorted(n for n in set(ids) if ids.count(n) > 1)
        self.assertEqual(missing, [], "acknowledged messages lost")
        self.assertEqual(dups, [], "messages stored twice")


class BadConfigTest(ClusterTest):
    """A node that cannot use its database says why and exits."""

    nodes_count = 1

    def serve_with(self, url):
        """Start a node whose store is url; (exit status, output)."""
        node = self.new_node(len(self.servers), store_url=url)
        p = subprocess.run([PETREL_BIN, "-c", node.config, "serve"],
                           capture_output=True, timeout=timeout(60))
        return p.returncode, (p.stdout + p.stderr).decode(errors="replace")

    def test_unreachable_database(self):
        rc, out = self.serve_with(self.pg.url_with(port=free_port()))
        self.assertNotEqual(rc, 0)
        self.assertRegex(out.lower(), r"connect|refused|unreachable")
        self.assertIn("127.0.0.1", out)

    def test_wrong_password(self):
        rc, out = self.serve_with(self.pg.url_with(password="wrong"))
        self.assertNotEqual(rc, 0)
        self.assertRegex(out.lower(), r"password|authentication")
        self.assertNotIn("wrong", out.replace("wrong password", ""),
                         "the password itself must not be printed")

    def test_schema_newer_than_petrel(self):
        """A database upgraded by a newer petrel is refused, not used."""
        self.nodes[0].stop()
        version = self.pg.sql(
            "SELECT max(version) FROM schema_version").strip()
        self.pg.sql("INSERT INTO schema_version (version) VALUES (%d)" %
                    (int(version) + 100))
        rc, out = self.serve_with(self.pg.url)
        self.assertNotEqual(rc, 0)
        self.assertIn("schema", out.lower())
        self.assertIn(str(int(version) + 100), out)
