#!/usr/bin/python3
"""Large-mailbox check: a mailbox of N messages (default 100,000) made by
appending a few real messages and repeating their rows in the database
(copies share bodies, as COPY does), then the time of SELECT, FETCH 1:*
(FLAGS), FETCH 1:* (UID FLAGS ENVELOPE), UID SEARCH FROM, UID SEARCH
SEEN, STORE on a tenth of them and EXPUNGE.

    bench/imap/scale.py [N]
SPDX-License-Identifier: ISC
"""
import os
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)),
                                "tests", "imap"))
import lib  # noqa: E402


def timed(label, fn):
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    print("| %s | %.3f |" % (label, dt), flush=True)
    return out


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    srv = lib.Server().start()
    try:
        u = srv.user()
        for i in range(10):
            srv.deliver(u, lib.message("seed %d" % i, "body %d\r\n" % i,
                                       frm="Sender%d <s%d@example.net>" %
                                       (i, i)))
        srv.stop()
        db = sqlite3.connect(os.path.join(srv.dir, "data", "store.db"))
        mb, uidnext, hms = db.execute(
            "SELECT id, uidnext, highestmodseq FROM mailboxes WHERE "
            "name = 'INBOX' AND user_id = (SELECT id FROM users WHERE "
            "address = ?)", (u,)).fetchone()
        rows = db.execute("SELECT body_id, size, internal_date FROM "
                          "messages WHERE mailbox_id = ?", (mb,)).fetchall()
        db.executemany(
            "INSERT INTO messages(mailbox_id, uid, body_id, flags, modseq, "
            "internal_date, size) VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((mb, uidnext + i, rows[i % len(rows)][0], 1 if i % 3 else 0,
              hms, rows[i % len(rows)][2], rows[i % len(rows)][1])
             for i in range(n - len(rows))))
        db.execute("UPDATE mailboxes SET uidnext = ? WHERE id = ?",
                   (uidnext + n - len(rows), mb))
        db.commit()
        db.close()
        srv.start()
        r = srv.raw(u)
        print("| %d messages | seconds |\n|---|---:|" % n)
        timed("SELECT INBOX", lambda: r.ok("SELECT INBOX"))
        timed("FETCH 1:* (FLAGS)", lambda: r.ok("FETCH 1:* (FLAGS)"))
        timed("FETCH 1:* (UID FLAGS ENVELOPE), first", lambda: r.ok(
            "FETCH 1:* (UID FLAGS ENVELOPE)"))
        timed("FETCH 1:* (UID FLAGS ENVELOPE)", lambda: r.ok(
            "FETCH 1:* (UID FLAGS ENVELOPE)"))
        timed("UID SEARCH FROM sender3", lambda: r.ok(
            "UID SEARCH FROM sender3"))
        timed("UID SEARCH UNSEEN", lambda: r.ok("UID SEARCH UNSEEN"))
        timed("STORE +FLAGS.SILENT (\\Deleted) on 10% of them",
              lambda: r.ok("STORE %d:%d +FLAGS.SILENT (\\Deleted)" %
                           (n // 2, n // 2 + n // 10 - 1)))
        lines = timed("EXPUNGE (10% of the messages)", lambda: r.ok(
            "EXPUNGE"))[0]
        assert len(lines) >= n // 10, len(lines)
        timed("NOOP after", lambda: r.ok("NOOP"))
    finally:
        srv.stop()


main()
