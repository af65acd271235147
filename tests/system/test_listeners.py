"""Binary garbage on every listener the server has (plain and TLS): each
costs an error or a closed connection, never the server; afterwards every
port still answers."""

import socket
import ssl
import time

from harness import ServerTest, make_message, strip_trace, timeout
from test_bad_input import garbage

PLAIN = ("smtp", "submission", "pop3", "imap", "http")
TLS = ("submissions", "pop3s", "imaps")


def greeting(name, port):
    """The first bytes the server sends (for HTTP: the status line of a
    request)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout(10))
    try:
        if name in TLS:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(s)
        if name == "http":
            s.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        return s.recv(1024)
    finally:
        s.close()


class ListenerGarbageTest(ServerTest):
    listen = PLAIN + TLS
    users = ("alice",)

    def blast(self, port, data):
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout(10))
        try:
            s.sendall(data)
            # read what comes back for a moment; a close ends it sooner
            s.settimeout(0.5)
            end = time.monotonic() + 1.0
            while time.monotonic() < end:
                if not s.recv(65536):
                    break
        except (OSError, socket.timeout):
            pass
        finally:
            s.close()

    def test_garbage_everywhere(self):
        before = {}
        ports = {}
        for name, port in self.srv.ports.items():
            try:
                before[name] = greeting(name, port)
                ports[name] = port
            except ConnectionRefusedError:
                pass                    # a service this build lacks
        print("    listeners: %s" % " ".join(sorted(ports)))
        self.assertIn("smtp", ports)
        self.assertIn("pop3", ports)
        for seed, (name, port) in enumerate(sorted(ports.items())):
            for k in range(3):
                self.blast(port, garbage(1000 + 10 * seed + k, 30000))
            self.blast(port, b"\x16\x03\x01\x02\x00" + b"\x00" * 600)
            self.blast(port, b"\x00" * 70000 + b"\r\n")
            self.assertTrue(self.srv.alive(), "server died from garbage on "
                            "%s" % name)
        for name, port in ports.items():
            after = greeting(name, port)
            self.assertEqual(after[:3], before[name][:3],
                             "%s answers differently after garbage" % name)
        msg = make_message("after garbage", b"still here\r\n")
        self.srv.send("s@client.test", [self.addr["alice"]], msg)
        got = self.srv.mailbox(self.addr["alice"])
        self.assertEqual(strip_trace(got[-1])[1], msg)
