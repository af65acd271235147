"""ENVELOPE and BODYSTRUCTURE on a varied corpus compared with Dovecot's
answers: live when Debian's dovecot-imapd is installed, else with the
fixtures recorded from it (tests/imap/fixtures/dovecot.json; RECORD=1
rewrites them)."""
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
    cats = {}
    for k, v in sorted(mine.items()):
        for item in ("ENVELOPE", "BODYSTRUCTURE"):
            c = classify(v[item], theirs[k][item])
            if c != "same":
                cats.setdefault(c, []).append("%s %s" % (k, item))
    # Case of MIME tokens is not significant (RFC 2045 5.1).
    real = {c: v for c, v in cats.items() if c != "case"}
    if real:
        summary = ", ".join("%s: %d" % (c, len(v)) for c, v in
                            sorted(real.items()))
        raise lib.KnownFailure(
            "%d of %d answers differ from Dovecot beyond letter case (%s); "
            "these come from src/mime's ENVELOPE/BODYSTRUCTURE writer, see "
            "docs/IMAP.md" % (sum(len(v) for v in real.values()),
                              2 * len(mine), summary))


def classify(a, b):
    """Why two answers differ, checking the known causes in turn."""
    if a == b:
        return "same"
    if a.lower() == b.lower():
        return "case"
    a, b = a.lower(), b.lower()
    if a.replace('\\"', "") == b:
        return "quoted local part kept"
    if re.sub(r'(" \d+) \d+ ', r"\1 L ", a) == \
            re.sub(r'(" \d+) \d+ ', r"\1 L ", b):
        return "body line count"
    if a.replace('nil nil nil "7bit"', '("charset" "us-ascii") nil nil '
                 '"7bit"') == b:
        return "default charset not added"
    return "other"
