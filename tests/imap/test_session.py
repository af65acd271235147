"""Greeting, CAPABILITY, NOOP, LOGOUT, LOGIN, AUTHENTICATE, STARTTLS,
implicit TLS, ID, ENABLE, NAMESPACE, wrong states and malformed input."""
import base64
import imaplib
import socket
import ssl
import time

from lib import PASSWORD, Raw


def test_greeting_capability(srv):
    r = Raw(srv.ports["imap"])
    assert r.greeting.startswith(b"* OK [CAPABILITY IMAP4rev1"), r.greeting
    lines, tagged = r.ok("CAPABILITY")
    caps = lines[0].split()
    for c in (b"STARTTLS", b"AUTH=PLAIN", b"AUTH=LOGIN", b"LITERAL+",
              b"SASL-IR", b"ID", b"ENABLE", b"IDLE"):
        assert c in caps, c
    r.ok("NOOP")
    lines, tagged = r.ok("LOGOUT")
    assert lines[0].startswith(b"* BYE")
    assert r.line() is None


def test_login_and_after_login_capabilities(srv):
    u = srv.user()
    M = srv.imap()
    typ, data = M.login(u, PASSWORD)
    assert typ == "OK" and b"CAPABILITY" in data[0]
    caps = M.capability()[1][0].split()
    for c in (b"UIDPLUS", b"MOVE", b"CONDSTORE", b"ESEARCH", b"SPECIAL-USE",
              b"LIST-EXTENDED", b"LIST-STATUS", b"UNSELECT", b"CHILDREN",
              b"NAMESPACE"):
        assert c in caps, c
    assert any(c.startswith(b"APPENDLIMIT=") for c in caps)
    M.logout()


def test_login_wrong_password(srv):
    u = srv.user()
    r = Raw(srv.ports["imap"])
    lines, tagged = r.cmd("LOGIN %s wrong" % u)
    assert tagged.startswith(b"NO [AUTHENTICATIONFAILED]"), tagged
    r.ok("LOGIN %s %s" % (u, PASSWORD))


def test_login_literal_password(srv):
    u = srv.user()
    r = Raw(srv.ports["imap"])
    r.send("a1 LOGIN {%d}\r\n" % len(u))
    assert r.line().startswith(b"+")
    r.send("%s {%d+}\r\n%s\r\n" % (u, len(PASSWORD), PASSWORD))
    lines, tagged = r.collect("a1")
    assert tagged.startswith(b"OK"), tagged


def test_authenticate_plain_and_login(srv):
    u = srv.user()
    M = srv.imap()
    M.authenticate("PLAIN", lambda _: ("\0%s\0%s" % (u, PASSWORD)).encode())
    M.select("INBOX")
    M.logout()
    r = Raw(srv.ports["imap"])
    r.send("a1 AUTHENTICATE LOGIN\r\n")
    assert r.line().startswith(b"+ ")
    r.send(base64.b64encode(u.encode()) + b"\r\n")
    assert r.line().startswith(b"+ ")
    r.send(base64.b64encode(PASSWORD.encode()) + b"\r\n")
    lines, tagged = r.collect("a1")
    assert tagged.startswith(b"OK"), tagged


def test_sasl_ir_and_cancel(srv):
    u = srv.user()
    r = Raw(srv.ports["imap"])
    r.send("a1 AUTHENTICATE PLAIN\r\n")
    assert r.line().startswith(b"+")
    r.send("*\r\n")
    lines, tagged = r.collect("a1")
    assert tagged.startswith(b"BAD"), tagged
    ir = base64.b64encode(("\0%s\0%s" % (u, PASSWORD)).encode()).decode()
    r.ok("AUTHENTICATE PLAIN " + ir)
    lines, tagged = r.ok("SELECT INBOX")


def test_starttls_then_login(srv):
    u = srv.user()
    M = srv.imap()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    M.starttls(ssl_context=ctx)
    caps = M.capability()[1][0].split()
    assert b"STARTTLS" not in caps
    M.login(u, PASSWORD)
    M.logout()


def test_implicit_tls(srv):
    u = srv.user()
    M = srv.imaps()
    M.login(u, PASSWORD)
    assert M.select("INBOX")[0] == "OK"
    M.logout()


def test_id_enable_namespace(srv):
    r = srv.raw(srv.user())
    lines, _ = r.ok('ID ("name" "test" "version" "1")')
    assert lines[0].startswith(b'* ID ("name" "petrel"')
    r.ok("ID NIL")
    lines, _ = r.ok("ENABLE CONDSTORE")
    assert lines == [b"* ENABLED CONDSTORE"], lines
    lines, _ = r.ok("ENABLE CONDSTORE X-UNKNOWN")
    assert lines == [b"* ENABLED"], lines
    lines, _ = r.ok("NAMESPACE")
    assert lines == [b'* NAMESPACE (("" "/")) NIL NIL'], lines
    # Only in the authenticated state (RFC 5161 3.1): not once a mailbox
    # is selected, again after UNSELECT.
    r.ok("SELECT INBOX")
    lines, tagged = r.cmd("ENABLE QRESYNC")
    assert tagged.startswith(b"BAD"), tagged
    assert lines == [], lines
    lines, _ = r.ok("NOOP")
    assert not any(b"VANISHED" in ln for ln in lines), lines
    r.ok("UNSELECT")
    lines, _ = r.ok("ENABLE QRESYNC")
    assert lines == [b"* ENABLED QRESYNC"], lines


def test_wrong_state(srv):
    r = Raw(srv.ports["imap"])
    for cmd in ("SELECT INBOX", "LIST \"\" *", "FETCH 1 FLAGS",
                "ENABLE CONDSTORE", "APPEND INBOX {1+}\r\nx"):
        lines, tagged = r.cmd(cmd)
        assert tagged.startswith(b"BAD"), (cmd, tagged)
    r.ok("LOGIN %s %s" % (srv.user(), PASSWORD))
    for cmd in ("FETCH 1 FLAGS", "STORE 1 +FLAGS (\\Seen)", "SEARCH ALL",
                "EXPUNGE", "CLOSE", "UNSELECT", "UID FETCH 1 FLAGS",
                "LOGIN a b", "AUTHENTICATE PLAIN"):
        lines, tagged = r.cmd(cmd)
        assert tagged.startswith(b"BAD"), (cmd, tagged)


def test_malformed(srv):
    r = srv.raw(srv.user())
    r.ok("SELECT INBOX")
    for cmd in ("FROB", "NOOP extra", 'SELECT "unterminated',
                "FETCH 1:x FLAGS", "FETCH 0 FLAGS", "FETCH 1 (FLAGS",
                "FETCH 1 BODY[HEADER.FIELDS]", "STORE 1 FLAGZ (\\Seen)",
                "STORE 1 +FLAGS (\\Bogus)", "SEARCH FROBNICATE",
                "SEARCH BEFORE 32-Foo-2020", "UID FROB 1",
                "COPY", "LIST", "STATUS INBOX (BOGUS)", "CAPABILITY x",
                "SEARCH ((((((((((((((((((((((((((((((((((ALL)))))))))))))"
                ")))))))))))))))))))))"):
        lines, tagged = r.cmd(cmd)
        assert tagged is not None and tagged.startswith(b"BAD"), (cmd, tagged)
    # No tag at all, and a bad tag.
    r.send("\r\n")
    assert r.line().startswith(b"* BAD")
    r.send("+tag NOOP\r\n")
    assert r.line().startswith(b"* BAD")
    r.ok("NOOP")


def test_line_too_long(srv):
    r = srv.raw(srv.user())
    r.send("a1 NOOP " + "x" * 70000 + "\r\n")
    ln = r.line()
    assert ln.startswith(b"* BAD") or ln.startswith(b"a1 BAD"), ln
    r.ok("NOOP")


def test_literal_too_big_refused_before_data(srv):
    r = srv.raw(srv.user())
    r.send("a1 APPEND INBOX {999999999999}\r\n")
    ln = r.line()
    assert ln.startswith(b"a1 NO [TOOBIG]"), ln
    r.ok("NOOP")
    # A big literal outside APPEND is refused too.
    r.send("a2 SELECT {100000}\r\n")
    ln = r.line()
    assert ln.startswith(b"a2 NO [TOOBIG]"), ln
    # LITERAL+ too big: the octets are on their way, so BYE.
    r.send("a3 APPEND INBOX {999999999999+}\r\n")
    assert r.line().startswith(b"a3 BAD [TOOBIG]")
    assert r.line().startswith(b"* BYE")


def test_connections_per_user(srv):
    u = srv.user()
    conns = []
    for i in range(50):
        conns.append(srv.imap(u))
    r = Raw(srv.ports["imap"])
    lines, tagged = r.cmd("LOGIN %s %s" % (u, PASSWORD))
    assert tagged.startswith(b"NO [LIMIT]"), tagged
    conns.pop().logout()
    # The server frees the slot when it has seen that connection end,
    # which may come a moment after the client's LOGOUT returns.
    deadline = time.monotonic() + 10
    while True:
        lines, tagged = r.cmd("LOGIN %s %s" % (u, PASSWORD))
        if tagged.startswith(b"OK"):
            break
        assert tagged.startswith(b"NO [LIMIT]"), tagged
        assert time.monotonic() < deadline, "the slot was never freed"
        time.sleep(0.1)
    for c in conns:
        c.logout()


def test_pipelining(srv):
    r = srv.raw(srv.user())
    r.send("p1 NOOP\r\np2 SELECT INBOX\r\np3 NOOP\r\n")
    lines, tagged = r.collect("p3")
    assert b"p1 OK NOOP completed" in lines
    assert any(ln.startswith(b"p2 OK [READ-WRITE]") for ln in lines)


def test_logout_while_unauthenticated_closes(srv):
    s = socket.create_connection(("127.0.0.1", srv.ports["imap"]))
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"x LOGOUT\r\n")
    assert f.readline().startswith(b"* BYE")
    assert f.readline().startswith(b"x OK")
    assert f.readline() == b""


def test_login_again_from_cache(srv):
    u = srv.user()
    for i in range(3):
        M = srv.imap(u)
        M.select("INBOX")
        M.logout()
    r = Raw(srv.ports["imap"])
    ir = base64.b64encode(("\0%s\0%s" % (u, PASSWORD)).encode()).decode()
    r.ok("AUTHENTICATE PLAIN " + ir)
    r.ok("SELECT INBOX")
