#!/usr/bin/python3
"""Webmail measurements: time to a usable message list in the browser for a
mailbox of N messages (default 10,000), and API latency (p50/p99) under 50
concurrent sessions with wrk (Debian's), half folder lists, half pages of
50 messages, first all from the middle of the folder, then spread over
all of it; with the server's CPU time per request. Starts its own `petrel serve` on
free loopback ports; needs tests/web/setup.sh and `apt-get install wrk`.

    bench/web/bench.py [N]          PETREL_BIN=... to pick the binary
SPDX-License-Identifier: ISC
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
sys.path.insert(0, os.path.join(TOP, "tests", "web"))

import harness  # noqa: E402
import test_http  # noqa: E402

SESSIONS = 50
LUA = """
local cookies = {}
local i = 0
init = function(args) for k, v in ipairs(args) do cookies[k] = v end end
request = function()
  i = i + 1
  local c = cookies[(i %% #cookies) + 1]
  local p = (i %% 2 == 0) and "/api/folders" or
      string.format("/api/folders/INBOX/messages?offset=%%d&limit=50",
                    %s)
  return wrk.format("GET", p, { ["Cookie"] = c })
end
"""
# Where the pages are: all in the middle (as first measured), or spread
# over the whole folder (every page of a scroll from top to bottom).
OFFSETS = {"middle": "%d", "spread": "(i * 7919) %% %d"}

def deliver_range(srv, to, lo, hi):
    for start in range(lo, hi, 50):     # a session takes so many commands
        with srv.smtp() as s:
            s.ehlo()
            for i in range(start, min(hi, start + 50)):
                s.sendmail("sender@client.test", [to],
                           harness.make_message("Bench message %d" % i,
                                                b"body %d\r\n" % i, to=to))


def deliver(srv, to, n):
    t0 = time.monotonic()
    step = (n + 3) // 4
    threads = [threading.Thread(target=deliver_range,
                                args=(srv, to, k, min(n, k + step)))
               for k in range(0, n, step)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - t0


def browser_time(port, user):
    script = os.path.join(HERE, "list_time.mjs")
    out = subprocess.run(["node", script, str(port), user,
                          harness.PASSWORD], cwd=os.path.join(TOP, "tests",
                                                              "web"),
                         capture_output=True, text=True, timeout=120)
    return out.stdout.strip() or out.stderr.strip()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")


def wrk(srv, user, n, where):
    port = srv.ports["http"]
    cookies = []
    for _ in range(SESSIONS):
        w = test_http.Web(port)
        w.login(user)
        cookies.append(w.cookie)
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    arg = n // 2 if where == "middle" else max(1, n - 50)
    lua.write(LUA % (OFFSETS[where] % arg))
    lua.close()
    cpu0 = cpu_seconds(srv.proc.pid)
    p = subprocess.run(["wrk", "-t2", "-c%d" % SESSIONS, "-d15s",
                        "--latency", "-s", lua.name,
                        "http://127.0.0.1:%d" % port, "--"] + cookies,
                       capture_output=True, text=True, timeout=60)
    cpu = cpu_seconds(srv.proc.pid) - cpu0
    os.unlink(lua.name)
    m = re.search(r"(\d+) requests in", p.stdout)
    reqs = int(m.group(1)) if m else 0
    return p.stdout + "server CPU %.2f s, %.3f ms per request\n" % (
        cpu, 1000 * cpu / reqs if reqs else 0)


def main(argv):
    n = int(argv[0]) if argv else 10000
    workdir = tempfile.mkdtemp(prefix="petrel-webbench-")
    srv = harness.Server(workdir, listen=("smtp", "http"),
                         extra_config=test_http.WEB_CONFIG.replace(
                             "login.max_failures = 4",
                             "login.max_failures = 1000"))
    srv.add_domain()
    user = srv.add_user("alice")
    srv.start()
    try:
        secs = deliver(srv, user, n)
        print("delivered %d messages over SMTP in %.1f s" % (n, secs))
        print("browser: " + browser_time(srv.ports["http"], user))
        for where in OFFSETS:
            print("wrk, pages %s:" % where)
            print(wrk(srv, user, n, where))
    finally:
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
