"""Real clients: curl imap:// and mbsync (isync) syncing a mailbox both
ways, then again with nothing changed."""
import glob
import os
import shutil
import subprocess
import tempfile

from lib import PASSWORD, message


def test_curl(srv):
    if not shutil.which("curl"):
        raise AssertionError("curl is not installed")
    u = srv.user()
    srv.deliver(u, message("via curl", "curl body\r\n"))
    url = "imap://127.0.0.1:%d" % srv.ports["imap"]
    auth = ["-s", "-u", "%s:%s" % (u, PASSWORD)]
    out = subprocess.run(["curl"] + auth + [url + "/"], capture_output=True,
                         timeout=30).stdout
    assert b'"INBOX"' in out and b"\\Sent" in out, out
    out = subprocess.run(["curl"] + auth + [url + "/INBOX;UID=1"],
                         capture_output=True, timeout=30).stdout
    assert b"Subject: via curl" in out and out.endswith(b"curl body\r\n"), out
    out = subprocess.run(["curl"] + auth + [url + "/INBOX?SUBJECT%20curl"],
                         capture_output=True, timeout=30).stdout
    assert out.strip() == b"* SEARCH 1", out
    out = subprocess.run(["curl"] + auth + ["-X", "EXAMINE INBOX",
                         url + "/"], capture_output=True, timeout=30).stdout
    assert b"1 EXISTS" in out, out


MBSYNCRC = """IMAPAccount petrel
Host 127.0.0.1
Port %(port)d
User %(user)s
Pass %(password)s
SSLType None
AuthMechs LOGIN

IMAPStore far
Account petrel

MaildirStore near
Path %(dir)s/mail/
Inbox %(dir)s/mail/INBOX
SubFolders Verbatim

Channel sync
Far :far:
Near :near:
Patterns *
Create Both
Expunge Both
SyncState *
"""


def mbsync(rc, debug=False):
    argv = ["mbsync", "-c", rc] + (["-Dn"] if debug else []) + ["-a"]
    p = subprocess.run(argv, capture_output=True, timeout=120, text=True,
                       errors="replace")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return p.stdout + p.stderr


def maildir(d, box="INBOX"):
    return sorted(glob.glob(os.path.join(d, "mail", box, "cur", "*")) +
                  glob.glob(os.path.join(d, "mail", box, "new", "*")))


def test_mbsync_both_ways(srv):
    if not shutil.which("mbsync"):
        raise AssertionError("mbsync (isync) is not installed")
    u = srv.user()
    for i in range(3):
        srv.deliver(u, message("sync %d" % i, "body %d\r\n" % i))
    d = tempfile.mkdtemp(prefix="petrel-mbsync-")
    os.makedirs(os.path.join(d, "mail"))
    rc = os.path.join(d, "rc")
    with open(rc, "w") as f:
        f.write(MBSYNCRC % {"port": srv.ports["imap"], "user": u,
                            "password": PASSWORD, "dir": d})
    mbsync(rc)
    files = maildir(d)
    assert len(files) == 3, files
    # Near side: mark one seen, trash one, add one.
    seen = [f for f in files if ",U=1:" in f][0]
    os.rename(seen, seen.replace("/new/", "/cur/") + "S")
    gone = [f for f in files if ",U=2:" in f][0]
    os.rename(gone, gone.replace("/new/", "/cur/") + "T")
    with open(os.path.join(d, "mail", "INBOX", "new", "1.local.x"), "wb") as f:
        f.write(message("from near", "near body\r\n").encode())
    # Far side: flag one, deliver one.
    M = srv.imap(u, "INBOX")
    M.store("3", "+FLAGS", "(\\Flagged)")
    srv.deliver(u, message("sync 4", "body 4\r\n"))
    mbsync(rc)
    M.select("INBOX")
    typ, data = M.fetch("1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS "
                        "(SUBJECT)])")
    subjects = {}
    for item in data:
        if isinstance(item, tuple):
            subjects[item[1].strip().decode()] = item[0]
    assert "Subject: sync 1" not in subjects, subjects    # expunged
    assert b"\\Seen" in subjects["Subject: sync 0"], subjects
    assert "Subject: from near" in subjects, subjects
    files = maildir(d)
    assert len(files) == 4, files
    flagged = [f for f in files if ",U=3:" in f]
    assert flagged and flagged[0].endswith("F"), files
    # Nothing changed: nothing moves.
    out = mbsync(rc, debug=True)
    sent = [ln for ln in out.splitlines() if ln.startswith(">>> ")]
    assert sent, out[-2000:]
    for verb in ("APPEND", "STORE", "EXPUNGE", "BODY.PEEK[]", "MOVE",
                 "COPY", "RFC822"):
        assert not [ln for ln in sent if verb in ln], (verb, sent)
    assert len(maildir(d)) == 4
    M.logout()
