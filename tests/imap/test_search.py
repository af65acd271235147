"""SEARCH with every key of RFC 3501 6.4.4, CHARSET, UID SEARCH and
ESEARCH (RFC 4731)."""
from lib import message


def setup(srv):
    u = srv.user()
    srv.deliver(u, message("Alpha report", "The quick brown fox\r\n",
                           frm="Alice <alice@client.test>",
                           to="bob@example.org",
                           date="Mon, 1 Jan 2024 10:00:00 +0000"))
    srv.deliver(u, message("=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= beta",
                           "lazy dog\r\n" + ("z" * 70 + "\r\n") * 45,
                           frm="Bob <bob@other.test>", to="carol@example.org",
                           extra="Cc: dave@example.org\r\nX-Tag: special\r\n",
                           date="Fri, 15 Mar 2024 09:00:00 +0000"))
    srv.deliver(u, message("gamma", "nothing here\r\n",
                           frm="Carol <carol@client.test>",
                           to="bob@example.org",
                           extra="Bcc: hidden@example.org\r\n",
                           date="Sun, 30 Jun 2024 23:00:00 +0000"))
    M = srv.imap(u, "INBOX")
    M.store("1", "+FLAGS", "(\\Seen \\Answered)")
    M.store("2", "+FLAGS", "(\\Flagged \\Deleted work)")
    M.store("3", "+FLAGS", "(\\Draft)")
    return u, M


CASES = [
    ("ALL", "1 2 3"), ("ANSWERED", "1"), ("UNANSWERED", "2 3"),
    ("DELETED", "2"), ("UNDELETED", "1 3"), ("DRAFT", "3"),
    ("UNDRAFT", "1 2"), ("FLAGGED", "2"), ("UNFLAGGED", "1 3"),
    ("SEEN", "1"), ("UNSEEN", "2 3"), ("KEYWORD work", "2"),
    ("UNKEYWORD work", "1 3"), ("RECENT", "1 2 3"), ("NEW", "2 3"),
    ("OLD", ""), ("FROM alice", "1"), ("FROM OTHER.TEST", "2"),
    ("TO carol", "2"), ("CC dave", "2"), ("BCC hidden", "3"),
    ("SUBJECT report", "1"), ("SUBJECT \"grüße\"", "2"),
    ("HEADER X-Tag spec", "2"), ("HEADER X-Tag \"\"", "2"),
    ("BODY lazy", "2"), ("BODY alpha", ""), ("TEXT alpha", "1"),
    ("TEXT QUICK", "1"), ("LARGER 3000", "2"), ("SMALLER 1000", "1 3"),
    ("SENTBEFORE 15-Mar-2024", "1"), ("SENTON 15-Mar-2024", "2"),
    ("SENTSINCE 15-Mar-2024", "2 3"), ("SINCE 1-Jan-2000", "1 2 3"),
    ("BEFORE 1-Jan-2000", ""), ("ON 1-Jan-2000", ""),
    ("UID 2:*", "2 3"), ("2,3", "2 3"), ("1:*", "1 2 3"),
    ("NOT SEEN", "2 3"), ("OR SEEN FLAGGED", "1 2"),
    ("(SEEN ANSWERED)", "1"), ("OR (SEEN) (OR DRAFT FLAGGED)", "1 2 3"),
    ("NOT (OR SEEN DRAFT)", "2"), ("SEEN UNSEEN", ""),
    ("CHARSET UTF-8 SUBJECT gr", "2"), ("CHARSET US-ASCII ALL", "1 2 3"),
]


def test_search_keys(srv):
    u, M = setup(srv)
    r = srv.raw(u)
    r.ok("SELECT INBOX")
    r.ok("SELECT INBOX")    # \Recent went to M; this one sees none
    M.logout()
    bad = []
    for crit, want in CASES:
        if '"' in crit and not crit.isascii():
            word = crit.split('"')[1].encode()
            crit = crit.split('"')[0].encode() + b"{%d+}\r\n" % len(word) \
                + word
        lines, tagged = r.cmd("SEARCH " + (crit if isinstance(crit, str)
                                           else crit.decode()))
        got = lines[0][len(b"* SEARCH"):].decode().strip() if lines else "?"
        if crit in ("RECENT", "NEW"):
            want = ""
        elif crit == "OLD":
            want = "1 2 3"
        if not tagged.startswith(b"OK") or got != want:
            bad.append((crit, tagged, got, want))
    assert not bad, bad


def test_search_badcharset_and_errors(srv):
    u, M = setup(srv)
    r = srv.raw(u)
    r.ok("SELECT INBOX")
    lines, tagged = r.cmd("SEARCH CHARSET KOI8-R ALL")
    assert tagged.startswith(b"NO [BADCHARSET"), tagged
    for crit in ("SINCE 2024", "LARGER x", "UID", "HEADER", "OR SEEN",
                 "(SEEN", "()"):
        lines, tagged = r.cmd("SEARCH " + crit)
        assert tagged.startswith(b"BAD"), (crit, tagged)


def tag(r):
    return b"t%d" % r.n


def test_uid_search_and_esearch(srv):
    u, M = setup(srv)
    M.store("2", "-FLAGS", "\\Deleted")
    M.store("1", "+FLAGS", "\\Deleted")
    M.expunge()
    typ, data = M.uid("SEARCH", "ALL")
    assert data == [b"2 3"], data
    assert M.search(None, "ALL")[1] == [b"1 2"]
    r = srv.raw(u)
    r.ok("SELECT INBOX")
    lines, _ = r.ok("SEARCH RETURN (MIN MAX COUNT) ALL")
    assert lines == [b'* ESEARCH (TAG "%s") MIN 1 MAX 2 COUNT 2' % tag(r)], \
        lines
    lines, _ = r.ok("UID SEARCH RETURN () ALL")
    assert lines == [b'* ESEARCH (TAG "%s") UID ALL 2:3' % tag(r)], lines
    lines, _ = r.ok("UID SEARCH RETURN (COUNT) DRAFT")
    assert lines == [b'* ESEARCH (TAG "%s") UID COUNT 1' % tag(r)], lines
    lines, _ = r.ok("SEARCH RETURN (MIN) DELETED UNDELETED")
    assert lines == [b'* ESEARCH (TAG "%s")' % tag(r)], lines


def test_search_decodes_text(srv):
    import base64
    u = srv.user()
    b64 = base64.b64encode("Viele Grüße aus Köln\r\n".encode()).decode()
    srv.deliver(u, message("b64", b64 + "\r\n", extra=(
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n")))
    srv.deliver(u, message("=?UTF-8?Q?Gr=C3=B6=C3=9Fe?=", "caf=E9 cr=E8me"
                           "\r\n", extra=(
                               "MIME-Version: 1.0\r\nContent-Type: text/plain;"
                               " charset=iso-8859-1\r\nContent-Transfer-"
                               "Encoding: quoted-printable\r\n")))
    r = srv.raw(u)
    r.ok("SELECT INBOX")
    for key, word, want in (("BODY", "grüße", b"1"), ("TEXT", "köln", b"1"),
                            ("BODY", "café", b"2"), ("TEXT", "größe", b"2"),
                            ("BODY", "größe", b""), ("TEXT", "viele", b"1")):
        w = word.encode()
        r.send(b"s1 SEARCH CHARSET UTF-8 %s {%d+}\r\n%s\r\n" % (
            key.encode(), len(w), w))
        lines, tagged = r.collect("s1")
        assert tagged.startswith(b"OK"), tagged
        assert lines == [(b"* SEARCH " + want).strip()], (key, word, lines)
