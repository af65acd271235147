"""Black-box tests of the webmail's writing routes against a real `petrel
serve`: folders created, renamed and deleted; flags; move; delete to
Trash and for good; search in headers and bodies; threads; contacts;
drafts; sending with an attachment to another local user who downloads
the same bytes; remote recipients without a queue; new-mail events by
long polling; CSRF and ownership on every one of them.

Run through tests/web/run, or alone: python3 tests/web/test_api.py
SPDX-License-Identifier: ISC
"""

import base64
import imaplib
import json
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "system"))

import harness  # noqa: E402
import test_http  # noqa: E402
from test_http import ATTACHMENT, Web  # noqa: E402


class ApiTest(harness.ServerTest):
    listen = ("smtp", "http", "imap")

    def new_server(self, **kw):
        kw.setdefault("extra_config", test_http.WEB_CONFIG)
        return super().new_server(**kw)

    def setUp(self):
        super().setUp()
        self.port = self.srv.ports["http"]

    def web(self, user="alice"):
        w = Web(self.port)
        status, _, _ = w.login(self.addr[user])
        self.assertEqual(status, 200)
        return w

    def deliver(self, msg, to=None):
        self.srv.send("sender@client.test", [to or self.addr["alice"]], msg)

    def listing(self, w, folder="INBOX"):
        status, data, _ = w.json("GET", "/api/folders/%s/messages?limit=500"
                                 % folder)
        self.assertEqual(status, 200)
        return data

    def uid_of(self, w, subject, folder="INBOX"):
        # Sent mail travels through the queue: give it a moment to land.
        deadline = time.monotonic() + 10
        while True:
            for m in self.listing(w, folder)["messages"]:
                if m["subject"] == subject:
                    return m["uid"]
            if time.monotonic() > deadline:
                self.fail("no message %r in %s" % (subject, folder))
            time.sleep(0.1)

    def folders(self, w):
        _, data, _ = w.json("GET", "/api/folders")
        return {f["name"]: f for f in data["folders"]}

    # -- folders ---------------------------------------------------------

    def test_folders_create_rename_delete(self):
        w = self.web()
        status, _, _ = w.json("POST", "/api/folders", {"name": "Work"})
        self.assertEqual(status, 201)
        status, _, _ = w.json("POST", "/api/folders", {"name": "Work"})
        self.assertEqual(status, 409)
        status, _, _ = w.json("POST", "/api/folders", {"name": "a//b"})
        self.assertEqual(status, 400)
        self.assertIn("Work", self.folders(w))
        status, _, _ = w.json("PATCH", "/api/folders/Work",
                              {"name": "Projects"})
        self.assertEqual(status, 200)
        names = self.folders(w)
        self.assertIn("Projects", names)
        self.assertNotIn("Work", names)
        for name in ("INBOX", "Sent", "Trash"):
            status, _, _ = w.json("PATCH", "/api/folders/" + name,
                                  {"name": "X"})
            self.assertEqual(status, 409, name)
            status, _, _ = w.json("DELETE", "/api/folders/" + name)
            self.assertEqual(status, 409, name)
        status, _, _ = w.json("DELETE", "/api/folders/Projects")
        self.assertEqual(status, 204)
        self.assertNotIn("Projects", self.folders(w))
        status, _, _ = w.json("DELETE", "/api/folders/Nope")
        self.assertEqual(status, 404)
        # Bob does not see Alice's folders.
        w.json("POST", "/api/folders", {"name": "Private"})
        self.assertNotIn("Private", self.folders(self.web("bob")))

    def test_folder_list_roles_and_counts(self):
        for i in range(3):
            self.deliver(harness.make_message("c%d" % i, b"x\r\n"))
        f = self.folders(self.web())
        self.assertEqual((f["INBOX"]["total"], f["INBOX"]["unread"]), (3, 3))
        self.assertEqual(f["Sent"]["role"], "sent")
        self.assertEqual(f["Trash"]["role"], "trash")

    def test_list_follows_changes(self):
        # The list's order and counts are cached per folder state: every
        # delivery, flag change, move and expunge must show at once, also
        # when another protocol made it, and a folder made again under an
        # old name starts empty.
        for s in ("a", "b", "c"):
            self.deliver(harness.make_message(s, b"x\r\n"))
        w = self.web()
        data = self.listing(w)
        self.assertEqual([m["subject"] for m in data["messages"]],
                         ["c", "b", "a"])
        self.assertEqual((data["total"], data["unread"]), (3, 3))
        self.assertEqual(sorted(self.thread_subjects(w)),
                         [["a"], ["b"], ["c"]])
        self.deliver(harness.make_message("d", b"x\r\n"))
        self.deliver(harness.make_message("Re: b", b"x\r\n"))
        data = self.listing(w)
        self.assertEqual([m["subject"] for m in data["messages"]],
                         ["Re: b", "d", "c", "b", "a"])
        self.assertEqual((data["total"], data["unread"]), (5, 5))
        _, page, _ = w.json("GET", "/api/folders/INBOX/messages?offset=2"
                            "&limit=2")
        self.assertEqual([m["subject"] for m in page["messages"]],
                         ["c", "b"])
        # (Threads of one second are in arrival order: compare sorted.)
        threads = self.thread_subjects(w)
        self.assertEqual(sorted(threads),
                         [["a"], ["b", "Re: b"], ["c"], ["d"]])
        _, page, _ = w.json("GET", "/api/folders/INBOX/threads?offset=1"
                            "&limit=2")
        self.assertEqual((page["total"], [[m["subject"] for m in
                                           t["messages"]] for t in
                                          page["threads"]]),
                         (4, threads[1:3]))
        # Over IMAP: b seen, a expunged.
        with imaplib.IMAP4("127.0.0.1", self.srv.ports["imap"]) as c:
            c.login(self.addr["alice"], harness.PASSWORD)
            c.select("INBOX")
            c.uid("STORE", str(self.uid_of(w, "b")), "+FLAGS", "(\\Seen)")
            c.uid("STORE", str(self.uid_of(w, "a")), "+FLAGS",
                  "(\\Deleted)")
            c.expunge()
        data = self.listing(w)
        self.assertEqual([m["subject"] for m in data["messages"]],
                         ["Re: b", "d", "c", "b"])
        self.assertEqual((data["total"], data["unread"]), (4, 3))
        f = self.folders(w)["INBOX"]
        self.assertEqual((f["total"], f["unread"]), (4, 3))
        _, page, _ = w.json("GET", "/api/folders/INBOX/threads")
        self.assertEqual(sorted((t["subject"], t["count"], t["unread"])
                                for t in page["threads"]),
                         [("b", 2, 1), ("c", 1, 1), ("d", 1, 1)])
        # A folder deleted and made again is empty, whatever was cached.
        w.json("POST", "/api/folders", {"name": "Box"})
        w.json("POST", "/api/messages/move", {
            "folder": "INBOX", "uids": [self.uid_of(w, "c")], "to": "Box"})
        self.assertEqual(self.listing(w, "Box")["total"], 1)
        self.assertEqual(self.folders(w)["Box"]["unread"], 1)
        self.assertEqual(w.json("DELETE", "/api/folders/Box")[0], 204)
        w.json("POST", "/api/folders", {"name": "Box"})
        self.assertEqual(self.listing(w, "Box")["messages"], [])
        self.assertEqual((self.folders(w)["Box"]["total"],
                          self.folders(w)["Box"]["unread"]), (0, 0))

    def thread_subjects(self, w, folder="INBOX"):
        status, data, _ = w.json("GET", "/api/folders/%s/threads?limit=500"
                                 % folder)
        self.assertEqual(status, 200)
        return [[m["subject"] for m in t["messages"]]
                for t in data["threads"]]

    # -- changing messages -----------------------------------------------

    def test_flags_move_delete(self):
        for s in ("one", "two", "three"):
            self.deliver(harness.make_message(s, b"x\r\n"))
        w = self.web()
        one, two = self.uid_of(w, "one"), self.uid_of(w, "two")
        status, data, _ = w.json("POST", "/api/messages/flags", {
            "folder": "INBOX", "uids": [one, two], "op": "add",
            "flags": ["seen", "flagged"]})
        self.assertEqual(status, 200)
        self.assertEqual(len(data["messages"]), 2)
        self.assertEqual(self.folders(w)["INBOX"]["unread"], 1)
        m = {x["uid"]: x for x in self.listing(w)["messages"]}
        self.assertIn("flagged", m[one]["flags"])
        status, _, _ = w.json("POST", "/api/messages/flags", {
            "folder": "INBOX", "uids": [one], "op": "remove",
            "flags": ["seen"]})
        self.assertEqual(self.folders(w)["INBOX"]["unread"], 2)
        status, _, _ = w.json("POST", "/api/messages/flags", {
            "folder": "INBOX", "uids": [one], "op": "add",
            "flags": ["bogus"]})
        self.assertEqual(status, 400)
        # Move to Archive, then delete: to Trash, then for good.
        status, data, _ = w.json("POST", "/api/messages/move", {
            "folder": "INBOX", "uids": [one], "to": "Archive"})
        self.assertEqual((status, data["count"]), (200, 1))
        self.assertEqual(self.folders(w)["Archive"]["total"], 1)
        self.assertEqual(self.folders(w)["INBOX"]["total"], 2)
        status, _, _ = w.json("POST", "/api/messages/move", {
            "folder": "INBOX", "uids": [two], "to": "Nope"})
        self.assertEqual(status, 404)
        status, _, _ = w.json("POST", "/api/messages/delete", {
            "folder": "INBOX", "uids": [two]})
        self.assertEqual(status, 200)
        self.assertEqual(self.folders(w)["Trash"]["total"], 1)
        tuid = self.uid_of(w, "two", "Trash")
        status, data, _ = w.json("POST", "/api/messages/delete", {
            "folder": "Trash", "uids": [tuid]})
        self.assertEqual((status, data["result"]), (200, "expunged"))
        self.assertEqual(self.folders(w)["Trash"]["total"], 0)

    def test_csrf_and_ownership_on_changes(self):
        self.deliver(harness.make_message("mine", b"x\r\n"))
        alice = self.web()
        uid = self.uid_of(alice, "mine")
        for method, path, body in (
                ("POST", "/api/folders", {"name": "X"}),
                ("PATCH", "/api/folders/Archive", {"name": "Y"}),
                ("DELETE", "/api/folders/Archive", None),
                ("POST", "/api/messages/flags", {"folder": "INBOX",
                 "uids": [uid], "op": "add", "flags": ["seen"]}),
                ("POST", "/api/messages/move", {"folder": "INBOX",
                 "uids": [uid], "to": "Archive"}),
                ("POST", "/api/messages/delete", {"folder": "INBOX",
                 "uids": [uid]}),
                ("POST", "/api/drafts", {"to": "x@example.test"}),
                ("POST", "/api/send", {"to": self.addr["bob"]})):
            status, _, _ = alice.json(method, path, body, csrf=False)
            self.assertEqual(status, 403, path)
        bob = self.web("bob")
        # Bob's requests name Bob's folders: Alice's uid is not there.
        status, data, _ = bob.json("POST", "/api/messages/move", {
            "folder": "INBOX", "uids": [uid], "to": "Archive"})
        self.assertEqual(status, 200)
        self.assertEqual(data["count"], 0)
        bob.json("POST", "/api/messages/delete", {"folder": "INBOX",
                                                  "uids": [uid]})
        bob.json("POST", "/api/messages/flags", {
            "folder": "INBOX", "uids": [uid], "op": "add",
            "flags": ["deleted"]})
        f = self.folders(alice)
        self.assertEqual((f["INBOX"]["total"], f["INBOX"]["unread"]), (1, 1))
        self.assertEqual(self.listing(alice)["messages"][0]["flags"], [])

    # -- search, threads, contacts ---------------------------------------

    def test_search_headers_and_body(self):
        self.deliver(harness.make_message("Quarterly report", b"numbers\r\n",
                                          sender="carol@far.test"))
        self.deliver(harness.make_message("Lunch", b"the zanzibar place\r\n"))
        qp = harness.make_message(
            "Encoded", b"caf=C3=A9 cr=C3=A8me\r\n",
            extra_headers=("MIME-Version: 1.0",
                           "Content-Type: text/plain; charset=utf-8",
                           "Content-Transfer-Encoding: quoted-printable"))
        self.deliver(qp)
        w = self.web()

        def search(q, **kw):
            path = "/api/search?q=" + q + "".join(
                "&%s=%s" % kv for kv in kw.items())
            status, data, _ = w.json("GET", path)
            self.assertEqual(status, 200, q)
            return sorted(m["subject"] for m in data["messages"])
        self.assertEqual(search("quarterly"), ["Quarterly report"])
        self.assertEqual(search("from:carol"), ["Quarterly report"])
        self.assertEqual(search("ZANZIBAR"), ["Lunch"])
        self.assertEqual(search("zanzibar", field="subject"), [])
        self.assertEqual(search("body:cr%C3%A8me"), ["Encoded"])
        self.assertEqual(search("lunch", folder="Archive"), [])
        self.assertEqual(search("numbers", folder="INBOX"),
                         ["Quarterly report"])
        status, _, _ = w.json("GET", "/api/search?q=")
        self.assertEqual(status, 400)
        # Bob finds nothing of Alice's.
        _, data, _ = self.web("bob").json("GET", "/api/search?q=zanzibar")
        self.assertEqual(data["messages"], [])

    def test_threads(self):
        root = harness.make_message("Plans", b"x\r\n").replace(
            b"Message-ID: <", b"Message-ID: <root-", 1)
        rid = b"<root-" + root.split(b"Message-ID: <root-")[1].split(
            b"\r\n")[0]
        self.deliver(root)
        self.deliver(harness.make_message(
            "Re: Plans", b"y\r\n", extra_headers=(b"In-Reply-To: " + rid,
                                                  b"References: " + rid)))
        self.deliver(harness.make_message("Re: Plans", b"z\r\n"))
        self.deliver(harness.make_message("Other", b"w\r\n"))
        self.deliver(harness.make_message("Other", b"w\r\n"))
        w = self.web()
        status, data, _ = w.json("GET", "/api/folders/INBOX/threads")
        self.assertEqual(status, 200)
        counts = sorted((t["subject"], t["count"]) for t in data["threads"])
        self.assertEqual(counts, [("Other", 1), ("Other", 1),
                                  ("Plans", 3)])
        self.assertEqual(data["total"], 3)

    def test_contacts(self):
        self.deliver(harness.make_message("a", b"x\r\n",
                                          sender="zed@far.test"))
        w = self.web()
        status, _, _ = w.json("POST", "/api/send", {
            "to": "Bob B <%s>" % self.addr["bob"], "subject": "hi",
            "text": "hello"})
        self.assertEqual(status, 200)
        _, data, _ = w.json("GET", "/api/contacts?q=")
        addrs = [c["address"] for c in data["contacts"]]
        self.assertIn("zed@far.test", addrs)
        self.assertIn(self.addr["bob"], addrs)
        self.assertNotIn(self.addr["alice"], addrs)
        _, data, _ = w.json("GET", "/api/contacts?q=ZE")
        self.assertEqual([c["address"] for c in data["contacts"]],
                         ["zed@far.test"])
        _, data, _ = w.json("GET", "/api/contacts?q=bob%20b")
        self.assertEqual(data["contacts"][0]["name"], "Bob B")

    # -- writing ---------------------------------------------------------

    def upload(self, w, name, data):
        body = (b"--b1\r\nContent-Disposition: form-data; name=\"file\"; "
                b"filename=\"" + name.encode() + b"\"\r\n"
                b"Content-Type: application/octet-stream\r\n\r\n" + data +
                b"\r\n--b1--\r\n")
        r, out = w.request("POST", "/api/uploads", body=body, headers={
            "Content-Type": "multipart/form-data; boundary=b1"})
        self.assertEqual(r.status, 201)
        return json.loads(out)["uploads"][0]["id"]

    def test_drafts_saved_and_replaced(self):
        w = self.web()
        status, data, _ = w.json("POST", "/api/drafts", {
            "to": "x@far.test", "bcc": "hidden@far.test",
            "subject": "Draft one", "text": "first"})
        self.assertEqual(status, 201)
        uid = data["uid"]
        status, data, _ = w.json("POST", "/api/drafts", {
            "to": "x@far.test", "subject": "Draft two", "text": "second",
            "draft_uid": uid})
        self.assertEqual(status, 201)
        lst = self.listing(w, "Drafts")
        self.assertEqual([m["subject"] for m in lst["messages"]],
                         ["Draft two"])
        self.assertIn("draft", lst["messages"][0]["flags"])
        status, data, _ = w.json("POST", "/api/drafts", {
            "to": "x@far.test\r\nBcc: evil@far.test", "subject": "s"})
        self.assertEqual(status, 400)

    def test_send_attachment_to_local_user(self):
        alice = self.web()
        up = self.upload(alice, "d\u00e9j\u00e0.bin", ATTACHMENT)
        status, data, _ = alice.json("POST", "/api/send", {
            "to": self.addr["bob"], "cc": "", "subject": "Files for you",
            "text": "See attached.\nBye.", "attachments": [up]})
        self.assertEqual(status, 200, data)
        self.assertTrue(data["saved"])
        sent = self.listing(alice, "Sent")["messages"]
        self.assertEqual(sent[0]["subject"], "Files for you")
        self.assertIn("seen", sent[0]["flags"])
        bob = self.web("bob")
        uid = self.uid_of(bob, "Files for you")
        _, msg, _ = bob.json("GET", "/api/folders/INBOX/messages/%d" % uid)
        self.assertEqual(msg["from"][0]["address"], self.addr["alice"])
        self.assertIn("See attached.", msg["text"])
        att = msg["attachments"][0]
        self.assertEqual(att["name"], "d\u00e9j\u00e0.bin")
        r, body = bob.request("GET", msg["url"] + "/parts/" + att["part"])
        self.assertEqual(r.status, 200)
        self.assertEqual(body, ATTACHMENT)
        # Bob replies; Alice's Sent copy is not touched, Bob's original
        # is \Answered.
        status, _, _ = bob.json("POST", "/api/send", {
            "to": self.addr["alice"], "subject": "Re: Files for you",
            "text": "Thanks", "in_reply_to": {
                "folder": "INBOX", "uid": uid,
                "message_id": msg["message_id"], "references": ""}})
        self.assertEqual(status, 200)
        _, msg2, _ = bob.json("GET", "/api/folders/INBOX/messages/%d" % uid)
        self.assertIn("answered", msg2["flags"])
        ruid = self.uid_of(alice, "Re: Files for you")
        _, reply, _ = alice.json("GET",
                                 "/api/folders/INBOX/messages/%d" % ruid)
        self.assertEqual(reply["in_reply_to"], msg["message_id"])
        # Forward keeps the original as an attachment.
        status, _, _ = alice.json("POST", "/api/send", {
            "to": self.addr["bob"], "subject": "Fwd: Re: Files for you",
            "text": "fyi", "forward": {"folder": "INBOX", "uid": ruid}})
        self.assertEqual(status, 200)
        fuid = self.uid_of(bob, "Fwd: Re: Files for you")
        _, fwd, _ = bob.json("GET", "/api/folders/INBOX/messages/%d" % fuid)
        self.assertTrue(any(a["type"] == "message/rfc822"
                            for a in fwd["attachments"]))

    def test_send_refusals(self):
        w = self.web()
        status, _, _ = w.json("POST", "/api/send", {
            "to": "nobody@example.test", "subject": "x", "text": "y"})
        self.assertEqual(status, 400)
        status, _, _ = w.json("POST", "/api/send", {"subject": "x"})
        self.assertEqual(status, 400)
        status, _, _ = w.json("POST", "/api/send", {
            "to": self.addr["bob"], "attachments": ["nope"]})
        self.assertEqual(status, 400)
        bob = self.web("bob")
        self.assertEqual(self.listing(bob)["total"], 0)
        self.assertEqual(self.listing(w, "Sent")["total"], 0)
        # Mail to another domain goes to the outbound queue.
        status, _, _ = w.json("POST", "/api/send", {
            "to": "someone@far.test", "subject": "x", "text": "y"})
        self.assertEqual(status, 200)
        self.assertEqual(self.listing(w, "Sent")["total"], 1)

    # -- new mail ----------------------------------------------------------

    def test_events_long_poll(self):
        w = self.web()
        status, data, _ = w.json("GET", "/api/events")
        self.assertEqual(status, 200)
        stamp = data["stamp"]
        timer = threading.Timer(1.0, self.deliver,
                                (harness.make_message("new", b"x\r\n"),))
        timer.start()
        t0 = time.monotonic()
        status, data, _ = w.json("GET", "/api/events?since=" + stamp)
        took = time.monotonic() - t0
        timer.join()
        self.assertEqual(status, 200)
        self.assertTrue(data["changed"])
        self.assertNotEqual(data["stamp"], stamp)
        self.assertGreater(took, 0.5)
        self.assertLess(took, 10)
        # A stale stamp answers at once.
        status, data, _ = w.json("GET", "/api/events?since=0")
        self.assertTrue(data["changed"])

    def test_events_connection_closed_while_waiting(self):
        w = self.web()
        _, data, _ = w.json("GET", "/api/events")
        w.conn.request("GET", "/api/events?since=" + data["stamp"],
                       headers={"Cookie": w.cookie})
        time.sleep(0.3)
        w.conn.close()
        self.deliver(harness.make_message("after close", b"x\r\n"))
        time.sleep(0.3)
        w2 = self.web()
        self.assertEqual(self.listing(w2)["total"], 1)


if __name__ == "__main__":
    import run  # noqa: E402  (tests/system/run.py: per-test lines)
    sys.exit(run.main(sys.argv[1:] or ["test_api"]))
