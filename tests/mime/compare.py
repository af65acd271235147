#!/usr/bin/python3
# Compare petrel's parse (the JSON of `petrel mime json`, one line per
# file from the driver) with Python's email package, an independent
# implementation. Where the two legitimately differ the RFC decides, and
# each such rule below says why.
# usage: compare.py DRIVER DIR
# SPDX-License-Identifier: ISC
import base64
import binascii
import copy
import email
import email.utils
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
from email.header import decode_header, make_header

WS = re.compile(r"\s+")


def fix(s):
    """Python keeps raw 8-bit header octets as surrogates; give UTF-8."""
    if s is None:
        return None
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def ew(s):
    """Decode encoded words as a reader would (RFC 2047 6)."""
    if s is None or "=?" not in s:
        return s
    try:
        return str(make_header(decode_header(s)))
    except (LookupError, UnicodeError, binascii.Error, ValueError):
        return s


def py_params(msg, header):
    """Parameters as petrel defines them: names lowercase, RFC 2231 values
    decoded, and an RFC 2231 value preferred to a plain one of the same
    name. Python's get_param() returns the first match instead; RFC 2231
    gives the extended form the charset, so it is the one to read."""
    raw = msg.get_params(header=header)
    out, ext = {}, {}
    if not raw:
        return out
    for name, val in raw[1:]:
        if isinstance(val, tuple):
            ext[name] = email.utils.collapse_rfc2231_value(val)
        elif name not in out:
            out[name] = val
    out.update(ext)
    return {k: fix(v) for k, v in out.items()}


def same_text(ours, theirs):
    """Equal, or equal once encoded words in Python's raw value are decoded
    (RFC 2047 5 forbids them in parameters and Python leaves them, but
    mail agents write them in file names and petrel reads them)."""
    if ours == theirs:
        return True
    return theirs is not None and ours == ew(theirs)


def b64_dangling(payload):
    """RFC 2045 6.8: a last lone sextet holds no whole octet and is
    dropped. Python instead returns the undecoded text (bpo-27397)."""
    s = b"".join(payload.split())
    s = bytes(c for c in s if c in
              b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
              b"0123456789+/=")
    s = s.split(b"=")[0]
    return binascii.a2b_base64(s[:len(s) // 4 * 4 + (len(s) % 4 > 1) *
                                 (len(s) % 4)] + b"==")


def py_body(part):
    data = part.get_payload(decode=True)
    return data if data is not None else b""


def alt_bodies(part, node, kinds):
    """Other readings of a part's body that the RFC allows us to differ to.
    """
    alts = []
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    payload = part._payload      # get_payload() would decode the charset
    if isinstance(payload, str):
        raw = payload.encode("ascii", "surrogateescape")
        if cte == "base64":
            alts.append(b64_dangling(raw))
        # RFC 2046 5.1.1: the line break before a delimiter belongs to
        # it, also when the delimiter is an outer multipart's closing an
        # inner one that never ended. Python keeps it in the body.
        m = re.search(rb"(\r\n|\n)\Z", raw)
        if m and "no-close" in kinds:
            p2 = copy.copy(part)
            p2.set_payload(raw[:m.start()].decode("ascii",
                                                  "surrogateescape"))
            alts.append(py_body(p2))
    return alts


def raw_all(msg, name):
    """Raw values: Python's get() turns 8-bit octets into U+FFFD."""
    vals = [v for k, v in msg.raw_items() if k.lower() == name]
    return vals or None


def addrs(msg, name):
    vals = raw_all(msg, name)
    if vals is None:
        return None
    out = []
    for n, a in email.utils.getaddresses(vals):
        if n == "" and a == "":
            continue        # Python's mark for groups and what it can't read
        out.append([fix(ew(n)), fix(a)])
    return out


class Cmp:
    def __init__(self, downgraded=False):
        self.errors = []
        self.downgraded = downgraded

    def check(self, path, what, ours, theirs):
        if ours != theirs:
            self.errors.append("%s %s: petrel %r python %r" %
                               (path, what, ours, theirs))

    def message(self, path, msg, node):
        subj = raw_all(msg, "subject")
        if subj is not None:
            subj = subj[0]
            a = WS.sub(" ", node.get("subject", "")).strip()
            b = WS.sub(" ", fix(ew(str(subj)))).strip()
            self.check(path, "subject", a, b)
        for h in ("from", "to", "cc"):
            theirs = addrs(msg, h)
            if theirs is not None:
                ours = [x for x in node.get(h, []) if x != ["", ""]]
                self.check(path, h, ours, theirs)

    def part(self, path, msg, node, kinds, is_msg):
        if is_msg:
            self.message(path, msg, node)
        self.check(path, "type", node["type"], msg.get_content_type())
        params = py_params(msg, "content-type")
        for k in set(params) | set(node["params"]):
            if not same_text(node["params"].get(k), params.get(k)):
                self.check(path, "param " + k, node["params"].get(k),
                           params.get(k))
        dparams = py_params(msg, "content-disposition")
        self.check(path, "disposition", node["disposition"],
                   msg.get_content_disposition())
        fn = dparams.get("filename", params.get("name"))
        fn = fn.strip() if fn is not None else None
        if not same_text(node["filename"], fn):
            self.check(path, "filename", node["filename"], fn)
        cs = node["charset"].lower() if node["charset"] else None
        self.check(path, "charset", cs, msg.get_content_charset())
        cte = msg.get("content-transfer-encoding")
        if not self.downgraded:
            self.check(path, "encoding", node["encoding"] and
                       node["encoding"].lower(),
                       cte and str(cte).strip().lower())
        self.children(path, msg, node, kinds)

    def children(self, path, msg, node, kinds):
        kids = node["children"]
        if not msg.is_multipart():
            if node["type"].startswith("multipart/") and not kids:
                # RFC 2046 5.1.1: a multipart whose delimiter never came
                # has no body parts; Python makes it a leaf instead.
                return
            self.check(path, "children", len(kids), 0)
            if "sha256" in node:
                self.leaf(path, msg, node, kinds)
            return
        sub = msg.get_payload()
        self.check(path + " " + node["section"], "children", len(kids),
                   len(sub))
        if len(kids) != len(sub):
            return
        is_msg = node["type"].startswith("message/")
        for k, s in zip(kids, sub):
            self.part(path, s, k, kinds, is_msg)

    def leaf(self, path, msg, node, kinds):
        body = py_body(msg)
        if hashlib.sha256(body).hexdigest() == node["sha256"]:
            return
        for alt in alt_bodies(msg, node, kinds):
            if hashlib.sha256(alt).hexdigest() == node["sha256"]:
                return
        self.check(path + " " + node["section"], "body",
                   (node["decoded_size"], node["sha256"][:12]),
                   (len(body), hashlib.sha256(body).hexdigest()[:12]))


def check_7bit(c, path, data):
    """The downgraded copy must be 7-bit with lines of 998 at most (RFC
    5322 2.1.1, RFC 6152)."""
    if any(b >= 128 or b == 0 for b in data):
        c.errors.append("%s: 8-bit octets after downgrade" % path)
    if any(len(x) > 1000 for x in data.split(b"\n")):
        c.errors.append("%s: line over 998 after downgrade" % path)


def run(driver, files, downgraded):
    args = [driver] + files
    out = subprocess.run(args, check=True, capture_output=True)
    return out.stdout.decode().splitlines()


def compare(files, lines, suffix):
    passed = failed = 0
    for path, line in zip(files, lines):
        with open(path + suffix, "rb") as f:
            data = f.read()
        with open(path + ".kinds") as f:
            kinds = f.read().split()
        msg = email.message_from_bytes(data)
        c = Cmp(downgraded=bool(suffix))
        if suffix:
            check_7bit(c, path + suffix, data)
        try:
            c.part(os.path.basename(path) + suffix, msg, json.loads(line),
                   kinds, True)
        except Exception as e:          # a crash in the comparison
            c.errors.append("%s: %r" % (path, e))
        if c.errors:
            failed += 1
            for e in c.errors[:5]:
                print(e)
        else:
            passed += 1
    return passed, failed


def main():
    driver, d = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(d, "*.eml")))
    lines = run(driver, files, False)
    if len(lines) != len(files):
        print("driver gave %d results for %d files" % (len(lines),
                                                       len(files)))
        return 1
    passed, failed = compare(files, lines, "")
    # The downgrade of each CRLF message (the form messages are stored
    # and sent in), read by Python, must give petrel's parse of the
    # original: same tree, same decoded bodies.
    crlf = [(f, ln) for f, ln in zip(files, lines)
            if b"\r\n" in open(f, "rb").read(200)]
    rcs = run(driver, ["-d"] + [f for f, _ in crlf], True)
    for (f, _), rc in zip(crlf, rcs):
        if rc != "0":
            print("%s: downgrade returned %s" % (f, rc))
            failed += 1
    p2, f2 = compare([f for f, _ in crlf], [ln for _, ln in crlf], ".7bit")
    passed += p2
    failed += f2
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
