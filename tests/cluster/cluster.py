"""The cluster tests' base: one private PostgreSQL server and several
`petrel serve` nodes whose `store` is that database, each with its own
data_dir for what a node keeps to itself (its TLS key, its logs).

Users are created once through node 0's CLI; every node sees them.
SPDX-License-Identifier: ISC
"""

import imaplib
import socket
import threading
import time
import unittest

import pgserver
from harness import PASSWORD, ServerTest, timeout

LISTEN = ("smtp", "pop3", "imap")


@unittest.skipUnless(pgserver.available(), "no PostgreSQL server binaries")
class ClusterTest(ServerTest):
    start_server = False
    nodes_count = 3
    users = ("alice", "bob")
    extra_config = ""

    def setUp(self):
        super().setUp()
        self.pg = pgserver.PgServer(self.workdir).start()
        self.addCleanup(self.pg.cleanup)
        self.nodes = [self.new_node(i) for i in range(self.nodes_count)]
        self.nodes[0].add_domain()
        self.addr = {u: self.nodes[0].add_user(u) for u in self.users}
        for n in self.nodes:
            n.start()

    def new_node(self, i, store_url=None):
        return self.new_server(
            listen=LISTEN,
            extra_config="store = %s\n%s" % (store_url or self.pg.url,
                                              self.extra_config))

    def server_log_tail(self):
        tail = super().server_log_tail()
        if getattr(self, "pg", None):
            tail += "\n--- postgres ---\n" + self.pg.log_tail(15)
        return tail

    def restart_pg_under_load(self, client, state, threads, pause, progress,
                              while_down=None):
        """Run client(k, state) on threads threads, k = 0, 1, ...: after
        pause seconds stop PostgreSQL for pause seconds (while_down() runs
        just before it comes back), restart it, and wait up to 20 s
        (scaled) for progress more in state["acked"]; then set
        state["stop"] and join the threads. Returns how many were acked
        before the stop and right after the restart."""
        workers = [threading.Thread(target=client, args=(k, state),
                                    daemon=True) for k in range(threads)]
        for t in workers:
            t.start()
        try:
            time.sleep(pause)
            before = len(state["acked"])
            self.pg.stop()
            time.sleep(pause)
            if while_down is not None:
                while_down()
            self.pg.restart()
            # Give the nodes time to reconnect, then demand progress.
            deadline = time.monotonic() + timeout(20)
            after_restart = len(state["acked"])
            while (time.monotonic() < deadline and
                   len(state["acked"]) < after_restart + progress):
                time.sleep(0.2)
        finally:
            state["stop"].set()
            for t in workers:
                t.join(timeout(30))
        return before, after_restart

    # -- clients -------------------------------------------------------
    def imap(self, node, user="alice"):
        c = imaplib.IMAP4("127.0.0.1", node.ports["imap"],
                          timeout=timeout(30))
        c.login(self.addr[user], PASSWORD)
        self.addCleanup(self._imap_close, c)
        return c

    @staticmethod
    def _imap_close(c):
        try:
            c.logout()
        except Exception:
            pass


class RawImap:
    """A line-level IMAP client for IDLE and for reading untagged updates
    as they arrive (imaplib hides them)."""

    def __init__(self, port, user, password=PASSWORD):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout(30))
        self.buf = b""
        self.n = 0
        self.line()                           # greeting
        self.cmd('LOGIN "%s" "%s"' % (user, password))

    def line(self, deadline=None):
        while b"\r\n" not in self.buf:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no line from the IMAP server")
                self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("IMAP server closed the connection")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def send(self, text):
        self.sock.sendall(text.encode() + b"\r\n")

    def cmd(self, text):
        """Send a tagged command; (untagged lines, tagged line). Fails
        unless the tagged answer is OK."""
        self.n += 1
        tag = "t%d" % self.n
        self.send("%s %s" % (tag, text))
        untagged = []
        while True:
            line = self.line(time.monotonic() + timeout(30))
            if line.startswith(tag.encode() + b" "):
                if not line.startswith(tag.encode() + b" OK"):
                    raise AssertionError("%s: %r" % (text, line))
                return untagged, line
            untagged.append(line)

    def wait_for(self, needle, seconds):
        """Read lines until one contains needle; the lines read. Raises
        TimeoutError after seconds."""
        deadline = time.monotonic() + seconds
        seen = []
        while True:
            line = self.line(deadline)
            seen.append(line)
            if needle in line:
                return seen

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
