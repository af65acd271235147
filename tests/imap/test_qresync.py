"""QRESYNC (RFC 7162 3.2): ENABLE QRESYNC, SELECT/EXAMINE (QRESYNC ...)
with VANISHED (EARLIER) and the changed flags, UID FETCH (CHANGEDSINCE
VANISHED), and VANISHED in place of EXPUNGE, for expunges, MOVE and other
sessions' changes; the store remembers what left a mailbox and when."""
import re

from lib import message


def fill(srv, n):
    u = srv.user()
    for i in range(n):
        srv.deliver(u, message("q %d" % i, "body %d\r\n" % i))
    return u


def state(r):
    """UIDVALIDITY and HIGHESTMODSEQ from a SELECT of INBOX."""
    lines, _ = r.ok("SELECT INBOX")
    text = b"\n".join(lines)
    return (int(re.search(rb"UIDVALIDITY (\d+)", text).group(1)),
            int(re.search(rb"HIGHESTMODSEQ (\d+)", text).group(1)))


def test_enable_and_errors(srv):
    r = srv.raw(srv.user())
    lines, _ = r.ok("CAPABILITY")
    assert b"QRESYNC" in lines[0].split(), lines
    # Before ENABLE QRESYNC the parameter is refused (RFC 7162 3.2.5).
    lines, tagged = r.cmd("SELECT INBOX (QRESYNC (1 1))")
    assert tagged.startswith(b"BAD"), tagged
    lines, _ = r.ok("ENABLE QRESYNC")
    assert lines == [b"* ENABLED QRESYNC"], lines
    for bad in ("(QRESYNC)", "(QRESYNC (1))", "(QRESYNC (0 1))",
                "(QRESYNC (1 1 x))", "(QRESYNC (1 1 1:5 (1)))"):
        lines, tagged = r.cmd("SELECT INBOX %s" % bad)
        assert tagged.startswith(b"BAD"), (bad, tagged)
    r.ok("SELECT INBOX")
    # VANISHED needs CHANGEDSINCE and the UID form.
    for bad in ("UID FETCH 1:* FLAGS (VANISHED)",
                "FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED)"):
        lines, tagged = r.cmd(bad)
        assert tagged.startswith(b"BAD"), (bad, tagged)


def test_select_qresync_reports_changes(srv):
    u = fill(srv, 6)
    a = srv.raw(u)
    uidvalidity, modseq = state(a)
    # Changes while the client is away: flags, an expunge, a move.
    b = srv.raw(u)
    b.ok("SELECT INBOX")
    b.ok("STORE 1 +FLAGS.SILENT (\\Flagged)")
    b.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    b.ok("EXPUNGE")
    b.ok("MOVE 4 Trash")       # UID 5 now
    srv.deliver(u, message("q new", "new\r\n"))
    r = srv.raw(u)
    r.ok("ENABLE QRESYNC")
    lines, tagged = r.ok("SELECT INBOX (QRESYNC (%d %d))" %
                         (uidvalidity, modseq))
    assert b"* VANISHED (EARLIER) 2,5" in lines, lines
    fetches = [ln for ln in lines if b" FETCH " in ln]
    assert any(re.match(rb"\* 1 FETCH \(UID 1 FLAGS \(\\Flagged[^)]*\) "
                        rb"MODSEQ \(\d+\)\)", ln) for ln in fetches), lines
    assert any(b"UID 7 " in ln for ln in fetches), lines   # the new one
    assert not any(b"UID 3 " in ln for ln in fetches), lines
    # Known UIDs limit what is reported.
    lines, _ = r.ok("EXAMINE INBOX (QRESYNC (%d %d 1:3))" %
                    (uidvalidity, modseq))
    assert b"* OK [CLOSED] Previous mailbox closed" in lines, lines
    assert b"* VANISHED (EARLIER) 2" in lines, lines
    assert not any(b"UID 7 " in ln for ln in lines), lines
    # Another UIDVALIDITY: nothing but the plain SELECT answer.
    lines, _ = r.ok("SELECT INBOX (QRESYNC (%d %d))" %
                    (uidvalidity + 1, modseq))
    assert not any(b"VANISHED" in ln or b" FETCH " in ln
                   for ln in lines), lines
    # Up to date: nothing either.
    _, now = state(srv.raw(u))
    lines, _ = r.ok("SELECT INBOX (QRESYNC (%d %d 1:*))" % (uidvalidity,
                                                           now))
    assert not any(b" FETCH " in ln for ln in lines), lines


def test_uid_fetch_vanished(srv):
    u = fill(srv, 5)
    r = srv.raw(u)
    r.ok("ENABLE QRESYNC")
    _, modseq = state(r)
    other = srv.raw(u)
    other.ok("SELECT INBOX")
    other.ok("UID STORE 3,5 +FLAGS.SILENT (\\Deleted)")
    other.ok("UID EXPUNGE 3,5")
    other.ok("UID STORE 4 +FLAGS.SILENT (\\Seen)")
    lines, _ = r.ok("UID FETCH 1:* FLAGS (CHANGEDSINCE %d VANISHED)" %
                    modseq)
    assert lines[0] == b"* VANISHED (EARLIER) 3,5", lines
    # Our own session learns of the expunges as VANISHED, not EXPUNGE.
    assert b"* VANISHED 3,5" in lines, lines
    assert not any(b"EXPUNGE" in ln for ln in lines), lines
    assert any(b"UID 4 FLAGS (\\Seen" in ln for ln in lines), lines


def test_vanished_instead_of_expunge(srv):
    u = fill(srv, 4)
    r = srv.raw(u)
    r.ok("ENABLE QRESYNC")
    r.ok("SELECT INBOX")
    r.ok("STORE 2:3 +FLAGS.SILENT (\\Deleted)")
    lines, _ = r.ok("EXPUNGE")
    assert lines == [b"* VANISHED 2:3"], lines
    lines, _ = r.ok("UID MOVE 4 Trash")
    assert any(ln.startswith(b"* OK [COPYUID") for ln in lines), lines
    assert b"* VANISHED 4" in lines, lines
    # A session without QRESYNC still gets EXPUNGE.
    p = srv.raw(u)
    p.ok("SELECT INBOX")
    r.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    r.ok("EXPUNGE")
    lines, _ = p.ok("NOOP")
    assert b"* 1 EXPUNGE" in lines, lines


def test_rename_inbox_and_recreated_mailbox(srv):
    """Messages RENAME takes out of INBOX vanish from it; a mailbox made
    anew has another UIDVALIDITY, so an old cache gets nothing."""
    u = fill(srv, 3)
    r = srv.raw(u)
    r.ok("ENABLE QRESYNC")
    uidvalidity, modseq = state(r)
    r.ok("UNSELECT")
    other = srv.raw(u)
    other.ok('RENAME INBOX "Old mail"')
    lines, _ = r.ok("SELECT INBOX (QRESYNC (%d %d))" % (uidvalidity,
                                                       modseq))
    assert b"* VANISHED (EARLIER) 1:3" in lines, lines
    assert b"* 0 EXISTS" in lines, lines
    r.ok("CREATE again")
    r.send(b"x APPEND again {12+}\r\nSubject: x\r\n\r\n")
    assert r.collect("x")[1].startswith(b"OK")
    lines, _ = r.ok("SELECT again")
    text = b"\n".join(lines)
    uv = int(re.search(rb"UIDVALIDITY (\d+)", text).group(1))
    ms = int(re.search(rb"HIGHESTMODSEQ (\d+)", text).group(1))
    r.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    r.ok("EXPUNGE")
    r.ok("UNSELECT")
    r.ok("DELETE again")
    r.ok("CREATE again")
    lines, _ = r.ok("SELECT again (QRESYNC (%d %d))" % (uv, ms))
    assert not any(b"VANISHED" in ln for ln in lines), lines


def test_vanished_record_bounded(srv):
    """The store keeps the newest 1,000 expunged UIDs per mailbox (RFC
    7162 3.2.6); a client asking from before the ones dropped gets every
    UID the mailbox no longer holds, not a list missing the oldest."""
    u = fill(srv, 1)
    a = srv.raw(u)
    uidvalidity, before = state(a)
    for _ in range(10):                 # 1,024 messages
        a.ok("COPY 1:* INBOX")
    a.ok("STORE 2:* +FLAGS.SILENT (\\Deleted)")
    a.ok("EXPUNGE")                     # UIDs 2:1024, 23 over the bound
    _, after = state(a)
    r = srv.raw(u)
    r.ok("ENABLE QRESYNC")
    lines, _ = r.ok("SELECT INBOX (QRESYNC (%d %d))" % (uidvalidity,
                                                       before))
    assert b"* VANISHED (EARLIER) 2:1024" in lines, lines
    lines, _ = r.ok("UID FETCH 1:* FLAGS (CHANGEDSINCE %d VANISHED)" %
                    before)
    assert lines[0] == b"* VANISHED (EARLIER) 2:1024", lines
    # Expunges after the dropped ones are answered from the record.
    a.ok("COPY 1 INBOX")                # UID 1025
    a.ok("UID STORE 1025 +FLAGS.SILENT (\\Deleted)")
    a.ok("EXPUNGE")
    r = srv.raw(u)
    r.ok("ENABLE QRESYNC")
    r.ok("SELECT INBOX")
    lines, _ = r.ok("UID FETCH 1:* FLAGS (CHANGEDSINCE %d VANISHED)" %
                    (after + 1))
    assert b"* VANISHED (EARLIER) 1025" in lines, lines
    # A client that kept only UIDs 1 and 1025 hears of what it knows.
    lines, _ = r.ok("UID FETCH 1,1025 FLAGS (CHANGEDSINCE %d VANISHED)" %
                    before)
    assert b"* VANISHED (EARLIER) 1025" in lines, lines
