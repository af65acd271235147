#!/bin/sh
# MIME parse benchmark, petrel against GMime 3, written to
# bench/mime/RESULTS.md:
#  1. throughput (MB/s) on the generated corpus (tests/mime/gen.py): the
#     whole tree and every leaf decoded, messages already in memory;
#  2. peak memory (RSS) for one message of growing size, streamed from
#     disk, its big attachment decoded.
# usage: bench/mime/run.sh [COUNT] [ROUNDS]
# SPDX-License-Identifier: ISC
set -eu
cd "$(dirname "$0")/../.."
COUNT=${1:-2000}
ROUNDS=${2:-3}
B=build-mime-bench
OUT=bench/mime/RESULTS.md
mkdir -p "$B"
SRCS="src/lib/buf.c src/lib/str.c src/lib/log.c src/lib/xalloc.c
src/lib/b64.c src/lib/qp.c src/mime/*.c"
# shellcheck disable=SC2086
cc -D_GNU_SOURCE -Isrc -std=c17 -O2 -o "$B/bench_petrel" \
    bench/mime/bench_petrel.c $SRCS
# shellcheck disable=SC2046
cc -D_GNU_SOURCE -std=c17 -O2 $(pkg-config --cflags gmime-3.0) \
    -o "$B/bench_gmime" bench/mime/bench_gmime.c \
    $(pkg-config --libs gmime-3.0)

if [ ! -f "$B/corpus/.done-$COUNT" ]; then
	rm -rf "$B/corpus"
	/usr/bin/python3 tests/mime/gen.py "$B/corpus" "$COUNT" 42 3
	touch "$B/corpus/.done-$COUNT"
fi
size=$(cat "$B"/corpus/*.eml | wc -c)

# Best of ROUNDS, the two programs taking turns.
best() {
	sort -t= -k2 -n | tail -1
}
: > "$B/corpus.log"
i=0
while [ "$i" -lt "$ROUNDS" ]; do
	"$B/bench_petrel" -n 3 "$B"/corpus/*.eml >> "$B/corpus.log"
	"$B/bench_gmime" -n 3 "$B"/corpus/*.eml >> "$B/corpus.log"
	i=$((i + 1))
done
mbps() {
	grep "^$1 " "$B/corpus.log" | sed 's/.*MBps=\([0-9.]*\).*/\1/' |
	    sort -n | tail -1
}
rss() {
	grep "^$1 " "$B/corpus.log" | sed 's/.*peak_kb=\([0-9]*\).*/\1/' |
	    sort -n | tail -1
}
p_mbps=$(mbps petrel)
g_mbps=$(mbps gmime)
p_rss=$(rss petrel)
g_rss=$(rss gmime)

# One message with an attachment of MB megabytes (decoded).
bigmsg() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import base64, os, sys
mb, path = int(sys.argv[1]), sys.argv[2]
with open(path, "wb") as f:
    f.write(b"From: a@example.org\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
            b"Content-Type: text/plain\r\n\r\nsee attachment\r\n--b\r\n"
            b"Content-Type: application/octet-stream\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n")
    chunk = os.urandom(57 * 1024)
    for _ in range(mb * 1024 * 1024 // len(chunk)):
        f.write(base64.encodebytes(chunk).replace(b"\n", b"\r\n"))
    f.write(b"--b--\r\n")
PY
}
: > "$B/big.log"
for mb in 16 64 256; do
	bigmsg "$mb" "$B/big.eml"
	echo "size=$mb $("$B/bench_petrel" -f "$B/big.eml")" >> "$B/big.log"
	echo "size=$mb $("$B/bench_gmime" -f "$B/big.eml")" >> "$B/big.log"
done
rm -f "$B/big.eml"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
load=$(cut -d' ' -f1-3 /proc/loadavg)
{
	echo "# MIME parse benchmark: petrel and GMime 3"
	echo
	echo "Run by \`bench/mime/run.sh\` on $(date -u +%Y-%m-%d), $(nproc) CPUs"
	echo "($cpu), GMime $(pkg-config --modversion gmime-3.0), gcc -O2;"
	echo "load average $load when it ended (other jobs share the machine)."
	echo
	echo "## Throughput: the whole tree, every leaf decoded"
	echo
	echo "$COUNT generated messages (tests/mime/gen.py, seed 42, scale 3),"
	echo "$size octets, in memory, parsed 3 times; best of $ROUNDS rounds."
	echo
	echo "| parser | MB/s | peak RSS (KiB) |"
	echo "|---|---|---|"
	echo "| petrel | $p_mbps | $p_rss |"
	echo "| GMime 3 | $g_mbps | $g_rss |"
	echo
	echo "## Peak memory against message size"
	echo
	echo "One message streamed from disk, with a base64 attachment of the"
	echo "given decoded size, which is decoded in full."
	echo
	echo "| attachment | parser | seconds | MB/s | peak RSS (KiB) |"
	echo "|---|---|---|---|---|"
	sed 's/^size=\([0-9]*\) \([a-z]*\) file octets=[0-9]* seconds=\([0-9.]*\) MBps=\([0-9.]*\).*peak_kb=\([0-9]*\)/| \1 MB | \2 | \3 | \4 | \5 |/' \
	    "$B/big.log"
	echo
	echo "Raw lines: corpus"
	echo
	sed 's/^/    /' "$B/corpus.log"
	echo
	echo "big messages"
	echo
	sed 's/^/    /' "$B/big.log"
} > "$OUT"
cat "$OUT"
