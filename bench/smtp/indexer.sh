#!/bin/bash
# The indexer (issue 6) after SMTP intake: N messages of SIZE octets from
# smtp-source with S sessions into one mailbox, then how long until the
# parse cache and the text index hold every body (polled every 100 ms,
# read-only), and the first IMAP FETCH 1:* (FLAGS UID ENVELOPE) and UID
# SEARCH TEXT on that mailbox, which before the indexer parsed the whole
# mailbox on the event loop (FETCH) or built the index (SEARCH).
#
#   bench/smtp/indexer.sh
# Env: N (10000), SIZE (4096), S (50), PETREL_BIN (./petrel), BENCH_TMP
#      (/var/tmp; a real disk), WAIT (1; 0: do not wait for the indexer,
#      for a petrel without one, whose first FETCH and SEARCH fill both).
# SPDX-License-Identifier: ISC
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
N=${N:-10000}
SIZE=${SIZE:-4096}
S=${S:-50}
WAIT=${WAIT:-1}
PETREL_BIN=${PETREL_BIN:-$TOP/petrel}
BENCH_TMP=${BENCH_TMP:-/var/tmp}
PY=/usr/bin/python3
WORK=$(mktemp -d "$BENCH_TMP/petrel-indexer.XXXXXX")
PID=

cleanup() {
	if [ -n "$PID" ]; then
		kill -TERM "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
count() { sqlite3 "file:$WORK/d/store.db?mode=ro" "SELECT count(*) FROM $1" 2>/dev/null || echo 0; }

SMTP=$(free_port); IMAP=$(free_port)
printf '%s\n' "hostname = bench.petrel.test" "data_dir = $WORK/d" \
    "listen.smtp = 127.0.0.1:$SMTP" "listen.imap = 127.0.0.1:$IMAP" \
    "listen.pop3 =" "listen.submission =" "listen.submissions =" \
    "listen.pop3s =" "listen.imaps =" "listen.http =" > "$WORK/c.conf"
"$PETREL_BIN" -c "$WORK/c.conf" domain add bench.test >&2
echo benchpass | "$PETREL_BIN" -c "$WORK/c.conf" user add u1@bench.test >&2
"$PETREL_BIN" -c "$WORK/c.conf" serve 2>"$WORK/log" &
PID=$!
until grep -q event=ready "$WORK/log"; do sleep 0.05; done

t0=$(now)
/usr/sbin/smtp-source -4 -s "$S" -m "$N" -l "$SIZE" -M bench.client \
    -f sender@bench.client -t u1@bench.test "127.0.0.1:$SMTP"
echo "intake: $N x $SIZE octets, $S sessions: $(since "$t0") s;" \
    "indexed at the end: $(count cache) cached, $(count text_index) in the text index"
if [ "$WAIT" = 1 ]; then
	t1=$(now)
	while [ "$(count cache)" -lt "$N" ] ||
	    [ "$(count text_index)" -lt "$N" ]; do
		sleep 0.1
	done
	echo "indexer caught up $(since "$t1") s after the intake ended"
fi
$PY - "$IMAP" <<'PYEOF'
import imaplib, sys, time
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login("u1@bench.test", "benchpass")
m.select("INBOX")
t = time.time()
typ, data = m.fetch("1:*", "(FLAGS UID ENVELOPE)")
print("first FETCH 1:* (FLAGS UID ENVELOPE): %d messages in %.3f s" %
      (len([d for d in data if isinstance(d, tuple) or d]), time.time() - t))
t = time.time()
typ, data = m.uid("SEARCH", "TEXT", "zzqqxx")
print("first UID SEARCH TEXT: %.3f s" % (time.time() - t))
m.logout()
PYEOF
