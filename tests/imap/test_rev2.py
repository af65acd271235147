"""IMAP4rev2 (RFC 9051) beside IMAP4rev1: both advertised, ENABLE
IMAP4rev2 (ESEARCH answers, no RECENT or \\Recent, UTF-8 mailbox names, a
LIST response on SELECT), BINARY fetch and APPEND (RFC 3516), SEARCHRES
"$" (RFC 5182), STATUS SIZE and DELETED; the rev1 behaviour is kept for
clients that do not enable rev2."""
import base64
import re

from lib import message

BIN = bytes(range(256)) * 4

ATTACHED = (
    "From: a@client.test\r\nTo: b@example.org\r\nSubject: attached\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
    "--B\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    "caf=C3=A9 =\r\nau lait\r\n"
    "--B\r\nContent-Type: application/octet-stream\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\n" +
    "\r\n".join(base64.encodebytes(BIN).decode().split("\n")).rstrip() +
    "\r\n--B\r\nContent-Type: text/plain\r\n"
    "Content-Transfer-Encoding: x-unheard-of\r\n\r\nzzz\r\n"
    "--B--\r\n")


def fill(srv, n=4):
    u = srv.user()
    for i in range(n):
        srv.deliver(u, message("rev2 %d" % i, "body %d\r\n" % i))
    return u


def test_capability_both_revisions(srv):
    r = srv.raw(srv.user())
    lines, _ = r.ok("CAPABILITY")
    caps = lines[0].split()
    for c in (b"IMAP4rev1", b"IMAP4rev2", b"BINARY", b"SEARCHRES",
              b"ESEARCH", b"STATUS=SIZE", b"LITERAL+"):
        assert c in caps, (c, caps)
    lines, _ = r.ok("ENABLE IMAP4rev2")
    assert lines == [b"* ENABLED IMAP4rev2"], lines
    # Only what is newly enabled is reported (RFC 5161 3.1).
    lines, _ = r.ok("ENABLE IMAP4rev2")
    assert lines == [b"* ENABLED"], lines


def test_rev1_keeps_recent_and_search(srv):
    u = fill(srv, 2)
    r = srv.raw(u)
    lines, _ = r.ok("SELECT INBOX")
    assert b"* 2 RECENT" in lines, lines
    assert not any(ln.startswith(b"* LIST") for ln in lines), lines
    lines, _ = r.ok("SEARCH ALL")
    assert lines == [b"* SEARCH 1 2"], lines
    lines, _ = r.ok("FETCH 1 FLAGS")
    assert b"\\Recent" in lines[0], lines


def test_rev2_select_and_search(srv):
    u = fill(srv, 3)
    r = srv.raw(u)
    r.ok("ENABLE IMAP4rev2")
    lines, _ = r.ok("SELECT INBOX")
    assert not any(b"RECENT" in ln for ln in lines), lines
    assert b'* LIST () "/" "INBOX"' in lines, lines
    assert b"* 3 EXISTS" in lines, lines
    lines, tagged = r.ok("SEARCH ALL")
    assert re.match(rb'\* ESEARCH \(TAG "t\d+"\) ALL 1:3$', lines[0]), lines
    lines, _ = r.ok("UID SEARCH RETURN (MIN COUNT) ALL")
    assert re.match(rb'\* ESEARCH \(TAG "t\d+"\) UID MIN 1 COUNT 3$',
                    lines[0]), lines
    lines, _ = r.ok("SEARCH SUBJECT nothing-like-this")
    assert re.match(rb'\* ESEARCH \(TAG "t\d+"\)$', lines[0]), lines
    lines, _ = r.ok("FETCH 1:* FLAGS")
    assert not any(b"\\Recent" in ln for ln in lines), lines
    # A new message: EXISTS, no RECENT.
    srv.deliver(u, message("late", "late\r\n"))
    lines, _ = r.ok("NOOP")
    assert b"* 4 EXISTS" in lines and not any(b"RECENT" in ln
                                               for ln in lines), lines


def test_rev2_utf8_mailbox_names(srv):
    u = srv.user()
    r1 = srv.raw(u)
    r1.ok("CREATE \"Caf&AOk-\"")
    r1.ok("CREATE \"a&-b\"")
    r2 = srv.raw(u)
    r2.ok("ENABLE IMAP4rev2")
    lines, _ = r2.ok('LIST "" "*"')
    names = [ln.split(b'"/" ')[1] for ln in lines]
    assert '"Café"'.encode() in names and b'"a&b"' in names, names
    # rev2 names are taken as they are: "&" is a character.
    r2.ok('CREATE "x&AOk-"')
    lines, _ = r1.ok('LIST "" "x*"')
    assert lines[0].endswith(b'"x&-AOk-"'), lines
    r2.ok('SELECT "a&b"')
    lines, _ = r2.ok('SELECT "Café"')
    assert '* LIST () "/" "Café"'.encode() in lines, lines
    # Not UTF-8: refused.
    r2.send(b'x SELECT "Caf\xe9"\r\n')
    lines, tagged = r2.collect("x")
    assert tagged.startswith(b"BAD"), tagged


def test_binary_fetch(srv):
    u = srv.user()
    srv.deliver(u, ATTACHED)
    r = srv.raw(u)
    r.ok("SELECT INBOX")
    lines, _ = r.ok("FETCH 1 (BINARY.SIZE[1] BINARY.SIZE[2])")
    # The line break before the delimiter is the delimiter's.
    assert b"BINARY.SIZE[1] %d" % len("café au lait".encode()) \
        in lines[0], lines
    assert b"BINARY.SIZE[2] %d" % len(BIN) in lines[0], lines
    # A decoded part with NUL comes as a literal8.
    lines, _ = r.ok("FETCH 1 (BINARY.PEEK[2])")
    want = b"BINARY[2] ~{%d}\r\n" % len(BIN) + BIN
    assert want in lines[0], lines[0][:80]
    lines, _ = r.ok("FETCH 1 (BINARY.PEEK[1])")
    assert "BINARY[1] {13}\r\ncafé au lait".encode() in lines[0], lines
    lines, _ = r.ok("FETCH 1 (BINARY.PEEK[2]<256.4>)")
    assert b"BINARY[2]<256> ~{4}\r\n\x00\x01\x02\x03" in lines[0], lines
    lines, _ = r.ok("FETCH 1 (FLAGS)")
    assert b"\\Seen" not in lines[0], lines
    # Without PEEK \Seen is set; a part that is not there is NIL.
    lines, _ = r.ok("FETCH 1 (BINARY[9])")
    assert b"BINARY[9] NIL" in lines[0] and b"\\Seen" in lines[0], lines
    # An encoding we cannot undo: NO [UNKNOWN-CTE] (RFC 3516 4.3).
    lines, tagged = r.cmd("FETCH 1 (BINARY.PEEK[3])")
    assert tagged.startswith(b"NO [UNKNOWN-CTE]"), tagged
    for bad in ("BINARY[TEXT]", "BINARY[1.MIME]", "BINARY[0]",
                "BINARY.SIZE[1]<0.5>", "BINARY[1"):
        lines, tagged = r.cmd("FETCH 1 (%s)" % bad)
        assert tagged.startswith(b"BAD"), (bad, tagged)


def test_binary_append_literal8(srv):
    u = srv.user()
    r = srv.raw(u)
    msg = (b"From: a@client.test\r\nSubject: bin\r\n"
           b"Content-Type: application/octet-stream\r\n"
           b"Content-Transfer-Encoding: binary\r\n\r\n" + BIN + b"\r\n")
    r.send(b"a APPEND INBOX ~{%d+}\r\n%s\r\n" % (len(msg), msg))
    lines, tagged = r.collect("a")
    assert tagged.startswith(b"OK"), tagged
    r.ok("SELECT INBOX")
    lines, _ = r.ok("FETCH 1 (BINARY.PEEK[1] RFC822.SIZE)")
    assert b"RFC822.SIZE %d" % len(msg) in lines[0], lines[0][:60]
    assert b"~{%d}\r\n" % (len(BIN) + 2) + BIN in lines[0]
    # literal8 is for APPEND only.
    r.send(b"c CREATE ~{1+}\r\nx\r\n")
    lines, tagged = r.collect("c")
    assert tagged.startswith(b"BAD"), tagged


def test_searchres(srv):
    u = fill(srv, 5)
    r = srv.raw(u)
    r.ok("SELECT INBOX")
    # Before any SAVE, "$" is empty, not an error (RFC 5182 2.1).
    lines, _ = r.ok("FETCH $ FLAGS")
    assert lines == [], lines
    lines, _ = r.ok("SEARCH RETURN (SAVE) SUBJECT \"rev2 1\"")
    assert lines == [], lines
    lines, _ = r.ok("FETCH $ (UID)")
    assert lines == [b"* 2 FETCH (UID 2)"], lines
    r.ok("UID SEARCH RETURN (SAVE) 2:4")
    lines, _ = r.ok("SEARCH $")
    assert lines == [b"* SEARCH 2 3 4"], lines
    lines, _ = r.ok("UID SEARCH UID $ NOT 3")
    assert lines == [b"* SEARCH 2 4"], lines
    lines, _ = r.ok("SEARCH OR $ 5")
    assert lines == [b"* SEARCH 2 3 4 5"], lines
    r.ok("STORE $ +FLAGS.SILENT (\\Deleted)")
    r.ok("UID EXPUNGE $")
    lines, _ = r.ok("SEARCH ALL")
    assert lines == [b"* SEARCH 1 2"], lines
    # Expunged messages left "$".
    lines, _ = r.ok("FETCH $ UID")
    assert lines == [], lines
    # SAVE with MIN and MAX keeps only those (RFC 5182 2.4).
    r.ok("SEARCH RETURN (SAVE MIN MAX) ALL")
    lines, _ = r.ok("UID FETCH $ UID")
    assert lines == [b"* 1 FETCH (UID 1)", b"* 2 FETCH (UID 5)"], lines
    lines, _ = r.ok("SEARCH RETURN (SAVE COUNT) ALL")
    assert re.match(rb'\* ESEARCH \(TAG "t\d+"\) COUNT 2$', lines[0]), lines
    # A NO with SAVE empties it.
    lines, tagged = r.cmd("SEARCH RETURN (SAVE) CHARSET KOI8-R ALL")
    assert tagged.startswith(b"NO [BADCHARSET"), tagged
    lines, _ = r.ok("FETCH $ UID")
    assert lines == [], lines
    # SELECT starts with an empty "$".
    r.ok("SEARCH RETURN (SAVE) ALL")
    r.ok("SELECT INBOX")
    lines, _ = r.ok("FETCH $ UID")
    assert lines == [], lines


def test_status_size_deleted(srv):
    u = fill(srv, 3)
    r = srv.raw(u)
    r.ok("SELECT INBOX")
    r.ok("STORE 2 +FLAGS (\\Deleted)")
    lines, _ = r.ok("STATUS INBOX (MESSAGES SIZE DELETED)")
    m = re.match(rb'\* STATUS "INBOX" \(MESSAGES 3 SIZE (\d+) DELETED 1\)',
                 lines[0])
    assert m, lines
    lines, _ = r.ok("FETCH 1:* RFC822.SIZE")
    total = sum(int(re.search(rb"RFC822.SIZE (\d+)", ln).group(1))
                for ln in lines)
    assert int(m.group(1)) == total, (m.group(1), total)


def test_imaplib_rev2(srv):
    """A stock client that enables rev2 keeps working: SELECT, FETCH,
    ESEARCH through the generic command path."""
    u = fill(srv, 2)
    M = srv.imap(u)
    typ, data = M._simple_command("ENABLE", "IMAP4rev2")
    assert typ == "OK", data
    typ, data = M.select("INBOX")
    assert typ == "OK" and data == [b"2"], data
    typ, data = M.fetch("1:*", "(UID FLAGS)")
    assert typ == "OK" and len(data) == 2, data
    assert not any(b"Recent" in d for d in data), data
    typ, data = M._simple_command("UID", "SEARCH", "ALL")
    esearch = M.untagged_responses.get("ESEARCH", [])
    assert typ == "OK" and esearch and esearch[-1].endswith(b"UID ALL 1:2"), \
        esearch
    M.logout()
    # Without ENABLE the same client sees IMAP4rev1.
    M = srv.imap(u, "INBOX")
    assert M.search(None, "ALL")[1] == [b"1 2"]


def test_utf8_accept(srv):
    """UTF8=ACCEPT (RFC 6855), enabled though not advertised (announcing
    it would oblige refusing 8-bit headers from other clients): names and
    quoted strings are UTF-8, APPEND takes UTF8 (~{n}), SEARCH no
    CHARSET."""
    r = srv.raw(srv.user())
    lines, _ = r.ok("CAPABILITY")
    assert b"UTF8=ACCEPT" not in lines[0].split(), lines
    subj = "Subject: Gr\u00fc\u00dfe aus K\u00f6ln\r\n".encode()
    msg = b"From: a@client.test\r\n" + subj + b"\r\nhello\r\n"
    # Without ENABLE: raw 8-bit header fields are stored as they come
    # (sync tools copy such mail), the UTF8 form is BAD.
    r.send(b"t1 APPEND INBOX {%d+}\r\n%s\r\n" % (len(msg), msg))
    _, tagged = r.collect("t1")
    assert tagged.startswith(b"OK"), tagged
    r.send(b"t3 APPEND INBOX UTF8 (~{%d+}\r\n%s)\r\n" % (len(msg), msg))
    _, tagged = r.collect("t3")
    assert tagged.startswith(b"BAD"), tagged
    lines, _ = r.ok("ENABLE UTF8=ACCEPT")
    assert lines == [b"* ENABLED UTF8=ACCEPT"], lines
    # Names in UTF-8 both ways, "&" as itself.
    name = "Gr\u00fc\u00dfe & Co".encode()
    r.send(b't4 CREATE "%s"\r\n' % name)
    _, tagged = r.collect("t4")
    assert tagged.startswith(b"OK"), tagged
    lines, _ = r.ok('LIST "" "Gr*"')
    assert lines == [b'* LIST (\\HasNoChildren) "/" "%s"' % name], lines
    # A quoted string that is not UTF-8 is BAD (RFC 6855 3).
    r.send(b't5 CREATE "bad\xff\xfe"\r\n')
    _, tagged = r.collect("t5")
    assert tagged.startswith(b"BAD"), tagged
    # APPEND in the UTF8 form, and the header comes back as it went.
    r.send(b"t6 APPEND INBOX UTF8 (~{%d+}\r\n%s)\r\n" % (len(msg), msg))
    _, tagged = r.collect("t6")
    assert tagged.startswith(b"OK [APPENDUID"), tagged
    r.ok("SELECT INBOX")
    lines, _ = r.ok("FETCH 2 BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
    assert subj in lines[0], lines
    # No CHARSET once enabled; a UTF-8 quoted search string works.
    _, tagged = r.cmd("SEARCH CHARSET UTF-8 ALL")
    assert tagged.startswith(b"BAD"), tagged
    r.send('t7 SEARCH SUBJECT "K\u00f6ln"\r\n'.encode())
    lines, tagged = r.collect("t7")
    assert tagged.startswith(b"OK") and lines == [b"* SEARCH 1 2"], (
        lines, tagged)
