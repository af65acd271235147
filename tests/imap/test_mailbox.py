"""SELECT, EXAMINE, CREATE, DELETE, RENAME (INBOX rule), SUBSCRIBE,
UNSUBSCRIBE, LIST, LSUB, LIST-EXTENDED, LIST-STATUS, SPECIAL-USE,
CHILDREN, STATUS and modified UTF-7 names."""
import re

from lib import message


def names(listing):
    out = []
    for ln in listing:
        m = re.match(rb'\((.*?)\) "/" "?(.*?)"?$', ln)
        out.append((m.group(2).decode(), m.group(1).decode()))
    return dict(out)


def test_new_account_special_use(srv):
    M = srv.imap(srv.user())
    typ, data = M.list('""', "*")
    got = names(data)
    assert got["Sent"].endswith("\\Sent") and "\\Drafts" in got["Drafts"]
    assert "\\Trash" in got["Trash"] and "\\Junk" in got["Junk"]
    assert "\\Archive" in got["Archive"] and "INBOX" in got
    typ, data = M._simple_command("LIST", "(SPECIAL-USE)", '""', "*")
    data = M._untagged_response(typ, data, "LIST")[1]
    assert len(data) == 5, data


def test_select_examine(srv):
    u = srv.user()
    for i in range(3):
        srv.deliver(u, message("m%d" % i))
    r = srv.raw(u)
    lines, tagged = r.ok("SELECT INBOX")
    assert tagged.startswith(b"OK [READ-WRITE]")
    text = b"\n".join(lines)
    for want in (b"* 3 EXISTS", b"* 3 RECENT", b"OK [UIDVALIDITY ",
                 b"OK [UIDNEXT 4]", b"* FLAGS (", b"OK [PERMANENTFLAGS (",
                 b"OK [UNSEEN 1]", b"OK [HIGHESTMODSEQ "):
        assert want in text, want
    lines, tagged = r.ok("EXAMINE INBOX")
    assert tagged.startswith(b"OK [READ-ONLY]")
    assert b"* 0 RECENT" in lines, lines   # this session took them already
    assert any(b"[CLOSED]" in ln for ln in lines)
    lines, tagged = r.cmd("STORE 1 +FLAGS (\\Seen)")
    assert tagged.startswith(b"NO"), tagged
    lines, tagged = r.cmd("SELECT Nonexistent")
    assert tagged.startswith(b"NO [NONEXISTENT]"), tagged
    lines, tagged = r.cmd("FETCH 1 FLAGS")
    assert tagged.startswith(b"BAD"), "a failed SELECT leaves no mailbox"
    r.ok("SELECT inbox")


def test_create_delete_rename(srv):
    M = srv.imap(srv.user())
    assert M.create("a/b/c")[0] == "OK"
    got = names(M.list('""', "*")[1])
    assert "\\HasChildren" in got["a"] and "\\HasChildren" in got["a/b"]
    assert "\\HasNoChildren" in got["a/b/c"]
    typ, data = M.create("a/b")
    assert typ == "NO" and b"ALREADYEXISTS" in data[0]
    typ, data = M.create("INBOX")
    assert typ == "NO"
    assert M.create("trailing/")[0] == "OK"
    assert "trailing" in names(M.list('""', "*")[1])
    assert M.rename("a", "x")[0] == "OK"
    got = names(M.list('""', "*")[1])
    assert "x/b/c" in got and "a" not in got
    typ, data = M.rename("nope", "y")
    assert typ == "NO" and b"NONEXISTENT" in data[0]
    typ, data = M.rename("x", "Sent")
    assert typ == "NO" and b"ALREADYEXISTS" in data[0]
    # DELETE with children keeps the name as \Noselect.
    assert M.delete("x")[0] == "OK"
    got = names(M.list('""', "x*")[1])
    assert "\\Noselect" in got["x"], got
    typ, data = M.select("x")
    assert typ == "NO"
    assert M.delete("x")[0] == "NO"   # \Noselect with children
    assert M.delete("x/b/c")[0] == "OK" and M.delete("x/b")[0] == "OK"
    assert M.delete("x")[0] == "OK"
    assert M.delete("INBOX")[0] == "NO"
    assert M.delete("nope")[0] == "NO"
    assert M.create("x")[0] == "OK"     # the name is free again


def test_rename_inbox(srv):
    u = srv.user()
    for i in range(2):
        srv.deliver(u, message("m%d" % i))
    M = srv.imap(u)
    assert M.rename("INBOX", "Old")[0] == "OK"
    assert M.select("Old")[1] == [b"2"]
    assert M.select("INBOX")[1] == [b"0"]
    srv.deliver(u, message("new"))
    st = M.status("INBOX", "(MESSAGES UIDNEXT)")[1][0]
    assert b"MESSAGES 1" in st and b"UIDNEXT 4" in st, st


def test_subscribe_lsub_list_extended(srv):
    M = srv.imap(srv.user())
    M.create("p/q")
    M.create("r")
    assert M.subscribe("p/q")[0] == "OK"
    assert M.subscribe("ghost")[0] == "OK"      # may not exist
    assert M.unsubscribe("Junk")[0] == "OK"
    got = names(M.lsub('""', "*")[1])
    assert "p/q" in got and "ghost" in got and "Junk" not in got
    assert "r" not in got
    typ, data = M._simple_command("LIST", "(SUBSCRIBED)", '""', "*")
    got = names(M._untagged_response(typ, data, "LIST")[1])
    assert "\\Subscribed" in got["p/q"] and "\\NonExistent" in got["ghost"]
    typ, data = M._simple_command("LIST", "(SUBSCRIBED RECURSIVEMATCH)",
                                  '""', "%")
    data = M._untagged_response(typ, data, "LIST")[1]
    assert any(b'"p" ("CHILDINFO" ("SUBSCRIBED"))' in ln for ln in data), data
    typ, data = M._simple_command("LIST", '""', "(INBOX r)", "RETURN",
                                  "(CHILDREN SUBSCRIBED)")
    got = names(M._untagged_response(typ, data, "LIST")[1])
    assert set(got) == {"INBOX", "r"}, got
    assert "\\Subscribed" in got["INBOX"]


def test_list_patterns_and_status(srv):
    u = srv.user()
    srv.deliver(u, message("one"))
    M = srv.imap(u)
    M.create("top/mid/leaf")
    got = names(M.list('""', "%")[1])
    assert "top" in got and "top/mid" not in got
    got = names(M.list('""', "top/%")[1])
    assert list(got) == ["top/mid"]
    got = names(M.list("top/", "*")[1])
    assert set(got) == {"top/mid", "top/mid/leaf"}
    got = names(M.list('""', "inbox")[1])
    assert list(got) == ["INBOX"]
    typ, data = M.list('""', '""')
    assert data == [b'(\\Noselect) "/" ""'], data
    typ, data = M._simple_command("LIST", '""', "INBOX", "RETURN",
                                  "(STATUS (MESSAGES UNSEEN UIDNEXT))")
    st = M._untagged_response(typ, data, "STATUS")[1]
    assert st and b"MESSAGES 1 UNSEEN 1 UIDNEXT 2" in st[0], st
    st = M.status("INBOX", "(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN "
                  "HIGHESTMODSEQ SIZE DELETED)")[1][0]
    assert re.match(rb'"INBOX" \(MESSAGES 1 RECENT 1 UIDNEXT 2 UIDVALIDITY '
                    rb'\d+ UNSEEN 1 HIGHESTMODSEQ \d+ SIZE \d+ DELETED 0\)',
                    st), st
    assert M.status("nope", "(MESSAGES)")[0] == "NO"


def test_modified_utf7_names(srv):
    M = srv.imap(srv.user())
    assert M.create("Entw&APw-rfe")[0] == "OK"
    assert M.create("&ZeVnLIqe-")[0] == "OK"       # Japanese
    assert M.create("A&-B")[0] == "OK"
    got = names(M.list('""', "*")[1])
    for n in ("Entw&APw-rfe", "&ZeVnLIqe-", "A&-B"):
        assert n in got, (n, got)
    assert M.select("Entw&APw-rfe")[0] == "OK"
    r = srv.raw(srv.user())
    for bad in ("bad&Jjo", "bad&AGE-", "&U,BTFw-&ZeVnLIqe-x&"):
        lines, tagged = r.cmd("CREATE " + bad)
        assert tagged.startswith(b"BAD"), (bad, tagged)


def test_unselect_close_check(srv):
    u = srv.user()
    srv.deliver(u, message("x"))
    r = srv.raw(u)
    r.ok("SELECT INBOX")
    r.ok("CHECK")
    r.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    r.ok("UNSELECT")
    lines, _ = r.ok("SELECT INBOX")
    assert b"* 1 EXISTS" in lines
    lines, tagged = r.ok("CLOSE")
    assert not any(b"EXPUNGE" in ln for ln in lines), lines
    lines, _ = r.ok("SELECT INBOX")
    assert b"* 0 EXISTS" in lines


def test_lsub_unsubscribed_parents_noselect(srv):
    """RFC 3501 6.3.9: with "%", a parent of a subscribed name that is not
    subscribed itself comes as \\Noselect, once."""
    u = srv.user()
    r = srv.raw(u)
    for name in ("foo/bar", "foo/baz", "top", "deep/a/b"):
        r.ok('CREATE "%s"' % name)
        r.ok('SUBSCRIBE "%s"' % name)
    r.ok('UNSUBSCRIBE "INBOX"')
    for name in ("Sent", "Drafts", "Trash", "Junk", "Archive"):
        r.ok('UNSUBSCRIBE "%s"' % name)
    lines, _ = r.ok('LSUB "" "%"')
    assert sorted(lines) == sorted([
        b'* LSUB (\\Noselect) "/" "deep"',
        b'* LSUB (\\Noselect) "/" "foo"',
        b'* LSUB () "/" "top"']), lines
    lines, _ = r.ok('LSUB "" "deep/%"')
    assert lines == [b'* LSUB (\\Noselect) "/" "deep/a"'], lines
    # A subscribed parent is listed as it is; "*" lists only what is
    # subscribed.
    r.ok('SUBSCRIBE "foo"')
    lines, _ = r.ok('LSUB "" "%"')
    assert b'* LSUB () "/" "foo"' in lines, lines
    lines, _ = r.ok('LSUB "" "*"')
    assert not any(b"Noselect" in ln for ln in lines), lines
    assert len(lines) == 5, lines


def test_selected_mailbox_deleted_elsewhere(srv):
    """Another session deletes the selected mailbox: the next command, or
    IDLE, gets BYE and the connection ends (as Dovecot does; RFC 3501
    7.1.5)."""
    u = srv.user()
    a, b, c = srv.raw(u), srv.raw(u), srv.raw(u)
    a.ok("CREATE gone")
    a.send(b"x APPEND gone {12+}\r\nSubject: x\r\n\r\n")
    assert a.collect("x")[1].startswith(b"OK")
    a.ok("SELECT gone")
    c.ok("SELECT gone")
    c.send("i1 IDLE\r\n")
    assert c.line().startswith(b"+ ")
    b.ok("DELETE gone")
    lines, tagged = a.cmd("NOOP")
    assert lines == [b"* BYE Selected mailbox was deleted, have to "
                     b"disconnect"] and tagged is None, (lines, tagged)
    assert a.line() is None
    lines, tagged = c.collect("i1")
    assert b"* BYE Selected mailbox was deleted, have to disconnect" \
        in lines and tagged is None, (lines, tagged)
