"""A cold FETCH (messages the parse cache lacks) parses on the I/O pool:
another session on the same event loop is answered meanwhile."""
import os
import random
import sqlite3
import threading
import time

import lib
from lib import PASSWORD

N_MSGS = 200


def big_message(i, rnd):
    """About 100 KB in 80 MIME parts (structure is what parsing costs),
    different each time."""
    words = ["w%05d" % rnd.randrange(100000) for _ in range(200)]
    text = "\r\n".join(" ".join(words[k:k + 12])
                       for k in range(0, len(words), 12))
    parts = "".join("--B\r\nContent-Type: text/plain\r\n\r\n%s\r\n" % text
                    for _ in range(80))
    return ("From: Sender %d <s%d@client.test>\r\nTo: bob@example.org\r\n"
            "Subject: cold %d\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=B\r\n\r\n%s--B--\r\n"
            % (i, i, i, parts)).encode()


def load(srv, user):
    rnd = random.Random(6)
    r = srv.raw(user)
    for i in range(N_MSGS):
        m = big_message(i, rnd)
        r.send(b"a%d APPEND INBOX {%d+}\r\n" % (i, len(m)) + m + b"\r\n")
    for i in range(N_MSGS):
        r.collect("a%d" % i)
    r.close()


def cache_rows(db, table="cache"):
    c = sqlite3.connect(db, timeout=30)
    try:
        return c.execute("SELECT count(*) FROM %s" % table).fetchone()[0]
    finally:
        c.close()


def test_cold_fetch_leaves_the_loop_free(srv):
    # One worker loop, so that both sessions share it.
    own = lib.Server(extra="workers = 1\n").start()
    try:
        user = own.user()
        load(own, user)
        db = os.path.join(own.dir, "data", "store.db")
        # The indexer fills the cache and the text index after delivery;
        # wait till it is done (it then sleeps till the next commit), and
        # empty the cache so that the FETCH finds it cold.
        deadline = time.time() + 60
        while (cache_rows(db) < N_MSGS or cache_rows(db, "text_index") <
               N_MSGS) and time.time() < deadline:
            time.sleep(0.1)
        c = sqlite3.connect(db, timeout=30)
        c.execute("DELETE FROM cache")
        c.commit()
        c.close()
        a = own.raw(user)
        a.ok("SELECT INBOX")
        b = own.raw(user)
        b.ok("SELECT INBOX")
        got = {}

        def read_fetch():
            got["first"] = a.line()
            got["t_first"] = time.perf_counter() - t0
            got["lines"], got["tagged"] = a.collect("f1")
        reader = threading.Thread(target=read_fetch)
        t0 = time.perf_counter()
        a.send("f1 FETCH 1:* (ENVELOPE BODYSTRUCTURE)\r\n")
        reader.start()
        time.sleep(0.02)
        b.send("n1 NOOP\r\n")
        lines, tagged = b.collect("n1")
        t_other = time.perf_counter() - t0
        reader.join(60)
        first, t_first = got["first"], got["t_first"]
        lines, tagged = got["lines"], got["tagged"]
        assert tagged.startswith(b"OK"), tagged
        fetched = [first] + lines
        assert sum(b" FETCH (ENVELOPE " in ln for ln in fetched) == N_MSGS
        assert b'"cold 7"' in fetched[7], fetched[7][:200]
        # The other session's answer came while the bodies were parsed,
        # before the FETCH's first response.
        assert t_other < t_first, (t_other, t_first)
        print("     NOOP %.3f s, first FETCH response %.3f s" % (t_other,
                                                              t_first))
        assert cache_rows(db) == N_MSGS
        # Warm now: answered from the cache, the same.
        again, _ = a.ok("FETCH 1:* (ENVELOPE BODYSTRUCTURE)")
        assert again == fetched
    finally:
        own.stop()
