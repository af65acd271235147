#!/bin/bash
# Relay benchmark: N messages waiting in the queue, relayed to smtp-sink on
# loopback; petrel and a private Postfix instance side by side, each
# measured from "deliver now" to the sink's last message, with the sink's
# count of SMTP sessions (connections). Usage: bench.sh [N] [SIZE]
# Env: PETREL_BIN (default ./petrel); PETREL_CONF: extra petrel.conf lines;
# ONLY=petrel|postfix to run one side. Prints one Markdown table row each.
# SPDX-License-Identifier: ISC
set -eu
N=${1:-2000}
SIZE=${2:-2048}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
PETREL=${PETREL_BIN:-$TOP/petrel}
W=$(mktemp -d /tmp/petrel-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -f "$W/pf/etc/main.cf" ] && postfix -c "$W/pf/etc" stop >/dev/null 2>&1 || true
	rm -rf "$W"; }
trap cleanup EXIT

port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
msg() { printf 'From: bench@a.test\nTo: u@sink.test\nSubject: bench %s\n\n' "$1"
	head -c "$SIZE" /dev/zero | tr '\0' 'x' | fold -w 76; echo; }

# sink_start NAME: smtp-sink counting into $W/NAME.sink
sink_start() { SINKPORT=$(port)
	smtp-sink -c -u root "127.0.0.1:$SINKPORT" 512 > "$W/$1.sink" 2>&1 &
	PIDS+=($!); SINKPID=$!; sleep 0.3; }
sink_count() { tr '\r' '\n' < "$W/$1.sink" | grep -o "$2=[0-9]*" | tail -1 | cut -d= -f2; }
wait_sink() { # NAME: until mesg reaches N; prints seconds
	local t0 t1; t0=$(date +%s.%N)
	while [ "$(sink_count "$1" mesg || echo 0)" != "$N" ]; do sleep 0.02; done
	t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }

run_petrel() {
	sink_start petrel
	mkdir -p "$W/p"
	echo "sink.test = [127.0.0.1]:$SINKPORT tls=none" > "$W/p/map"
	cat > "$W/p/petrel.conf" <<CONF
data_dir = $W/p/data
hostname = bench.test
listen.smtp = 127.0.0.1:$(port)
listen.submission =
listen.submissions =
listen.pop3 =
listen.pop3s =
listen.imap =
listen.imaps =
listen.http =
transport_map = $W/p/map
${PETREL_CONF:-}
CONF
	for i in $(seq "$N"); do echo "$i"; done | xargs -P 4 -I{} sh -c \
	    "$(declare -f msg); SIZE=$SIZE msg {} | '$PETREL' -c '$W/p/petrel.conf' queue inject -f bench@a.test u@sink.test >/dev/null 2>&1"
	"$PETREL" -c "$W/p/petrel.conf" serve > "$W/p/serve.log" 2>&1 &
	PIDS+=($!); local pp=$!
	secs=$(wait_sink petrel)
	sleep 6	# the idle connections close, so the sink counts them
	kill "$pp"; wait "$pp" 2>/dev/null || true
	printf '| petrel | %d | %d | %.2f | %.0f | %s |\n' "$N" "$SIZE" "$secs" \
	    "$(echo "$N / $secs" | bc -l)" "$(sink_count petrel sess)"
}

run_postfix() {
	sink_start postfix
	local pf="$W/pf"
	mkdir -p "$pf/etc" "$pf/spool" "$pf/data"
	chmod 755 "$W" "$pf"
	chown postfix "$pf/data"
	cp /etc/postfix/master.cf "$pf/etc/"
	sed -i 's/^smtp \{1,\}inet/#&/' "$pf/etc/master.cf"
	cat > "$pf/etc/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $pf/spool
data_directory = $pf/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = loopback-only
inet_protocols = ipv4
myhostname = bench.test
mydestination =
relayhost = [127.0.0.1]:$SINKPORT
smtp_tls_security_level = none
defer_transports = smtp
maillog_file_prefixes = $pf
maillog_file = $pf/maillog
CONF
	postfix -c "$pf/etc" check >/dev/null 2>&1 || true
	# postfix start prints its fatal errors only to a terminal.
	script -eqc "postfix -c $pf/etc start" /dev/null >"$W/pf-start.log" 2>&1 ||
	    { cat "$W/pf-start.log" >&2; exit 1; }
	for i in $(seq "$N"); do msg "$i" | sendmail -C "$pf/etc" -f bench@a.test u@sink.test; done
	while [ "$(find "$pf/spool/deferred" -type f | wc -l)" != "$N" ]; do sleep 0.2; done
	postconf -c "$pf/etc" -e 'defer_transports =' && postfix -c "$pf/etc" reload >/dev/null 2>&1
	sleep 1
	local t0 t1; t0=$(date +%s.%N)
	postqueue -c "$pf/etc" -f
	while [ "$(sink_count postfix mesg || echo 0)" != "$N" ]; do sleep 0.02; done
	t1=$(date +%s.%N)
	sleep 6
	postfix -c "$pf/etc" stop >/dev/null 2>&1
	secs=$(echo "$t1 - $t0" | bc)
	printf '| postfix %s | %d | %d | %.2f | %.0f | %s |\n' \
	    "$(postconf -d -h mail_version)" "$N" "$SIZE" "$secs" \
	    "$(echo "$N / $secs" | bc -l)" "$(sink_count postfix sess)"
}

echo "| MTA | messages | body bytes | seconds | messages/s | connections |"
echo "|---|---|---|---|---|---|"
[ "${ONLY:-petrel}" = petrel ] && run_petrel
[ "${ONLY:-postfix}" = postfix ] && run_postfix
true
