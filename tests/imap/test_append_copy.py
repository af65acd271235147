"""APPEND (flags, date, literals, APPENDUID), COPY, MOVE, UID forms
(UIDPLUS COPYUID), EXPUNGE and UID EXPUNGE."""
import re
import time

import imaplib

from lib import message


def test_append(srv):
    u = srv.user()
    M = srv.imap(u)
    msg = message("appended", "body\r\n").encode()
    typ, data = M.append("Drafts", "(\\Draft $Todo)",
                         imaplib.Time2Internaldate(1700000000), msg)
    assert typ == "OK" and re.match(rb"\[APPENDUID \d+ 1\]", data[0]), data
    M.select("Drafts")
    d = M.fetch("1", "(FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])")[1][0]
    assert b"\\Draft" in d[0] and b"$Todo" in d[0], d
    assert b'INTERNALDATE "14-Nov-2023 22:13:20 +0000"' in d[0], d
    assert d[1] == msg and (b"RFC822.SIZE %d" % len(msg)) in d[0]
    typ, data = M.append("Nope", None, None, msg)
    assert typ == "NO" and b"TRYCREATE" in data[0], data
    assert M.append("INBOX", None, None, msg)[0] == "OK"


def test_append_literal_plus_and_bad(srv):
    u = srv.user()
    r = srv.raw(u)
    body = b"Subject: lp\r\n\r\nx\r\n"
    r.send(b"a1 APPEND INBOX (\\Seen) \" 5-Jan-2024 01:02:03 +0100\" {%d+}"
           b"\r\n%s\r\n" % (len(body), body))
    lines, tagged = r.collect("a1")
    assert tagged.startswith(b"OK [APPENDUID"), tagged
    for bad in ('APPEND INBOX (\\Bogus) {1+}\r\nx',
                'APPEND INBOX "32-Jan-2024 00:00:00 +0000" {1+}\r\nx',
                'APPEND INBOX', 'APPEND INBOX "not a literal"'):
        lines, tagged = r.cmd(bad)
        assert tagged.startswith(b"BAD"), (bad, tagged)
    lines, _ = r.ok("SELECT INBOX")
    assert b"* 1 EXISTS" in lines
    lines, _ = r.ok("FETCH 1 (FLAGS INTERNALDATE)")
    assert b'" 5-Jan-2024 00:02:03 +0000"' in lines[0], lines


def test_append_to_selected_mailbox_reports_exists(srv):
    u = srv.user()
    r = srv.raw(u)
    r.ok("SELECT INBOX")
    body = b"Subject: x\r\n\r\ny\r\n"
    r.send(b"a1 APPEND INBOX {%d+}\r\n%s\r\n" % (len(body), body))
    lines, tagged = r.collect("a1")
    assert b"* 1 EXISTS" in lines, lines


def test_copy_move_uidplus(srv):
    u = srv.user()
    for i in range(4):
        srv.deliver(u, message("m%d" % i))
    M = srv.imap(u, "INBOX")
    M.store("2", "+FLAGS", "(\\Flagged kw1)")
    typ, data = M.copy("1:2", "Archive")
    assert re.match(rb"\[COPYUID \d+ 1:2 1:2\] COPY completed", data[0]), data
    typ, data = M._simple_command("UID", "COPY", "3", "Archive")
    assert re.match(rb"\[COPYUID \d+ 3 3\]", data[0]), data
    typ, data = M.copy("1", "Missing")
    assert typ == "NO" and b"TRYCREATE" in data[0]
    r = srv.raw(u)
    r.ok("SELECT INBOX")
    lines, tagged = r.ok("MOVE 1,4 Trash")
    assert re.match(rb"\* OK \[COPYUID \d+ 1,4 1:2\]", lines[0]), lines
    assert lines[1:] == [b"* 4 EXPUNGE", b"* 1 EXPUNGE"], lines
    lines, tagged = r.ok("UID MOVE 2 Trash")
    assert lines[-1] == b"* 1 EXPUNGE", lines
    M.select("Archive")
    d = M.fetch("2", "(FLAGS)")[1][0]
    assert b"\\Flagged" in d and b"kw1" in d, d
    # A copy shares the body: the original goes, the copy stays.
    M.select("INBOX")
    M.store("1:*", "+FLAGS", "\\Deleted")
    M.expunge()
    M.select("Archive")
    assert M.fetch("1", "(BODY.PEEK[])")[1][0][1].endswith(b"hello\r\n")


def test_expunge_and_uid_expunge(srv):
    u = srv.user()
    for i in range(5):
        srv.deliver(u, message("m%d" % i))
    r = srv.raw(u)
    r.ok("SELECT INBOX")
    r.ok("STORE 1,3,5 +FLAGS.SILENT (\\Deleted)")
    lines, _ = r.ok("UID EXPUNGE 3:5")
    assert lines == [b"* 5 EXPUNGE", b"* 3 EXPUNGE"], lines
    lines, _ = r.ok("EXPUNGE")
    assert lines == [b"* 1 EXPUNGE"], lines
    lines, _ = r.ok("UID SEARCH ALL")
    assert lines == [b"* SEARCH 2 4"], lines
    r.ok("EXAMINE INBOX")
    lines, tagged = r.cmd("EXPUNGE")
    assert tagged.startswith(b"NO"), tagged
