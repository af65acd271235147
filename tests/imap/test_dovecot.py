"""ENVELOPE and BODYSTRUCTURE on a varied corpus compared with Dovecot's
answers: live when Debian's dovecot-imapd is installed, else with the
fixtures recorded from it (tests/imap/fixtures/dovecot.json; RECORD=1
rewrites them). Answers are compared as parsed values (a literal and a
quoted string are the same string); the only differences allowed are
those in KNOWN, each where an RFC or petrel's own BODY[n] decides."""
import glob
import hashlib
import json
import os
import re
import subprocess
import tempfile

import dovecot
import lib

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "fixtures", "dovecot.json")
CORPUS = os.path.join(os.path.dirname(FIXTURES), "corpus")


def corpus():
    """The messages compared: the recorded corpus, so that the fixtures
    stay valid when the generator changes; RECORD=1 makes it anew."""
    if os.environ.get("RECORD") != "1" and os.path.isdir(CORPUS):
        return [open(p, "rb").read() for p in
                sorted(glob.glob(os.path.join(CORPUS, "*.eml")))]
    msgs = generate()
    os.makedirs(CORPUS, exist_ok=True)
    for old in glob.glob(os.path.join(CORPUS, "*.eml")):
        os.unlink(old)
    for i, m in enumerate(msgs):
        with open(os.path.join(CORPUS, "%03d.eml" % i), "wb") as f:
            f.write(m)
    return msgs


def generate():
    msgs = []
    for path in sorted(glob.glob(os.path.join(lib.TOP, "tests", "data",
                                              "messages", "*.eml"))):
        msgs.append(open(path, "rb").read())
    d = tempfile.mkdtemp(prefix="petrel-corpus-")
    subprocess.check_call(["/usr/bin/python3", os.path.join(
        lib.TOP, "tests", "mime", "gen.py"), d, "150", "6"],
        stdout=subprocess.DEVNULL)
    for path in sorted(glob.glob(os.path.join(d, "*.eml"))):
        msgs.append(open(path, "rb").read())
    out = []
    for m in msgs:
        m = re.sub(rb"\r?\n", b"\r\n", m)
        if b"\0" in m or not m.strip():
            continue
        out.append(m)
    return out


def key(m):
    return hashlib.sha256(m).hexdigest()[:16]


def load(r, msgs):
    r.ok("CREATE cmp")
    for m in msgs:
        r.send(b"a APPEND cmp {%d+}\r\n%s\r\n" % (len(m), m))
        lines, tagged = r.collect("a")
        assert tagged.startswith(b"OK"), tagged
    r.ok("SELECT cmp")
    out = {}
    for item in ("ENVELOPE", "BODYSTRUCTURE"):
        lines, _ = r.ok("FETCH 1:* (%s)" % item)
        lines = [ln for ln in lines if b" FETCH (" in ln]
        assert len(lines) == len(msgs), (item, len(lines), len(msgs))
        for m, ln in zip(msgs, lines):
            val = ln[ln.index(b"(" + item.encode() + b" ") + len(item) + 2:-1]
            out.setdefault(key(m), {})[item] = val.decode("latin-1")
    return out


def test_envelope_bodystructure_match_dovecot(srv):
    msgs = corpus()
    mine = load(srv.raw(srv.user()), msgs)
    if dovecot.available():
        dv = dovecot.Dovecot().start()
        try:
            r = lib.Raw(dv.port)
            r.ok("LOGIN test %s" % lib.PASSWORD)
            theirs = load(r, msgs)
        finally:
            dv.stop()
        if os.environ.get("RECORD") == "1" or not os.path.exists(FIXTURES):
            with open(FIXTURES, "w") as f:
                json.dump(theirs, f, indent=0, sort_keys=True)
    else:
        theirs = json.load(open(FIXTURES))
    missing = [k for k in mine if k not in theirs]
    assert not missing, "no Dovecot answer for %d messages" % len(missing)
    bad, known = [], {}
    for k, v in sorted(mine.items()):
        for item in ("ENVELOPE", "BODYSTRUCTURE"):
            a, b = parse(v[item]), parse(theirs[k][item])
            if a == b:
                continue
            why = explain(item, a, b)
            if why is None:
                bad.append("%s %s:\n  petrel %s\n  dovecot %s" % (
                    k, item, v[item][:300], theirs[k][item][:300]))
            for w in why or ():
                known.setdefault(w, []).append(k)
    assert not bad, "%d of %d answers differ from Dovecot:\n%s" % (
        len(bad), 2 * len(mine), "\n".join(bad[:10]))
    # Every known difference must still be seen, or it is stale.
    assert len(known) == len(KNOWN), sorted(known)


def parse(s):
    """An IMAP answer as nested lists: strings (quoted or literal; case of
    MIME tokens is not significant, RFC 2045 5.1, so all lowercased),
    numbers and None for NIL."""
    pos = 0

    def item():
        nonlocal pos
        c = s[pos]
        if c == "(":
            pos += 1
            out = []
            while s[pos] != ")":
                if s[pos] == " ":
                    pos += 1
                    continue
                out.append(item())
            pos += 1
            return out
        if c == '"':
            pos += 1
            out = []
            while s[pos] != '"':
                if s[pos] == "\\":
                    pos += 1
                out.append(s[pos])
                pos += 1
            pos += 1
            return "".join(out).lower()
        if c == "{":
            end = s.index("}", pos)
            n = int(s[pos + 1:end])
            pos = end + 3
            val = s[pos:pos + n]
            pos += n
            return val.lower()
        m = re.compile(r"[^ ()]+").match(s, pos)
        pos = m.end()
        return None if m.group(0) == "NIL" else int(m.group(0))
    return item()


# Where Dovecot 2.3 answers otherwise than RFC 2046 / RFC 3501 lets petrel,
# or than petrel's parse tree (shared with the webmail and BODY[n]) must
# answer: each with the rule that decides.
KNOWN = {
    "prefix delimiter": "RFC 2046 5.1.1: a delimiter line is \"--\" "
    "boundary and only blanks; Dovecot also takes a line that merely "
    "starts with it, making an empty part there",
    "unclosed multipart": "RFC 2046 5.1.1: the line break before a "
    "delimiter belongs to it; petrel takes the end of a multipart without "
    "its close delimiter as one (as Python's email package), so BODY[n] "
    "and its size leave out the last line break; Dovecot keeps it",
    "delimiter at the end": "RFC 2046 5.1.1: a delimiter is followed by a "
    "body part, which may be empty; petrel lists that empty part for a "
    "delimiter at the very end of the message, Dovecot lists none",
}

EMPTY_TEXT = ["text", "plain", ["charset", "us-ascii"], None, None, "7bit",
              0, 0, None, None, None, None]


def empty_part(p):
    return p == EMPTY_TEXT or (isinstance(p, list) and len(p) > 7 and
                               p[:2] == ["message", "rfc822"] and p[6] == 0)


def drop_empty(t):
    """t without the empty parts Dovecot makes of a prefix delimiter."""
    if not isinstance(t, list):
        return t
    return [drop_empty(x) for x in t if not empty_part(x)]


def sizes_off_by_eol(a, b):
    """Same tree but for one part a line break longer in b."""
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        diffs = [(x, y) for x, y in zip(a, b) if x != y]
        if len(diffs) == 0:
            return True
        if len(diffs) == 2 and a[:2] == b[:2] and isinstance(a[0], str):
            (s1, s2), (l1, l2) = diffs
            return s2 - s1 in (1, 2) and l2 - l1 == 1 if \
                isinstance(s1, int) and isinstance(l1, int) else False
        if len(diffs) == 1 and a[:2] == b[:2] and isinstance(a[0], str):
            s1, s2 = diffs[0]
            return isinstance(s1, int) and s2 - s1 in (1, 2)
        return len(diffs) == 1 and sizes_off_by_eol(*diffs[0])
    return False


def explain(item, a, b):
    """The known differences that explain petrel's a against Dovecot's b,
    or None."""
    if item != "BODYSTRUCTURE":
        return None
    why = []
    if drop_empty(b) != b and drop_empty(a) == a:
        why.append("prefix delimiter")
        a, b = drop_empty(a), drop_empty(b)
    if a == b:
        return why
    if sizes_off_by_eol(a, b):
        return why + ["unclosed multipart"]
    if isinstance(a, list) and drop_empty(a) == b:
        return why + ["delimiter at the end"]
    return None
