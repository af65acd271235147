"""Black-box tests of the webmail's HTTP server and JSON API against a real
`petrel serve` (listen.http on a free loopback port): request parsing and
errors on the wire, pipelining, keep-alive, HEAD, static files with their
security headers, sign-in with the session cookie and its rotation, CSRF
refusal, the throttle, another user's ids refused, a message that
arrived over SMTP read and its attachment downloaded byte for byte,
and uploads. The mail-changing routes are in test_api.py.

Run through tests/web/run, or alone: python3 tests/web/test_http.py
Env as for tests/system (PETREL_BIN ...).
SPDX-License-Identifier: ISC
"""

import base64
import hashlib
import http.client
import json
import os
import re
import socket
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))

import harness  # noqa: E402

WEB_CONFIG = """listen.https =
http.root = %s
http.login_delay = 0
login.max_failures = 4
""" % os.path.join(TOP, "web")

ATTACHMENT = bytes(range(256)) * 40 + b"petrel-end"


def attachment_message(subject="With attachment", to="alice@example.test"):
    b64 = base64.encodebytes(ATTACHMENT).replace(b"\n", b"\r\n")
    body = (b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            b"Hello from SMTP \xc3\xa9t\xc3\xa9\r\n"
            b"--XX\r\nContent-Type: text/html\r\n\r\n"
            b"<p>Hi <b>there</b><script>alert(1)</script>"
            b"<img src=\"http://remote.test/t.gif\"><img src=\"cid:logo@x\">"
            b"</p>\r\n"
            b"--XX\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n"
            b"iVBORw0KGgo=\r\n"
            b"--XX\r\nContent-Type: application/octet-stream; "
            b"name=\"data.bin\"\r\nContent-Disposition: attachment; "
            b"filename=\"da\\\"ta.bin\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 +
            b"--XX--\r\n")
    return harness.make_message(
        subject, body, to=to,
        extra_headers=("MIME-Version: 1.0",
                       "Content-Type: multipart/mixed; boundary=XX"))


class Web:
    """A small client: one keep-alive connection, the cookie jar of one
    browser, and the CSRF token from sign-in."""

    def __init__(self, port, source=None):
        self.port = port
        self.conn = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=harness.timeout(30),
            source_address=(source, 0) if source else None)
        self.cookie = None
        self.csrf = None

    def request(self, method, path, body=None, headers=None, csrf=True):
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = self.cookie
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h.setdefault("X-CSRF-Token", self.csrf)
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        sc = r.getheader("Set-Cookie")
        if sc:
            value = sc.split(";", 1)[0]
            self.cookie = None if value.endswith("=") else value
        return r, data

    def json(self, method, path, body=None, **kw):
        r, data = self.request(method, path, body, **kw)
        return r.status, (json.loads(data) if data else None), r

    def login(self, user, password=harness.PASSWORD):
        status, data, r = self.json("POST", "/api/login",
                                    {"user": user, "password": password})
        if status == 200:
            self.csrf = data["csrf"]
        return status, data, r


def raw_exchange(port, data, read_until_close=True):
    s = socket.create_connection(("127.0.0.1", port),
                                 timeout=harness.timeout(10))
    s.sendall(data)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
            if not read_until_close and b"\r\n\r\n" in out:
                break
    except socket.timeout:
        pass
    s.close()
    return out


class HttpTest(harness.ServerTest):
    listen = ("smtp", "http")

    def new_server(self, **kw):
        kw.setdefault("extra_config", WEB_CONFIG)
        return super().new_server(**kw)

    def setUp(self):
        super().setUp()
        self.port = self.srv.ports["http"]

    def web(self):
        return Web(self.port)

    # -- the wire --------------------------------------------------------
    def test_static_files_and_headers(self):
        w = self.web()
        r, body = w.request("GET", "/")
        self.assertEqual(r.status, 200)
        self.assertIn(b"petrel mail", body)
        self.assertEqual(r.getheader("Content-Type"),
                         "text/html; charset=utf-8")
        csp = r.getheader("Content-Security-Policy")
        self.assertIn("default-src 'none'", csp)
        self.assertIn("script-src 'self'", csp)
        self.assertIn("frame-ancestors 'none'", csp)
        self.assertEqual(r.getheader("X-Content-Type-Options"), "nosniff")
        self.assertEqual(r.getheader("Referrer-Policy"), "no-referrer")
        self.assertEqual(r.getheader("X-Frame-Options"), "DENY")
        etag = r.getheader("ETag")
        r, body = w.request("GET", "/index.html",
                            headers={"If-None-Match": etag})
        self.assertEqual(r.status, 304)
        self.assertEqual(body, b"")
        r, body = w.request("HEAD", "/app.js")
        self.assertEqual(r.status, 200)
        self.assertEqual(body, b"")
        self.assertGreater(int(r.getheader("Content-Length")), 1000)
        for bad in ("/../petrel.conf", "/.hidden", "/x/../app.js",
                    "/%2e%2e/etc/passwd", "/nope.html", "//etc/passwd"):
            r, _ = w.request("GET", bad)
            self.assertEqual(r.status, 404, bad)
        r, _ = w.request("POST", "/index.html", body=b"x")
        self.assertEqual(r.status, 405)
        self.assertIn("GET", r.getheader("Allow"))

    def test_errors_on_the_wire(self):
        cases = [
            (b"GET / HTTP/1.1\r\n\r\n", b"400"),
            (b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", b"400"),
            (b"BREW / HTTP/1.1\r\nHost: a\r\n\r\n", b"501"),
            (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", b"505"),
            (b"POST /api/login HTTP/1.1\r\nHost: a\r\n\r\n", b"411"),
            (b"POST /api/login HTTP/1.1\r\nHost: a\r\n"
             b"Content-Length: 999999999\r\n\r\n", b"413"),
            (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n",
             b"414"),
            (b"GET / HTTP/1.1\r\nHost: a\r\n" +
             b"".join(b"X-%d: v\r\n" % i for i in range(150)) + b"\r\n",
             b"431"),
            (b"POST /api/login HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n", b"400"),
            (b"GET /api/nothing HTTP/1.1\r\nHost: a\r\n"
             b"Connection: close\r\n\r\n", b"404"),
            (b"DELETE /api/login HTTP/1.1\r\nHost: a\r\n"
             b"Connection: close\r\n\r\n", b"405"),
        ]
        for req, status in cases:
            out = raw_exchange(self.port, req)
            self.assertTrue(out.startswith(b"HTTP/1.1 " + status),
                            "%r -> %r" % (req[:40], out[:60]))
            self.assertIn(b"X-Content-Type-Options: nosniff", out)

    def test_pipelining_in_order(self):
        req = b"".join(b"GET /api/%s HTTP/1.1\r\nHost: a\r\n\r\n" % p
                       for p in (b"a", b"session", b"b"))
        req += b"GET /icon.svg HTTP/1.1\r\nHost: a\r\nConnection: close" \
               b"\r\n\r\n"
        out = raw_exchange(self.port, req)
        statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", out)
        self.assertEqual(statuses, [b"404", b"401", b"404", b"200"])
        self.assertTrue(out.rstrip().endswith(b"</svg>"))

    def test_keep_alive_and_http10(self):
        w = self.web()
        for _ in range(5):
            r, _ = w.request("GET", "/icon.svg")
            self.assertEqual(r.status, 200)
        out = raw_exchange(self.port, b"GET /icon.svg HTTP/1.0\r\n\r\n")
        self.assertIn(b"Connection: close", out)
        self.assertTrue(out.startswith(b"HTTP/1.1 200"))

    def test_chunked_request_body(self):
        body = json.dumps({"user": self.addr["alice"],
                           "password": harness.PASSWORD}).encode()
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 7]),
                                             body[i:i + 7])
                          for i in range(0, len(body), 7))
        req = (b"POST /api/login HTTP/1.1\r\nHost: a\r\n"
               b"Content-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
               chunks + b"0\r\n\r\n")
        out = raw_exchange(self.port, req)
        self.assertTrue(out.startswith(b"HTTP/1.1 200"), out[:200])

    # -- sessions ----------------------------------------------------------
    def test_login_cookie_and_rotation(self):
        w = self.web()
        status, data, r = w.login(self.addr["alice"], "wrong")
        self.assertEqual(status, 401)
        status, data, r = w.login(self.addr["alice"])
        self.assertEqual(status, 200)
        self.assertEqual(data["user"], self.addr["alice"])
        sc = r.getheader("Set-Cookie")
        self.assertTrue(sc.startswith("petrel_sid="))
        for attr in ("HttpOnly", "SameSite=Strict", "Path=/"):
            self.assertIn(attr, sc)
        self.assertNotIn("Secure", sc)        # plain HTTP here
        first = w.cookie
        self.assertEqual(len(first.split("=", 1)[1]), 64)
        status, data, _ = w.json("GET", "/api/session")
        self.assertEqual(status, 200)
        self.assertEqual(data["csrf"], w.csrf)
        # A new sign-in gets a new id, and the old one is dead.
        status, _, _ = w.login(self.addr["alice"])
        self.assertEqual(status, 200)
        self.assertNotEqual(w.cookie, first)
        old = self.web()
        old.cookie = first
        status, _, _ = old.json("GET", "/api/session")
        self.assertEqual(status, 401)
        # Sign-out ends the session.
        status, _, r = w.json("POST", "/api/logout")
        self.assertEqual(status, 204)
        self.assertIn("Max-Age=0", r.getheader("Set-Cookie"))
        w.cookie = w.cookie or ""
        status, _, _ = self.web().json("GET", "/api/folders")
        self.assertEqual(status, 401)

    def test_csrf_required(self):
        w = self.web()
        w.login(self.addr["alice"])
        for token in (None, "", "0" * 64, w.csrf[:-1]):
            h = {} if token is None else {"X-CSRF-Token": token}
            r, _ = w.request("POST", "/api/logout", headers=h, csrf=False)
            self.assertEqual(r.status, 403, token)
        r, _ = w.request("POST", "/api/folders/Trash/expunge",
                         body={"uids": [1]}, csrf=False)
        self.assertEqual(r.status, 403)
        # Cross-site: the right token from another origin is refused too.
        r, _ = w.request("POST", "/api/logout",
                         headers={"Origin": "http://evil.test"})
        self.assertEqual(r.status, 403)
        r, _ = w.request("POST", "/api/logout",
                         headers={"Sec-Fetch-Site": "cross-site"})
        self.assertEqual(r.status, 403)
        status, _, _ = w.json("GET", "/api/session")
        self.assertEqual(status, 200)        # still signed in
        r, _ = w.request("POST", "/api/logout",
                         headers={"Origin": "http://127.0.0.1:%d" %
                                  self.port, "Host": "127.0.0.1:%d" %
                                  self.port})
        self.assertEqual(r.status, 204)

    def test_login_throttled(self):
        # Per account: four failures from four addresses lock bob.
        for i in range(4):
            w = Web(self.port, source="127.0.0.%d" % (10 + i))
            t0 = time.monotonic()
            status, _, _ = w.login(self.addr["bob"], "wrong")
            self.assertEqual(status, 401)
            self.assertGreaterEqual(time.monotonic() - t0, 0.9)  # delay
        w = Web(self.port, source="127.0.0.20")
        status, data, r = w.login(self.addr["bob"])
        self.assertEqual(status, 429)
        self.assertIsNotNone(r.getheader("Retry-After"))
        # Other accounts still get in.
        status, _, _ = w.login(self.addr["alice"])
        self.assertEqual(status, 200)

    def test_login_bad_bodies(self):
        w = self.web()
        for body, ctype in ((b"{}", "application/json"),
                            (b"[1]", "application/json"),
                            (b"{\"user\": 1}", "application/json"),
                            (b"user=a&password=b",
                             "application/x-www-form-urlencoded"),
                            (b"{\"user\": \"a b\", \"password\": \"x\"}",
                             "application/json"),
                            (b"not json", "application/json")):
            r, _ = w.request("POST", "/api/login", body=body,
                             headers={"Content-Type": ctype})
            self.assertIn(r.status, (400, 415), body)

    # -- mail ----------------------------------------------------------------
    def deliver(self, msg, to="alice@example.test"):
        self.srv.send("sender@client.test", [to], msg)

    def test_read_message_from_smtp(self):
        self.deliver(attachment_message())
        w = self.web()
        w.login(self.addr["alice"])
        status, data, _ = w.json("GET", "/api/folders")
        self.assertEqual(status, 200)
        names = [f["name"] for f in data["folders"]]
        self.assertEqual(names[0], "INBOX")
        for n in ("Sent", "Drafts", "Trash"):
            self.assertIn(n, names)
        inbox = data["folders"][0]
        self.assertEqual((inbox["total"], inbox["unread"]), (1, 1))
        status, data, _ = w.json("GET", "/api/folders/INBOX/messages")
        self.assertEqual(status, 200)
        self.assertEqual(data["total"], 1)
        m = data["messages"][0]
        self.assertEqual(m["subject"], "With attachment")
        self.assertEqual(m["from"]["address"], "sender@client.test")
        self.assertTrue(m["has_attachments"])
        status, msg, _ = w.json("GET", "/api/folders/INBOX/messages/%d" %
                                m["uid"])
        self.assertEqual(status, 200)
        self.assertIn("Hello from SMTP \u00e9t\u00e9", msg["text"])
        self.assertTrue(msg["has_html"])
        self.assertEqual(msg["remote_images"], 1)
        atts = {a["name"]: a for a in msg["attachments"]}
        self.assertIn("da\"ta.bin", atts)
        # The body: sanitised, framed only by us, its own strict CSP.
        r, body = w.request("GET", msg["url"] + "/body")
        self.assertEqual(r.status, 200)
        csp = r.getheader("Content-Security-Policy")
        self.assertIn("default-src 'none'", csp)
        self.assertIn("sandbox", csp)
        self.assertNotIn("script-src", csp)
        self.assertEqual(r.getheader("X-Frame-Options"), "SAMEORIGIN")
        self.assertIn(b"<b>there</b>", body)
        self.assertNotIn(b"<script", body)
        self.assertNotIn(b"remote.test", body)
        self.assertIn(b"/parts/0.3?inline=1", body)
        r, body = w.request("GET", msg["url"] + "/body?remote=1")
        self.assertIn(b"http://remote.test/t.gif", body)
        self.assertIn("img-src 'self' data: https: http:",
                      r.getheader("Content-Security-Policy"))
        # The attachment, decoded and streamed, byte for byte.
        part = atts["da\"ta.bin"]["part"]
        r, body = w.request("GET", msg["url"] + "/parts/" + part)
        self.assertEqual(r.status, 200)
        self.assertEqual(hashlib.sha256(body).hexdigest(),
                         hashlib.sha256(ATTACHMENT).hexdigest())
        self.assertEqual(r.getheader("Content-Type"),
                         "application/octet-stream")
        self.assertEqual(r.getheader("Content-Disposition"),
                         "attachment; filename*=UTF-8''da%22ta.bin")
        # The inline image is shown as an image only when asked inline.
        r, body = w.request("GET", msg["url"] + "/parts/0.3?inline=1")
        self.assertEqual(r.getheader("Content-Type"), "image/png")
        r, body = w.request("GET", msg["url"] + "/raw")
        self.assertIn(b"Subject: With attachment", body)
        r, _ = w.request("HEAD", msg["url"] + "/parts/" + part)
        self.assertEqual(r.status, 200)

    def test_other_users_ids_refused(self):
        self.deliver(attachment_message())
        alice = self.web()
        alice.login(self.addr["alice"])
        _, data, _ = alice.json("GET", "/api/folders/INBOX/messages")
        uid = data["messages"][0]["uid"]
        bob = self.web()
        bob.login(self.addr["bob"])
        for path in ("/api/folders/INBOX/messages/%d" % uid,
                     "/api/folders/INBOX/messages/%d/body" % uid,
                     "/api/folders/INBOX/messages/%d/raw" % uid,
                     "/api/folders/INBOX/messages/%d/parts/0.4" % uid,
                     "/api/folders/INBOX/messages/%d/parts/0" % uid):
            r, body = bob.request("GET", path)
            self.assertEqual(r.status, 404, path)
            self.assertNotIn(b"petrel-end", body)
        for path in ("/api/folders/INBOX/messages/0",
                     "/api/folders/INBOX/messages/x",
                     "/api/folders/INBOX/messages/%d/parts/0.9" % uid,
                     "/api/folders/INBOX/messages/%d/parts/1.1" % uid,
                     "/api/folders/Nope/messages"):
            r, _ = alice.request("GET", path)
            self.assertEqual(r.status, 404, path)

    def test_paging_sorted_by_date(self):
        for i in range(7):
            self.deliver(harness.make_message("m%d" % i, b"body\r\n"))
        w = self.web()
        w.login(self.addr["alice"])
        seen = []
        for off in (0, 3, 6):
            _, data, _ = w.json("GET", "/api/folders/INBOX/messages?"
                                "offset=%d&limit=3" % off)
            self.assertEqual(data["total"], 7)
            seen += [m["subject"] for m in data["messages"]]
        self.assertEqual(seen, ["m%d" % i for i in range(6, -1, -1)])

    def test_uploads(self):
        w = self.web()
        w.login(self.addr["alice"])
        body = (b"--b1\r\nContent-Disposition: form-data; name=\"file\"; "
                b"filename=\"a.bin\"\r\nContent-Type: application/x-a\r\n"
                b"\r\n" + ATTACHMENT + b"\r\n--b1--\r\n")
        r, data = w.request("POST", "/api/uploads", body=body, headers={
            "Content-Type": "multipart/form-data; boundary=b1"})
        self.assertEqual(r.status, 201)
        up = json.loads(data)["uploads"][0]
        self.assertEqual((up["name"], up["size"], up["type"]),
                         ("a.bin", len(ATTACHMENT), "application/x-a"))
        r, _ = w.request("DELETE", "/api/uploads/" + up["id"])
        self.assertEqual(r.status, 204)
        r, _ = w.request("DELETE", "/api/uploads/" + up["id"])
        self.assertEqual(r.status, 404)

    def test_expunge_only_in_trash(self):
        self.deliver(harness.make_message("x", b"body\r\n"))
        w = self.web()
        w.login(self.addr["alice"])
        status, _, _ = w.json("POST", "/api/folders/INBOX/expunge",
                              {"uids": [1]})
        self.assertEqual(status, 409)
        status, data, _ = w.json("POST", "/api/folders/Trash/expunge",
                                 {"uids": [99]})
        self.assertEqual(status, 200)


class SharedThrottleTest(HttpTest):
    listen = ("smtp", "http", "pop3")

    def test_login_throttled_with_other_protocols(self):
        # Failed POP3 sign-ins of an address lock it out of the webmail
        # too: one throttle per address for every protocol (src/auth).
        # Sent at once, so the growing delays run side by side.
        def pop3_fail(i):
            try:
                self.srv.pop3("nobody%d@example.test" % i, "wrong")
            except Exception:
                pass
        threads = [threading.Thread(target=pop3_fail, args=(i,))
                   for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        status, _, _ = self.web().login(self.addr["alice"])
        self.assertEqual(status, 429)
        # Another address is not affected.
        status, _, _ = Web(self.port, source="127.0.0.40").login(
            self.addr["alice"])
        self.assertEqual(status, 200)


if __name__ == "__main__":
    import run  # noqa: E402  (tests/system/run.py: per-test lines)
    sys.exit(run.main(sys.argv[1:] or ["test_http"]))
