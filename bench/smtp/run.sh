#!/bin/bash
# SMTP intake benchmark: messages accepted (and stored) per second, petrel
# side by side with Postfix -> LMTP -> Dovecot (the anchor stack in
# /work/shared/anchor-stack), both measured in the same run with the same
# client, Postfix's own smtp-source.
#
#   bench/smtp/run.sh              # both sides, writes bench/smtp/RESULTS.md
#   SIDES=postfix bench/smtp/run.sh
#
# Env: N (messages per run, default 2000), SIZE (payload octets, 4096),
#      SESSIONS ("1 20"), REPEAT (runs per figure, median reported, 5),
#      SIDES ("petrel postfix"), PETREL_BIN (default ./petrel),
#      ANCHOR (default /work/shared/anchor-stack), BENCH_TMP (/var/tmp; must
#      be a real disk, not tmpfs: the fsync cost is what is measured),
#      RESULTS (default bench/smtp/RESULTS.md; "-" for stdout only).
# Must run as root (Postfix and Dovecot are started as root, then drop).
# SPDX-License-Identifier: ISC
set -euo pipefail
shopt -s inherit_errexit

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
N=${N:-2000}
SIZE=${SIZE:-4096}
SESSIONS=${SESSIONS:-"1 20"}
REPEAT=${REPEAT:-5}
SIDES=${SIDES:-"petrel postfix"}
RESULTS=${RESULTS:-$HERE/RESULTS.md}
BENCH_NAME=bench
# shellcheck source=bench/smtp/common.sh
. "$HERE/common.sh"
declare -A FIG

# median of the arguments (floating point)
median() {
	printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {
	    if (NR % 2) print a[(NR+1)/2]; else printf "%.0f\n", (a[NR/2]+a[NR/2+1])/2 }'
}

wait_port() {
	local port=$1 i=0
	until $PY -c "import socket; socket.create_connection(('127.0.0.1',$port),1).close()" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && return 1; sleep 0.1
	done
}

# Install what the anchor stack needs, without letting the packages start
# the system's own Postfix or Dovecot (they would hold ports).
install_anchor_deps() {
	local p missing=""
	for p in postfix dovecot-imapd dovecot-pop3d dovecot-lmtpd; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		    missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	log "installing$missing"
	local policy=/usr/sbin/policy-rc.d made=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; made=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
	[ $made = 1 ] && rm -f "$policy"
	return 0
}

# One Postfix run: prints "accepted-rate visible-rate".
run_postfix() {
	local s=$1 base t0 el t1 vis i=0
	base=$(maildir_count)
	t0=$(now)
	el=$(run_source "$PF_PORT" "$s" "$N" "$SIZE" u1@bench.test)
	# visible: until all N are files in the Maildir (Dovecot via LMTP)
	while [ "$(maildir_count)" -lt $((base + N)) ]; do
		i=$((i + 1))
		if [ $i -gt 12000 ]; then
			log "postfix: only $(($(maildir_count) - base)) of $N delivered after 600 s"
			return 1
		fi
		sleep 0.05
	done
	t1=$(now)
	vis=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	log "postfix s=$s accepted ${el}s ($(rate "$N" "$el")/s) visible ${vis}s ($(rate "$N" "$vis")/s)"
	echo "$(rate "$N" "$el") $(rate "$N" "$vis")"
}

# One petrel run: prints the rate; checks that all N are in the mailbox.
run_petrel() {
	local s=$1 base el got
	base=$(pop3_stat)
	el=$(run_source "$PT_SMTP" "$s" "$N" "$SIZE" u1@bench.test)
	got=$(pop3_stat)
	if [ "$got" -ne $((base + N)) ]; then
		log "petrel: $((got - base)) of $N in the mailbox after 250"; return 1
	fi
	log "petrel s=$s accepted+stored ${el}s ($(rate "$N" "$el")/s)"
	rate "$N" "$el"
}

# Both sides run alternately, so that the machine's drift hits both alike.
bench() {
	local do_petrel=0 do_postfix=0 side s r a v
	for side in $SIDES; do
		case $side in
		petrel) do_petrel=1 ;;
		postfix) do_postfix=1 ;;
		*) echo "unknown side $side" >&2; exit 2 ;;
		esac
	done
	if [ $do_petrel = 1 ] && [ ! -x "$PETREL_BIN" ]; then
		log "no petrel binary at $PETREL_BIN: petrel side skipped"
		do_petrel=0
	fi
	[ $do_petrel = 1 ] && start_petrel
	[ $do_postfix = 1 ] && { install_anchor_deps; start_postfix; }
	for s in $SESSIONS; do
		local pacc=() facc=() fvis=()
		for r in $(seq "$REPEAT"); do
			if [ $do_petrel = 1 ]; then
				a=$(run_petrel "$s")
				pacc+=("$a")
			fi
			if [ $do_postfix = 1 ]; then
				a=$(run_postfix "$s")
				read -r a v <<<"$a"
				facc+=("$a"); fvis+=("$v")
			fi
		done
		if [ $do_petrel = 1 ]; then
			FIG[petrel,acc,$s]=$(median "${pacc[@]}")
			FIG[petrel,accall,$s]="${pacc[*]}"
		fi
		if [ $do_postfix = 1 ]; then
			FIG[postfix,acc,$s]=$(median "${facc[@]}")
			FIG[postfix,vis,$s]=$(median "${fvis[@]}")
			FIG[postfix,accall,$s]="${facc[*]}"
			FIG[postfix,visall,$s]="${fvis[*]}"
		fi
	done
	return 0
}

write_results() {
	local disk cpu s out
	cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
	disk=$(df -PT "$BENCH_TMP" | awk 'NR==2 { print $1 " (" $2 ")" }')
	local rot
	rot=$(lsblk -dno NAME,ROTA,SIZE 2>/dev/null | awk -v d="$(basename "$(df -P "$BENCH_TMP" | awk 'NR==2{print $1}')")" '$1==d { print "rotational=" $2 ", " $3 }')
	out=$(mktemp)
	{
	echo "# SMTP intake: petrel vs Postfix"
	echo
	echo "Produced by \`bench/smtp/run.sh\`; numbers are the median of $REPEAT runs."
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- machine: $(nproc) CPUs, $cpu, $(free -g | awk '/^Mem:/ { print $2 " GiB RAM" }')"
	echo "- disk: $BENCH_TMP on $disk ${rot:+($rot)}; fsync on, nothing tuned"
	echo "- load average (1/5/15 min) at start: ${LOAD_START:-?}, at end: ${LOAD_END:-?} (other work on the machine adds noise)"
	echo "- kernel: $(uname -r); Postfix $(postconf -d mail_version 2>/dev/null | sed 's/.*= //'), Dovecot $(dovecot --version 2>/dev/null | cut -d' ' -f1)"
	echo "- client: smtp-source -s S -m $N -l $SIZE (one recipient, one message per connection), loopback"
	echo "- petrel: $PETREL_BIN (source tree $(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown), binary built $(date -u -r "$PETREL_BIN" '+%H:%M UTC' 2>/dev/null || echo '?')), data_dir on $BENCH_TMP; 250 only after the message is durable in the mailbox"
	echo "- Postfix: anchor stack (smtpd -> cleanup -> queue -> qmgr -> LMTP -> Dovecot Maildir), default durability"
	echo
	echo "| sessions | petrel accepted+stored msg/s | Postfix accepted msg/s | Postfix visible in mailbox msg/s | petrel/Postfix accepted | petrel/Postfix visible |"
	echo "|---:|---:|---:|---:|---:|---:|"
	for s in $SESSIONS; do
		local pa=${FIG[petrel,acc,$s]:-} fa=${FIG[postfix,acc,$s]:-} fv=${FIG[postfix,vis,$s]:-}
		echo "| $s | ${pa:-n/a} | ${fa:-n/a} | ${fv:-n/a} | $(ratio "$pa" "$fa") | $(ratio "$pa" "$fv") |"
	done
	echo
	echo "Individual runs (msg/s):"
	echo
	for s in $SESSIONS; do
		echo "- $s session(s): petrel [${FIG[petrel,accall,$s]:-not run}], Postfix accepted [${FIG[postfix,accall,$s]:-not run}], Postfix visible [${FIG[postfix,visall,$s]:-not run}]"
	done
	echo
	echo "\"Accepted\" is N divided by the wall time of smtp-source (every message got its 250)."
	echo "For petrel that is also the time until the messages are in the mailbox (checked with"
	echo "POP3 STAT after each run). For Postfix \"visible\" is the time from the start of"
	echo "smtp-source until all N messages are files in Dovecot's Maildir."
	} > "$out"
	# A hand-written "## Notes" section at the end of RESULTS.md survives.
	if [ "$RESULTS" != "-" ] && [ -f "$RESULTS" ] && grep -q '^## Notes' "$RESULTS"; then
		echo >> "$out"
		sed -n '/^## Notes/,$p' "$RESULTS" >> "$out"
	fi
	if [ "$RESULTS" = "-" ]; then cat "$out"; else cp "$out" "$RESULTS"; cat "$out"; fi
	rm -f "$out"
}

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
bench
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
write_results
