"""Black-box tests of `petrel serve` on a PostgreSQL store: mail in over
SMTP and out over POP3 and IMAP byte-exact, two nodes sharing one
database (IDLE on one sees a delivery through the other, folders and
flags are shared), clear start-up errors for a bad database setting, a
database restart under a running server (4xx while it is away,
nothing acknowledged lost), and the database server's disk full (452).
SPDX-License-Identifier: ISC
"""
import base64
import imaplib
import itertools
import os
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time

import harness
from test_submission import tls_context

_db_seq = itertools.count(1)


class Nodes:
    """Petrel nodes on one fresh database; stopped by PID at the end."""

    def __init__(self, pg, n=1, listen=("smtp", "pop3", "imap"),
                 tablespace=None, extra_config=""):
        self.workdir = tempfile.mkdtemp(prefix="petrel-pgstore-")
        self.dbname = "bb%d_%d" % (os.getpid(), next(_db_seq))
        self.url = pg.createdb(self.dbname, tablespace)
        self.nodes = [harness.Server(self.workdir, name="node%d" % i,
                                     listen=listen,
                                     extra_config="store = %s\n%s" % (
                                         self.url, extra_config))
                      for i in range(n)]

    def __enter__(self):
        self.nodes[0].add_domain()
        self.nodes[0].add_user("alice")
        for s in self.nodes:
            s.start()
        return self

    def __exit__(self, exc, *rest):
        problems = []
        for s in self.nodes:
            if s.proc is not None:
                s.stop()
            if s.sanitizer_report():
                problems.append(s.name)
        if exc is not None or problems:
            for s in self.nodes:
                print("--- %s log ---\n%s" % (s.name, s.log_tail(30)))
        shutil.rmtree(self.workdir, ignore_errors=True)
        assert not problems, "sanitizer report in %s" % problems


ALICE = "alice@" + harness.DOMAIN


def imap_login(srv):
    c = imaplib.IMAP4("127.0.0.1", srv.ports["imap"])
    c.login(ALICE, harness.PASSWORD)
    return c


def test_smtp_then_pop3_and_imap_byte_exact(pg):
    body = b"".join(b"line %d of a message in PostgreSQL\r\n" % i
                    for i in range(2000))
    msg = harness.make_message("stored in PostgreSQL", body)
    with Nodes(pg) as n:
        srv = n.nodes[0]
        srv.send("sender@client.test", [ALICE], msg)
        got = srv.mailbox(ALICE)
        assert len(got) == 1, got
        _, rest = harness.strip_trace(got[0])
        assert rest == msg, "POP3 copy differs"
        c = imap_login(srv)
        c.select("INBOX")
        typ, data = c.uid("FETCH", "1", "(BODY.PEEK[])")
        assert typ == "OK", data
        assert data[0][1] == got[0], "IMAP copy differs from POP3's"
        typ, data = c.uid("SEARCH", None, "BODY", '"line 1999 of"')
        assert data[0].split() == [b"1"], data
        c.logout()


def idle_wait(sock, want, seconds):
    """Read from an IDLE connection until want appears: the time taken."""
    t0 = time.monotonic()
    got = b""
    sock.settimeout(0.2)
    while time.monotonic() - t0 < seconds:
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            continue
        if not chunk:
            break
        got += chunk
        if want in got:
            return time.monotonic() - t0
    raise AssertionError("no %r within %.1f s: %r" % (want, seconds, got))


def test_two_nodes_share_mail_folders_and_flags(pg):
    with Nodes(pg, n=2) as n:
        a, b = n.nodes
        # IDLE on node 1 hears of a delivery through node 0.
        s = socket.create_connection(("127.0.0.1", b.ports["imap"]))
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"a LOGIN %s %s\r\n" % (ALICE.encode(),
                                         harness.PASSWORD.encode()))
        while not f.readline().startswith(b"a "):
            pass
        s.sendall(b"b SELECT INBOX\r\n")
        while not f.readline().startswith(b"b "):
            pass
        s.sendall(b"c IDLE\r\n")
        assert f.readline().startswith(b"+"), "no IDLE continuation"
        a.send("x@client.test", [ALICE],
               harness.make_message("across nodes", b"hi\r\n"))
        took = idle_wait(s, b"* 1 EXISTS", harness.timeout(5))
        assert took < harness.timeout(1.5), "took %.2f s" % took
        s.sendall(b"DONE\r\n")
        s.close()
        # A folder made on node 0 is listed on node 1; flags set on one
        # are seen on the other.
        ca, cb = imap_login(a), imap_login(b)
        assert ca.create("Projects/2026")[0] == "OK"
        typ, data = cb.list()
        assert any(b'"Projects/2026"' in x for x in data), data
        ca.select("INBOX")
        assert ca.store("1", "+FLAGS", "(\\Flagged)")[0] == "OK"
        cb.select("INBOX")
        typ, data = cb.fetch("1", "(FLAGS)")
        assert b"\\Flagged" in data[0], data
        ca.logout()
        cb.logout()


def serve_fails(url, want):
    """petrel serve with store = url exits non-zero naming the problem."""
    workdir = tempfile.mkdtemp(prefix="petrel-pgstore-")
    try:
        srv = harness.Server(workdir, listen=("smtp",),
                             extra_config="store = %s\n" % url)
        p = subprocess.run([harness.PETREL_BIN, "-c", srv.config, "serve"],
                           capture_output=True, timeout=harness.timeout(30))
        err = p.stderr.decode(errors="replace")
        assert p.returncode != 0, "serve started: %s" % err
        assert want in err, "no %r in: %s" % (want, err)
        assert "petrel-test-pw" not in err, "password in the message"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def test_bad_database_settings_fail_at_start(pg):
    url = pg.createdb("bad%d" % os.getpid())
    serve_fails(url.replace("petrel-test-pw", "wrong"),
                "password authentication failed")
    serve_fails("postgresql://petrel@127.0.0.1:%d/x" % harness.free_port(),
                "cannot connect to PostgreSQL")
    serve_fails(url.rsplit("/", 1)[0] + "/no_such_db",
                'database "no_such_db" does not exist')
    # A schema newer than this petrel knows.
    with Nodes(pg, listen=("smtp",)) as n:
        dbname = n.url.rsplit("/", 1)[1]
    pg.psql("INSERT INTO schema_version VALUES (99)", db=dbname)
    serve_fails(n.url, "newer than this petrel knows")


def test_database_restart_under_a_running_server(pg):
    with Nodes(pg, listen=("smtp", "pop3")) as n:
        srv = n.nodes[0]
        msg = harness.make_message("before", b"one\r\n")
        srv.send("x@client.test", [ALICE], msg)
        pg.server_stop()
        try:
            c = smtplib.SMTP("127.0.0.1", srv.ports["smtp"],
                             timeout=harness.timeout(30))
            c.ehlo("client.test")
            try:
                c.sendmail("x@client.test", [ALICE],
                           harness.make_message("while away", b"two\r\n"))
                raise AssertionError("accepted while the database is away")
            except (smtplib.SMTPDataError, smtplib.SMTPRecipientsRefused,
                    smtplib.SMTPSenderRefused) as e:
                code = getattr(e, "smtp_code", None) or \
                    list(e.recipients.values())[0][0]
                assert 400 <= code < 500, "answered %s" % code
            c.quit()
        finally:
            pg.server_start()
        # Back: the same process reconnects and delivers.
        msg = harness.make_message("after", b"three\r\n")
        srv.send("x@client.test", [ALICE], msg)
        got = srv.mailbox(ALICE)
        subjects = sorted(g.split(b"Subject: ")[1].split(b"\r\n")[0]
                          for g in got)
        assert subjects == [b"after", b"before"], subjects



def random_body(nbytes):
    """Base64 lines of random bytes: PostgreSQL cannot compress them much."""
    raw = base64.b64encode(os.urandom(nbytes * 3 // 4))
    return b"".join(raw[i:i + 76] + b"\r\n" for i in range(0, len(raw), 76))


def submit_remote(srv, subject):
    """Submit a message for a remote address (queued, not stored): None,
    or the (code, reply) that refused it."""
    with smtplib.SMTP("127.0.0.1", srv.ports["submission"],
                      timeout=harness.timeout(60)) as s:
        s.starttls(context=tls_context())
        s.login(ALICE, harness.PASSWORD)
        try:
            s.sendmail(ALICE, ["far@remote.test"],
                       harness.make_message(subject, b"queued\r\n"))
        except smtplib.SMTPDataError as e:
            return e.smtp_code, e.smtp_error
    return None


def test_database_disk_full_is_452(pg):
    """The database server's disk fills up (the database's tablespace on a
    small tmpfs; the WAL stays on the main disk, so PostgreSQL refuses the
    insert with SQLSTATE 53100 rather than stopping): SMTP answers 452
    4.3.1 (RFC 5321 4.2.3: insufficient system storage) for mail to a
    mailbox and for mail to the queue, every message acknowledged before
    is there, and mail is taken again once there is room."""
    if os.geteuid() != 0:
        print("     (not root: no tmpfs for a tablespace; nothing to test)")
        return
    mnt = os.path.join(pg.dir, "tiny")
    os.makedirs(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o",
                    "size=24m,uid=postgres,gid=postgres,mode=0700", "tmpfs",
                    mnt], check=True)
    dbname = None
    try:
        pg.psql("CREATE TABLESPACE tiny LOCATION '%s'" % mnt)
        # The queue relays to a port nobody listens on: nothing leaves.
        with Nodes(pg, listen=("smtp", "submission", "pop3"),
                   tablespace="tiny",
                   extra_config="relay.host = [127.0.0.1]:%d\n"
                   "relay.tls = none\nqueue.retry_min = 1h\n" %
                   harness.free_port()) as n:
            dbname = n.dbname
            srv = n.nodes[0]
            accepted, refused = [], None
            with srv.smtp() as s:
                s.ehlo()
                for i in range(60):
                    msg = harness.make_message("big %d" % i,
                                               random_body(1 << 20))
                    try:
                        s.sendmail("x@client.test", [ALICE], msg)
                        accepted.append(b"big %d" % i)
                    except smtplib.SMTPDataError as e:
                        refused = (e.smtp_code, e.smtp_error)
                        break
            assert refused is not None, "60 MiB went into a 24 MiB disk"
            assert refused[0] == 452 and b"4.3.1" in refused[1], refused
            assert accepted, "the first message was refused already"
            got = [g.split(b"Subject: ")[1].split(b"\r\n")[0]
                   for g in srv.mailbox(ALICE)]
            assert sorted(got) == sorted(accepted), (got, accepted)
            refused = submit_remote(srv, "for the queue")
            assert refused is not None and refused[0] == 452 and \
                b"4.3.1" in refused[1], refused
            assert pg.psql("SELECT count(*) FROM queue_msgs",
                           db=dbname).split()[2] == "0"
            # Room again: the same server takes mail without a restart.
            subprocess.run(["mount", "-o", "remount,size=128m", mnt],
                           check=True)
            srv.send("x@client.test", [ALICE],
                     harness.make_message("after", b"room again\r\n"))
            assert srv.count(ALICE) == len(accepted) + 1
            assert submit_remote(srv, "queued at last") is None
            assert pg.psql("SELECT count(*) FROM queue_msgs",
                           db=dbname).split()[2] == "1"
    finally:
        if dbname is not None:
            pg.psql("DROP DATABASE %s" % dbname)
        pg.psql("DROP TABLESPACE IF EXISTS tiny")
        if subprocess.run(["umount", mnt]).returncode != 0:
            subprocess.run(["umount", "-l", mnt])


def test_concurrent_deliveries_through_two_nodes_never_share_a_uid(pg):
    import threading
    per_thread = 15
    with Nodes(pg, n=2, listen=("smtp", "imap")) as n:
        errors = []

        def sender(srv, tag):
            try:
                c = smtplib.SMTP("127.0.0.1", srv.ports["smtp"],
                                 timeout=harness.timeout(60))
                for i in range(per_thread):
                    c.sendmail("x@client.test", [ALICE], harness.make_message(
                        "%s-%d" % (tag, i), b"body\r\n"))
                c.quit()
            except Exception as e:      # reported below
                errors.append(repr(e))

        threads = [threading.Thread(target=sender, args=(s, "%s%d" % (
            s.name, k))) for s in n.nodes for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        c = imap_login(n.nodes[1])
        c.select("INBOX")
        typ, data = c.uid("SEARCH", None, "ALL")
        uids = [int(x) for x in data[0].split()]
        want = per_thread * len(threads)
        assert len(uids) == want and len(set(uids)) == want, uids
        assert sorted(uids) == list(range(1, want + 1)), uids
        typ, data = c.status("INBOX", "(UIDNEXT MESSAGES)")
        assert b"UIDNEXT %d" % (want + 1) in data[0], data
        c.logout()
