"""A remote SMTP server for the cluster's queue tests: it records every
message it accepted with when and over which session, counts sessions
open at once, and can hold every transaction at MAIL FROM until the test
opens its gate (so a node is caught holding its leases mid-delivery with
nothing yet handed over).
SPDX-License-Identifier: ISC
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "queue"))
from qlib import ThreadedServer, read_message  # noqa: E402  (tests/queue)


class Sink(ThreadedServer):
    def __init__(self, dot_reply="250 2.0.0 accepted", dot_delay=0.0):
        self.dot_reply = dot_reply
        self.dot_delay = dot_delay
        self.gate = threading.Event()
        self.gate.set()
        self.lock = threading.Lock()
        self.messages = []          # (time, mail from, rcpts, data)
        self.mail_froms = 0         # MAIL commands seen, held or not
        self.open_now = 0
        self.open_max = 0
        self.sessions = 0
        super().__init__("127.0.0.1", 0, 128)

    def close(self):
        super().close()
        self.gate.set()     # a session held at MAIL FROM ends

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def _session_began(self):
        with self.lock:
            self.sessions += 1
            self.open_now += 1
            self.open_max = max(self.open_max, self.open_now)

    def _session_ended(self):
        with self.lock:
            self.open_now -= 1

    def _session(self, c, f):
        c.sendall(b"220 sink.remote.test ESMTP\r\n")
        mail, rcpts = None, []
        while True:
            line = f.readline()
            if not line:
                return
            cmd = line.decode(errors="replace").rstrip("\r\n")
            verb = cmd.split(" ")[0].upper()
            if verb == "EHLO":
                c.sendall(b"250-sink.remote.test\r\n250-PIPELINING\r\n"
                          b"250 8BITMIME\r\n")
            elif verb == "HELO":
                c.sendall(b"250 sink.remote.test\r\n")
            elif verb == "MAIL":
                with self.lock:
                    self.mail_froms += 1
                while not self.gate.wait(0.1):
                    if not self.is_open:
                        return
                mail, rcpts = cmd[10:].split(">")[0].lstrip("<"), []
                c.sendall(b"250 2.1.0 ok\r\n")
            elif verb == "RCPT":
                rcpts.append(cmd[8:].split(">")[0].lstrip("<"))
                c.sendall(b"250 2.1.5 ok\r\n")
            elif verb == "DATA":
                c.sendall(b"354 go ahead\r\n")
                data = read_message(f)
                if data is None:
                    return
                time.sleep(self.dot_delay)
                if self.dot_reply.startswith("2"):
                    with self.lock:
                        self.messages.append((time.time(), mail,
                                              list(rcpts), data))
                c.sendall(self.dot_reply.encode() + b"\r\n")
            elif verb in ("RSET", "NOOP"):
                mail, rcpts = None, []
                c.sendall(b"250 2.0.0 ok\r\n")
            elif verb == "QUIT":
                c.sendall(b"221 2.0.0 bye\r\n")
                return
            else:
                c.sendall(b"502 5.5.2 unknown\r\n")
