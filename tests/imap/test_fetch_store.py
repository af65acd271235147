"""FETCH (every item, sections, partials, PEEK), STORE (flags, keywords,
SILENT, UNCHANGEDSINCE), CONDSTORE MODSEQ and CHANGEDSINCE."""
import re

from lib import PASSWORD, message

MULTI = (
    "From: Alice <alice@client.test>\r\n"
    "To: Bob <bob@example.org>, carol@example.org\r\n"
    "Cc: =?UTF-8?B?SsO8cmdlbg==?= <j@example.org>\r\n"
    "Subject: =?ISO-8859-1?Q?caf=E9?= multipart\r\n"
    "Date: Tue, 2 Jan 2024 11:00:00 +0100\r\n"
    "Message-ID: <multi@client.test>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--XX\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "first part\r\n"
    "--XX\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: inner@client.test\r\n"
    "Subject: inner\r\n"
    "\r\n"
    "inner body\r\n"
    "--XX--\r\n")


def setup(srv):
    u = srv.user()
    srv.deliver(u, message("plain one", "line1\r\nline2\r\n"))
    srv.deliver(u, MULTI)
    return u


def test_fetch_metadata(srv):
    u = setup(srv)
    M = srv.imap(u, "INBOX")
    typ, data = M.fetch("1:*", "(UID FLAGS INTERNALDATE RFC822.SIZE)")
    assert len(data) == 2
    assert re.match(rb'1 \(UID 1 FLAGS \(\\Recent\) INTERNALDATE "[ 0-9]\d-'
                    rb'\w{3}-\d{4} \d\d:\d\d:\d\d \+0000" RFC822.SIZE \d+\)',
                    data[0]), data[0]
    for macro, items in (("FAST", [b"FLAGS", b"INTERNALDATE",
                                   b"RFC822.SIZE"]),
                         ("ALL", [b"ENVELOPE"]), ("FULL", [b"BODY ("])):
        d = M.fetch("1", macro)[1][0]
        d = d[0] if isinstance(d, tuple) else d
        for it in items:
            assert it in d, (macro, it, d)


def test_fetch_envelope_bodystructure(srv):
    u = setup(srv)
    M = srv.imap(u, "INBOX")
    d = M.fetch("2", "(ENVELOPE BODYSTRUCTURE BODY)")[1][0]
    assert b'"=?ISO-8859-1?Q?caf=E9?= multipart"' in d, d
    assert b'(("Bob" NIL "bob" "example.org")(NIL NIL "carol" ' \
        b'"example.org"))' in d, d
    assert b'"<multi@client.test>"' in d
    assert b'"MIXED" ("BOUNDARY" "XX")' in d
    assert b'"MESSAGE" "RFC822"' in d


def test_fetch_sections(srv):
    u = setup(srv)
    M = srv.imap(u, "INBOX")
    typ, data = M.fetch("2", "(BODY.PEEK[1] BODY.PEEK[2.HEADER] "
                        "BODY.PEEK[2.TEXT] BODY.PEEK[1.MIME] "
                        "BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)] "
                        "BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT FROM To Cc "
                        "Date Message-ID MIME-Version Received Return-Path)]"
                        " BODY.PEEK[3])")
    parts = {}
    for item in data:
        if isinstance(item, tuple):
            label = item[0].split(b" {")[0].split(b" ", 1)[1].lstrip(b"(")
            parts[label] = item[1]
    assert parts[b"BODY[1]"] == b"first part", parts
    assert parts[b"BODY[2.HEADER]"] == \
        b"From: inner@client.test\r\nSubject: inner\r\n\r\n"
    assert parts[b"BODY[2.TEXT]"] == b"inner body"
    assert parts[b"BODY[1.MIME]"] == \
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    assert parts[b"BODY[HEADER.FIELDS (SUBJECT FROM)]"].startswith(b"From: ")
    assert parts[b"BODY[HEADER.FIELDS (SUBJECT FROM)]"].endswith(
        b"multipart\r\n\r\n")
    assert parts[b"BODY[HEADER.FIELDS.NOT (SUBJECT FROM To Cc Date "
                 b"Message-ID MIME-Version Received Return-Path)]"] == \
        b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n', parts
    assert b"BODY[3] NIL" in b"".join(x if isinstance(x, bytes) else x[0]
                                      for x in data)
    assert M.fetch("2", "FLAGS")[1][0] == b"2 (FLAGS (\\Recent))"


def test_fetch_body_partial_and_seen(srv):
    u = setup(srv)
    M = srv.imap(u, "INBOX")
    whole = M.fetch("1", "(BODY.PEEK[])")[1][0][1]
    assert M.fetch("1", "(RFC822.SIZE)")[1][0].endswith(
        b"RFC822.SIZE %d)" % len(whole))
    d = M.fetch("1", "(BODY.PEEK[]<5.10>)")[1][0]
    assert d[0].endswith(b"BODY[]<5> {10}") and d[1] == whole[5:15], d
    d = M.fetch("1", "(BODY.PEEK[TEXT]<3.100>)")[1][0]
    assert d[1] == b"e1\r\nline2\r\n", d
    d = M.fetch("1", "(BODY.PEEK[]<99999.10>)")[1][0]
    assert d[1] == b"", d
    assert b"\\Seen" not in M.fetch("1", "FLAGS")[1][0]
    d = M.fetch("1", "(RFC822.HEADER)")[1][0]
    assert d[1].endswith(b"\r\n\r\n") and b"\\Seen" not in d[0]
    d = M.fetch("1", "(BODY[TEXT])")[1]
    assert any(b"\\Seen" in (x[0] if isinstance(x, tuple) else x)
               for x in d), d
    d = M.fetch("2", "(RFC822)")[1][0]
    assert b"\r\nFrom: Alice" in d[1] and b"\\Seen" in d[0], d
    d = M.fetch("2", "(RFC822.TEXT)")[1][0]
    assert d[1].startswith(b"preamble")
    M.select("INBOX", readonly=True)
    M.store("1", "-FLAGS", "\\Seen")  # refused, read-only
    M.select("INBOX")
    M.store("1", "-FLAGS", "\\Seen")
    M.select("INBOX", readonly=True)
    M.fetch("1", "(BODY[])")
    assert b"\\Seen" not in M.fetch("1", "FLAGS")[1][0], \
        "EXAMINE never sets \\Seen"


def test_fetch_big_body_streams(srv):
    u = srv.user()
    body = "".join("line %06d %s\r\n" % (i, "x" * 60) for i in range(40000))
    srv.deliver(u, message("big", body))
    M = srv.imap(u, "INBOX")
    d = M.fetch("1", "(BODY.PEEK[TEXT])")[1][0][1]
    assert d == body.encode()
    d = M.uid("FETCH", "1", "(BODY.PEEK[]<1000000.500000>)")[1][0][1]
    assert len(d) == 500000
    # The same under TLS, where the file is read into the output rather
    # than sent by the kernel; several messages in one FETCH.
    srv.deliver(u, message("big 2", body))
    T = srv.imaps()
    T.login(u, PASSWORD)
    T.select("INBOX")
    typ, data = T.fetch("1:2", "(BODY.PEEK[TEXT] BODY.PEEK[]<5.10>)")
    texts = [d[1] for d in data if isinstance(d, tuple)]
    assert texts.count(body.encode()) == 2, [len(t) for t in texts]
    M.noop()
    whole = M.fetch("2", "(BODY.PEEK[])")[1][0][1]
    assert whole[5:15] in texts, texts[1]


def test_uid_fetch_and_sets(srv):
    u = srv.user()
    for i in range(5):
        srv.deliver(u, message("m%d" % i))
    M = srv.imap(u, "INBOX")
    typ, data = M.uid("FETCH", "2:4,5", "FLAGS")
    assert [re.search(rb"UID (\d+)", d).group(1) for d in data] == \
        [b"2", b"3", b"4", b"5"], data
    typ, data = M.uid("FETCH", "10:*", "FLAGS")
    assert len(data) == 1 and b"UID 5" in data[0], data
    typ, data = M.fetch("4:2", "UID")
    assert len(data) == 3
    typ, data = M.uid("FETCH", "100", "FLAGS")
    assert data == [None], data
    r = srv.raw(u)
    r.ok("SELECT INBOX")
    lines, tagged = r.cmd("FETCH 6 FLAGS")
    assert tagged.startswith(b"BAD"), tagged


def test_store_flags_keywords(srv):
    u = srv.user()
    for i in range(3):
        srv.deliver(u, message("m%d" % i))
    M = srv.imap(u, "INBOX")
    d = M.store("1:2", "+FLAGS", "(\\Flagged \\Answered $Label1)")[1]
    assert d[0] == b"1 (FLAGS (\\Answered \\Flagged \\Recent $Label1))", d
    d = M.store("1", "-FLAGS", "(\\Answered)")[1]
    assert d == [b"1 (FLAGS (\\Flagged \\Recent $Label1))"], d
    d = M.store("2", "FLAGS", "(\\Draft Other)")[1]
    assert d == [b"2 (FLAGS (\\Draft \\Recent Other))"], d
    d = M.store("3", "+FLAGS.SILENT", "(\\Seen)")[1]
    assert d == [None], d
    assert M.fetch("3", "FLAGS")[1] == [b"3 (FLAGS (\\Seen \\Recent))"]
    d = M.uid("STORE", "1", "+FLAGS", "(\\Deleted)")[1]
    assert d == [b"1 (UID 1 FLAGS (\\Flagged \\Deleted \\Recent $Label1))"], d
    r = srv.raw(u)
    lines, _ = r.ok("SELECT INBOX")
    flags = [ln for ln in lines if ln.startswith(b"* FLAGS")][0]
    assert b"$Label1" in flags and b"Other" in flags, flags
    perm = [ln for ln in lines if b"PERMANENTFLAGS" in ln][0]
    assert b"\\*" in perm


def test_condstore(srv):
    u = srv.user()
    for i in range(3):
        srv.deliver(u, message("m%d" % i))
    r = srv.raw(u)
    lines, _ = r.ok("SELECT INBOX (CONDSTORE)")
    hms = int(re.search(rb"HIGHESTMODSEQ (\d+)",
                        b" ".join(lines)).group(1))
    lines, _ = r.ok("FETCH 1:* (MODSEQ)")
    assert len(lines) == 3 and all(b"MODSEQ (" in ln for ln in lines)
    lines, _ = r.ok("STORE 2 +FLAGS (\\Seen)")
    m2 = int(re.search(rb"MODSEQ \((\d+)\)", lines[0]).group(1))
    assert m2 > hms, lines
    lines, _ = r.ok("FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % hms)
    assert len(lines) == 1 and lines[0].startswith(b"* 2 FETCH"), lines
    lines, tagged = r.ok("STORE 1:3 (UNCHANGEDSINCE %d) +FLAGS (\\Flagged)"
                         % hms)
    assert tagged.startswith(b"OK [MODIFIED 2]"), tagged
    lines, _ = r.ok("SEARCH MODSEQ %d" % m2)
    assert lines[0].startswith(b"* SEARCH 1 2 3 (MODSEQ "), lines
    lines, _ = r.ok("STATUS Sent (HIGHESTMODSEQ)")
    assert b"HIGHESTMODSEQ" in lines[0]
