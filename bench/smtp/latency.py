#!/usr/bin/python3
# SMTP load client that measures what smtp-source does not: the time from the
# end of DATA (the client sending "." CRLF) to the 250 reply, per message.
#
# Like MX traffic, every message gets a new session: connect, 220, EHLO, MAIL,
# RCPT, DATA, body, ".", 250, QUIT, close; no PIPELINING. S sessions run at
# once until N messages have been sent.
#
#   bench/smtp/latency.py --port 25 -n 1000 -s 10 --size 4096 --rcpt u1@bench.test
#   bench/smtp/latency.py --port 25 --idle 2000     # open, EHLO, stay idle
#
# Prints one JSON object on stdout: n, sessions, size, elapsed_s, msg_per_s,
# and the "." -> 250 latency in milliseconds (p50, p90, p99, max, mean).
# With --idle it opens the connections, sends EHLO on each, prints
# {"idle": N} and waits for a line on stdin (or SIGTERM) before closing.
# SPDX-License-Identifier: ISC
import argparse
import asyncio
import json
import resource
import sys
import time


def make_body(size, seq):
    """A message of about SIZE octets: headers, then 76-octet lines."""
    hdr = (
        "From: <sender@bench.client>\r\n"
        "To: <rcpt@bench.test>\r\n"
        "Subject: latency bench %d\r\n"
        "Message-ID: <lat.%d.%d@bench.client>\r\n"
        "Date: Sat, 28 Nov 2026 12:00:00 +0000\r\n"
        "\r\n" % (seq, seq, time.monotonic_ns())
    ).encode()
    line = b"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab\r\n"
    need = max(0, size - len(hdr))
    return hdr + line * (need // len(line)) + line[: need % len(line)].rstrip(b"\r\n") + (
        b"\r\n" if need % len(line) else b"")


async def read_reply(reader):
    """Read one (possibly multi-line) SMTP reply; return its code."""
    while True:
        ln = await reader.readline()
        if not ln:
            raise ConnectionError("connection closed by server")
        if len(ln) < 4 or ln[3:4] != b"-":
            return int(ln[:3]), ln


async def expect(reader, want):
    code, ln = await read_reply(reader)
    if code // 100 != want:
        raise RuntimeError("unexpected reply %r" % ln)


async def one_message(args, seq, lat):
    reader, writer = await asyncio.open_connection(args.host, args.port)
    try:
        await expect(reader, 2)
        writer.write(b"EHLO bench.client\r\n")
        await expect(reader, 2)
        writer.write(b"MAIL FROM:<sender@bench.client>\r\n")
        await expect(reader, 2)
        writer.write(b"RCPT TO:<%s>\r\n" % args.rcpt.encode())
        await expect(reader, 2)
        writer.write(b"DATA\r\n")
        await expect(reader, 3)
        writer.write(args.body_cache(seq))
        await writer.drain()
        t0 = time.perf_counter()
        writer.write(b".\r\n")
        code, ln = await read_reply(reader)
        t1 = time.perf_counter()
        if code != 250:
            raise RuntimeError("DATA refused: %r" % ln)
        lat.append(t1 - t0)
        writer.write(b"QUIT\r\n")
        try:
            await asyncio.wait_for(read_reply(reader), 10)
        except (ConnectionError, asyncio.TimeoutError):
            pass
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass


async def load(args):
    lat = []
    errors = []
    nxt = [0]

    async def worker():
        while nxt[0] < args.n:
            seq = nxt[0]
            nxt[0] += 1
            try:
                await one_message(args, seq, lat)
            except Exception as e:  # noqa: BLE001 - report, keep going
                errors.append("%s: %s" % (type(e).__name__, e))

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(args.sessions)))
    el = time.perf_counter() - t0
    lat.sort()

    def pct(p):
        if not lat:
            return None
        i = min(len(lat) - 1, max(0, int(round(p / 100.0 * len(lat) + 0.5)) - 1))
        return round(lat[i] * 1000, 2)

    out = {
        "n": args.n, "ok": len(lat), "errors": len(errors),
        "sessions": args.sessions, "size": args.size,
        "elapsed_s": round(el, 3), "msg_per_s": round(len(lat) / el, 1) if el else 0,
        "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99),
        "max_ms": round(lat[-1] * 1000, 2) if lat else None,
        "mean_ms": round(sum(lat) / len(lat) * 1000, 2) if lat else None,
    }
    if errors:
        out["first_errors"] = errors[:5]
    print(json.dumps(out))
    return 0 if not errors else 1


async def idle(args):
    conns = []
    for i in range(args.idle):
        r, w = await asyncio.open_connection(args.host, args.port)
        conns.append((r, w))
    # greeting and EHLO on all of them, concurrently
    async def hello(r, w):
        await expect(r, 2)
        w.write(b"EHLO bench.client\r\n")
        await expect(r, 2)
    await asyncio.gather(*(hello(r, w) for r, w in conns))
    print(json.dumps({"idle": len(conns)}), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)
    for _, w in conns:
        w.close()
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("-n", type=int, default=1000, help="messages in total")
    ap.add_argument("-s", "--sessions", type=int, default=1, help="sessions at once")
    ap.add_argument("--size", type=int, default=4096, help="message size in octets")
    ap.add_argument("--rcpt", default="u1@bench.test")
    ap.add_argument("--idle", type=int, default=0, help="open N idle connections instead")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    # The bodies differ only in their headers; build them once per 64.
    bodies = {}

    def body_cache(seq):
        k = seq % 64
        if k not in bodies:
            bodies[k] = make_body(args.size, seq)
        return bodies[k]
    args.body_cache = body_cache
    if args.idle:
        return asyncio.run(idle(args))
    return asyncio.run(load(args))


if __name__ == "__main__":
    sys.exit(main())
