# shellcheck shell=bash
# What bench/smtp/run.sh and bench/smtp/matrix.sh share: a petrel and the
# anchor stack's Postfix started side by side on free loopback ports, one
# account u1@bench.test on each, smtp-source runs and their arithmetic.
# Sourced, not run, by a script that has set TOP and BENCH_NAME (its log
# prefix and the name in its temporary directories). Env: PETREL_BIN
# (./petrel), ANCHOR (/work/shared/anchor-stack), BENCH_TMP (/var/tmp; a
# real disk). Makes WORK in BENCH_TMP and ANCHOR_ROOT in /tmp, and removes
# them, petrel, the anchor stack and an idle client (IDLE_PID) at exit.
# SPDX-License-Identifier: ISC

PETREL_BIN=${PETREL_BIN:-$TOP/petrel}
ANCHOR=${ANCHOR:-/work/shared/anchor-stack}
BENCH_TMP=${BENCH_TMP:-/var/tmp}
SMTP_SOURCE=/usr/sbin/smtp-source
PY=/usr/bin/python3

WORK=$(mktemp -d "$BENCH_TMP/petrel-$BENCH_NAME.XXXXXX")
ANCHOR_ROOT=$(mktemp -d "/tmp/anchor-$BENCH_NAME.XXXXXX")
export ANCHOR_ROOT
PETREL_PID=
IDLE_PID=
ANCHOR_UP=0
PF_PORT=
PT_SMTP=
PT_POP3=

log() { printf '%s\n' "$BENCH_NAME: $*" >&2; }

cleanup() {
	[ -n "$IDLE_PID" ] && kill "$IDLE_PID" 2>/dev/null || true
	if [ -n "$PETREL_PID" ]; then
		kill -TERM "$PETREL_PID" 2>/dev/null || true
		wait "$PETREL_PID" 2>/dev/null || true
	fi
	if [ "$ANCHOR_UP" = 1 ]; then
		PURGE=1 "$ANCHOR/stop.sh" >/dev/null 2>&1 || true
		sleep 1
	fi
	rm -rf "$WORK"
	case "$ANCHOR_ROOT" in /tmp/anchor-"$BENCH_NAME".*) rm -rf "$ANCHOR_ROOT";; esac
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
now() { date +%s.%N; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", (t > 0 ? n / t : 0) }'; }
ratio() {
	awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b }'
}

# run_source PORT SESSIONS N SIZE RCPT -> prints elapsed seconds; fails on
# any error
run_source() {
	local port=$1 s=$2 n=$3 size=$4 rcpt=$5 t0 t1
	t0=$(now)
	if ! timeout 600 "$SMTP_SOURCE" -4 -s "$s" -m "$n" -l "$size" -M bench.client \
	    -f sender@bench.client -t "$rcpt" "127.0.0.1:$port" >"$WORK/source.out" 2>&1; then
		log "smtp-source failed:"; cat "$WORK/source.out" >&2; return 1
	fi
	if [ -s "$WORK/source.out" ]; then
		# smtp-source prints only on errors
		log "smtp-source said:"; cat "$WORK/source.out" >&2; return 1
	fi
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

# Files in u1@bench.test's Maildir on the anchor stack (Dovecot via LMTP).
maildir_count() {
	local d=$ANCHOR_ROOT/mail/bench.test/u1/Maildir
	if [ -d "$d/new" ]; then find "$d/new" "$d/cur" -type f 2>/dev/null | wc -l; else echo 0; fi
}

# POP3 STAT of u1@bench.test on petrel: prints the message count.
pop3_stat() {
	$PY -c '
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=60)
p.user("u1@bench.test"); p.pass_("benchpass")
print(p.stat()[0]); p.quit()
' "$PT_POP3"
}

# The anchor stack on free ports: sets PF_PORT, its SMTP port.
start_postfix() {
	local imap pop3 lmtp sink
	PF_PORT=$(free_port); imap=$(free_port); pop3=$(free_port)
	lmtp=$(free_port); sink=$(free_port)
	SMTP_PORT=$PF_PORT IMAP_PORT=$imap POP3_PORT=$pop3 LMTP_PORT=$lmtp \
	    SINK_PORT=$sink NUSERS=5 "$ANCHOR/start.sh" >&2
	ANCHOR_UP=1
}

# start_petrel [CONFIG LINE...]: petrel with SMTP and POP3 on free ports
# (PT_SMTP, PT_POP3) and a fresh data_dir in WORK, the lines added to its
# configuration; returns when it is ready.
start_petrel() {
	local d=$WORK/petrel conf=$WORK/petrel.conf
	PT_SMTP=$(free_port); PT_POP3=$(free_port)
	mkdir -p "$d"
	printf '%s\n' "hostname = bench.petrel.test" "data_dir = $d" \
	    "listen.smtp = 127.0.0.1:$PT_SMTP" "listen.pop3 = 127.0.0.1:$PT_POP3" \
	    "listen.submission =" "listen.submissions =" "listen.pop3s =" \
	    "listen.imap =" "listen.imaps =" "listen.http =" "$@" > "$conf"
	"$PETREL_BIN" -c "$conf" domain add bench.test >&2
	echo benchpass | "$PETREL_BIN" -c "$conf" user add u1@bench.test >&2
	"$PETREL_BIN" -c "$conf" serve 2>"$WORK/petrel.log" &
	PETREL_PID=$!
	local i=0
	until grep -q 'event=ready' "$WORK/petrel.log"; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$PETREL_PID" 2>/dev/null; then
			log "petrel did not become ready:"; tail -20 "$WORK/petrel.log" >&2
			exit 1
		fi
		sleep 0.05
	done
}
