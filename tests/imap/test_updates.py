"""Untagged updates from other sessions and deliveries (RFC 3501 5.2,
7.4.1) and IDLE (RFC 2177): a delivery reaches an idling client within a
second."""
import socket
import time

from lib import PASSWORD, message


def test_other_session_changes(srv):
    u = srv.user()
    for i in range(3):
        srv.deliver(u, message("m%d" % i))
    a = srv.raw(u)
    a.ok("SELECT INBOX")
    b = srv.imap(u, "INBOX")
    b.store("2", "+FLAGS", "(\\Flagged)")
    lines, _ = a.ok("NOOP")
    assert lines == [b"* 2 FETCH (UID 2 FLAGS (\\Flagged \\Recent))"], lines
    lines, _ = a.ok("NOOP")
    assert lines == [], lines
    b.store("1", "+FLAGS", "(\\Deleted)")
    b.expunge()
    srv.deliver(u, message("new"))
    lines, _ = a.ok("NOOP")
    assert b"* 1 EXPUNGE" in lines and b"* 3 EXISTS" in lines, lines
    assert lines.index(b"* 1 EXPUNGE") < lines.index(b"* 3 EXISTS")
    # a took \Recent for all three at SELECT, and the new one too.
    assert b"* 3 RECENT" in lines, lines


def test_no_expunge_during_fetch(srv):
    u = srv.user()
    for i in range(3):
        srv.deliver(u, message("m%d" % i))
    a = srv.raw(u)
    a.ok("SELECT INBOX")
    b = srv.imap(u, "INBOX")
    b.store("1", "+FLAGS", "(\\Deleted)")
    b.expunge()
    lines, _ = a.ok("FETCH 1:3 (UID)")
    assert not any(b"EXPUNGE" in ln for ln in lines), lines
    lines, _ = a.ok("SEARCH ALL")
    assert not any(b"EXPUNGE" in ln for ln in lines), lines
    lines, _ = a.ok("UID FETCH 1:* (UID)")
    assert b"* 1 EXPUNGE" in lines, lines


def idle_until(r, want, limit):
    """Read lines until one holds want, for at most limit seconds."""
    deadline = time.time() + limit
    got = []
    try:
        while time.time() < deadline:
            r.s.settimeout(max(0.01, deadline - time.time()))
            ln = r.line()
            got.append(ln)
            if ln is None:
                break
            if want in ln:
                return got, time.time()
    except (socket.timeout, OSError):
        pass
    finally:
        r.s.settimeout(30)
    raise AssertionError("no %r while idling: %r" % (want, got))


def test_idle_delivery_within_one_second(srv):
    u = srv.user()
    r = srv.raw(u)
    r.ok("SELECT INBOX")
    r.send("i1 IDLE\r\n")
    assert r.line().startswith(b"+ ")
    for n in range(1, 4):
        t0 = time.time()
        srv.deliver(u, message("idle %d" % n))
        got, t1 = idle_until(r, b"EXISTS", 5)
        assert b"* %d EXISTS" % n in got, got
        assert t1 - t0 < 1.0, "took %.2f s" % (t1 - t0)
    other = srv.imap(u, "INBOX")
    other.store("1", "+FLAGS", "(\\Seen)")
    got, _ = idle_until(r, b"FETCH", 5)
    other.store("1", "+FLAGS", "(\\Deleted)")
    other.expunge()
    got, _ = idle_until(r, b"EXPUNGE", 5)
    r.send("DONE\r\n")
    lines, tagged = r.collect("i1")
    assert tagged.startswith(b"OK"), tagged


def test_idle_bad_done_and_auth_state(srv):
    u = srv.user()
    r = srv.raw(u)
    r.send("i1 IDLE\r\n")
    assert r.line().startswith(b"+ ")
    r.send("NOPE\r\n")
    lines, tagged = r.collect("i1")
    assert tagged.startswith(b"BAD"), tagged
    r.ok("NOOP")


def test_idle_client_drops(srv):
    u = srv.user()
    for i in range(20):
        r = srv.raw(u)
        r.ok("SELECT INBOX")
        r.send("i1 IDLE\r\n")
        r.line()
        r.close()
    srv.deliver(u, message("after drops"))
    M = srv.imap(u, "INBOX")
    assert M.fetch("1", "UID")[0] == "OK"
