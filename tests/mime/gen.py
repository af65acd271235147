#!/usr/bin/python3
# Generate varied MIME messages from a fixed seed for the differential test
# and the benchmark: nesting, transfer encodings, charsets, RFC 2231 and
# RFC 2047 parameters, broken boundaries and base64, long lines, LF or CRLF.
# Each message is written as DIR/NNNNN.eml; a few "kinds" of breakage are
# recorded in DIR/NNNNN.eml.kinds so the comparison can say why it differs.
# usage: gen.py DIR COUNT [SEED] [SCALE]
# SPDX-License-Identifier: ISC
import base64
import os
import random
import sys

WORDS = ("the quick brown fox jumps over a lazy dog mail server petrel "
         "message boundary header body part encoding report invoice").split()
UWORDS = ["grüße", "façade", "naïve", "Ωmega", "日本語", "привет", "ελληνικά",
          "€uro", "crème", "ĳssel", "😀smile", "ﬁle"]
CHARSETS = [("utf-8", "utf-8"), ("iso-8859-1", "latin-1"),
            ("iso-8859-15", "iso-8859-15"), ("windows-1252", "cp1252"),
            ("koi8-r", "koi8-r"), ("iso-8859-2", "iso-8859-2"),
            ("shift_jis", "shift_jis"), ("euc-kr", "euc-kr"),
            ("big5", "big5"), ("gb2312", "gb2312"),
            ("iso-2022-jp", "iso-2022-jp"), ("windows-1251", "cp1251")]


class Gen:
    def __init__(self, seed, scale=1):
        self.r = random.Random(seed)
        self.scale = scale
        self.kinds = set()
        self.nparts = 0
        self.used = set()

    def pick(self, seq):
        return self.r.choice(seq)

    def chance(self, p):
        return self.r.random() < p

    # ---- text -----------------------------------------------------------
    def words(self, n, uni=False):
        out = []
        for _ in range(n):
            if uni and self.chance(0.3):
                out.append(self.pick(UWORDS))
            else:
                out.append(self.pick(WORDS))
        return " ".join(out)

    def encodable(self, text, pycs):
        try:
            text.encode(pycs)
            return True
        except UnicodeEncodeError:
            return False

    def text_in(self, pycs, n):
        for _ in range(20):
            t = self.words(n, uni=True)
            if self.encodable(t, pycs):
                return t
        return self.words(n)

    def body_text(self, uni, lines, long_line=False):
        out = []
        for _ in range(lines):
            ln = self.words(self.r.randint(0, 14), uni)
            if self.chance(0.05):
                ln = "--" + ln          # dash lines that are no boundary
            if self.chance(0.03):
                ln = "From " + ln       # mbox trouble for QP
            out.append(ln)
        if long_line:
            out.insert(self.r.randrange(len(out) + 1),
                       self.words(300, uni))
        return "\n".join(out) + ("\n" if self.chance(0.7) else "")

    # ---- encoded words and parameters -------------------------------------
    def encword(self, text, cs="utf-8", pycs="utf-8"):
        raw = text.encode(pycs)
        if self.chance(0.5):
            return "=?%s?B?%s?=" % (cs, base64.b64encode(raw).decode())
        q = ""
        for b in raw:
            c = chr(b)
            if b == 32:
                q += "_"
            elif c.isalnum() and b < 128:
                q += c
            else:
                q += "=%02X" % b
        if self.chance(0.2):
            cs = cs.upper()
        return "=?%s?%s?%s?=" % (cs, self.pick("Qq"), q)

    def encoded_phrase(self):
        cs, pycs = self.pick(CHARSETS[:6])
        text = self.text_in(pycs, self.r.randint(1, 4))
        # Split into a few words; whitespace between them is dropped
        # (RFC 2047 6.2), so split at character boundaries.
        parts = []
        i = 0
        while i < len(text):
            n = self.r.randint(3, 12)
            parts.append(self.encword(text[i:i + n], cs, pycs))
            i += n
        return " ".join(parts), text

    def pct(self, raw):
        out = ""
        for b in raw:
            c = chr(b)
            if b < 128 and (c.isalnum() or c in "-._~"):
                out += c
            else:
                out += "%%%02X" % b
        return out

    def filename_params(self, pname):
        ext = self.pick([".pdf", ".txt", ".png", ".tar.gz", ""])
        kind = self.r.randint(0, 6)
        if kind == 0:
            return '%s=%s' % (pname, "file" + ext)
        if kind == 1:
            return '%s="%s"' % (pname, self.words(2) + ext)
        if kind == 2:
            name = self.pick(UWORDS) + " " + self.words(1) + ext
            return "%s*=utf-8''%s" % (pname, self.pct(name.encode()))
        if kind == 3:
            name = (self.pick(UWORDS) + "-") * 6 + ext
            enc = "utf-8''" + self.pct(name.encode())
            pieces = []
            i = n = 0
            while i < len(enc):
                k = min(len(enc), i + self.r.randint(10, 30))
                while "%" in enc[k - 2:k] and k < len(enc):
                    k += 1
                pieces.append("%s*%d*=%s" % (pname, n, enc[i:k]))
                i, n = k, n + 1
            self.r.shuffle(pieces)          # order does not matter
            return ";\r\n\t".join(pieces)
        if kind == 4:
            name = self.words(6).replace(" ", "_") + ext
            a = self.r.randint(1, len(name) - 1)
            return '%s*0="%s"; %s*1="%s"' % (pname, name[:a], pname,
                                            name[a:])
        if kind == 5:
            ph, _ = self.encoded_phrase()
            self.kinds.add("ew-param")
            return '%s="%s"' % (pname, ph)
        # A plain fallback and an RFC 2231 value together.
        name = self.pick(UWORDS) + ext
        self.kinds.add("both-forms")
        return "%s=\"fallback%s\"; %s*=UTF-8'en'%s" % (
            pname, ext, pname, self.pct(name.encode()))

    # ---- addresses ------------------------------------------------------
    def mailbox(self):
        local = self.pick(["alice", "bob.smith", "x+tag", "o'neil"])
        dom = self.pick(["example.org", "mail.example.com", "xn--bcher-kva.de"])
        addr = local + "@" + dom
        k = self.r.randint(0, 6)
        if k == 0:
            return addr
        if k == 1:
            return "%s <%s>" % (self.words(2).title(), addr)
        if k == 2:
            return '"%s, %s" <%s>' % (self.words(1), self.words(1), addr)
        if k == 3:
            return "%s <%s>" % (self.encoded_phrase()[0], addr)
        if k == 4:
            return "%s (%s)" % (addr, self.words(2))
        if k == 5:
            self.kinds.add("utf8-header")
            return "%s <%s>" % (self.pick(UWORDS).title(), addr)
        return '"quoted local"@' + dom

    def addr_list(self):
        n = self.r.randint(1, 4)
        items = [self.mailbox() for _ in range(n)]
        if self.chance(0.1):
            items.append("Team: %s, %s;" % (self.mailbox(), self.mailbox()))
        if self.chance(0.05):
            items.append("undisclosed-recipients:;")
        sep = self.pick([", ", ",\r\n ", ",\r\n\t"])
        return sep.join(items)

    # ---- headers ----------------------------------------------------------
    def subject(self):
        k = self.r.randint(0, 4)
        if k == 0:
            return self.words(self.r.randint(1, 8))
        if k == 1:
            return self.words(25).replace("jumps ", "jumps\r\n ")
        if k == 2:
            ph, _ = self.encoded_phrase()
            return "Re: " + ph + " " + self.words(2)
        if k == 3:
            self.kinds.add("utf8-header")
            return self.words(3, uni=True)
        return self.encoded_phrase()[0]

    def name(self, n):
        return "".join(c.upper() if self.chance(0.2) else c for c in n)

    # ---- parts ------------------------------------------------------------
    def boundary(self):
        # RFC 2046 5.1.1: a boundary must not occur inside the part, so
        # nested multiparts need different ones.
        while True:
            b = self.boundary1()
            if not any(b.startswith(u) or u.startswith(b)
                       for u in self.used):
                self.used.add(b)
                return b

    def boundary1(self):
        k = self.r.randint(0, 3)
        if k == 0:
            return "----=_Part_%d_%d" % (self.r.randint(0, 9999),
                                         self.r.randint(0, 10 ** 9))
        if k == 1:
            return "b%x" % self.r.getrandbits(64)
        if k == 2:
            return "=_" + "".join(self.pick("abcdef0123456789")
                                  for _ in range(self.r.randint(10, 60)))
        return "simple boundary " + str(self.r.randint(0, 99))

    def ctype_line(self, t, params):
        line = "%s: %s" % (self.name("Content-Type"), t)
        for p in params:
            line += self.pick(["; ", ";\r\n\t", ";\r\n "]) + p
        return line

    def qp(self, data):
        out, col = [], 0
        lines = data.split(b"\n")
        for li, line in enumerate(lines):
            cur = ""
            for i, b in enumerate(line):
                c = chr(b)
                last = i == len(line) - 1
                if b == 61 or b > 126 or (b < 32 and b != 9) or \
                        (last and c in " \t"):
                    tok = "=%02X" % b
                    if self.chance(0.05):
                        tok = tok.lower()
                        self.kinds.add("qp-lower")
                else:
                    tok = c
                if len(cur) + len(tok) > 75:
                    out.append(cur + "=")
                    cur = ""
                cur += tok
            if li < len(lines) - 1 or cur:
                out.append(cur)
        text = "\n".join(out)
        i = text.find("=3D")
        if self.chance(0.2) and i >= 0 and text[i + 3:i + 4] in "gqxz ":
            # A stray "=" followed by what cannot be hex: kept as it is
            # by both readers.
            text = text[:i] + "=" + text[i + 3:]
            self.kinds.add("qp-broken")
        return text.encode("latin-1")

    def b64(self, data):
        s = base64.b64encode(data).decode()
        width = self.pick([76, 76, 64, 72, 1000])
        lines = [s[i:i + width] for i in range(0, len(s), width)]
        text = "\n".join(lines)
        if self.chance(0.05):
            text = text.rstrip("=")              # missing padding
            self.kinds.add("b64-nopad")
        if self.chance(0.05) and len(text) > 10:
            i = self.r.randrange(len(text))
            text = text[:i] + self.pick(["!", "*", " ", "\t"]) + text[i:]
            self.kinds.add("b64-junk")
        return text.encode()

    def leaf_payload(self, major):
        long_line = self.chance(0.05)
        if major == "text":
            cs, pycs = self.pick(CHARSETS)
            uni = self.chance(0.6)
            lines = self.r.randint(0, 40) * self.scale
            text = self.body_text(uni, lines, long_line)
            if not self.encodable(text, pycs):
                text = self.body_text(False, lines, long_line)
            return text.encode(pycs), cs
        n = self.r.randint(0, 3000) * self.scale
        return bytes(self.r.getrandbits(8) for _ in range(n)), None

    def leaf(self, depth):
        major, sub = self.pick([("text", "plain"), ("text", "plain"),
                                ("text", "html"), ("application", "pdf"),
                                ("image", "png"),
                                ("application", "octet-stream")])
        data, cs = self.leaf_payload(major)
        eightbit = any(b >= 128 for b in data) or b"\0" in data
        longl = any(len(x) > 998 for x in data.split(b"\n"))
        if major != "text":
            cte = self.pick(["base64", "base64", "quoted-printable",
                             "binary"])
        elif eightbit or longl:
            cte = self.pick(["quoted-printable", "base64", "8bit"])
        else:
            cte = self.pick(["7bit", "quoted-printable", "base64", None])
        params = []
        if cs:
            params.append("charset=" + self.pick([cs, cs.upper(),
                                                  '"%s"' % cs]))
        if major != "text" and self.chance(0.6):
            params.append(self.filename_params("name"))
        hdr = [self.ctype_line("%s/%s" % (major, sub), params)]
        if cte:
            hdr.append("%s: %s" % (self.name("Content-Transfer-Encoding"),
                                   self.pick([cte, cte.upper()])))
        if self.chance(0.5):
            disp = self.pick(["attachment", "inline", "Attachment"])
            if self.chance(0.7):
                disp += ";" + self.pick([" ", "\r\n\t"]) + \
                    self.filename_params("filename")
            hdr.append("Content-Disposition: " + disp)
        if self.chance(0.2):
            hdr.append("Content-ID: <part%d@example.org>" % self.nparts)
        if self.chance(0.1):
            hdr.append("Content-Description: " + self.words(3))
        if cte == "base64":
            body = self.b64(data)
        elif cte == "quoted-printable":
            body = self.qp(data)
        else:
            body = data
        return hdr, body

    def message(self, depth):
        hdr = ["From: " + self.addr_list(),
               "To: " + self.addr_list(),
               "Subject: " + self.subject(),
               "Date: Mon, %d Jan 2024 10:%02d:00 +0100" % (
                   self.r.randint(1, 28), self.r.randint(0, 59)),
               "Message-ID: <%x@example.org>" % self.r.getrandbits(48)]
        if self.chance(0.4):
            hdr.append("Cc: " + self.addr_list())
        hdr.append("MIME-Version: 1.0")
        phdr, body = self.part(depth)
        return hdr + phdr, body

    def multipart(self, depth):
        sub = self.pick(["mixed", "alternative", "related", "digest",
                         "mixed"])
        b = self.boundary()
        quoted = '"%s"' % b if " " in b or "=" in b or self.chance(0.5) \
            else b
        hdr = [self.ctype_line("multipart/" + sub, ["boundary=" + quoted])]
        n = self.r.randint(1, 4)
        chunks = []
        if self.chance(0.3):
            chunks.append(b"This is a preamble.\n--" + b.encode() +
                          b"x not a boundary\n")
        for _ in range(n):
            if sub == "digest" and self.chance(0.7):
                mh, mb = self.message(depth + 1)
                ph, pb = mh, mb          # default type message/rfc822
            else:
                ph, pb = self.part(depth + 1)
            pad = self.pick(["", "", " ", "\t  "])
            chunks.append(b"--" + b.encode() + pad.encode() + b"\n" +
                          "\n".join(ph).encode() + b"\n\n" + pb + b"\n")
        end = b"--" + b.encode() + b"--" + self.pick([b"", b"  "]) + b"\n"
        if self.chance(0.08):
            end = b""                    # no close delimiter
            self.kinds.add("no-close")
        elif self.chance(0.3):
            end += b"epilogue text\n"
        return hdr, b"".join(chunks) + end

    def part(self, depth):
        self.nparts += 1
        if depth < 4 and self.chance(0.35):
            return self.multipart(depth)
        if depth < 3 and self.chance(0.08):
            mh, mb = self.message(depth + 1)
            hdr = [self.ctype_line("message/rfc822", [])]
            return hdr, "\n".join(mh).encode() + b"\n\n" + mb
        return self.leaf(depth)

    def top(self):
        hdr, body = self.message(0)
        msg = "\n".join(hdr).encode("utf-8") + b"\n\n" + body
        if self.chance(0.7):
            msg = msg.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        else:
            msg = msg.replace(b"\r\n", b"\n")
        return msg


def main():
    d, count = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    scale = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    os.makedirs(d, exist_ok=True)
    for i in range(count):
        g = Gen(seed * 1000003 + i, scale)
        msg = g.top()
        path = os.path.join(d, "%05d.eml" % i)
        with open(path, "wb") as f:
            f.write(msg)
        with open(path + ".kinds", "w") as f:
            f.write(" ".join(sorted(g.kinds)) + "\n")


if __name__ == "__main__":
    main()
