#!/bin/bash
# SMTP intake matrix (issue #4): message sizes 4 KiB and 100 KiB x 1, 10 and
# 50 sessions, one new SMTP session per message as MX traffic is, petrel side
# by side with Postfix -> LMTP -> Dovecot (the anchor stack in
# /work/shared/anchor-stack), both in the same run, alternating per cell.
#
# Per cell and side:
#   accepted msg/s  N / wall time of smtp-source (Debian's postfix package)
#   visible msg/s   N / time from the start of smtp-source until all N are in
#                   the mailbox (petrel: POP3 STAT right after smtp-source
#                   returns, which must already show all N, since its 250
#                   comes only after the message is durable in the mailbox;
#                   Postfix: files in Dovecot's Maildir, polled every 20 ms)
#   p99 "." -> 250  bench/smtp/latency.py, same N and sessions (its msg/s too)
# Then memory per idle connection: a freshly started petrel with IDLE_N (2000) connections
# after EHLO (RSS delta / N), Postfix with IDLE_PF (90, below its process
# limit of 100) connections (PSS delta of all its processes / N).
#
#   bench/smtp/matrix.sh            # writes bench/smtp/MATRIX.md
# Env: N4K (1000), N100K (300), SESSIONS ("1 10 50"), SIZES ("4096 102400"),
#      REPEAT (1; median reported), PETREL_BIN (./petrel), ANCHOR,
#      BENCH_TMP (/var/tmp; a real disk), OUT (bench/smtp/MATRIX.md, "-":
#      stdout), IDLE_N (2000), IDLE_PF (90).
# A hand-written "## Reading" section at the end of OUT survives a re-run.
# Must run as root.
# SPDX-License-Identifier: ISC
set -euo pipefail
shopt -s inherit_errexit

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
N4K=${N4K:-1000}
N100K=${N100K:-300}
SESSIONS=${SESSIONS:-"1 10 50"}
SIZES=${SIZES:-"4096 102400"}
REPEAT=${REPEAT:-1}
OUT=${OUT:-$HERE/MATRIX.md}
IDLE_N=${IDLE_N:-2000}
IDLE_PF=${IDLE_PF:-90}
LAT=$HERE/latency.py
BENCH_NAME=matrix
# shellcheck source=bench/smtp/common.sh
. "$HERE/common.sh"
declare -A FIG

load() { cut -d' ' -f1-3 /proc/loadavg; }
median() {
	printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {
	    if (NR % 2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2 }'
}
jget() { $PY -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"; }

# wait until the Maildir holds WANT files; prints the time it happened
wait_maildir() {
	local want=$1 i=0
	while [ "$(maildir_count)" -lt "$want" ]; do
		i=$((i + 1))
		if [ $i -gt 30000 ]; then
			log "postfix: only $(maildir_count) of $want delivered after 600 s"; return 1
		fi
		sleep 0.02
	done
	now
}

# cell SIZE S N REP: one repetition of one cell, both sides
cell() {
	local size=$1 s=$2 n=$3 rep=$4 base el got t0 t1 j k
	k="$size,$s"
	FIG[load,$k]="${FIG[load,$k]:-}${FIG[load,$k]:+; }$(load)"
	# petrel, smtp-source
	base=$(pop3_stat)
	el=$(run_source "$PT_SMTP" "$s" "$n" "$size" u1@bench.test)
	got=$(pop3_stat)
	if [ "$got" -ne $((base + n)) ]; then
		log "petrel: only $((got - base)) of $n in the mailbox after the last 250"; return 1
	fi
	FIG[pt,acc,$k]+=" $(rate "$n" "$el")"
	log "size=$size s=$s petrel smtp-source ${el}s $(rate "$n" "$el")/s (all $n in the mailbox)"
	# Postfix, smtp-source
	base=$(maildir_count)
	t0=$(now)
	el=$(run_source "$PF_PORT" "$s" "$n" "$size" u1@bench.test)
	t1=$(wait_maildir $((base + n)))
	FIG[pf,acc,$k]+=" $(rate "$n" "$el")"
	FIG[pf,vis,$k]+=" $(rate "$n" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')")"
	log "size=$size s=$s postfix smtp-source ${el}s $(rate "$n" "$el")/s, visible $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')s"
	# petrel, latency.py
	base=$(pop3_stat)
	j=$($PY "$LAT" --port "$PT_SMTP" -n "$n" -s "$s" --size "$size")
	got=$(pop3_stat)
	[ "$(jget "$j" errors)" = 0 ] || { log "petrel latency.py errors: $j"; return 1; }
	[ "$got" -eq $((base + n)) ] || { log "petrel: $((got - base)) of $n stored (latency.py)"; return 1; }
	FIG[pt,p99,$k]+=" $(jget "$j" p99_ms)"; FIG[pt,p50,$k]+=" $(jget "$j" p50_ms)"
	FIG[pt,lr,$k]+=" $(jget "$j" msg_per_s)"
	log "size=$size s=$s petrel latency.py $j"
	# Postfix, latency.py (then drain, so the next cell starts with an empty queue)
	base=$(maildir_count)
	t0=$(now)
	j=$($PY "$LAT" --port "$PF_PORT" -n "$n" -s "$s" --size "$size")
	t1=$(wait_maildir $((base + n)))
	[ "$(jget "$j" errors)" = 0 ] || { log "postfix latency.py errors: $j"; return 1; }
	FIG[pf,p99,$k]+=" $(jget "$j" p99_ms)"; FIG[pf,p50,$k]+=" $(jget "$j" p50_ms)"
	FIG[pf,lr,$k]+=" $(jget "$j" msg_per_s)"
	FIG[pf,lvis,$k]+=" $(rate "$n" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')")"
	log "size=$size s=$s postfix latency.py $j"
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# PSS of every process of the anchor stack's Postfix (its master and children)
postfix_pss_kib() {
	local m p t=0 v
	m=$(head -1 "$ANCHOR_ROOT/postfix/spool/pid/master.pid" 2>/dev/null | tr -d ' ') || true
	[ -n "$m" ] || { echo 0; return; }
	for p in $m $(pgrep -P "$m"); do
		v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

# idle PORT COUNT MEASURE-CMD -> prints "before after"
idle_cost() {
	local port=$1 cnt=$2 meas=$3 before after fifo=$WORK/idle.fifo line
	before=$($meas)
	rm -f "$fifo"; mkfifo "$fifo"
	$PY "$LAT" --port "$port" --idle "$cnt" <"$fifo" >"$WORK/idle.out" 2>&1 &
	IDLE_PID=$!
	exec 9>"$fifo"
	local i=0
	until grep -q '"idle"' "$WORK/idle.out"; do
		i=$((i + 1))
		if [ $i -gt 1200 ] || ! kill -0 "$IDLE_PID" 2>/dev/null; then
			log "idle client failed:"; cat "$WORK/idle.out" >&2; exec 9>&-; return 1
		fi
		sleep 0.05
	done
	sleep 2
	after=$($meas)
	echo >&9; exec 9>&-
	wait "$IDLE_PID" || true
	IDLE_PID=
	echo "$before $after"
}

write_out() {
	local cpu disk rot dev out size s k n sz
	cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
	dev=$(df -P "$BENCH_TMP" | awk 'NR==2{print $1}')
	disk=$(df -PT "$BENCH_TMP" | awk 'NR==2 { print $1 " (" $2 ")" }')
	rot=$(lsblk -dno NAME,ROTA,SIZE 2>/dev/null | awk -v d="$(basename "$dev")" '$1==d { print "rotational=" $2 ", " $3 }')
	out=$(mktemp)
	{
	echo "# SMTP intake matrix: petrel vs Postfix -> Dovecot (issue #4)"
	echo
	echo "Produced by \`bench/smtp/matrix.sh\`; $REPEAT repetition(s) per cell (median shown when more than one)."
	echo
	echo "- date: $DATE_START to $(date -u '+%H:%M UTC')"
	echo "- machine: $(nproc) CPUs, $cpu, $(free -g | awk '/^Mem:/ { print $2 " GiB RAM" }'); kernel $(uname -r)"
	echo "- disk: $BENCH_TMP on $disk ${rot:+($rot)}, mount options: $(findmnt -no OPTIONS -T "$BENCH_TMP"); fsync on, nothing tuned"
	echo "- load average (1/5/15 min) at start: $LOAD_START, at end: $LOAD_END (the machine is shared with other engineers' runs)"
	echo "- Postfix $(postconf -d mail_version 2>/dev/null | sed 's/.*= //') -> LMTP -> Dovecot $(dovecot --version 2>/dev/null | cut -d' ' -f1) Maildir (anchor stack, default durability)"
	echo "- petrel: $PETREL_BIN (built $(date -u -r "$PETREL_BIN" '+%H:%M UTC')), source tree at the start of the run $TREE, data_dir on $BENCH_TMP"
	echo "- clients: smtp-source -s S -m N -l SIZE (accepted, visible) and bench/smtp/latency.py (p50/p99 of \".\" -> 250, and its own msg/s); one message per session, one recipient, loopback; N = $N4K (4 KiB), $N100K (100 KiB)"
	echo
	echo "| size | sessions | petrel accepted | Postfix accepted | ratio | petrel visible | Postfix visible | ratio | petrel p50 / p99 ms | Postfix p50 / p99 ms | latency.py msg/s petrel / Postfix (Postfix visible) | load at cell start |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	for size in $SIZES; do
		sz=$([ "$size" -ge 1024 ] && echo "$((size / 1024)) KiB" || echo "$size B")
		for s in $SESSIONS; do
			k="$size,$s"
			local pa fa fv p99 f99 p50 f50 plr flr flv
			# shellcheck disable=SC2086
			{
			pa=$(median ${FIG[pt,acc,$k]}); fa=$(median ${FIG[pf,acc,$k]}); fv=$(median ${FIG[pf,vis,$k]})
			p99=$(median ${FIG[pt,p99,$k]}); f99=$(median ${FIG[pf,p99,$k]})
			p50=$(median ${FIG[pt,p50,$k]}); f50=$(median ${FIG[pf,p50,$k]})
			plr=$(median ${FIG[pt,lr,$k]}); flr=$(median ${FIG[pf,lr,$k]}); flv=$(median ${FIG[pf,lvis,$k]})
			}
			echo "| $sz | $s | $pa | $fa | $(ratio "$pa" "$fa") | $pa | $fv | $(ratio "$pa" "$fv") | $p50 / $p99 | $f50 / $f99 | $plr / $flr ($flv) | ${FIG[load,$k]} |"
		done
	done
	echo
	if [ "$REPEAT" -gt 1 ]; then
		echo "Individual runs (msg/s; ms):"
		echo
		for size in $SIZES; do for s in $SESSIONS; do
			k="$size,$s"
			echo "- $size B, $s session(s): petrel acc [${FIG[pt,acc,$k]# }], Postfix acc [${FIG[pf,acc,$k]# }], Postfix vis [${FIG[pf,vis,$k]# }], petrel p99 [${FIG[pt,p99,$k]# }], Postfix p99 [${FIG[pf,p99,$k]# }]"
		done; done
		echo
	fi
	echo "Memory per idle connection (connect, EHLO, then idle):"
	echo
	echo "- petrel: $IDLE_N connections, RSS ${PT_IDLE_B:-?} -> ${PT_IDLE_A:-?} KiB: $(awk -v a="${PT_IDLE_B:-0}" -v b="${PT_IDLE_A:-0}" -v n="$IDLE_N" 'BEGIN{printf "%.1f", (b-a<0?a-b:b-a)/n}') KiB per connection"
	echo "- Postfix: $IDLE_PF connections (its default process limit is 100 smtpd), PSS of all its processes ${PF_IDLE_B:-?} -> ${PF_IDLE_A:-?} KiB: $(awk -v a="${PF_IDLE_B:-0}" -v b="${PF_IDLE_A:-0}" -v n="$IDLE_PF" 'BEGIN{printf "%.1f", (b-a)/n}') KiB per connection (one smtpd process each)"
	echo
	echo "\"Accepted\" is N over smtp-source's wall time (every message got its 250). petrel's"
	echo "\"visible\" equals its accepted rate: POP3 STAT right after smtp-source returned showed"
	echo "all N (checked in every cell, for latency.py's messages too). Postfix's \"visible\" is N"
	echo "over the time from the start of smtp-source until all N were files in Dovecot's Maildir."
	echo "p50/p99 are latency.py's, from sending \".\" CRLF to reading the 250."
	} > "$out"
	if [ "$OUT" != "-" ] && [ -f "$OUT" ] && grep -q '^## Reading' "$OUT"; then
		echo >> "$out"; sed -n '/^## Reading/,$p' "$OUT" >> "$out"
	fi
	chmod 644 "$out"
	if [ "$OUT" = "-" ]; then cat "$out"; else cp "$out" "$OUT"; cat "$out"; fi
	rm -f "$out"
}

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
[ -x "$PETREL_BIN" ] || { echo "no petrel binary at $PETREL_BIN" >&2; exit 1; }
DATE_START=$(date -u '+%Y-%m-%d %H:%M UTC')
TREE=$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)
LOAD_START=$(load)
start_petrel "smtp.max_per_client = $((IDLE_N + 100))"
start_postfix
for r in $(seq "$REPEAT"); do
	for size in $SIZES; do
		n=$N4K; [ "$size" -gt 8192 ] && n=$N100K
		for s in $SESSIONS; do cell "$size" "$s" "$n" "$r"; done
	done
done
# a fresh petrel, so that memory freed after the load runs does not hide the cost
kill -TERM "$PETREL_PID"; wait "$PETREL_PID" || true; PETREL_PID=
rm -rf "$WORK/petrel"
start_petrel "smtp.max_per_client = $((IDLE_N + 100))"
read -r PT_IDLE_B PT_IDLE_A <<<"$(idle_cost "$PT_SMTP" "$IDLE_N" "rss_kib $PETREL_PID")"
read -r PF_IDLE_B PF_IDLE_A <<<"$(idle_cost "$PF_PORT" "$IDLE_PF" postfix_pss_kib)"
LOAD_END=$(load)
write_out
