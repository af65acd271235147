#!/usr/bin/python3
"""Build build-imap/petrel (B=dir to change; SAN=1 for ASan+UBSan) for the
IMAP tests and benchmarks. Once src/daemon wires IMAP this is just `make`
with its own build directory; before that it copied the daemon sources
into build-imap/daemon-src/, applied the wiring the IMAP report proposed,
and linked against the library built with `make B=build-imap`.
SPDX-License-Identifier: ISC
"""
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
B = os.environ.get("B", "build-imap")
OUT = os.path.join(TOP, B, "daemon-src", "daemon")


def patch(name, pairs):
    src = open(os.path.join(TOP, "src", "daemon", name)).read()
    for old, new in pairs:
        if old not in src:
            sys.exit("private-daemon: cannot patch %s: %r" % (name, old))
        src = src.replace(old, new, 1)
    open(os.path.join(OUT, name), "w").write(src)


def main():
    os.makedirs(OUT, exist_ok=True)
    if 'SERVICE_IMAP' in open(os.path.join(TOP, "src/daemon/daemon_int.h")).read():
        san = ["SAN=1"] if os.environ.get("SAN") == "1" else []
        subprocess.check_call(["make", "-s", "B=" + B, "PROG=%s/petrel" % B] +
                              san + ["%s/petrel" % B], cwd=TOP)
        print("private-daemon: built %s/petrel (src/daemon wires IMAP)" % B)
        return
    patch("daemon_int.h", [
        ('#include "pop3/pop3.h"', '#include "imap/imap.h"\n#include "pop3/pop3.h"'),
        ("\tSERVICE_POP3S,\n", "\tSERVICE_POP3S,\n\tSERVICE_IMAP,\n\tSERVICE_IMAPS,\n"),
        ("\tstruct pop3_server\t pop3;\n", "\tstruct pop3_server\t pop3;\n\tstruct imap_server\t imap;\n"),
    ])
    imap_fill = open(os.path.join(TOP, "tests/imap/serve_wiring.c.txt")).read()
    patch("serve.c", [
        ('{ "listen.imap",\tSERVICE_SMTP,\t\tfalse },', '{ "listen.imap",\tSERVICE_IMAP,\t\ttrue },'),
        ('{ "listen.imaps",\tSERVICE_SMTP,\t\tfalse },', '{ "listen.imaps",\tSERVICE_IMAPS,\t\ttrue },'),
        ('\tcase SERVICE_POP3S:\n\t\treturn "pop3s";\n', '\tcase SERVICE_POP3S:\n\t\treturn "pop3s";\n\tcase SERVICE_IMAP:\n\t\treturn "imap";\n\tcase SERVICE_IMAPS:\n\t\treturn "imaps";\n'),
        ('\tsrv->pop3.plaintext_anywhere = config_bool(cfg,\n\t    "pop3.plaintext_anywhere");\n',
         '\tsrv->pop3.plaintext_anywhere = config_bool(cfg,\n\t    "pop3.plaintext_anywhere");\n' + imap_fill),
    ])
    patch("workers.c", [
        ("\tcase SERVICE_POP3:\n\tcase SERVICE_POP3S:\n",
         "\tcase SERVICE_IMAP:\n\tcase SERVICE_IMAPS:\n\t\timap_session_start(&srv->imap, base, fd, sa, (socklen_t)salen,\n\t\t    ctx->listener->service == SERVICE_IMAPS, busy);\n\t\tbreak;\n\tcase SERVICE_POP3:\n\tcase SERVICE_POP3S:\n"),
    ])
    keys = open(os.path.join(TOP, "src/daemon/settings_imap.c")).read()
    rows = keys[keys.index("[] = {") + 6:keys.index("\t{ NULL")]
    patch("settings.c", [("\t{ NULL, CONFIG_STR, NULL, 0, 0, NULL },\n", rows + "\t{ NULL, CONFIG_STR, NULL, 0, 0, NULL },\n")])
    for h in ("daemon.h",):
        open(os.path.join(OUT, h), "w").write(open(os.path.join(TOP, "src/daemon", h)).read())
    san = os.environ.get("SAN") == "1"
    sanflags = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
                "-fno-omit-frame-pointer"] if san else []
    subprocess.check_call(["make", "-s", "B=" + B] + (["SAN=1"] if san else []) +
                          [B + "/libpetrel.a", B + "/obj/cli/main.o"], cwd=TOP)
    cflags = ["-std=c17", "-O2", "-g", "-D_GNU_SOURCE", "-I" + OUT, "-Isrc"] + sanflags
    pk = subprocess.check_output(["pkg-config", "--cflags", "--libs", "libevent", "libevent_openssl",
                                  "libevent_pthreads", "openssl", "sqlite3", "libcares", "jansson",
                                  "gumbo", "libcrypt"]).decode().split()
    objs = []
    for name in ("serve.c", "workers.c", "settings.c"):
        o = os.path.join(OUT, name[:-2] + ".o")
        subprocess.check_call(["cc"] + cflags + [x for x in pk if x.startswith("-I")] +
                              ["-c", "-o", o, os.path.join(OUT, name)], cwd=TOP)
        objs.append(o)
    lib = os.path.join(TOP, B, "libpetrel.a")
    # The library without the lead's daemon objects, which ours replace.
    stripped = os.path.join(TOP, B, "libpetrel-imapd.a")
    if os.path.exists(stripped):
        os.unlink(stripped)
    subprocess.check_call(["cp", lib, stripped])
    subprocess.check_call(["ar", "d", stripped, "serve.o", "workers.o", "settings.o"])
    subprocess.check_call(["cc"] + sanflags + ["-o", os.path.join(TOP, B, "petrel"), os.path.join(TOP, B, "obj/cli/main.o")] +
                          objs + [stripped] + [x for x in pk if not x.startswith("-I")] + ["-lpthread", "-lm"], cwd=TOP)
    print("private-daemon: built %s/petrel" % B)


main()
